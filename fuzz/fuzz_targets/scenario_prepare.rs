//! Scenario loading and building (`scenarios::prepare`) on arbitrary bytes: the text up to
//! the first NUL is the file, each further NUL-separated chunk a `--set` argument. It must
//! never panic, hang or allocate without bound; every refusal is an error value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    scenarios::fuzz_prepare(data);
});
