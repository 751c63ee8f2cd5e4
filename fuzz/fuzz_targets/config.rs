//! Fuzz target: any text as config.yaml must load or be rejected with problems, never panic.
//! A config that loads must have every duration and size usable without overflow.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = wirefeed::config::Config::from_yaml(
        text,
        Path::new("config.yaml"),
        Path::new("/etc/wirefeed"),
    );
    let _ = wirefeed::config::parse_duration(text);
    let _ = wirefeed::config::parse_size(text);
    let _ = wirefeed::config::compile_matcher(text);
});
