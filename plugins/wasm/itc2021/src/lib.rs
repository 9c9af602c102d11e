//! `itc2021`: the constraint classes of the ITC2021 sports timetabling
//! competition (CA1–CA4, GA1, BR1, BR2, FA2, SE1) and its structural checks
//! (every meeting scheduled, one game per team and slot, the game mode), as
//! one component.
//!
//! umpire's `itc2021` import turns each constraint element of an instance
//! into one schedule-scoped constraint on this component, its params the
//! element's attributes with team and slot groups resolved (`class`, `teams`,
//! `slots`, `mode`, `min`, `max`, `penalty`, ...), so each verdict belongs to
//! one element and each violation names the teams and slots (rounds) it
//! involves. The manifests set `isolation = "shared"`: one instance serves
//! them all, so the rule reads its params with [`params::current`] on every
//! call and keeps nothing between calls.
//!
//! The schedule comes in one [`schedule::pairings`] call: home, away and
//! round (the ITC slot) of every game, in the import's order, which is the
//! validator's meeting-pool order, so a team's games sorted stably by slot
//! are its game sequence, ties included (`../../itc2021/SPEC.md` §3.3).
//!
//! Scoring one solution asks this instance about every element in turn, on
//! the same schedule: the params are parsed once per element
//! ([`params::current_cached`]), the games indexed once per schedule (kept
//! while the pairings are equal), and a message is written only for a
//! deviation. What is kept depends only on what the host sent, so an answer
//! never depends on the calls before it.
//! Teams are refs equal to their ITC ids. Each deviation is counted as the
//! RobinX validator counts it (SPEC.md §4–§5) and charged as
//! `deviation × penalty`.

use std::cell::RefCell;
use std::rc::Rc;

use serde::Deserialize;
use umpire_plugin::schedule::Pairings;
use umpire_plugin::{
    Description, EntityKind, Outcome, Rule, Severity, Violation, params, schedule,
};

struct Itc2021;

impl Rule for Itc2021 {
    fn describe() -> Description {
        Description::new("itc2021", "ITC2021 constraint classes")
    }

    fn evaluate_schedule() -> Result<Outcome, String> {
        let p: Rc<Params> = params::current_cached()?;
        let p = &*p;
        let games = Games::current(schedule::pairings());
        let games = &*games;
        let mut out = Report::new(p);
        match p.class.as_str() {
            "CA1" => ca1(p, games, &mut out)?,
            "CA2" => ca2(p, games, &mut out)?,
            "CA3" => ca3(p, games, &mut out)?,
            "CA4" => ca4(p, games, &mut out)?,
            "GA1" => ga1(p, games, &mut out),
            "BR1" => br1(p, games, &mut out)?,
            "BR2" => br2(p, games, &mut out)?,
            "FA2" => fa2(p, games, &mut out)?,
            "SE1" => se1(p, games, &mut out),
            "BA1" => ba1(p, games, &mut out),
            "BA2" => ba2(p, games, &mut out),
            "GM" => game_mode(p, games, &mut out)?,
            other => return Err(format!("unknown constraint class `{other}`")),
        }
        Ok(out.outcome)
    }
}

umpire_plugin::export_rule!(Itc2021);

/// One constraint element's attributes, groups resolved by the import.
#[derive(Deserialize)]
struct Params {
    class: String,
    /// How messages name the element: `CA2 #17 (line 345)`.
    label: String,
    hard: bool,
    penalty: i64,
    #[serde(default)]
    teams: Vec<usize>,
    #[serde(default)]
    teams1: Vec<usize>,
    #[serde(default)]
    teams2: Vec<usize>,
    #[serde(default)]
    slots: Vec<usize>,
    #[serde(default)]
    meetings: Vec<(usize, usize)>,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    mode1: String,
    #[serde(default)]
    mode2: String,
    #[serde(default)]
    min: i64,
    #[serde(default)]
    max: i64,
    #[serde(default)]
    intp: i64,
    /// Teams and slots of the instance.
    nteams: usize,
    nslots: usize,
    /// The meeting pool's size (BA1) and rounds robin (GM).
    #[serde(default)]
    pool: usize,
    #[serde(default)]
    rounds: usize,
}

/// The scheduled games: `(home, away, slot)` in pool order, with each
/// team's games in time order.
struct Games {
    list: Vec<(usize, usize, usize)>,
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
        let list: Vec<(usize, usize, usize)> = pairings
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
        Self { list, sequences }
    }

    /// Team `t`'s games in time order, as `(slot, at home, opponent)`.
    fn sequence(&self, t: usize) -> &[(usize, bool, usize)] {
        self.sequences.get(t).map_or(&[], Vec::as_slice)
    }

    /// The breaks of team `t` (SPEC.md §5.6): `(slot, at home)` of each game
    /// played at the same venue as the one before.
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
    /// the teams and slots involved; `message` is only written for a
    /// deviation.
    fn charge(
        &mut self,
        deviation: i64,
        message: impl FnOnce() -> String,
        teams: &[usize],
        slots: &[usize],
    ) {
        if deviation <= 0 {
            return;
        }
        let message = message();
        let p = self.p;
        let severity = if p.hard {
            Severity::Critical
        } else {
            Severity::Minor
        };
        let mut v = Violation::new(
            severity,
            format!("{}: {message} (deviation {deviation})", p.label),
        )
        .penalty((deviation * p.penalty) as f64);
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
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
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
fn counted(p: &Params, g: &Games, t: usize, slots: &[bool], m: Side) -> Vec<(usize, usize)> {
    if t >= p.nteams {
        return Vec::new();
    }
    g.sequence(t)
        .iter()
        .filter(|x| is(slots, x.0) && counts(m, x.1) && x.2 < p.nteams)
        .map(|x| (x.0, x.2))
        .collect()
}

fn ca1(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let m = side(&p.mode, "mode")?;
    let slots = set(&p.slots, p.nslots);
    for &t in dedup(&p.teams).iter() {
        let hit: Vec<usize> = counted(p, g, t, &slots, m)
            .into_iter()
            .map(|x| x.0)
            .collect();
        let c = hit.len() as i64;
        out.charge(
            sum_form(c, p.min, p.max),
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
    let t2 = set(&p.teams2, p.nteams);
    let every = match p.mode2.as_str() {
        "GLOBAL" => false,
        "EVERY" => true,
        other => return Err(format!("`mode2` is \"{other}\"; expected GLOBAL or EVERY")),
    };
    let mut charge = |t: usize, group: &[usize], hit: Vec<usize>| {
        let c = hit.len() as i64;
        let mut teams = vec![t];
        teams.extend(dedup(group));
        out.charge(
            sum_form(c, p.min, p.max),
            || {
                format!(
                    "team {t} plays {c} {}games against {} in slots {}; {}",
                    side_word(m),
                    list(group),
                    list(&p.slots),
                    range(p.min, p.max)
                )
            },
            &teams,
            &hit,
        );
    };
    for &t in dedup(&p.teams1).iter() {
        let games = counted(p, g, t, &slots, m);
        if every {
            for o in dedup(&p.teams2).into_iter().filter(|&o| o != t) {
                let hit = games.iter().filter(|x| x.1 == o).map(|x| x.0).collect();
                charge(t, &[o], hit);
            }
        } else {
            let hit = games.iter().filter(|x| is(&t2, x.1)).map(|x| x.0).collect();
            charge(t, &p.teams2, hit);
        }
    }
    Ok(())
}

fn ca3(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let m = side(&p.mode1, "mode1")?;
    let t2 = set(&p.teams2, p.nteams);
    let w = p.intp;
    if w < 1 {
        return Err(format!("`intp` is {w}; a window holds at least one slot"));
    }
    let w = w as usize;
    // Games of each team of T1 against T2 per slot, in one pass.
    let t1 = set(&p.teams1, p.nteams);
    let mut per_team_slot = vec![0i64; p.nteams * p.nslots];
    if p.mode2 == "SLOTS" {
        let (home, away) = match m {
            Side::Home => (true, false),
            Side::Away => (false, true),
            Side::Either => (true, true),
        };
        for x in &g.list {
            if x.2 >= p.nslots {
                continue;
            }
            if home && is(&t1, x.0) && is(&t2, x.1) {
                per_team_slot[x.0 * p.nslots + x.2] += 1;
            }
            if away && is(&t1, x.1) && is(&t2, x.0) {
                per_team_slot[x.1 * p.nslots + x.2] += 1;
            }
        }
    }
    let none = vec![0i64; p.nslots];
    for &t in dedup(&p.teams1).iter() {
        let mut total = 0;
        let mut worst: Vec<usize> = Vec::new();
        match p.mode2.as_str() {
            "SLOTS" => {
                let per_slot = per_team_slot
                    .get(t * p.nslots..(t + 1) * p.nslots)
                    .unwrap_or(&none);
                let mut worst_d = 0;
                for i in 0..(p.nslots + 1).saturating_sub(w) {
                    let c: i64 = per_slot[i..i + w].iter().sum();
                    let d = sum_form(c, p.min, p.max);
                    total += d;
                    if d > worst_d {
                        worst_d = d;
                        worst = (i..i + w).collect();
                    }
                }
            }
            "GAMES" => {
                let seq: Vec<(usize, bool)> = g
                    .sequence(t)
                    .iter()
                    .map(|x| (x.0, counts(m, x.1) && is(&t2, x.2)))
                    .collect();
                if seq.len() < w {
                    return Err(format!(
                        "team {t} has {} games, fewer than the window of {w} games",
                        seq.len()
                    ));
                }
                let mut worst_d = 0;
                for win in seq.windows(w) {
                    let c = win.iter().filter(|x| x.1).count() as i64;
                    let d = sum_form(c, p.min, p.max);
                    total += d;
                    if d > worst_d {
                        worst_d = d;
                        worst = win.iter().map(|x| x.0).collect();
                    }
                }
            }
            other => return Err(format!("`mode2` is \"{other}\"; expected SLOTS or GAMES")),
        }
        out.charge(
            total,
            || format!(
                "team {t}'s {}games against {} in windows of {w} {} leave {}; worst window: slots {}",
                side_word(m),
                list(&p.teams2),
                if p.mode2 == "GAMES" { "games" } else { "slots" },
                range(p.min, p.max),
                list(&worst)
            ),
            &[t],
            &worst,
        );
    }
    Ok(())
}

fn ca4(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let m = side(&p.mode1, "mode1")?;
    let t1 = set(&p.teams1, p.nteams);
    let t2 = set(&p.teams2, p.nteams);
    let slots = set(&p.slots, p.nslots);
    let hits: Vec<&(usize, usize, usize)> = g
        .list
        .iter()
        .filter(|x| is(&slots, x.2) && between(&t1, &t2, m, x.0, x.1))
        .collect();
    let teams_of = |hits: &[&(usize, usize, usize)]| -> Vec<usize> {
        let mut teams: Vec<usize> = hits.iter().flat_map(|x| [x.0, x.1]).collect();
        teams.sort_unstable();
        teams.dedup();
        teams
    };
    match p.mode2.as_str() {
        "GLOBAL" => {
            let c = hits.len() as i64;
            let slots: Vec<usize> = hits.iter().map(|x| x.2).collect();
            out.charge(
                max_form(c, p.min, p.max),
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
                &teams_of(&hits),
                &slots,
            );
        }
        "EVERY" => {
            for s in dedup(&p.slots) {
                let here: Vec<&(usize, usize, usize)> =
                    hits.iter().copied().filter(|x| x.2 == s).collect();
                let c = here.len() as i64;
                out.charge(
                    max_form(c, p.min, p.max),
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
    let hits: Vec<&(usize, usize, usize)> = g
        .list
        .iter()
        .filter(|x| is(&slots, x.2) && p.meetings.contains(&(x.0, x.1)))
        .collect();
    let c = hits.len() as i64;
    let mut teams: Vec<usize> = p.meetings.iter().flat_map(|m| [m.0, m.1]).collect();
    teams.sort_unstable();
    teams.dedup();
    let played: Vec<usize> = hits.iter().map(|x| x.2).collect();
    out.charge(
        max_form(c, p.min, p.max),
        || {
            format!(
                "{c} of the games {} are in slots {}; {}",
                p.meetings
                    .iter()
                    .map(|m| format!("{}-{}", m.0, m.1))
                    .collect::<Vec<_>>()
                    .join(","),
                list(&p.slots),
                range(p.min, p.max)
            )
        },
        &teams,
        &played,
    );
}

/// A break comparison's deviation: `LEQ` or `EQ`.
fn compare(mode: &str, attribute: &str, b: i64, k: i64) -> Result<i64, String> {
    match mode {
        "LEQ" => Ok((b - k).max(0)),
        "EQ" => Ok((b - k).abs()),
        other => Err(format!("`{attribute}` is \"{other}\"; expected LEQ or EQ")),
    }
}

/// How a break comparison reads: `EQ` wants exactly, `LEQ` at most.
fn wanted(mode: &str) -> &'static str {
    if mode == "EQ" { "exactly" } else { "at most" }
}

fn br1(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let kind = side(&p.mode2, "mode2")?;
    let slots = set(&p.slots, p.nslots);
    for t in dedup(&p.teams) {
        let breaks: Vec<usize> = g
            .breaks(t)
            .filter(|&(s, home)| {
                is(&slots, s)
                    && match kind {
                        Side::Home => home,
                        Side::Away => !home,
                        Side::Either => true,
                    }
            })
            .map(|(s, _)| s)
            .collect();
        let b = breaks.len() as i64;
        let d = compare(&p.mode1, "mode1", b, p.intp)?;
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
            &breaks,
        );
    }
    Ok(())
}

fn br2(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
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

fn fa2(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let m = side(&p.mode, "mode")?;
    let n = p.nteams;
    let ns = p.nslots;
    // played[t][s]: games of t in mode m up to and including slot s.
    let mut played = vec![vec![0i64; ns]; n];
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
                played[t][x.2] += 1;
            }
        }
    }
    for row in &mut played {
        for s in 1..ns {
            row[s] += row[s - 1];
        }
    }
    // A slot id past the last slot sees every game played.
    let slots: Vec<usize> = dedup(&p.slots)
        .into_iter()
        .map(|s| s.min(ns.saturating_sub(1)))
        .collect();
    if ns == 0 {
        return Ok(());
    }
    for i in 0..n {
        for j in i + 1..n {
            let (mut worst, mut at) = (0, None);
            for &s in &slots {
                let diff = (played[i][s] - played[j][s]).abs();
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

fn se1(p: &Params, g: &Games, out: &mut Report<'_>) {
    let teams = dedup(&p.teams);
    let n = p.nteams;
    let mut slots_of = vec![Vec::new(); n * n];
    for x in &g.list {
        let (i, j) = (x.0.min(x.1), x.0.max(x.1));
        if j < n {
            slots_of[i * n + j].push(x.2);
        }
    }
    for (k, &i) in teams.iter().enumerate() {
        for &j in &teams[k + 1..] {
            let (i, j) = (i.min(j), i.max(j));
            if j >= n {
                continue;
            }
            let mut s = slots_of[i * n + j].clone();
            if s.len() < 2 {
                continue;
            }
            s.sort_unstable();
            let d: i64 = s
                .windows(2)
                .map(|w| (p.min - (w[1] as i64 - w[0] as i64 - 1)).max(0))
                .sum();
            out.charge(
                d,
                || {
                    format!(
                        "teams {i} and {j} meet in slots {}; at least {} slots apart wanted",
                        list(&s),
                        p.min
                    )
                },
                &[i, j],
                &s,
            );
        }
    }
}

/// Every meeting of the pool scheduled (SPEC.md §4.1): each ordered pair
/// `pool / (n (n − 1))` times.
fn ba1(p: &Params, g: &Games, out: &mut Report<'_>) {
    let n = p.nteams;
    let pairs = n * n.saturating_sub(1);
    let each = p.pool.checked_div(pairs).unwrap_or(0);
    let mut count = vec![0usize; n * n];
    for x in &g.list {
        if x.0 < n && x.1 < n {
            count[x.0 * n + x.1] += 1;
        }
    }
    for h in 0..n {
        for a in 0..n {
            if h == a || count[h * n + a] >= each {
                continue;
            }
            let missing = (each - count[h * n + a]) as i64;
            out.charge(
                missing,
                || format!("the game {h}-{a} (home {h}, away {a}) is not scheduled"),
                &[h, a],
                &[],
            );
        }
    }
}

/// At most one game per team and slot (SPEC.md §4.2): 2 per extra game.
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

/// The game mode (SPEC.md §4.3), over phases `0..=k−2`.
fn game_mode(p: &Params, g: &Games, out: &mut Report<'_>) -> Result<(), String> {
    let n = p.nteams;
    let len = if n.is_multiple_of(2) {
        n.saturating_sub(1)
    } else {
        n
    };
    let phases = p.rounds.saturating_sub(1);
    if len == 0 {
        return Ok(());
    }
    let ns = p.nslots;
    // games[(h * n + a) * ns + s]: games with home h, away a in slot s.
    let mut at = vec![0i64; n * n * ns];
    for x in &g.list {
        if x.0 < n && x.1 < n && x.2 < ns {
            at[(x.0 * n + x.1) * ns + x.2] += 1;
        }
    }
    let count = |h: usize, a: usize, s: usize| if s < ns { at[(h * n + a) * ns + s] } else { 0 };
    for t1 in 0..n {
        for t2 in 0..n {
            if t1 == t2 {
                continue;
            }
            for r in 0..phases {
                let first = r * len;
                if p.mode == "P" {
                    let c: i64 = (first..first + len)
                        .map(|s| count(t1, t2, s) + count(t2, t1, s))
                        .sum();
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
                for s in 0..len {
                    let other = match p.mode.as_str() {
                        "M" => s,
                        "E" => (s + 1) % len,
                        "F" => (s + len - 1) % len,
                        "I" => len - 1 - s,
                        other => return Err(format!("unknown game mode `{other}`")),
                    };
                    let (a, b) = (first + s, first + len + other);
                    if count(t1, t2, a) != count(t2, t1, b) {
                        out.charge(
                            1,
                            || format!(
                                "game {t1}-{t2} in slot {a} is not answered by {t2}-{t1} in slot {b} (game mode {})",
                                p.mode
                            ),
                            &[t1, t2],
                            &[a, b],
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

fn dedup(ids: &[usize]) -> Vec<usize> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}
