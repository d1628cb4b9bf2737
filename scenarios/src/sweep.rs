//! # Parameter sweeps
//!
//! A sweep runs one scenario many times: the cartesian product of a grid of `--set`
//! overrides, times a list of seeds. This module is everything around a single run
//! (which the caller supplies as a closure): the sweep file, row expansion, sharding
//! across machines, parallel execution with a progress bar, crash-safe incremental
//! output with resume, merging of shard outputs, and plots. See `docs/sweeps.md`.
//!
//! Output of `run_sweep(sweep, opts, runner)` in `opts.out_dir`:
//! - `results.csv`: `row`, the parameter columns (grid keys, then `[set]` keys), `seed`,
//!   then every column the runs reported; one line per finished row, rows by index;
//! - `errors.csv`: `row`, the parameter columns, `seed`, `error` for rows that failed
//!   (absent when none did);
//! - `sweep.json`: the sweep's content hash, shard and plots, checked on resume;
//! - `<plot name>.svg` / `.png` for each `[[plot]]` (not for a shard).

mod check;
mod error;
mod file;
mod grid;
mod merge;
mod run;
mod table;
mod value;

pub use check::{RowNote, SweepCheck, check_rows, index_ranges};
pub use error::SweepError;
pub(crate) use file::scalar_map;
pub use file::{MAX_ROWS, MAX_SEEDS, SweepFile, load_sweep, parse_sweep};
pub use grid::{Row, in_shard, parse_shard};
pub use merge::{MergeSummary, merge};
pub use run::{
    CLASH_PREFIX, DURATION_SUFFIX, ERRORS_FILE, RESULTS_FILE, SIDECAR_FILE, SweepOptions,
    SweepSummary, duration_columns, run_sweep,
};
pub use table::{ERROR_COLUMN, ROW_COLUMN, ResultTable, SEED_COLUMN, TornTail, read_results};
pub use value::{Value, flatten_json};
