//! Feeds arbitrary bytes to scenario parsing and validation. Any input must
//! give a scenario or a `ScenarioError`, never a panic or an abort.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() as u64 > epochmem::scenario::MAX_SCENARIO_FILE_BYTES {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let _ = epochmem::scenario::parse_scenario(&text, Path::new("fuzz/scenario.yaml"));
});
