//! Any text as a RobinX instance (ITC2021 among them): it is read or
//! refused with an error naming the file, never panics, and what is read
//! becomes a league of as many teams, with the structural checks and one
//! constraint id per element, none twice; every note names the file; the
//! pool's meetings are between teams of the instance.

#![no_main]

use std::collections::HashSet;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use umpire_model::robinx::Instance;

fuzz_target!(|text: &str| {
    let instance = match Instance::from_xml_str(Path::new("fuzz.xml"), text) {
        Ok(instance) => instance,
        Err(e) => {
            assert!(e.to_string().starts_with("fuzz.xml: "), "{e}");
            return;
        }
    };
    let league = instance.league().expect("a read instance makes a league");
    assert_eq!(league.teams.len(), instance.teams());
    assert!(instance.structural().len() >= 2);
    let mut ids = HashSet::new();
    for e in instance.elements.iter().chain(&instance.structural()) {
        assert!(ids.insert(e.id()), "{} twice", e.id());
    }
    for note in &instance.notes {
        assert!(note.to_string().starts_with("fuzz.xml"), "{note}");
    }
    let n = instance.teams();
    assert!(instance.pool().iter().all(|m| m.home < n && m.away < n));
});
