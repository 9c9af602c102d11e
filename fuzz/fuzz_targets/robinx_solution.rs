//! Any text as a solution of a small RobinX instance with two leagues, a
//! single round robin (venues chosen by the solution) and extra games, one
//! of them undetermined: it is read or refused with an error naming the
//! file, never panics, and what is read becomes a schedule of the
//! instance's league, each meeting of the pool at most once, every game a
//! meeting of the pool in the orientation its meeting allows.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use umpire_model::League;
use umpire_model::robinx::{Instance, Solution};

/// Teams 0–3 (league 0, k = 1) and 4–5 (league 1, k = 2), and the extra
/// games 0–4 (determined) and 1–5 (either at home), over 8 slots.
const INSTANCE: &str = r#"<Instance>
<MetaData><InstanceName>fuzz</InstanceName></MetaData>
<ObjectiveFunction><Objective>SC</Objective></ObjectiveFunction>
<Structure>
<Format leagueIds="0"><numberRoundRobin>1</numberRoundRobin><gameMode>NULL</gameMode></Format>
<Format leagueIds="1"><numberRoundRobin>2</numberRoundRobin><gameMode>P</gameMode></Format>
<AdditionalGames><game team1="0" team2="4" noHome="0"/><game team1="1" team2="5" noHome="false"/></AdditionalGames>
</Structure>
<Resources><Leagues><league id="0"/><league id="1"/></Leagues>
<Teams><team id="0" league="0"/><team id="1" league="0"/><team id="2" league="0"/><team id="3" league="0"/><team id="4" league="1"/><team id="5" league="1"/></Teams>
<Slots><slot id="0"/><slot id="1"/><slot id="2"/><slot id="3"/><slot id="4"/><slot id="5"/><slot id="6"/><slot id="7"/></Slots>
</Resources>
<Constraints><BasicConstraints/><CapacityConstraints/><GameConstraints/><BreakConstraints/><FairnessConstraints/><SeparationConstraints/></Constraints>
</Instance>"#;

fn instance() -> &'static (Instance, League) {
    static INST: OnceLock<(Instance, League)> = OnceLock::new();
    INST.get_or_init(|| {
        let instance =
            Instance::from_xml_str(Path::new("fuzz-instance.xml"), INSTANCE).expect("it reads");
        assert!(instance.notes.is_empty(), "{:?}", instance.notes);
        let league = instance.league().expect("it is a league");
        (instance, league)
    })
}

fuzz_target!(|text: &str| {
    let (instance, league) = instance();
    match Solution::from_xml_str(Path::new("fuzz.xml"), text, instance) {
        Err(e) => assert!(e.to_string().starts_with("fuzz.xml: "), "{e}"),
        Ok(solution) => {
            let pool = instance.pool();
            assert!(solution.meetings.len() <= pool.len());
            assert!(solution.meetings.windows(2).all(|w| w[0].pool < w[1].pool));
            for m in &solution.meetings {
                let meeting = pool[m.pool];
                let same = (m.home, m.away) == (meeting.home, meeting.away);
                let flipped = (m.home, m.away) == (meeting.away, meeting.home);
                assert!(
                    same || (flipped && !meeting.determined),
                    "{m:?} for {meeting:?}"
                );
                assert!(m.slot < instance.slots);
            }
            let schedule = solution
                .schedule(league)
                .expect("a solution read against its instance is a schedule of its league");
            assert_eq!(schedule.len(), solution.meetings.len());
        }
    }
});
