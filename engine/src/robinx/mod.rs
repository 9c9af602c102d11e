//! RobinX (the unified XML format of round-robin sports timetabling, with
//! ITC2021 one of its families): instance and solution files into umpire's
//! model, and the instance's constraints as constraints of the RobinX
//! plugin pack.
//!
//! The model stays free of RobinX knowledge: an instance becomes an
//! ordinary [`League`] (teams `0..n`, each with a venue of its own in UTC),
//! a solution an ordinary [`Schedule`] (each slot a round, and a synthetic
//! date, one day per slot), and every constraint element, structural check
//! and objective one schedule-scoped [`Manifest`] cloned from the pack's
//! template with the element's attributes as params. The pack
//! (`plugins/robinx`, component built from `plugins/wasm/robinx`) scores
//! each as the RobinX validator does; [`Scorer`] adds up the verdicts.
//!
//! Reading follows the validator, quirks included (see
//! `umpire_model::robinx`): what it reads its own way is a [`Note`] naming
//! the file and line, so a user sees why the numbers are what they are;
//! `strict` reading turns notes into errors. A constraint the validator
//! cannot compute (it aborts) fails with a message saying why: then there
//! is no score, as there is none from the validator.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

pub use umpire_model::robinx::{
    CLASSES, ConstraintElement, Division, Instance, Meeting, Note, OBJECTIVES, Objective,
    PoolMeeting, STRUCTURAL, Solution, game, to_slot,
};

use crate::error::{Error, Result};
use crate::manifests::{Kind, Manifest};
use crate::model::reads::Delta;
use crate::model::{Game, Hardness, League, PatchError, Schedule, SchedulePatch, Status, Verdict};
use crate::registry::{LoadOptions, Registry};
use crate::runtime::{RhaiLimits, Runtime};

/// Prepares this process to score and exit (`umpire robinx`): WebAssembly
/// instances are then allocated on demand rather than from a pool, which a
/// process that runs one instance and exits does not need. Call it before
/// the first [`Scorer`]; it changes nothing afterwards.
pub fn one_shot() {
    crate::runtime::allocate_on_demand();
}

/// Which host runs each class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Host {
    /// The WebAssembly pack for every class.
    #[default]
    Wasm,
    /// The Rhai version where the pack has one (CA1, CA2, GA1), the
    /// WebAssembly pack for the rest.
    Rhai,
}

/// The RobinX plugin pack: the WebAssembly template and the Rhai ones.
#[derive(Debug, Clone)]
pub struct Pack {
    wasm: Manifest,
    rhai: HashMap<String, Manifest>,
}

impl Pack {
    /// The pack in the repository (`plugins/robinx`).
    pub fn default_dir() -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/robinx"))
    }

    /// The template's file name in a pack directory.
    pub const TEMPLATE: &'static str = "robinx.toml";

    /// Loads `robinx.toml` (the WebAssembly template) and `rhai/*.toml`
    /// (one template per class with a Rhai version) from a pack directory.
    pub fn load(dir: &Path) -> Result<Self> {
        let wasm = Manifest::load(&dir.join(Self::TEMPLATE))?;
        if wasm.kind != Kind::Wasm {
            return Err(Error::invalid(
                &wasm.path,
                "kind",
                "the pack's template is the WebAssembly component; set kind = \"wasm\"",
            ));
        }
        let mut rhai = HashMap::new();
        let rhai_dir = dir.join("rhai");
        if rhai_dir.is_dir() {
            let entries = std::fs::read_dir(&rhai_dir).map_err(|cause| Error::Read {
                path: rhai_dir.clone(),
                cause,
            })?;
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "toml") {
                    let m = Manifest::load(&path)?;
                    let class = m
                        .params
                        .get("class")
                        .and_then(Value::as_str)
                        .ok_or_else(|| {
                            Error::invalid(&path, "params.class", "a Rhai template names its class")
                        })?
                        .to_owned();
                    rhai.insert(class, m);
                }
            }
        }
        Ok(Self { wasm, rhai })
    }

    /// The classes with a Rhai version.
    pub fn rhai_classes(&self) -> Vec<&str> {
        let mut classes: Vec<&str> = self.rhai.keys().map(String::as_str).collect();
        classes.sort_unstable();
        classes
    }

    /// The manifest of one element on `host`.
    pub fn manifest(&self, element: &ConstraintElement, host: Host) -> Manifest {
        let template = match host {
            Host::Rhai => self.rhai.get(&element.class).unwrap_or(&self.wasm),
            Host::Wasm => &self.wasm,
        };
        let mut m = template.clone();
        if m.params.is_empty() {
            // One clone of the map as it is (cheaper than inserting its
            // entries one by one, thousands of times for a large instance).
            m.params = element.params.clone();
        } else {
            m.params
                .extend(element.params.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        m.id = element.id().into();
        m.name = element
            .params
            .get("label")
            .and_then(Value::as_str)
            .unwrap_or(&element.class)
            .to_owned();
        m.hardness = element.hardness;
        // Each penalty counts once, as the validator counts it: a season's
        // hard and soft penalty totals are its infeasibility and objective.
        m.weight = 1;
        m
    }
}

/// The totals of one class.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ClassTotal {
    /// `CA1` … `SE1`, `BA1`, `BA2`, `GM`.
    pub class: String,
    /// How many constraints of the class.
    pub constraints: usize,
    /// How many of them are violated.
    pub violated: usize,
    /// Their hard penalty.
    pub hard: i64,
    /// Their soft penalty.
    pub soft: i64,
}

/// A scored solution.
#[derive(Debug, Clone)]
pub struct Score {
    /// The validator's infeasibility: every hard penalty.
    pub hard_violations: i64,
    /// The validator's objective: every soft penalty.
    pub objective: i64,
    /// Per class, in report order.
    pub classes: Vec<ClassTotal>,
    /// Each constraint's verdict, in the scorer's order (shared: a re-score
    /// after a move keeps the verdicts the move cannot change).
    pub verdicts: Vec<Arc<Verdict>>,
    /// How long the constraint calls took, in microseconds.
    pub elapsed_us: u64,
}

impl Score {
    /// Verdicts that could not rule (a plugin error or timeout).
    pub fn failures(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts
            .iter()
            .map(|v| &**v)
            .filter(|v| !matches!(v.status, Status::Passed | Status::Violated))
    }
}

/// What a constraint reads, for re-scoring after a move.
#[derive(Debug, Clone)]
struct Touch {
    /// The teams it counts games of (`None`: all).
    teams: Option<Vec<bool>>,
    /// The slots it counts games in (`None`: the order of games matters,
    /// any slot may change its answer).
    slots: Option<Vec<bool>>,
    /// For the classes that count games between two team sets (CA1–CA4,
    /// GA1): the `(home, away)` pairs it counts. A game it does not count
    /// cannot change its answer, wherever it moves.
    counts: Option<Vec<bool>>,
    /// A class that never adds anything (CA5, BR3, BR4, FA3, FA4): no
    /// change reaches it.
    inert: bool,
    /// A check of which meetings are scheduled, not when (BA1): a game
    /// moved to another slot does not reach it.
    meetings_only: bool,
}

/// The classes whose reads the team, slot and pair sets describe fully;
/// every other class is asked again after any change.
const DESCRIBED: &[&str] = &[
    "CA1", "CA2", "CA3", "CA4", "GA1", "BR1", "BR2", "FA2", "SE1",
];

/// The classes that contribute nothing whatever the schedule.
const INERT: &[&str] = &["CA5", "BR3", "BR4", "FA3", "FA4"];

impl Touch {
    fn of(e: &ConstraintElement, teams: usize, slots: usize) -> Self {
        if !DESCRIBED.contains(&e.class.as_str()) {
            return Self {
                teams: None,
                slots: None,
                counts: None,
                inert: INERT.contains(&e.class.as_str()),
                meetings_only: e.class == "BA1",
            };
        }
        let ids = |key: &str| -> Vec<usize> {
            e.params
                .get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_u64)
                        .map(|v| v as usize)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mask = |list: Vec<usize>, size: usize| {
            let mut m = vec![false; size];
            for i in list.into_iter().filter(|&i| i < size) {
                m[i] = true;
            }
            m
        };
        let mut team_list = ids("teams");
        team_list.extend(ids("teams1"));
        team_list.extend(ids("teams2"));
        if let Some(meetings) = e.params.get("meetings").and_then(Value::as_array) {
            for pair in meetings.iter().filter_map(Value::as_array) {
                team_list.extend(pair.iter().filter_map(Value::as_u64).map(|v| v as usize));
            }
        }
        let counts_by_slot = matches!(e.class.as_str(), "CA1" | "CA2" | "CA4" | "GA1");
        let n = teams;
        let mode = |key: &str| e.params.get(key).and_then(Value::as_str).unwrap_or("HA");
        let pairs = |x: Vec<usize>, y: Vec<usize>, mode: &str| {
            let (x, y) = (mask(x, n), mask(y, n));
            let mut m = vec![false; n * n];
            for h in 0..n {
                for a in 0..n {
                    let home = x[h] && y[a];
                    let away = x[a] && y[h];
                    m[h * n + a] = match mode {
                        "H" => home,
                        "A" => away,
                        _ => home || away,
                    };
                }
            }
            m
        };
        let counts = match e.class.as_str() {
            "CA1" => Some(pairs(ids("teams"), (0..n).collect(), mode("mode"))),
            "CA2" | "CA3" | "CA4" => Some(pairs(ids("teams1"), ids("teams2"), mode("mode1"))),
            "GA1" => {
                let mut m = vec![false; n * n];
                for pair in e
                    .params
                    .get("meetings")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let p: Vec<usize> = pair
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_u64)
                        .map(|v| v as usize)
                        .collect();
                    if let [h, a] = p[..]
                        && h < n
                        && a < n
                    {
                        m[h * n + a] = true;
                    }
                }
                Some(m)
            }
            _ => None,
        };
        Self {
            teams: Some(mask(team_list, teams)),
            slots: counts_by_slot.then(|| mask(ids("slots"), slots)),
            counts,
            inert: false,
            meetings_only: false,
        }
    }

    /// Whether moving the game of `home` and `away` from slot `from` to
    /// `to` (the same meeting, another slot) may change the answer.
    fn slot_move(&self, home: usize, away: usize, from: usize, to: usize) -> bool {
        !self.meetings_only && self.moved(home, away, from, to)
    }

    /// Whether a game of `home` and `away` in slot `from` becoming one in
    /// slot `to` may change the answer (`from == to`: the game comes or
    /// goes).
    fn moved(&self, home: usize, away: usize, from: usize, to: usize) -> bool {
        if self.inert {
            return false;
        }
        let is = |m: &[bool], i: usize| m.get(i).copied().unwrap_or(false);
        let teams = self
            .teams
            .as_ref()
            .is_none_or(|t| is(t, home) || is(t, away));
        let slots = self.slots.as_ref().is_none_or(|s| is(s, from) || is(s, to));
        let n = self.teams.as_ref().map_or(0, Vec::len);
        let counted = self
            .counts
            .as_ref()
            .is_none_or(|c| home < n && away < n && c[home * n + away]);
        teams && slots && counted
    }
}

/// Why `schedule` is no schedule of an instance with `slots` slots: the
/// first game whose round (its slot) is missing or not one of them.
pub fn off_slot(schedule: &Schedule, slots: usize) -> Option<String> {
    let last = slots.saturating_sub(1);
    schedule.games().iter().find_map(|g| match g.round {
        Some(s) if (s as usize) < slots => None,
        Some(s) => Some(format!(
            "game `{}`: round {s} is not a slot of the instance (its slots are 0..={last})",
            g.id
        )),
        None => Some(format!(
            "game `{}` has no round: a RobinX game's round is its slot (0..={last})",
            g.id
        )),
    })
}

/// Where a game is: (home, away, slot), as indices.
type Place = (usize, usize, usize);

/// Scores solutions of one instance: its constraints on the pack, run in
/// process on one runtime.
#[derive(Debug)]
pub struct Scorer {
    league: Arc<League>,
    registry: Arc<Registry>,
    runtime: Runtime,
    /// Each constraint's class, as its position in the report's order
    /// (`STRUCTURAL`, `CLASSES`, then `OBJECTIVES`).
    classes: Vec<usize>,
    touches: Vec<Touch>,
    /// The instance's slots.
    slots: usize,
}

impl Scorer {
    /// Builds the instance's constraints (its elements and the structural
    /// checks) on the pack, running `[build]` commands as `options` say.
    pub fn new(
        instance: &Instance,
        pack: &Pack,
        host: Host,
        options: &LoadOptions<'_>,
    ) -> Result<Self> {
        let league = Arc::new(instance.league()?);
        let structural = instance.structural();
        let elements: Vec<&ConstraintElement> =
            structural.iter().chain(&instance.elements).collect();
        // The plugins are built (each command once) if out of date, and
        // each source file read and compiled once.
        let manifests: Vec<Manifest> = elements.iter().map(|e| pack.manifest(e, host)).collect();
        let registry = Arc::new(Registry::from_manifests_opts(manifests, options)?);
        let (teams, slots) = (instance.teams(), instance.slots);
        Ok(Self {
            runtime: Runtime::new(league.clone(), &RhaiLimits::default()),
            league,
            registry,
            classes: elements
                .iter()
                .map(|e| {
                    STRUCTURAL
                        .iter()
                        .chain(CLASSES)
                        .chain(OBJECTIVES)
                        .position(|c| *c == e.class)
                        .unwrap_or(usize::MAX)
                })
                .collect(),
            touches: elements
                .iter()
                .map(|e| Touch::of(e, teams, slots))
                .collect(),
            slots,
        })
    }

    /// The league the instance became.
    pub fn league(&self) -> &Arc<League> {
        &self.league
    }

    /// The constraints, structural checks first, then the instance's
    /// elements in document order.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Scores a schedule of the instance's league.
    pub fn score(&self, schedule: &Arc<Schedule>) -> Score {
        let started = Instant::now();
        let verdicts = self
            .registry
            .constraints()
            .iter()
            .map(|c| Arc::new(self.runtime.evaluate(c, schedule, None)))
            .collect();
        self.total(verdicts, started)
    }

    /// Re-scores `schedule`, which is `before`'s schedule with the game of
    /// `home` and `away` moved from slot `from` to slot `to`: only the
    /// constraints such a move can touch are asked again.
    pub fn rescore_move(
        &self,
        before: &Score,
        schedule: &Arc<Schedule>,
        (home, away): (usize, usize),
        (from, to): (usize, usize),
    ) -> Score {
        self.rescore(before, schedule, Instant::now(), |touch| {
            touch.slot_move(home, away, from, to)
        })
    }

    /// `before`'s verdicts, with those of the constraints `touched` says a
    /// change reaches asked again of `schedule`.
    fn rescore(
        &self,
        before: &Score,
        schedule: &Arc<Schedule>,
        started: Instant,
        touched: impl Fn(&Touch) -> bool,
    ) -> Score {
        let verdicts = self
            .registry
            .constraints()
            .iter()
            .zip(&self.touches)
            .zip(&before.verdicts)
            .map(|((c, touch), old)| {
                if touched(touch) {
                    Arc::new(self.runtime.evaluate(c, schedule, None))
                } else {
                    old.clone()
                }
            })
            .collect();
        self.total(verdicts, started)
    }

    /// Each move judged on its own against `before` (the score of
    /// `schedule`), none committed: the edited schedule and its score, or
    /// why the move does not apply. Only the constraints a changed game can
    /// touch are asked again, as [`rescore_move`](Self::rescore_move) does;
    /// a game moves between slots with [`to_slot`].
    pub fn score_moves(
        &self,
        schedule: &Arc<Schedule>,
        before: &Score,
        moves: &[SchedulePatch],
    ) -> Vec<std::result::Result<(Arc<Schedule>, Score), PatchError>> {
        moves
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let origin = format!("moves[{k}]");
                let edited = Arc::new(m.apply_to(schedule, &self.league, Path::new(&origin))?);
                if let Some(why) = off_slot(&edited, self.slots) {
                    return Err(PatchError::Request {
                        at: origin,
                        message: why,
                        unknown_game: false,
                    });
                }
                let score = self.rescore_edit(before, schedule, &edited);
                Ok((edited, score))
            })
            .collect()
    }

    /// Re-scores `edited`, an edit of `schedule` (scored `before`).
    fn rescore_edit(&self, before: &Score, schedule: &Schedule, edited: &Arc<Schedule>) -> Score {
        let started = Instant::now();
        // Each changed game as (home, away, slot) before and after; a game
        // umpire cannot place (a team or slot that is not an index) makes
        // every constraint ask again.
        let place = |g: &Game| -> Option<Place> {
            Some((
                g.home.parse().ok()?,
                g.away.parse().ok()?,
                g.round? as usize,
            ))
        };
        let mut changes: Vec<(Option<Place>, Option<Place>)> = Vec::new();
        let mut unplaced = false;
        match Delta::between(schedule, edited, usize::MAX) {
            Some(delta) => {
                for id in delta.ids() {
                    let (old, new) = (schedule.game(id), edited.game(id));
                    let (a, b) = (old.map(|g| place(g)), new.map(|g| place(g)));
                    unplaced |= matches!(a, Some(None)) || matches!(b, Some(None));
                    changes.push((a.flatten(), b.flatten()));
                }
            }
            None => unplaced = true,
        }
        let touched = |touch: &Touch| {
            unplaced
                || changes.iter().any(|change| match *change {
                    (Some((h, a, from)), Some((h2, a2, to))) if (h, a) == (h2, a2) => {
                        touch.slot_move(h, a, from, to)
                    }
                    (old, new) => {
                        old.is_some_and(|(h, a, s)| touch.moved(h, a, s, s))
                            || new.is_some_and(|(h, a, s)| touch.moved(h, a, s, s))
                    }
                })
        };
        self.rescore(before, edited, started, touched)
    }

    fn total(&self, verdicts: Vec<Arc<Verdict>>, started: Instant) -> Score {
        let mut classes: Vec<ClassTotal> = STRUCTURAL
            .iter()
            .chain(CLASSES)
            .chain(OBJECTIVES)
            .map(|c| ClassTotal {
                class: (*c).to_owned(),
                ..ClassTotal::default()
            })
            .collect();
        let (mut hard, mut soft) = (0i64, 0i64);
        for (v, class) in verdicts.iter().zip(&self.classes) {
            let penalty: f64 = v.violations.iter().map(|x| x.penalty).sum();
            let penalty = penalty.round() as i64;
            let Some(total) = classes.get_mut(*class) else {
                continue;
            };
            total.constraints += 1;
            if v.status == Status::Violated {
                total.violated += 1;
            }
            match v.hardness {
                Hardness::Hard => {
                    total.hard += penalty;
                    hard += penalty;
                }
                Hardness::Soft | Hardness::Preference => {
                    total.soft += penalty;
                    soft += penalty;
                }
            }
        }
        classes.retain(|c| c.constraints > 0);
        Score {
            hard_violations: hard,
            objective: soft,
            classes,
            verdicts,
            elapsed_us: started.elapsed().as_micros() as u64,
        }
    }
}
