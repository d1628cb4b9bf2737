//! # benches: the measuring instruments of xrcsim
//!
//! - [`mm1`]: the M/M/1 engine benchmark of docs/contracts.md section 7 on the `sim` kernel and
//!   the bare `BinaryHeap` loop it is compared with (binary `mm1`);
//! - [`worlds`]: the benchmark worlds (`benches/scenarios/*.toml`) and one measured run;
//! - [`oracle_load`]: a synthetic load driving the oracle through its public API;
//! - [`mem`]: peak and current resident memory from `/proc/self/status`;
//! - binary `perf`: the model-level measurements, one JSON line each;
//! - criterion suites under `benches/` (kernel hold model, codec, model throughput).

pub mod mem;
pub mod mm1;
pub mod oracle_load;
pub mod worlds;
