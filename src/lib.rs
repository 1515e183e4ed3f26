//! epochmem: measures what a training loop's output buffering costs in
//! memory and speed, by running one model on one seeded data stream under
//! several buffering strategies, each in its own worker process.

pub mod analytic;
pub mod limits;
pub mod results;
pub mod scenario;
pub mod units;
