//! Memory probes: libtorch's CPU allocator (counted by the C++ shim), the
//! CUDA caching allocator's statistics, and process RSS from `/proc`.

pub mod allocator;
pub mod cuda;
pub mod rss;
