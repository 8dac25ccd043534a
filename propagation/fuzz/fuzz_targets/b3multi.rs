#![no_main]

use libfuzzer_sys::fuzz_target;
use spanlite_propagation_fuzz::{run, Extractor};

fuzz_target!(|data: &[u8]| run(Extractor::B3Multiple, data));
