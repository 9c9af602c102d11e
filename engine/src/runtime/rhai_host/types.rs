//! The types scripts see: a game, a time, the schedule, the league (its
//! lookups prepared once), the params, a violation and a verdict.

use std::sync::Arc;

use jiff::Zoned;
use rhai::{Array, Dynamic, ImmutableString, Map};

use crate::model::{Game, League, Schedule, Violation};
use crate::runtime::query;

#[derive(Clone)]
pub(in crate::runtime) struct RGame(pub(in crate::runtime) Arc<Game>);

#[derive(Clone)]
pub(super) struct RTime(pub(super) Zoned);

#[derive(Clone)]
pub(in crate::runtime) struct RSchedule(pub(in crate::runtime) Arc<Schedule>);

/// The league as scripts see it: lookups answered from maps built once.
#[derive(Clone)]
pub(in crate::runtime) struct RLeague(pub(super) Arc<LeagueData>);

pub(super) struct LeagueData {
    pub(super) league: Arc<League>,
    pub(super) teams: Map,
    pub(super) venues: Map,
    pub(super) tv_windows: Map,
    pub(super) reference: Map,
}

/// The manifest's params as a map, cloned into each call: a shared value
/// would be cheaper to pass but a script could write through it (shared
/// values escape constant checks), and the next call would see the change.
#[derive(Clone, Debug)]
pub(super) struct RParams(pub(super) Dynamic);

#[derive(Clone)]
pub(super) struct RViolation(pub(super) Violation);

#[derive(Clone)]
pub(super) struct RVerdict {
    pub(super) violations: Vec<Violation>,
    pub(super) score: Option<f64>,
}

impl RLeague {
    pub(in crate::runtime) fn new(league: Arc<League>) -> Self {
        let s = |x: &str| Dynamic::from(ImmutableString::from(x));
        let teams = league
            .teams
            .iter()
            .map(|t| {
                let mut m = Map::new();
                m.insert("id".into(), s(&t.id));
                m.insert("name".into(), s(&t.name));
                m.insert("venue".into(), s(&t.venue));
                m.insert(
                    "division".into(),
                    t.division.as_deref().map_or(Dynamic::UNIT, s),
                );
                (t.id.as_ref().into(), Dynamic::from_map(m))
            })
            .collect();
        let venues = league
            .venues
            .iter()
            .map(|v| {
                let mut m = Map::new();
                m.insert("id".into(), s(&v.id));
                m.insert("name".into(), s(&v.name));
                m.insert("timezone".into(), s(&v.timezone_name));
                let blackouts: Array = v.blackouts.iter().map(blackout_map).collect();
                m.insert("blackouts".into(), Dynamic::from_array(blackouts));
                (v.id.as_ref().into(), Dynamic::from_map(m))
            })
            .collect();
        let tv_windows = league
            .tv_windows
            .iter()
            .map(|w| {
                let mut m = Map::new();
                m.insert("id".into(), s(&w.id));
                m.insert("network".into(), s(&w.network));
                let days: Array = w.days.iter().map(|&d| s(query::weekday_short(d))).collect();
                m.insert("days".into(), Dynamic::from_array(days));
                m.insert(
                    "start".into(),
                    s(&format!("{:02}:{:02}", w.start.hour(), w.start.minute())),
                );
                m.insert(
                    "end".into(),
                    s(&format!("{:02}:{:02}", w.end.hour(), w.end.minute())),
                );
                m.insert("timezone".into(), s(&w.timezone_name));
                (w.id.as_ref().into(), Dynamic::from_map(m))
            })
            .collect();
        let reference = rhai::serde::to_dynamic(&league.reference)
            .ok()
            .and_then(|d| d.try_cast::<Map>())
            .unwrap_or_default();
        Self(Arc::new(LeagueData {
            league,
            teams,
            venues,
            tv_windows,
            reference,
        }))
    }
}

pub(super) fn blackout_map(b: &crate::model::Blackout) -> Dynamic {
    let mut m = Map::new();
    m.insert(
        "from".into(),
        Dynamic::from(ImmutableString::from(b.from.to_string())),
    );
    m.insert(
        "to".into(),
        Dynamic::from(ImmutableString::from(b.to.to_string())),
    );
    m.insert(
        "reason".into(),
        Dynamic::from(ImmutableString::from(b.reason.as_str())),
    );
    Dynamic::from_map(m)
}
