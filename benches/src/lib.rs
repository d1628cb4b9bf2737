//! # benches: the measuring instruments of xrcsim
//!
//! - [`mm1`]: the M/M/1 engine benchmark of CONTRACTS.md section 5 on the `sim` kernel and
//!   the bare `BinaryHeap` loop it is compared with (binary `mm1`);
//! - criterion suites under `benches/` (kernel hold model, model throughput).

pub mod mm1;
