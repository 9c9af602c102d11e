//! `robinx`: every constraint class of the RobinX sports timetabling
//! repository (CA1–CA5, GA1, GA2, BR1–BR4, FA1–FA6, SE1, SE2), its
//! structural checks (every meeting scheduled, one game per team and slot,
//! the game modes) and its objectives (breaks, travel, carry-over, costs), as
//! one component. ITC2021 is one RobinX family among them.
//!
//! umpire's `robinx` import turns each constraint element of an instance
//! into one schedule-scoped constraint on this component, its params the
//! element's attributes with team and slot groups resolved (`class`, `teams`,
//! `slots`, `mode`, `min`, `max`, `penalty`, ...), so each verdict belongs to
//! one element and each violation names the teams and slots (rounds) it
//! involves. The structural checks (`BA1`, `BA2`, `GM`) and the objective
//! (`BM`, `TR`, `CO`, `CR`) are constraints of their own, with the leagues,
//! extra games, distances, weights or costs they need as params. The
//! manifests set `isolation = "shared"`: one instance serves them all, so the
//! rule reads its params with [`params::current_cached`] on every call and
//! keeps nothing between calls that the host did not send.
//!
//! The schedule comes in one [`schedule::pairings`] call: home, away and
//! round (the RobinX slot) of every game, in the import's order, which is
//! the validator's meeting-pool order, so a team's games sorted stably by
//! slot are its game sequence, ties included (`../../robinx/SPEC.md` §4,
//! ITC-SPEC §3.3). The import keeps only matches that fill a pool meeting.
//!
//! Scoring one solution asks this instance about every element in turn, on
//! the same schedule: the params are parsed once per element, the games
//! indexed once per schedule (kept while the pairings are equal), and a
//! message is written only for a deviation. What is kept depends only on
//! what the host sent, so an answer never depends on the calls before it.
//! Teams are refs equal to their RobinX ids. Each deviation is counted as
//! the RobinX validator counts it (ITC-SPEC §4–§5, RobinX SPEC §5–§7) and
//! charged as `deviation × penalty`, the penalty possibly negative; an
//! objective is charged as its value. Where the validator gives no result
//! (RobinX SPEC §9), the evaluation fails with a message saying what cannot
//! be computed and why.

use std::cell::RefCell;
use std::fmt::Display;
use std::rc::Rc;

use serde::Deserialize;
use umpire_plugin::schedule::Pairings;
use umpire_plugin::{
    Description, EntityKind, Outcome, Rule, Severity, Violation, params, schedule,
};

struct Robinx;

impl Rule for Robinx {
    fn describe() -> Description {
        Description::new("robinx", "RobinX constraint classes")
    }

    fn evaluate_schedule() -> Result<Outcome, String> {
        let p: Rc<Params> = params::current_cached()?;
        let p = &*p;
        let games = Games::current(schedule::pairings());
        let mut out = Report::new(p);
        score(p, &games, &mut out).map_err(|e| format!("{}: {e}", p.label))?;
        Ok(out.outcome)
    }
}

umpire_plugin::export_rule!(Robinx);

/// Scores one element; an error is what the validator cannot compute.
fn score(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    match p.class.as_str() {
        "CA1" => ca1(p, g, out),
        "CA2" => ca2(p, g, out),
        "CA3" => ca3(p, g, out),
        "CA4" => ca4(p, g, out),
        "GA1" => {
            ga1(p, g, out);
            Ok(())
        }
        "GA2" => ga2(p, g, out),
        "BR1" => br1(p, g, out),
        "BR2" => br2(p, g, out),
        "FA1" => {
            fa1(p, g, out);
            Ok(())
        }
        "FA2" => fa2(p, g, out),
        "FA5" => fa5(p, g),
        "FA6" => fa6(p, g, out),
        "SE1" => {
            se1(p, g, out);
            Ok(())
        }
        "SE2" => se2(p, g, out),
        // Read by the validator, never charged (RobinX SPEC §6.1, §6.3, §6.5).
        "CA5" | "BR3" | "BR4" | "FA3" | "FA4" => Ok(()),
        "BA1" => {
            ba1(p, g, out);
            Ok(())
        }
        "BA2" => {
            ba2(p, g, out);
            Ok(())
        }
        "GM" => game_mode(p, g, out),
        "BM" => {
            bm(p, g, out);
            Ok(())
        }
        "TR" => tr(p, g, out),
        "CO" => {
            co(p, g, out);
            Ok(())
        }
        "CR" => cr(p, g, out),
        other => Err(format!("unknown constraint class `{other}`")),
    }
}

/// A case where the validator stops without a result (RobinX SPEC §9).
fn no_result(why: impl Display) -> String {
    format!("{why}; the validator gives no result")
}

/// One league, as the meeting pool and the game mode see it.
#[derive(Deserialize)]
struct League {
    /// Its members in the order of their `<team>` elements (pool order).
    teams: Vec<usize>,
    /// `numberRoundRobin` (−1 when empty).
    k: i64,
    /// `NULL`, `P`, `M`, `E`, `F` or `I`.
    #[serde(default)]
    mode: String,
}

/// An integer attribute the element lacks reads as −1, as in the validator.
fn missing() -> i64 {
    -1
}

/// One constraint element's attributes, groups resolved by the import.
#[derive(Deserialize)]
struct Params {
    class: String,
    /// How messages name the element: `CA2 #17 (line 345)`.
    label: String,
    hard: bool,
    #[serde(default = "missing")]
    penalty: i64,
    /// Teams and slots of the instance: ids `0..nteams`, `0..nslots`.
    nteams: usize,
    nslots: usize,
    #[serde(default)]
    teams: Vec<usize>,
    #[serde(default)]
    teams1: Vec<usize>,
    #[serde(default)]
    teams2: Vec<usize>,
    #[serde(default)]
    teams3: Vec<usize>,
    #[serde(default)]
    teams4: Vec<usize>,
    #[serde(default)]
    slots: Vec<usize>,
    #[serde(default)]
    slots1: Vec<usize>,
    #[serde(default)]
    slots2: Vec<usize>,
    /// GA1's `(home, away)` set; ids unchecked, so possibly no team's.
    #[serde(default)]
    meetings: Vec<(i64, i64)>,
    /// SE2's slot pairs, a list; ids unchecked.
    #[serde(default)]
    pairs: Vec<(i64, i64)>,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    mode1: String,
    #[serde(default)]
    mode2: String,
    #[serde(default)]
    mode3: String,
    #[serde(default = "missing")]
    min: i64,
    #[serde(default = "missing")]
    max: i64,
    #[serde(default = "missing")]
    intp: i64,
    /// BA1, GM, CO: the leagues by increasing id.
    #[serde(default)]
    leagues: Vec<League>,
    /// BA1: the extra games `(home, away, determined)` in document order.
    #[serde(default)]
    extra: Vec<(i64, i64, bool)>,
    /// TR, FA5: `d(x, y)` at `x * nteams + y`.
    #[serde(default)]
    distances: Vec<Option<i64>>,
    /// CO: `w(x, y)` at `x * nteams + y` (none: 1).
    #[serde(default)]
    weights: Vec<Option<i64>>,
    /// CR, FA6: `cost(h, a, s)` at `(h * nteams + a) * nslots + s`.
    #[serde(default)]
    costs: Vec<Option<i64>>,
}

impl Params {
    /// `d(x, y)`, if the instance gives it.
    fn distance(&self, x: usize, y: usize) -> Option<i64> {
        let n = self.nteams;
        if x >= n || y >= n {
            return None;
        }
        self.distances.get(x * n + y).copied().flatten()
    }

    /// The carry-over weight `w(x, y)`: 1 unless the instance gives one.
    fn weight(&self, x: usize, y: usize) -> i64 {
        let n = self.nteams;
        if x >= n || y >= n {
            return 1;
        }
        self.weights.get(x * n + y).copied().flatten().unwrap_or(1)
    }

    /// `cost(h, a, s)`, if the instance gives it.
    fn cost(&self, h: usize, a: usize, s: usize) -> Option<i64> {
        let (n, ns) = (self.nteams, self.nslots);
        if h >= n || a >= n || s >= ns {
            return None;
        }
        self.costs.get((h * n + a) * ns + s).copied().flatten()
    }

    /// A team id read from an unchecked integer.
    fn team(&self, id: i64) -> Option<usize> {
        usize::try_from(id).ok().filter(|&t| t < self.nteams)
    }
}

/// A scheduled game: `(home, away, slot)`.
type Game = (usize, usize, usize);

/// The scheduled games, indexed for every question the classes ask.
struct Games {
    /// In pool order.
    list: Vec<Game>,
    /// Sorted by slot, stably (pool order within a slot).
    by_slot: Vec<Game>,
    /// Sorted by home, away and slot.
    by_pair: Vec<Game>,
    /// `sequences[t]`: team `t`'s games in time order (stable: pool order
    /// within a slot), as `(slot, at home, opponent)`.
    sequences: Vec<Vec<(usize, bool, usize)>>,
}

thread_local! {
    /// The last schedule's pairings and their index: every element of one
    /// solution is scored on the same schedule.
    static LAST: RefCell<Option<(Pairings, Rc<Games>)>> = const { RefCell::new(None) };
}

impl Games {
    /// The index of `pairings`, built once while the schedule stays the same.
    fn current(pairings: Pairings) -> Rc<Games> {
        LAST.with(|last| {
            if let Some((seen, games)) = &*last.borrow()
                && *seen == pairings
            {
                return games.clone();
            }
            let games = Rc::new(Games::new(&pairings));
            *last.borrow_mut() = Some((pairings, games.clone()));
            games
        })
    }

    fn new(pairings: &Pairings) -> Self {
        let list: Vec<Game> = pairings
            .iter()
            .map(|g| {
                (
                    g.home.get() as usize,
                    g.away.get() as usize,
                    g.round.unwrap_or(u32::MAX) as usize,
                )
            })
            .collect();
        let teams = list.iter().map(|g| g.0.max(g.1) + 1).max().unwrap_or(0);
        let mut sequences = vec![Vec::new(); teams];
        for &(h, a, s) in &list {
            sequences[h].push((s, true, a));
            if a != h {
                sequences[a].push((s, false, h));
            }
        }
        for seq in &mut sequences {
            seq.sort_by_key(|g| g.0);
        }
        let mut by_slot = list.clone();
        by_slot.sort_by_key(|g| g.2);
        let mut by_pair = list.clone();
        by_pair.sort_unstable();
        Self {
            list,
            by_slot,
            by_pair,
            sequences,
        }
    }

    /// Team `t`'s games in time order, as `(slot, at home, opponent)`.
    fn sequence(&self, t: usize) -> &[(usize, bool, usize)] {
        self.sequences.get(t).map_or(&[], Vec::as_slice)
    }

    /// The games in slot `s`, in pool order.
    fn in_slot(&self, s: usize) -> &[Game] {
        let from = self.by_slot.partition_point(|g| g.2 < s);
        let to = self.by_slot.partition_point(|g| g.2 <= s);
        &self.by_slot[from..to]
    }

    /// The games with home `h` and away `a`, by slot.
    fn of_pair(&self, h: usize, a: usize) -> &[Game] {
        let from = self.by_pair.partition_point(|g| (g.0, g.1) < (h, a));
        let to = self.by_pair.partition_point(|g| (g.0, g.1) <= (h, a));
        &self.by_pair[from..to]
    }

    /// The breaks of team `t` (ITC-SPEC §5.6): `(slot, at home)` of each
    /// game played at the same venue as the one before.
    fn breaks(&self, t: usize) -> impl Iterator<Item = (usize, bool)> + '_ {
        self.sequence(t)
            .windows(2)
            .filter(|w| w[0].1 == w[1].1)
            .map(|w| (w[1].0, w[1].1))
    }
}

/// The violations found so far.
struct Report<'a> {
    p: &'a Params,
    outcome: Outcome,
}

impl<'a> Report<'a> {
    fn new(p: &'a Params) -> Self {
        Self {
            p,
            outcome: Outcome::pass(),
        }
    }

    /// Charges `deviation × penalty` for what `message` describes, naming
    /// the teams and slots involved; nothing for a deviation ≤ 0 or a
    /// penalty of 0, and `message` is only written when charging. The
    /// penalty may be negative.
    fn charge(
        &mut self,
        deviation: i64,
        message: impl FnOnce() -> String,
        teams: &[usize],
        slots: &[usize],
    ) {
        if deviation <= 0 || self.p.penalty == 0 {
            return;
        }
        let amount = deviation.saturating_mul(self.p.penalty);
        let message = format!("{}: {} (deviation {deviation})", self.p.label, message());
        self.push(message, amount, teams, slots);
    }

    /// Charges an objective's `value` (signed) times the penalty, when it is
    /// not 0.
    fn charge_value(
        &mut self,
        value: i64,
        message: impl FnOnce() -> String,
        teams: &[usize],
        slots: &[usize],
    ) {
        let amount = value.saturating_mul(self.p.penalty);
        if amount == 0 {
            return;
        }
        let message = format!("{}: {}", self.p.label, message());
        self.push(message, amount, teams, slots);
    }

    fn push(&mut self, message: String, amount: i64, teams: &[usize], slots: &[usize]) {
        let severity = if self.p.hard {
            Severity::Critical
        } else {
            Severity::Minor
        };
        let mut v = Violation::new(severity, message).penalty(amount as f64);
        for t in teams {
            v = v.entity(EntityKind::Team, t.to_string());
        }
        let mut slots = slots.to_vec();
        slots.sort_unstable();
        slots.dedup();
        for s in slots {
            v = v.entity(EntityKind::Round, s.to_string());
        }
        self.outcome.push(v);
    }
}

/// A membership table over ids `0..size` (ids beyond are never members).
fn set(ids: &[usize], size: usize) -> Vec<bool> {
    let mut m = vec![false; size];
    for &i in ids {
        if i < size {
            m[i] = true;
        }
    }
    m
}

fn is(m: &[bool], i: usize) -> bool {
    m.get(i).copied().unwrap_or(false)
}

/// The sum form of "outside the range": CA1, CA2, CA3.
fn sum_form(c: i64, min: i64, max: i64) -> i64 {
    (c - max).max(0) + (min - c).max(0)
}

/// The max form: CA4, GA1.
fn max_form(c: i64, min: i64, max: i64) -> i64 {
    (c - max).max(min - c).max(0)
}

/// Which side of a game a home mode counts.
#[derive(Clone, Copy)]
enum Side {
    Home,
    Away,
    Either,
}

fn side(mode: &str, attribute: &str) -> Result<Side, String> {
    match mode {
        "H" => Ok(Side::Home),
        "A" => Ok(Side::Away),
        "HA" => Ok(Side::Either),
        other => Err(format!("`{attribute}` is \"{other}\"; expected H, A or HA")),
    }
}

fn side_word(s: Side) -> &'static str {
    match s {
        Side::Home => "home ",
        Side::Away => "away ",
        Side::Either => "",
    }
}

/// Whether game `(h, a)` is one between X and Y in mode `m` (counted once).
fn between(x: &[bool], y: &[bool], m: Side, h: usize, a: usize) -> bool {
    let home = is(x, h) && is(y, a);
    let away = is(x, a) && is(y, h);
    match m {
        Side::Home => home,
        Side::Away => away,
        Side::Either => home || away,
    }
}

fn list(ids: &[usize]) -> String {
    let ids = dedup(ids);
    let ids: Vec<String> = ids.iter().map(usize::to_string).collect();
    format!("{{{}}}", ids.join(","))
}

fn range(min: i64, max: i64) -> String {
    format!("wanted {min}..={max}")
}

/// Whether a game a team plays at home (`at_home`) or away counts in mode
/// `m` for that team.
fn counts(m: Side, at_home: bool) -> bool {
    match m {
        Side::Home => at_home,
        Side::Away => !at_home,
        Side::Either => true,
    }
}

/// Team `t`'s games in `slots` that count in mode `m`, as `(slot,
/// opponent)`: the games between `{t}` and a set in that mode.
fn counted<'g>(
    g: &'g Games,
    t: usize,
    slots: &'g [bool],
    m: Side,
) -> impl Iterator<Item = (usize, usize)> + 'g {
    g.sequence(t)
        .iter()
        .filter(move |x| is(slots, x.0) && counts(m, x.1))
        .map(|x| (x.0, x.2))
}

fn ca1(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let m = side(&p.mode, "mode")?;
    let slots = set(&p.slots, p.nslots);
    for t in dedup(&p.teams) {
        let c = counted(g, t, &slots, m).count() as i64;
        let d = sum_form(c, p.min, p.max);
        if d <= 0 {
            continue;
        }
        let hit: Vec<usize> = counted(g, t, &slots, m).map(|x| x.0).collect();
        out.charge(
            d,
            || {
                format!(
                    "team {t} plays {c} {}games in slots {}; {}",
                    side_word(m),
                    list(&p.slots),
                    range(p.min, p.max)
                )
            },
            &[t],
            &hit,
        );
    }
    Ok(())
}

fn ca2(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let m = side(&p.mode1, "mode1")?;
    let slots = set(&p.slots, p.nslots);
    let every = match p.mode2.as_str() {
        "GLOBAL" => false,
        "EVERY" => true,
        other => return Err(format!("`mode2` is \"{other}\"; expected GLOBAL or EVERY")),
    };
    let teams2 = dedup(&p.teams2);
    let t2 = set(&teams2, p.nteams);
    // EVERY: team t's counted games per opponent, cleared after each t.
    let mut per_opponent = vec![0i64; if every { p.nteams } else { 0 }];
    for t in dedup(&p.teams1) {
        if every {
            for (_, o) in counted(g, t, &slots, m) {
                if let Some(c) = per_opponent.get_mut(o) {
                    *c += 1;
                }
            }
            for &o in teams2.iter().filter(|&&o| o != t) {
                let c = per_opponent.get(o).copied().unwrap_or(0);
                let d = sum_form(c, p.min, p.max);
                if d <= 0 {
                    continue;
                }
                let hit: Vec<usize> = counted(g, t, &slots, m)
                    .filter(|x| x.1 == o)
                    .map(|x| x.0)
                    .collect();
                out.charge(
                    d,
                    || {
                        format!(
                            "team {t} plays {c} {}games against team {o} in slots {}; {}",
                            side_word(m),
                            list(&p.slots),
                            range(p.min, p.max)
                        )
                    },
                    &[t, o],
                    &hit,
                );
            }
            for (_, o) in counted(g, t, &slots, m) {
                if let Some(c) = per_opponent.get_mut(o) {
                    *c = 0;
                }
            }
        } else {
            let c = counted(g, t, &slots, m).filter(|x| is(&t2, x.1)).count() as i64;
            let d = sum_form(c, p.min, p.max);
            if d <= 0 {
                continue;
            }
            let hit: Vec<usize> = counted(g, t, &slots, m)
                .filter(|x| is(&t2, x.1))
                .map(|x| x.0)
                .collect();
            let mut teams = vec![t];
            teams.extend(teams2.iter().copied().filter(|&o| o != t));
            out.charge(
                d,
                || {
                    format!(
                        "team {t} plays {c} {}games against {} in slots {}; {}",
                        side_word(m),
                        list(&teams2),
                        list(&p.slots),
                        range(p.min, p.max)
                    )
                },
                &teams,
                &hit,
            );
        }
    }
    Ok(())
}

fn ca3(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let m = side(&p.mode1, "mode1")?;
    let games = match p.mode2.as_str() {
        "SLOTS" => false,
        "GAMES" => true,
        other => return Err(format!("`mode2` is \"{other}\"; expected SLOTS or GAMES")),
    };
    let w = p.intp;
    if w < 1 {
        return Err(format!(
            "`intp` is {w}; a window holds at least one {}",
            if games { "game" } else { "slot" }
        ));
    }
    let ns = p.nslots;
    if !games && (ns as i64) < w {
        return Err(no_result(format!(
            "the instance has {ns} slots, fewer than the window of {w} slots"
        )));
    }
    let w = w as usize;
    let t2 = set(&p.teams2, p.nteams);
    // SLOTS: team t's counted games per slot, then their running sums.
    let mut prefix = vec![0i64; if games { 0 } else { ns + 1 }];
    for t in dedup(&p.teams1) {
        let seq = g.sequence(t);
        let hit = |x: &(usize, bool, usize)| counts(m, x.1) && is(&t2, x.2);
        let mut total = 0;
        let (mut worst_d, mut worst_at) = (0, 0);
        if games {
            if seq.len() < w {
                return Err(no_result(format!(
                    "team {t} plays {} games, fewer than the window of {w} games",
                    seq.len()
                )));
            }
            let mut c = seq[..w].iter().filter(|x| hit(x)).count() as i64;
            for i in 0..=seq.len() - w {
                if i > 0 {
                    c += i64::from(hit(&seq[i + w - 1])) - i64::from(hit(&seq[i - 1]));
                }
                let d = sum_form(c, p.min, p.max);
                total += d;
                if d > worst_d {
                    (worst_d, worst_at) = (d, i);
                }
            }
        } else {
            prefix.fill(0);
            for x in seq.iter().filter(|x| x.0 < ns && hit(x)) {
                prefix[x.0 + 1] += 1;
            }
            for s in 0..ns {
                prefix[s + 1] += prefix[s];
            }
            for i in 0..=ns - w {
                let d = sum_form(prefix[i + w] - prefix[i], p.min, p.max);
                total += d;
                if d > worst_d {
                    (worst_d, worst_at) = (d, i);
                }
            }
        }
        if total <= 0 {
            continue;
        }
        let worst: Vec<usize> = if games {
            seq[worst_at..worst_at + w].iter().map(|x| x.0).collect()
        } else {
            (worst_at..worst_at + w).collect()
        };
        out.charge(
            total,
            || {
                format!(
                    "team {t}'s {}games against {} in windows of {w} {} leave {}; worst window: slots {}",
                    side_word(m),
                    list(&p.teams2),
                    if games { "games" } else { "slots" },
                    range(p.min, p.max),
                    list(&worst)
                )
            },
            &[t],
            &worst,
        );
    }
    Ok(())
}

/// The teams of `games`, once each.
fn teams_of(games: &[&Game]) -> Vec<usize> {
    let teams: Vec<usize> = games.iter().flat_map(|x| [x.0, x.1]).collect();
    dedup(&teams)
}

fn ca4(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let m = side(&p.mode1, "mode1")?;
    let t1 = set(&p.teams1, p.nteams);
    let t2 = set(&p.teams2, p.nteams);
    let slots = dedup(&p.slots);
    let hits = |s: usize| {
        g.in_slot(s)
            .iter()
            .filter(|x| between(&t1, &t2, m, x.0, x.1))
    };
    match p.mode2.as_str() {
        "GLOBAL" => {
            let c: i64 = slots.iter().map(|&s| hits(s).count() as i64).sum();
            let d = max_form(c, p.min, p.max);
            if d <= 0 {
                return Ok(());
            }
            let here: Vec<&Game> = slots.iter().flat_map(|&s| hits(s)).collect();
            let at: Vec<usize> = here.iter().map(|x| x.2).collect();
            out.charge(
                d,
                || {
                    format!(
                        "{c} {}games between {} and {} in slots {}; {}",
                        side_word(m),
                        list(&p.teams1),
                        list(&p.teams2),
                        list(&p.slots),
                        range(p.min, p.max)
                    )
                },
                &teams_of(&here),
                &at,
            );
        }
        "EVERY" => {
            for &s in &slots {
                let c = hits(s).count() as i64;
                let d = max_form(c, p.min, p.max);
                if d <= 0 {
                    continue;
                }
                let here: Vec<&Game> = hits(s).collect();
                out.charge(
                    d,
                    || {
                        format!(
                            "{c} {}games between {} and {} in slot {s}; {}",
                            side_word(m),
                            list(&p.teams1),
                            list(&p.teams2),
                            range(p.min, p.max)
                        )
                    },
                    &teams_of(&here),
                    &[s],
                );
            }
        }
        other => return Err(format!("`mode2` is \"{other}\"; expected GLOBAL or EVERY")),
    }
    Ok(())
}

fn ga1(p: &Params, g: &Games, out: &mut Report<'_>) {
    let slots = set(&p.slots, p.nslots);
    let mut meetings = p.meetings.clone();
    meetings.sort_unstable();
    meetings.dedup();
    // Pairs naming no game's teams (negative ids) never match.
    let played = |&(h, a): &(i64, i64)| -> &[Game] {
        match (usize::try_from(h), usize::try_from(a)) {
            (Ok(h), Ok(a)) => g.of_pair(h, a),
            _ => &[],
        }
    };
    let c = meetings
        .iter()
        .flat_map(played)
        .filter(|x| is(&slots, x.2))
        .count() as i64;
    let d = max_form(c, p.min, p.max);
    if d <= 0 {
        return;
    }
    let at: Vec<usize> = meetings
        .iter()
        .flat_map(played)
        .filter(|x| is(&slots, x.2))
        .map(|x| x.2)
        .collect();
    let teams: Vec<usize> = meetings
        .iter()
        .flat_map(|&(h, a)| [p.team(h), p.team(a)])
        .flatten()
        .collect();
    out.charge(
        d,
        || {
            format!(
                "{c} of the games {} are in slots {}; {}",
                meetings
                    .iter()
                    .map(|m| format!("{}-{}", m.0, m.1))
                    .collect::<Vec<_>>()
                    .join(","),
                list(&p.slots),
                range(p.min, p.max)
            )
        },
        &dedup(&teams),
        &at,
    );
}

/// GA2 (RobinX SPEC §6.2): a game between T1 and T2 in S1 calls for (`EQ`)
/// or forbids (`NEQ`) a game between T3 and T4 in S2.
fn ga2(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let eq = match p.mode2.as_str() {
        "EQ" => true,
        "NEQ" => false,
        other => {
            return Err(no_result(format!(
                "`mode2` is \"{other}\", but GA2 compares only with EQ or NEQ"
            )));
        }
    };
    let m1 = side(&p.mode1, "mode1")?;
    let m3 = side(&p.mode3, "mode3")?;
    let (t1, t2) = (set(&p.teams1, p.nteams), set(&p.teams2, p.nteams));
    let Some(&(h, a, s)) = dedup(&p.slots1)
        .into_iter()
        .flat_map(|s| g.in_slot(s))
        .find(|x| between(&t1, &t2, m1, x.0, x.1))
    else {
        return Ok(());
    };
    let (t3, t4) = (set(&p.teams3, p.nteams), set(&p.teams4, p.nteams));
    let slots2 = dedup(&p.slots2);
    let then = || {
        slots2
            .iter()
            .flat_map(|&s| g.in_slot(s))
            .filter(|x| between(&t3, &t4, m3, x.0, x.1))
    };
    let c = then().count();
    if (eq && c > 0) || (!eq && c == 0) {
        return Ok(());
    }
    let mut teams = vec![h, a];
    let mut slots = vec![s];
    for x in then() {
        teams.extend([x.0, x.1]);
        slots.push(x.2);
    }
    out.charge(
        1,
        || {
            let wanted = format!(
                "{}games between {} and {} in slots {}",
                side_word(m3),
                list(&p.teams3),
                list(&p.teams4),
                list(&p.slots2)
            );
            let cause = format!(
                "the game {h}-{a} in slot {s} ({}between {} and {})",
                side_word(m1),
                list(&p.teams1),
                list(&p.teams2)
            );
            if eq {
                format!("{cause} calls for {wanted}, and there is none")
            } else {
                format!("{cause} forbids {wanted}, and there are {c}")
            }
        },
        &dedup(&teams),
        &slots,
    );
    Ok(())
}

/// A break comparison's deviation: `LEQ` or `EQ`; any other comparison
/// makes the validator stop.
fn compare(mode: &str, attribute: &str, b: i64, k: i64) -> Result<i64, String> {
    match mode {
        "LEQ" => Ok((b - k).max(0)),
        "EQ" => Ok((b - k).abs()),
        other => Err(no_result(format!(
            "`{attribute}` is \"{other}\", but breaks are compared only with LEQ or EQ"
        ))),
    }
}

/// How a break comparison reads: `EQ` wants exactly, `LEQ` at most.
fn wanted(mode: &str) -> &'static str {
    if mode == "EQ" { "exactly" } else { "at most" }
}

fn br1(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let kind = side(&p.mode2, "mode2")?;
    let slots = set(&p.slots, p.nslots);
    let teams = dedup(&p.teams);
    if let Some(&t) = teams.first() {
        compare(&p.mode1, "mode1", 0, 0)
            .map_err(|e| format!("team {t} of the team set {}: {e}", list(&teams)))?;
    }
    for t in teams {
        let counted = || {
            g.breaks(t)
                .filter(|&(s, home)| is(&slots, s) && counts(kind, home))
                .map(|(s, _)| s)
        };
        let b = counted().count() as i64;
        let d = compare(&p.mode1, "mode1", b, p.intp)?;
        if d <= 0 {
            continue;
        }
        let at: Vec<usize> = counted().collect();
        out.charge(
            d,
            || {
                format!(
                    "team {t} has {b} {}breaks in slots {}; wanted {} {}",
                    side_word(kind),
                    list(&p.slots),
                    wanted(&p.mode1),
                    p.intp
                )
            },
            &[t],
            &at,
        );
    }
    Ok(())
}

fn br2(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    compare(&p.mode2, "mode2", 0, 0)?;
    let slots = set(&p.slots, p.nslots);
    let mut teams = Vec::new();
    let mut at = Vec::new();
    for t in dedup(&p.teams) {
        let mut mine = false;
        for (s, _) in g.breaks(t) {
            if is(&slots, s) {
                at.push(s);
                mine = true;
            }
        }
        if mine {
            teams.push(t);
        }
    }
    let b = at.len() as i64;
    let d = compare(&p.mode2, "mode2", b, p.intp)?;
    out.charge(
        d,
        || {
            format!(
                "teams {} have {b} breaks in slots {}; wanted {} {}",
                list(&p.teams),
                list(&p.slots),
                wanted(&p.mode2),
                p.intp
            )
        },
        &teams,
        &at,
    );
    Ok(())
}

/// FA1 (RobinX SPEC §6.4): the validator's longest-stand count, odd counter
/// included (the first stand counts in full, later ones one short), charged
/// whole when above `intp`.
fn fa1(p: &Params, g: &Games, out: &mut Report<'_>) {
    let slots = set(&p.slots, p.nslots);
    for t in dedup(&p.teams) {
        let seq = g.sequence(t);
        let (mut run, mut best, mut at) = (1i64, -1i64, 0);
        for w in seq.windows(2) {
            if w[1].1 != w[0].1 {
                run = 0;
            } else {
                run += 1;
                if run > best && is(&slots, w[1].0) {
                    (best, at) = (run, w[1].0);
                }
            }
        }
        if best <= p.intp {
            continue;
        }
        out.charge(
            best,
            || {
                format!(
                    "team {t}'s longest home or away stand in slots {} counts {best} (reached in slot {at}); at most {} (the validator counts later stands one short and charges the whole count)",
                    list(&p.slots),
                    p.intp
                )
            },
            &[t],
            &[at],
        );
    }
}

fn fa2(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let m = side(&p.mode, "mode")?;
    let n = p.nteams;
    let ns = p.nslots;
    let teams = dedup(&p.teams);
    if teams.len() != n || teams.iter().enumerate().any(|(i, &t)| i != t) {
        return Err(no_result(format!(
            "FA2 needs all {n} teams of the instance in its team set, but it has {}",
            list(&teams)
        )));
    }
    if ns == 0 {
        return Ok(());
    }
    // played[t * ns + s]: games of t in mode m up to and including slot s.
    let mut played = vec![0i64; n * ns];
    for x in &g.list {
        if x.2 >= ns {
            continue;
        }
        let counted: &[usize] = match m {
            Side::Home => &[x.0],
            Side::Away => &[x.1],
            Side::Either => &[x.0, x.1],
        };
        for &t in counted {
            if t < n {
                played[t * ns + x.2] += 1;
            }
        }
    }
    for row in played.chunks_mut(ns) {
        for s in 1..ns {
            row[s] += row[s - 1];
        }
    }
    let slots: Vec<usize> = dedup(&p.slots).into_iter().map(|s| s.min(ns - 1)).collect();
    for i in 0..n {
        for j in i + 1..n {
            let (mut worst, mut at) = (0, None);
            for &s in &slots {
                let diff = (played[i * ns + s] - played[j * ns + s]).abs();
                if diff > worst {
                    worst = diff;
                    at = Some(s);
                }
            }
            out.charge(
                worst - p.intp,
                || format!(
                    "teams {i} and {j} differ by {worst} in {}games played after slot {}; at most {}",
                    side_word(m),
                    at.unwrap_or(0),
                    p.intp
                ),
                &[i, j],
                at.as_slice(),
            );
        }
    }
    Ok(())
}

/// Team `t`'s travel (RobinX SPEC §7.3), counting only the legs that
/// arrive at a game whose slot is `counted` (the first leg from home with
/// the first game, the way back home with the last); a missing distance
/// such a leg needs is an error.
fn travel(p: &Params, g: &Games, t: usize, counted: impl Fn(usize) -> bool) -> Result<i64, String> {
    let seq = g.sequence(t);
    let (Some(first), Some(last)) = (seq.first(), seq.last()) else {
        return Ok(0);
    };
    let venue = |x: &(usize, bool, usize)| if x.1 { t } else { x.2 };
    let leg = |from: usize, to: usize, what: &dyn Fn() -> String| {
        p.distance(from, to).ok_or_else(|| {
            no_result(format!(
                "{}, but the instance gives no distance from team {from}'s venue to team {to}'s",
                what()
            ))
        })
    };
    let mut total = 0i64;
    if counted(first.0) {
        total += leg(t, venue(first), &|| {
            format!(
                "team {t} travels from home to its first game, in slot {}",
                first.0
            )
        })?;
    }
    for w in seq.windows(2) {
        if counted(w[1].0) {
            total += leg(venue(&w[0]), venue(&w[1]), &|| {
                format!(
                    "team {t} travels from its game in slot {} to its game in slot {}",
                    w[0].0, w[1].0
                )
            })?;
        }
    }
    if counted(last.0) {
        total += leg(venue(last), t, &|| {
            format!(
                "team {t} returns home after its last game, in slot {}",
                last.0
            )
        })?;
    }
    Ok(total)
}

/// FA5 adds nothing, but the validator computes its teams' travel within
/// its slots and stops on a missing distance (RobinX SPEC §6.5).
fn fa5(p: &Params, g: &Games) -> Result<(), String> {
    let slots = set(&p.slots, p.nslots);
    for t in dedup(&p.teams) {
        travel(p, g, t, |s| is(&slots, s))?;
    }
    Ok(())
}

/// FA6 (RobinX SPEC §6.6): the total cost of the games in a slot set.
fn fa6(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let slots = dedup(&p.slots);
    let mut total = 0i64;
    for &s in &slots {
        for &(h, a, _) in g.in_slot(s) {
            total += p.cost(h, a, s).ok_or_else(|| {
                no_result(format!(
                    "the game {h}-{a} is played in slot {s}, but the instance gives no cost for home {h}, away {a} in slot {s}"
                ))
            })?;
        }
    }
    out.charge(
        total - p.intp,
        || {
            format!(
                "the games in slots {} cost {total}; at most {}",
                list(&slots),
                p.intp
            )
        },
        &[],
        &slots,
    );
    Ok(())
}

fn se1(p: &Params, g: &Games, out: &mut Report<'_>) {
    let n = p.nteams;
    let teams = dedup(&p.teams);
    let members = set(&teams, n);
    // Per opponent o > t of team t: the slot of their last game so far and
    // the deviation so far; cleared once charged.
    let mut last = vec![usize::MAX; n];
    let mut deviation = vec![0i64; n];
    for &t in &teams {
        let seq = g.sequence(t);
        let pairs = || seq.iter().filter(|x| x.2 > t && is(&members, x.2));
        for &(s, _, o) in pairs() {
            if last[o] != usize::MAX {
                let gap = s as i64 - last[o] as i64 - 1;
                deviation[o] += (p.min - gap).max(0);
            }
            last[o] = s;
        }
        for &(_, _, o) in pairs() {
            if last[o] == usize::MAX {
                continue;
            }
            let d = deviation[o];
            (last[o], deviation[o]) = (usize::MAX, 0);
            if d <= 0 {
                continue;
            }
            let at: Vec<usize> = seq.iter().filter(|x| x.2 == o).map(|x| x.0).collect();
            out.charge(
                d,
                || {
                    format!(
                        "teams {t} and {o} meet in slots {}; at least {} slots apart wanted",
                        list(&at),
                        p.min
                    )
                },
                &[t, o],
                &at,
            );
        }
    }
}

/// SE2 (RobinX SPEC §6.7): each team pair meets as often in the first slot
/// of each slot pair as in the second.
fn se2(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let teams = dedup(&p.teams);
    if teams.len() < 2 {
        return Ok(());
    }
    let ns = p.nslots;
    let slot = |s: i64| usize::try_from(s).ok().filter(|&s| s < ns);
    for &(s1, s2) in &p.pairs {
        for s in [s1, s2] {
            if slot(s).is_none() {
                return Err(no_result(format!(
                    "the slot pair ({s1}, {s2}) names slot {s}, which the instance (slots 0..{ns}) does not have"
                )));
            }
        }
    }
    let members = set(&teams, p.nteams);
    // The team pairs meeting in slot s, smaller id first, sorted.
    let meets = |s: usize| {
        let mut pairs: Vec<(usize, usize)> = g
            .in_slot(s)
            .iter()
            .filter(|x| x.0 != x.1 && is(&members, x.0) && is(&members, x.1))
            .map(|x| (x.0.min(x.1), x.0.max(x.1)))
            .collect();
        pairs.sort_unstable();
        pairs
    };
    for &(s1, s2) in &p.pairs {
        let (s1, s2) = (slot(s1).unwrap_or(0), slot(s2).unwrap_or(0));
        let (a, b) = (meets(s1), meets(s2));
        let mut unequal = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let key = match (a.get(i), b.get(j)) {
                (Some(&x), Some(&y)) => x.min(y),
                (Some(&x), None) => x,
                (None, Some(&y)) => y,
                (None, None) => break,
            };
            let (from_i, from_j) = (i, j);
            while a.get(i) == Some(&key) {
                i += 1;
            }
            while b.get(j) == Some(&key) {
                j += 1;
            }
            if i - from_i != j - from_j {
                unequal.push(key);
            }
        }
        let d = unequal.len() as i64;
        if d <= 0 {
            continue;
        }
        let involved: Vec<usize> = unequal.iter().flat_map(|&(x, y)| [x, y]).collect();
        out.charge(
            d,
            || {
                format!(
                    "teams {} meet in slot {s1} or {s2} but not as often in both",
                    unequal
                        .iter()
                        .map(|(x, y)| format!("{x}-{y}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            &dedup(&involved),
            &[s1, s2],
        );
    }
    Ok(())
}

/// Every meeting of the pool scheduled (RobinX SPEC §3, §5.1): the pool's
/// determined `(home, away)` and undetermined `{i, j}` meetings, less the
/// games that fill them, determined ones first.
fn ba1(p: &Params, g: &Games, out: &mut Report<'_>) {
    let n = p.nteams;
    let mut determined = vec![0i64; n * n];
    let mut free = vec![0i64; n * n];
    let unordered = |x: usize, y: usize| x.min(y) * n + x.max(y);
    for &(h, a, fixed) in &p.extra {
        if let (Some(h), Some(a)) = (p.team(h), p.team(a)) {
            if fixed {
                determined[h * n + a] += 1;
            } else {
                free[unordered(h, a)] += 1;
            }
        }
    }
    for league in &p.leagues {
        let legs = league.k.max(0) / 2;
        let odd = league.k % 2 != 0;
        for (i, &x) in league.teams.iter().enumerate() {
            for &y in &league.teams[i + 1..] {
                if x >= n || y >= n {
                    continue;
                }
                determined[x * n + y] += legs;
                determined[y * n + x] += legs;
                if odd {
                    free[unordered(x, y)] += 1;
                }
            }
        }
    }
    for &(h, a, _) in &g.list {
        if h >= n || a >= n {
            continue;
        }
        if determined[h * n + a] > 0 {
            determined[h * n + a] -= 1;
        } else if free[unordered(h, a)] > 0 {
            free[unordered(h, a)] -= 1;
        }
    }
    let times = |c: i64| {
        if c > 1 {
            format!(" ({c} times)")
        } else {
            String::new()
        }
    };
    for h in 0..n {
        for a in 0..n {
            let c = determined[h * n + a];
            out.charge(
                c,
                || {
                    format!(
                        "the game {h}-{a} (home {h}, away {a}) is not scheduled{}",
                        times(c)
                    )
                },
                &[h, a],
                &[],
            );
        }
    }
    for i in 0..n {
        for j in i..n {
            let c = free[i * n + j];
            out.charge(
                c,
                || {
                    format!(
                        "the meeting of teams {i} and {j} (either at home) is not scheduled{}",
                        times(c)
                    )
                },
                &[i, j],
                &[],
            );
        }
    }
}

/// At most one game per team and slot (ITC-SPEC §4.2): 2 per extra game.
fn ba2(p: &Params, g: &Games, out: &mut Report<'_>) {
    let (n, ns) = (p.nteams, p.nslots);
    let mut count = vec![0i64; n * ns];
    for x in &g.list {
        for t in [x.0, x.1] {
            if t < n && x.2 < ns {
                count[t * ns + x.2] += 1;
            }
        }
    }
    for t in 0..n {
        for s in 0..ns {
            let c = count[t * ns + s];
            out.charge(
                2 * (c - 1).max(0),
                || format!("team {t} plays {c} games in slot {s}"),
                &[t],
                &[s],
            );
        }
    }
}

/// The game modes (RobinX SPEC §5.3), league by league: phases of the
/// league's own length counted from slot 0, phases `0..=k−2` checked; a
/// league with a mode and k ≤ 1 ends the check.
fn game_mode(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let (nteams, ns) = (p.nteams, p.nslots);
    for league in &p.leagues {
        let mode = league.mode.as_str();
        if mode.is_empty() || mode == "NULL" {
            continue;
        }
        if league.k <= 1 {
            return Ok(());
        }
        let members = &league.teams;
        let n = members.len();
        if n < 2 {
            continue;
        }
        let len = if n.is_multiple_of(2) { n - 1 } else { n };
        let phases = if mode == "P" { league.k - 1 } else { league.k };
        // Slots 0..span are the ones the check reads.
        let span = phases.saturating_mul(len as i64);
        if span > ns as i64 {
            return Err(no_result(format!(
                "the game mode {mode} of the league of teams {} (k = {}, phase length {len}) reads slots up to {}, but the instance has slots 0..{ns}",
                list(members),
                league.k,
                span - 1
            )));
        }
        let checked = (league.k - 1) as usize;
        let mut local = vec![usize::MAX; nteams];
        for (i, &t) in members.iter().enumerate() {
            if t < nteams {
                local[t] = i;
            }
        }
        // games[(h * n + a)]: the games of members h (home) and a, by slot
        // (a slice of the pair index: no table over slots, which for 40
        // teams and 78 slots would be a megabyte per call).
        let mut games: Vec<&[Game]> = vec![&[]; n * n];
        let mut i = 0;
        while i < g.by_pair.len() {
            let (h, a, _) = g.by_pair[i];
            let run = g.by_pair[i..].partition_point(|x| (x.0, x.1) == (h, a));
            if let (Some(&lh), Some(&la)) = (local.get(h), local.get(a))
                && lh != usize::MAX
                && la != usize::MAX
            {
                games[lh * n + la] = &g.by_pair[i..i + run];
            }
            i += run;
        }
        // Games of (h, a) in slots first..first + len, as positions.
        let positions = |h: usize, a: usize, first: usize| -> Vec<usize> {
            games[h * n + a]
                .iter()
                .filter(|x| x.2 >= first && x.2 < first + len)
                .map(|x| x.2 - first)
                .collect()
        };
        let answer = |s: usize| -> Result<usize, String> {
            Ok(match mode {
                "M" => s,
                "E" => (s + 1) % len,
                "F" => (s + len - 1) % len,
                "I" => len - 1 - s,
                other => return Err(format!("unknown game mode `{other}`")),
            })
        };
        // The position whose answer is position p.
        let asked = |p: usize| -> Result<usize, String> {
            Ok(match mode {
                "M" => p,
                "E" => (p + len - 1) % len,
                "F" => (p + 1) % len,
                "I" => len - 1 - p,
                other => return Err(format!("unknown game mode `{other}`")),
            })
        };
        for (i1, &t1) in members.iter().enumerate() {
            for (i2, &t2) in members.iter().enumerate() {
                if i1 == i2 {
                    continue;
                }
                for r in 0..checked {
                    let first = r * len;
                    if mode == "P" {
                        let c = (positions(i1, i2, first).len() + positions(i2, i1, first).len())
                            as i64;
                        if c != 1 {
                            out.charge(
                                1,
                                || format!(
                                    "teams {t1} and {t2} meet {c} times in phase {r} (slots {}..={}); phased wants once",
                                    first,
                                    first + len - 1
                                ),
                                &[t1, t2],
                                &[],
                            );
                        }
                        continue;
                    }
                    // Position s of phase r against its answer in phase
                    // r + 1: only positions where either side has a game
                    // can differ.
                    let here = positions(i1, i2, first);
                    let there = positions(i2, i1, first + len);
                    let mut at: Vec<usize> = here.clone();
                    for &p in &there {
                        at.push(asked(p)?);
                    }
                    at.sort_unstable();
                    at.dedup();
                    for s in at {
                        let other = answer(s)?;
                        let c1 = here.iter().filter(|&&x| x == s).count();
                        let c2 = there.iter().filter(|&&x| x == other).count();
                        if c1 != c2 {
                            let (a, b) = (first + s, first + len + other);
                            out.charge(
                                1,
                                || format!(
                                    "game {t1}-{t2} in slot {a} is not answered by {t2}-{t1} in slot {b} (game mode {mode})",
                                ),
                                &[t1, t2],
                                &[a, b],
                            );
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Each team's value summed: `(total, largest, its team)`.
fn per_team<E>(
    teams: usize,
    mut value: impl FnMut(usize) -> Result<i64, E>,
) -> Result<(i64, i64, usize), E> {
    let (mut total, mut most, mut who) = (0i64, 0i64, 0);
    for t in 0..teams {
        let v = value(t)?;
        total += v;
        if v > most {
            (most, who) = (v, t);
        }
    }
    Ok((total, most, who))
}

/// Objective BM (RobinX SPEC §7.2): all breaks of all teams.
fn bm(p: &Params, g: &Games, out: &mut Report<'_>) {
    let Ok((total, most, who)) = per_team(p.nteams, |t| {
        Ok::<_, std::convert::Infallible>(g.breaks(t).count() as i64)
    });
    out.charge_value(
        total,
        || format!("teams have {total} breaks in all; the most is team {who}'s {most}"),
        &[who],
        &[],
    );
}

/// Objective TR (RobinX SPEC §7.3): every team's travel, from home and back.
fn tr(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let (total, most, who) = per_team(p.nteams, |t| travel(p, g, t, |_| true))?;
    out.charge_value(
        total,
        || format!("teams travel {total} in all; the longest trip is team {who}'s {most}"),
        &[who],
        &[],
    );
    Ok(())
}

/// Objective CO (RobinX SPEC §7.4): per league, the carry-over matrix over
/// team ids from each member's opponents taken as a circle, each entry
/// squared and weighted.
fn co(p: &Params, g: &Games, out: &mut Report<'_>) {
    let mut total = 0i64;
    // The largest term: (w · C², i, j, C).
    let mut worst = (0i64, 0, 0, 0i64);
    for league in &p.leagues {
        let n = league.teams.len();
        let mut c = vec![0i64; n * n];
        for &t in &league.teams {
            let seq = g.sequence(t);
            let (Some(first), Some(last)) = (seq.first(), seq.last()) else {
                continue;
            };
            let mut add = |i: usize, j: usize| {
                if i < n && j < n {
                    c[i * n + j] += 1;
                }
            };
            for w in seq.windows(2) {
                add(w[0].2, w[1].2);
            }
            add(last.2, first.2);
        }
        for i in 0..n {
            for j in 0..n {
                let e = c[i * n + j];
                if e == 0 {
                    continue;
                }
                let term = p.weight(i, j).saturating_mul(e * e);
                total = total.saturating_add(term);
                if term.abs() > worst.0.abs() {
                    worst = (term, i, j, e);
                }
            }
        }
    }
    let (term, i, j, e) = worst;
    out.charge_value(
        total,
        || {
            format!(
                "the carry-over effects add up to {total}; the largest term is {term}: team {j} is met right after team {i} {e} times (weight {})",
                p.weight(i, j)
            )
        },
        &[i, j],
        &[],
    );
}

/// Objective CR (RobinX SPEC §7.5): the cost of every game as played.
fn cr(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let mut total = 0i64;
    let mut dearest: Option<(i64, Game)> = None;
    for &(h, a, s) in &g.list {
        let c = p.cost(h, a, s).ok_or_else(|| {
            no_result(format!(
                "the game {h}-{a} is played in slot {s}, but the instance gives no cost for home {h}, away {a} in slot {s}"
            ))
        })?;
        total += c;
        if dearest.is_none_or(|d| c > d.0) {
            dearest = Some((c, (h, a, s)));
        }
    }
    let (c, (h, a, s)) = dearest.unwrap_or((0, (0, 0, 0)));
    out.charge_value(
        total,
        || format!("the games cost {total} in all; the dearest is {h}-{a} in slot {s} at {c}"),
        &[h, a],
        &[s],
    );
    Ok(())
}

fn dedup(ids: &[usize]) -> Vec<usize> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}
