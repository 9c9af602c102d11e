//! RobinX, the unified XML format of round-robin sports timetabling (ITC2021
//! is one of its problem families): instance and solution files read into
//! umpire's model, as the RobinX validator reads them.
//!
//! The model stays free of RobinX knowledge: an instance becomes an
//! ordinary [`League`] (teams `0..n`, each with a venue of its own in UTC),
//! a solution an ordinary [`Schedule`](crate::Schedule) (each slot a round, and a synthetic
//! date, one day per slot), and every constraint element, structural check
//! and objective a [`ConstraintElement`] whose params the RobinX plugin
//! pack reads. The engine (`umpire::robinx`) makes each element a manifest
//! of the pack and scores them.
//!
//! Reading follows the validator, quirks included. Two kinds of trouble
//! are told apart, as the validator tells them apart:
//! - a **stop** (an unknown keyword, an id that names nothing, a constraint
//!   whose `type` is not `HARD` or `SOFT`) ends the reading of the instance
//!   there: what was read before is kept, what comes after is absent, and
//!   the instance is still scored. Each stop is a [`Note`] naming the file,
//!   the line and the element;
//! - a **crash** (a required element missing, a file that is not XML) is an
//!   [`Error`] naming the file, the line and the element: there is no score.
//!
//! A solution's `ScheduledMatch` naming an unknown team or slot stops the
//! reading of the solution (the rest is unscheduled), a match no meeting of
//! the pool takes is dropped, and some `MetaData` mistakes make the whole
//! schedule empty; each is a [`Note`] too, so a user sees why the numbers
//! are what they are.

mod read;
mod solution;
mod xml;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::error::{Error, Result, read_to_string};
use crate::{Hardness, League};

pub use solution::{Meeting, Solution, game, to_slot};

/// The constraint classes, in the order the validator reads them (and the
/// report lists them): breaks come before games.
pub const CLASSES: &[&str] = &[
    "CA1", "CA2", "CA3", "CA4", "CA5", "BR1", "BR2", "BR3", "BR4", "GA1", "GA2", "FA1", "FA2",
    "FA3", "FA4", "FA5", "FA6", "SE1", "SE2",
];

/// The structural checks: unscheduled meetings, double bookings, game mode.
pub const STRUCTURAL: &[&str] = &["BA1", "BA2", "GM"];

/// The objective functions that are a constraint of the pack (`SC` and
/// `NONE` add nothing).
pub const OBJECTIVES: &[&str] = &["TR", "BM", "CO", "CR"];

/// The instance's `ObjectiveFunction/Objective`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Objective {
    /// Soft constraints only (ITC2021, most families).
    #[default]
    Sc,
    /// Travel distance.
    Tr,
    /// Breaks.
    Bm,
    /// Carry-over effects.
    Co,
    /// Costs.
    Cr,
    /// Feasibility only.
    None,
}

impl Objective {
    /// The keyword as the file writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sc => "SC",
            Self::Tr => "TR",
            Self::Bm => "BM",
            Self::Co => "CO",
            Self::Cr => "CR",
            Self::None => "NONE",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "SC" => Self::Sc,
            "TR" => Self::Tr,
            "BM" => Self::Bm,
            "CO" => Self::Co,
            "CR" => Self::Cr,
            "NONE" => Self::None,
            _ => return None,
        })
    }

    fn what(self) -> &'static str {
        match self {
            Self::Tr => "travel distance",
            Self::Bm => "breaks",
            Self::Co => "carry-over effects",
            Self::Cr => "costs",
            Self::Sc | Self::None => "",
        }
    }
}

/// One league of an instance: its members and its `Format`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Division {
    /// Its id.
    pub id: i64,
    /// Its members, in the order of the `<team>` elements (the pool's).
    pub teams: Vec<usize>,
    /// `numberRoundRobin` (−1 when its text is empty).
    pub round_robins: i64,
    /// `gameMode`: `NULL`, `P`, `M`, `E`, `F` or `I`.
    pub game_mode: String,
}

/// A meeting of the pool (RobinX SPEC.md §3): two teams that must meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolMeeting {
    /// The home team (`team1` of an extra game).
    pub home: usize,
    /// The away team.
    pub away: usize,
    /// Whether the venue is fixed; an undetermined meeting takes the
    /// orientation the solution writes.
    pub determined: bool,
}

/// A parsed instance.
#[derive(Debug, Clone)]
pub struct Instance {
    /// The file it came from.
    pub path: PathBuf,
    /// `MetaData/InstanceName`.
    pub name: String,
    /// `ObjectiveFunction/Objective` (`SC` when reading stopped before it).
    pub objective: Objective,
    /// The leagues, by increasing id.
    pub leagues: Vec<Division>,
    /// How many teams (ids `0..teams`).
    teams: usize,
    /// How many slots (ids `0..slots`).
    pub slots: usize,
    /// `AdditionalGames`, in document order.
    pub extra: Vec<PoolMeeting>,
    /// The constraint elements, in the validator's reading order (class by
    /// class, each class in document order).
    pub elements: Vec<ConstraintElement>,
    /// Where the reading stopped, and why.
    pub notes: Vec<Note>,
    /// `BA1` elements of `BasicConstraints`, which replace the built-in
    /// check.
    ba1: Vec<ConstraintElement>,
    data: Data,
}

/// The instance's `Data`: dense tables, `None` where no entry is given
/// (empty when the instance gives none at all).
#[derive(Debug, Clone, Default)]
struct Data {
    /// `d[x * n + y]`.
    distances: Vec<Option<i64>>,
    /// `w[i * n + j]`.
    weights: Vec<Option<i64>>,
    /// `c[(h * n + a) * slots + s]`.
    costs: Vec<Option<i64>>,
}

/// One constraint of an instance: an element, a structural check or the
/// objective.
#[derive(Debug, Clone)]
pub struct ConstraintElement {
    /// `CA1` … `SE2`, `BA1`, `BA2`, `GM`, or the objective's `TR`, `BM`,
    /// `CO`, `CR`.
    pub class: String,
    /// 1-based position among the instance's constraints of this class.
    pub ordinal: usize,
    /// Its line in the instance file (0 for a built-in check).
    pub line: usize,
    /// `type="HARD"` or `SOFT`.
    pub hardness: Hardness,
    /// Its attributes as the pack's params, groups resolved.
    pub params: Map<String, Value>,
}

impl ConstraintElement {
    /// The constraint id it becomes: `robinx.CA2.17`.
    pub fn id(&self) -> String {
        format!("robinx.{}.{}", self.class, self.ordinal)
    }
}

/// Something in a file that the validator reads its own way, with where it
/// is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Note {
    /// The file.
    pub path: PathBuf,
    /// The line (0 when the file as a whole).
    pub line: usize,
    /// What happens.
    pub message: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
        } else {
            write!(f, "{}: {}", self.path.display(), self.message)
        }
    }
}

impl Instance {
    /// Reads an instance file.
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let text = read_to_string(path)?;
        Self::from_xml_str(path, &text)
    }

    /// Parses instance XML; `path` names it in errors and notes.
    pub fn from_xml_str(path: &std::path::Path, text: &str) -> Result<Self> {
        read::instance(path, text)
    }

    /// How many teams.
    pub fn teams(&self) -> usize {
        self.teams
    }

    /// The meeting pool (RobinX SPEC.md §3): the extra games, then for each
    /// league by increasing id and each pair of its members ⌊k/2⌋ times both
    /// orientations, and one undetermined meeting when k is odd.
    pub fn pool(&self) -> Vec<PoolMeeting> {
        let mut pool = self.extra.clone();
        for league in &self.leagues {
            let k = league.round_robins;
            let twice = if k > 1 { k / 2 } else { 0 };
            let odd = k % 2 != 0;
            for (x, &i) in league.teams.iter().enumerate() {
                for &j in &league.teams[x + 1..] {
                    for _ in 0..twice {
                        pool.push(PoolMeeting {
                            home: i,
                            away: j,
                            determined: true,
                        });
                        pool.push(PoolMeeting {
                            home: j,
                            away: i,
                            determined: true,
                        });
                    }
                    if odd {
                        pool.push(PoolMeeting {
                            home: i,
                            away: j,
                            determined: false,
                        });
                    }
                }
            }
        }
        pool
    }

    /// The structural checks and the objective as constraints: each `BA1`
    /// element (or the built-in check when there is none), `BA2`, the game
    /// mode when a league has one, and the objective unless it is `SC` or
    /// `NONE`. Together with [`elements`](Self::elements) they are every
    /// constraint of the instance.
    pub fn structural(&self) -> Vec<ConstraintElement> {
        let leagues: Vec<Value> = self
            .leagues
            .iter()
            .map(|l| json!({"teams": l.teams, "k": l.round_robins, "mode": l.game_mode}))
            .collect();
        let extra: Vec<Value> = self
            .extra
            .iter()
            .map(|m| json!([m.home, m.away, m.determined]))
            .collect();
        let base = |class: &str, label: &str, hardness: Hardness, penalty: i64| {
            let mut params = self.common(class, label, hardness, penalty);
            if class == "BA1" {
                params.insert("leagues".into(), json!(leagues));
                params.insert("extra".into(), json!(extra));
            }
            if class == "GM" || class == "CO" {
                params.insert("leagues".into(), json!(leagues));
            }
            ConstraintElement {
                class: class.to_owned(),
                ordinal: 1,
                line: 0,
                hardness,
                params,
            }
        };
        let mut out = Vec::new();
        if self.ba1.is_empty() {
            out.push(base(
                "BA1",
                "BA1 (every meeting scheduled)",
                Hardness::Hard,
                1,
            ));
        }
        for e in &self.ba1 {
            let mut e = e.clone();
            e.params.insert("leagues".into(), json!(leagues));
            e.params.insert("extra".into(), json!(extra));
            out.push(e);
        }
        out.push(base(
            "BA2",
            "BA2 (one game per team and slot)",
            Hardness::Hard,
            1,
        ));
        if self.leagues.iter().any(|l| l.game_mode != "NULL") {
            out.push(base("GM", "game mode", Hardness::Hard, 1));
        }
        let objective = self.objective;
        if OBJECTIVES.contains(&objective.as_str()) {
            let label = format!("objective {} ({})", objective.as_str(), objective.what());
            let mut o = base(objective.as_str(), &label, Hardness::Soft, 1);
            match objective {
                Objective::Tr => {
                    o.params
                        .insert("distances".into(), json!(self.data.distances));
                }
                Objective::Co => {
                    o.params.insert("weights".into(), json!(self.data.weights));
                }
                Objective::Cr => {
                    o.params.insert("costs".into(), json!(self.data.costs));
                }
                _ => {}
            }
            out.push(o);
        }
        out
    }

    /// The params every constraint has.
    fn common(
        &self,
        class: &str,
        label: &str,
        hardness: Hardness,
        penalty: i64,
    ) -> Map<String, Value> {
        let mut p = Map::new();
        p.insert("class".into(), json!(class));
        p.insert("label".into(), json!(label));
        p.insert("hard".into(), json!(hardness == Hardness::Hard));
        p.insert("penalty".into(), json!(penalty));
        p.insert("nteams".into(), json!(self.teams));
        p.insert("nslots".into(), json!(self.slots));
        p
    }

    /// The instance as a league: teams `0..n` by id, each with a venue of
    /// its own in UTC.
    pub fn league(&self) -> Result<League> {
        let mut text = format!(
            "name = {}\nseason = \"RobinX\"\ndefault_game_minutes = 1\n",
            toml_string(if self.name.is_empty() {
                "RobinX"
            } else {
                &self.name
            })
        );
        for t in 0..self.teams {
            text.push_str(&format!(
                "[[teams]]\nid = \"{t}\"\nname = \"Team {t}\"\nvenue = \"v{t}\"\n[[venues]]\nid = \"v{t}\"\nname = \"Venue {t}\"\ntimezone = \"UTC\"\n"
            ));
        }
        League::from_toml_str(&self.path, &text)
    }

    /// An `Arc` of [`league`](Self::league).
    pub fn shared_league(&self) -> Result<Arc<League>> {
        self.league().map(Arc::new)
    }
}

/// `s` as a TOML string, quoted and escaped by the TOML writer. (JSON's
/// quoting, used before, leaves DEL and other characters bare that a TOML
/// string may not hold: an instance named so read, then made no league.)
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// An input error at an element: `line N (<Name>)`.
fn invalid(path: &std::path::Path, el: &xml::Element, message: impl Into<String>) -> Error {
    Error::invalid(path, format!("line {} (<{}>)", el.line, el.name), message)
}
