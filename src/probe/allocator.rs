//! Safe wrappers around the C++ probe shim in `csrc/probe_shim.cpp`.

use std::ffi::{c_char, c_int, CStr};

#[repr(C)]
#[derive(Default)]
struct RawCpuStats {
    current_bytes: i64,
    peak_bytes: i64,
    allocation_count: i64,
    free_count: i64,
    allocated_bytes_total: i64,
}

#[repr(C)]
#[derive(Default)]
struct RawDeviceStats {
    allocated_current_bytes: i64,
    allocated_peak_bytes: i64,
    reserved_current_bytes: i64,
    reserved_peak_bytes: i64,
    active_current_bytes: i64,
    active_peak_bytes: i64,
    num_ooms: i64,
    num_alloc_retries: i64,
}

extern "C" {
    fn epochmem_cpu_counter_install(error: *mut c_char, error_len: usize) -> c_int;
    fn epochmem_cpu_counter_is_installed() -> c_int;
    fn epochmem_cpu_counter_read(out: *mut RawCpuStats);
    fn epochmem_cpu_counter_reset_peak();
    fn epochmem_device_allocator_stats(
        device_type: c_int,
        device_index: c_int,
        out: *mut RawDeviceStats,
        message: *mut c_char,
        message_len: usize,
    ) -> c_int;
    fn epochmem_device_allocator_reset_peaks(
        device_type: c_int,
        device_index: c_int,
        message: *mut c_char,
        message_len: usize,
    ) -> c_int;
}

/// `c10::DeviceType::CUDA`.
const DEVICE_TYPE_CUDA: c_int = 1;
const MESSAGE_LEN: usize = 512;

/// Counters of the counting CPU allocator. Bytes are what callers
/// requested, not what the system allocator rounded them up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuAllocatorStats {
    pub current_bytes: u64,
    pub peak_bytes: u64,
    pub allocation_count: u64,
    pub free_count: u64,
    pub allocated_bytes_total: u64,
}

/// Statistics of the CUDA caching allocator for one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CudaAllocatorStats {
    pub allocated_current_bytes: u64,
    pub allocated_peak_bytes: u64,
    pub reserved_current_bytes: u64,
    pub reserved_peak_bytes: u64,
    pub active_current_bytes: u64,
    pub active_peak_bytes: u64,
    pub num_ooms: u64,
    pub num_alloc_retries: u64,
}

/// A CUDA reading, or the reason there is none. Never a zero that looks
/// measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CudaReading {
    Available(CudaAllocatorStats),
    Unavailable(String),
}

fn message_from(buffer: &[c_char]) -> String {
    // SAFETY: the shim always writes a NUL-terminated string into the buffer,
    // and the buffer starts zeroed, so it is terminated even when unwritten.
    unsafe { CStr::from_ptr(buffer.as_ptr()) }.to_string_lossy().into_owned()
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Installs the counting allocator in front of libtorch's CPU allocator.
/// Must run before the first tensor is created: tensors allocated earlier are
/// freed through their original deleter and never counted. Installing twice
/// is a no-op.
pub fn install_cpu_counter() -> Result<(), String> {
    let mut buffer = [0 as c_char; MESSAGE_LEN];
    // SAFETY: the buffer outlives the call and its length is passed along.
    let status = unsafe { epochmem_cpu_counter_install(buffer.as_mut_ptr(), buffer.len()) };
    if status >= 0 {
        Ok(())
    } else {
        Err(message_from(&buffer))
    }
}

/// Checks whether the counting allocator is the CPU allocator libtorch uses now.
pub fn cpu_counter_installed() -> bool {
    // SAFETY: reads two atomics and a c10 registry pointer.
    unsafe { epochmem_cpu_counter_is_installed() == 1 }
}

/// Reads the CPU allocator counters. All zero until installed.
pub fn read_cpu() -> CpuAllocatorStats {
    let mut raw = RawCpuStats::default();
    // SAFETY: `raw` is a valid, properly aligned out-parameter.
    unsafe { epochmem_cpu_counter_read(&mut raw) };
    CpuAllocatorStats {
        current_bytes: to_u64(raw.current_bytes),
        peak_bytes: to_u64(raw.peak_bytes),
        allocation_count: to_u64(raw.allocation_count),
        free_count: to_u64(raw.free_count),
        allocated_bytes_total: to_u64(raw.allocated_bytes_total),
    }
}

/// Sets the CPU peak to the current byte count.
pub fn reset_cpu_peak() {
    // SAFETY: stores into atomics.
    unsafe { epochmem_cpu_counter_reset_peak() }
}

/// Reads the CUDA caching allocator of `device_index`.
pub fn read_cuda(device_index: usize) -> CudaReading {
    let mut raw = RawDeviceStats::default();
    let mut buffer = [0 as c_char; MESSAGE_LEN];
    let Ok(index) = c_int::try_from(device_index) else {
        return CudaReading::Unavailable(format!("device index {device_index} is out of range"));
    };
    // SAFETY: out-parameters are valid for the duration of the call; the shim
    // catches every C++ exception.
    let status = unsafe {
        epochmem_device_allocator_stats(
            DEVICE_TYPE_CUDA,
            index,
            &mut raw,
            buffer.as_mut_ptr(),
            buffer.len(),
        )
    };
    if status != 0 {
        return CudaReading::Unavailable(message_from(&buffer));
    }
    CudaReading::Available(CudaAllocatorStats {
        allocated_current_bytes: to_u64(raw.allocated_current_bytes),
        allocated_peak_bytes: to_u64(raw.allocated_peak_bytes),
        reserved_current_bytes: to_u64(raw.reserved_current_bytes),
        reserved_peak_bytes: to_u64(raw.reserved_peak_bytes),
        active_current_bytes: to_u64(raw.active_current_bytes),
        active_peak_bytes: to_u64(raw.active_peak_bytes),
        num_ooms: to_u64(raw.num_ooms),
        num_alloc_retries: to_u64(raw.num_alloc_retries),
    })
}

/// Resets the CUDA peak statistics of `device_index`.
pub fn reset_cuda_peaks(device_index: usize) -> Result<(), String> {
    let mut buffer = [0 as c_char; MESSAGE_LEN];
    let index = c_int::try_from(device_index).map_err(|_| "device index out of range".to_owned())?;
    // SAFETY: as in `read_cuda`.
    let status = unsafe {
        epochmem_device_allocator_reset_peaks(
            DEVICE_TYPE_CUDA,
            index,
            buffer.as_mut_ptr(),
            buffer.len(),
        )
    };
    if status == 0 {
        Ok(())
    } else {
        Err(message_from(&buffer))
    }
}
