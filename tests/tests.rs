//! The one integration-test crate: each module owns one capability and runs
//! the `themata` binary on real files. Helpers live in `util`.

mod util;

mod compare;
mod compare_from;
mod core;
mod experience;
mod forms;
mod importers;
mod integrity;
mod limits;
mod merge;
mod parquet;
mod perf;
mod robustness;
mod shard;
mod tables_in;
mod themes;
