//! Defaults for the per-run safety limits.

/// Fraction of physical memory that one run may use by default.
pub const DEFAULT_HOST_BUDGET_FRACTION: f64 = 0.5;

/// Physical memory of this machine in bytes, as sysinfo reads it.
pub fn physical_memory_bytes() -> u64 {
    let mut system = sysinfo::System::new();
    system.refresh_memory();
    system.total_memory()
}

/// Default host memory budget of one run: half of the physical memory.
pub fn default_host_budget_bytes() -> u64 {
    (physical_memory_bytes() as f64 * DEFAULT_HOST_BUDGET_FRACTION) as u64
}
