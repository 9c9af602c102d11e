//! Any text as a solution of ITC2021 Test 2: it is read or refused with an
//! error naming the file, never panics, and what is read becomes a schedule
//! of the instance's league, each meeting of the pool at most once.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use umpire_model::League;
use umpire_model::itc2021::{Instance, Solution};

fn test2() -> &'static (Instance, League) {
    static TEST2: OnceLock<(Instance, League)> = OnceLock::new();
    TEST2.get_or_init(|| {
        let text = include_str!("../../examples/itc2021/instances/ITC2021_Test2.xml");
        let instance = Instance::from_xml_str(Path::new("Test2.xml"), text).expect("Test 2 reads");
        let league = instance.league().expect("Test 2 is a league");
        (instance, league)
    })
}

fuzz_target!(|text: &str| {
    let (instance, league) = test2();
    match Solution::from_xml_str(Path::new("fuzz.xml"), text, instance) {
        Err(e) => assert!(e.to_string().starts_with("fuzz.xml: "), "{e}"),
        Ok(solution) => {
            let pool = instance.pool().len();
            assert!(solution.meetings.len() <= pool);
            assert!(solution.meetings.windows(2).all(|w| w[0].pool < w[1].pool));
            let schedule = solution
                .schedule(league)
                .expect("a solution read against its instance is a schedule of its league");
            assert_eq!(schedule.len(), solution.meetings.len());
        }
    }
});
