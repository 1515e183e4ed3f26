//! Loading the CUDA part of libtorch on demand.
//!
//! The linker's `--as-needed` drops `libtorch_cuda.so` from the binary
//! because no Rust code references it, so CUDA is unavailable unless it is
//! loaded at run time. Linking it unconditionally would map the CUDA
//! libraries into every CPU run and inflate its RSS by hundreds of MiB, so it
//! is loaded here only when a scenario requests CUDA. Loading must happen
//! before anything asks libtorch about CUDA, because libtorch caches its CUDA
//! hooks on first use.

use std::path::PathBuf;
use std::sync::OnceLock;

static LOADED: OnceLock<Result<(), String>> = OnceLock::new();

/// Returns the libtorch library folder the binary was linked against.
pub fn libtorch_lib_dir() -> PathBuf {
    PathBuf::from(env!("EPOCHMEM_LIBTORCH_LIB"))
}

/// Version of the linked libtorch, read from the `version.py` that the torch
/// wheel installs beside its `lib/` folder, such as `2.13.0+cu130`.
pub fn libtorch_version() -> String {
    let version_file = libtorch_lib_dir().join("../version.py");
    std::fs::read_to_string(&version_file)
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|line| line.starts_with("__version__"))?;
            Some(line.split(['\'', '"']).nth(1)?.to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Checks whether an NVIDIA driver is installed (`libcuda.so.1` can be loaded).
pub fn driver_present() -> bool {
    // SAFETY: loading the driver library runs its initialisers, which have
    // no preconditions; it is closed again at once.
    unsafe { libloading::Library::new("libcuda.so.1") }.is_ok()
}

/// Loads `libtorch_cuda.so` once per process; later calls return the first
/// outcome.
pub fn load_cuda_libraries() -> Result<(), String> {
    LOADED
        .get_or_init(|| {
            let path = libtorch_lib_dir().join("libtorch_cuda.so");
            // SAFETY: libtorch_cuda's static initialisers register its
            // allocator and hooks with the libtorch already loaded; RTLD_GLOBAL
            // makes its symbols visible to later loads.
            let library = unsafe {
                libloading::os::unix::Library::open(
                    Some(&path),
                    libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_GLOBAL,
                )
            };
            match library {
                Ok(library) => {
                    // Never unloaded: libtorch keeps pointers into it.
                    std::mem::forget(library);
                    Ok(())
                }
                Err(error) => Err(format!("cannot load {}: {error}", path.display())),
            }
        })
        .clone()
}

/// Checks whether `libtorch_cuda.so` is mapped into this process.
pub fn cuda_libraries_loaded() -> bool {
    std::fs::read_to_string("/proc/self/maps")
        .map(|maps| maps.contains("libtorch_cuda.so"))
        .unwrap_or(false)
}
