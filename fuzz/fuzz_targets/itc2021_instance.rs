//! Any text as an ITC2021 instance: it is read or refused with an error
//! naming the file, and never panics.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use umpire::itc2021::Instance;

fuzz_target!(|text: &str| {
    if let Err(e) = Instance::from_xml_str(Path::new("fuzz.xml"), text) {
        assert!(e.to_string().starts_with("fuzz.xml: "), "{e}");
    }
});
