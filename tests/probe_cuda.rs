//! The CUDA probe after loading the CUDA part of libtorch. Without a GPU it
//! must report "unavailable" with a reason, never zeros; with one it must
//! see a tensor's bytes. One test binary, because loading is process-wide.

use epochmem::probe::allocator::{read_cuda, CudaReading};
use epochmem::probe::{cuda, rss};

#[test]
fn cuda_probe_reports_unavailable_or_real_bytes() {
    assert!(!cuda::cuda_libraries_loaded(), "CUDA libraries must not load before they are asked for");
    let before = rss::read_rss_bytes();
    let loaded = cuda::load_cuda_libraries();
    let after = rss::read_rss_bytes();
    match &loaded {
        Ok(()) => {
            assert!(cuda::cuda_libraries_loaded());
            eprintln!(
                "loading libtorch_cuda added {} of RSS",
                epochmem::units::format_bytes(after.saturating_sub(before))
            );
        }
        Err(message) => eprintln!("libtorch_cuda did not load here: {message}"),
    }

    if loaded.is_ok() && tch::Cuda::is_available() {
        let tensor = tch::Tensor::zeros([1024, 1024], (tch::Kind::Float, tch::Device::Cuda(0)));
        match read_cuda(0) {
            CudaReading::Available(stats) => {
                assert!(stats.allocated_current_bytes >= 4 << 20, "{stats:?}");
                assert!(stats.reserved_current_bytes >= stats.allocated_current_bytes);
            }
            CudaReading::Unavailable(reason) => panic!("a GPU is present but the probe says: {reason}"),
        }
        drop(tensor);
    } else {
        match read_cuda(0) {
            CudaReading::Unavailable(reason) => assert!(!reason.is_empty()),
            CudaReading::Available(stats) => panic!("CUDA statistics without a usable GPU: {stats:?}"),
        }
    }
}
