//! The counting CPU allocator against byte counts computed from shapes.
//! One test binary per global allocator state: the counter is process-wide.

use epochmem::probe::allocator::{self, CudaReading};
use tch::{Kind, Tensor};

#[test]
fn cpu_counter_matches_analytic_bytes_and_cuda_is_unavailable() {
    allocator::install_cpu_counter().expect("install the counting allocator");
    assert!(allocator::cpu_counter_installed());

    let before = allocator::read_cpu();
    let floats = Tensor::zeros([1000], (Kind::Float, tch::Device::Cpu));
    let longs = Tensor::zeros([10, 7], (Kind::Int64, tch::Device::Cpu));
    let during = allocator::read_cpu();
    assert_eq!(during.current_bytes - before.current_bytes, 1000 * 4 + 70 * 8);
    assert_eq!(during.allocation_count - before.allocation_count, 2);

    allocator::reset_cpu_peak();
    let temporary = Tensor::ones([256, 256], (Kind::Double, tch::Device::Cpu));
    drop(temporary);
    let after_temporary = allocator::read_cpu();
    assert_eq!(after_temporary.current_bytes, during.current_bytes);
    assert_eq!(after_temporary.peak_bytes, during.current_bytes + 256 * 256 * 8);

    drop(floats);
    drop(longs);
    let after = allocator::read_cpu();
    assert_eq!(after.current_bytes, before.current_bytes);
    assert_eq!(after.free_count - before.free_count, 3);

    // No CUDA library is loaded in this process, so the CUDA probe must report
    // it as unavailable instead of returning zeros.
    match allocator::read_cuda(0) {
        CudaReading::Unavailable(reason) => assert!(reason.contains("not loaded"), "{reason}"),
        CudaReading::Available(stats) => panic!("CUDA stats without CUDA: {stats:?}"),
    }
}
