//! ITC2021 (the International Timetabling Competition 2021, sports
//! timetabling): instance and solution XML read into umpire's model.
//!
//! The model stays free of ITC knowledge: an instance becomes an ordinary
//! [`League`] (teams `0..n`, each with a venue of its own in UTC), a
//! solution an ordinary [`Schedule`] (each slot a round, and a synthetic
//! date, one day per slot), and every constraint element a
//! [`ConstraintElement`] whose params the ITC2021 plugin pack reads. The
//! engine (`umpire::itc2021`) makes each element a manifest of the pack and
//! scores them.
//!
//! Reading follows the validator, quirks included (SPEC.md §2–§3): a
//! `ScheduledMatch` naming an unknown team or slot stops the reading (the
//! rest of the file is unscheduled), a repeated or flipped match is dropped,
//! and some `MetaData` mistakes make the whole schedule empty. Each such
//! event is a [`Note`] naming the file and line, so a user sees why the
//! numbers are what they are; `strict` reading turns notes into errors.

mod xml;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result, read_to_string};
use crate::{Game, Hardness, League, Schedule};
use xml::{Element, game_list, id_list};

/// The constraint classes ITC2021 instances use, in report order.
pub const CLASSES: &[&str] = &[
    "CA1", "CA2", "CA3", "CA4", "GA1", "BR1", "BR2", "FA2", "SE1",
];

/// The structural checks: unscheduled meetings, double bookings, game mode.
pub const STRUCTURAL: &[&str] = &["BA1", "BA2", "GM"];

/// The first day of the synthetic calendar: slot `s` is this day plus `s`.
const FIRST_DAY: i64 = 1_609_459_200; // 2021-01-01T00:00:00Z

/// A parsed ITC2021 instance.
#[derive(Debug, Clone)]
pub struct Instance {
    /// The file it came from.
    pub path: PathBuf,
    /// `MetaData/InstanceName`.
    pub name: String,
    /// Team ids in the order of the `<team>` elements (the meeting pool's
    /// order, SPEC.md §3.1).
    pub team_order: Vec<usize>,
    /// How many slots.
    pub slots: usize,
    /// `numberRoundRobin`.
    pub round_robins: usize,
    /// `gameMode` (`NULL` when missing or empty).
    pub game_mode: String,
    /// The constraint elements, in document order.
    pub elements: Vec<ConstraintElement>,
    /// A `BA1` element of `BasicConstraints`, which replaces the built-in
    /// check: `(hardness, penalty)`.
    ba1: Option<(Hardness, i64)>,
}

/// One constraint element of an instance.
#[derive(Debug, Clone)]
pub struct ConstraintElement {
    /// `CA1` … `SE1`.
    pub class: String,
    /// 1-based position among the instance's elements of this class.
    pub ordinal: usize,
    /// Its line in the instance file.
    pub line: usize,
    /// `type="HARD"` or `SOFT`.
    pub hardness: Hardness,
    /// Its attributes as the pack's params, groups resolved.
    pub params: Map<String, Value>,
}

impl ConstraintElement {
    /// The constraint id it becomes: `itc2021.CA2.17`.
    pub fn id(&self) -> String {
        format!("itc2021.{}.{}", self.class, self.ordinal)
    }
}

/// Something in a solution file that the validator reads its own way, with
/// where it is.
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

/// A scheduled meeting: the pool's position, home, away and slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meeting {
    /// Its position in the meeting pool (SPEC.md §3.1).
    pub pool: usize,
    /// Home team id.
    pub home: usize,
    /// Away team id.
    pub away: usize,
    /// Slot id.
    pub slot: usize,
}

/// A parsed solution: the pool meetings it schedules, in pool order.
#[derive(Debug, Clone)]
pub struct Solution {
    /// The file it came from.
    pub path: PathBuf,
    /// The meetings that got a slot, in pool order.
    pub meetings: Vec<Meeting>,
    /// How the reading departed from the plain one.
    pub notes: Vec<Note>,
}

fn invalid(path: &Path, el: &Element, message: impl Into<String>) -> Error {
    Error::invalid(path, format!("line {} (<{}>)", el.line, el.name), message)
}

impl Instance {
    /// Reads an instance file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = read_to_string(path)?;
        Self::from_xml_str(path, &text)
    }

    /// Parses instance XML; `path` names it in errors.
    pub fn from_xml_str(path: &Path, text: &str) -> Result<Self> {
        let root = xml::parse(path, text)?;
        if root.name != "Instance" {
            return Err(invalid(
                path,
                &root,
                format!(
                    "the root element is <{}>, not <Instance>: is this a solution file?",
                    root.name
                ),
            ));
        }
        let name = root
            .child("MetaData")
            .and_then(|m| m.child("InstanceName"))
            .map(|n| n.text.trim().to_owned())
            .unwrap_or_default();
        let missing = |what: &str| {
            Error::invalid(
                path,
                format!("line {} (<Instance>)", root.line),
                format!("no <{what}>; an ITC2021 instance has one"),
            )
        };
        let resources = root
            .child("Resources")
            .ok_or_else(|| missing("Resources"))?;
        let teams_el = resources.child("Teams").ok_or_else(|| missing("Teams"))?;
        let slots_el = resources.child("Slots").ok_or_else(|| missing("Slots"))?;

        let mut team_order = Vec::new();
        let mut team_groups: HashMap<i64, Vec<usize>> = HashMap::new();
        for t in teams_el.children_named("team") {
            let id = t.int("id");
            team_order.push(id);
            for g in id_list(t.attr("teamGroups").unwrap_or("")) {
                team_groups.entry(g).or_default().push(id as usize);
            }
        }
        let n = team_order.len();
        check_ids(path, teams_el, "team", &team_order)?;
        let team_order: Vec<usize> = team_order.into_iter().map(|i| i as usize).collect();

        let mut slot_ids = Vec::new();
        let mut slot_groups: HashMap<i64, Vec<usize>> = HashMap::new();
        for s in slots_el.children_named("slot") {
            let id = s.int("id");
            slot_ids.push(id);
            for g in id_list(s.attr("slotGroup").unwrap_or("")) {
                slot_groups.entry(g).or_default().push(id as usize);
            }
        }
        check_ids(path, slots_el, "slot", &slot_ids)?;
        let slots = slot_ids.len();

        let structure = root
            .child("Structure")
            .ok_or_else(|| missing("Structure"))?;
        let format = structure.child("Format").ok_or_else(|| missing("Format"))?;
        let k = format
            .child("numberRoundRobin")
            .and_then(|k| xml::leading_int(&k.text))
            .unwrap_or(-1);
        if k < 2 || k % 2 != 0 {
            return Err(invalid(
                path,
                format,
                format!(
                    "numberRoundRobin is {k}; this scorer reads even numbers of round robins (ITC2021 instances are double round robins)"
                ),
            ));
        }
        let game_mode = format
            .child("gameMode")
            .map(|g| g.text.trim().to_owned())
            .filter(|g| !g.is_empty())
            .unwrap_or_else(|| "NULL".to_owned());
        if !["NULL", "P", "M", "E", "F", "I"].contains(&game_mode.as_str()) {
            return Err(invalid(
                path,
                format,
                format!("gameMode \"{game_mode}\" is not one of NULL, P, M, E, F, I"),
            ));
        }
        if let Some(extra) = structure.child("AdditionalGames")
            && !extra.children.is_empty()
        {
            return Err(invalid(
                path,
                extra,
                "additional games are not supported (every ITC2021 instance leaves <AdditionalGames> empty)",
            ));
        }

        let groups = Groups {
            teams: team_groups,
            slots: slot_groups,
        };
        let mut elements = Vec::new();
        let mut ordinals: HashMap<String, usize> = HashMap::new();
        let mut ba1 = None;
        if let Some(constraints) = root.child("Constraints") {
            for section in &constraints.children {
                for el in &section.children {
                    let class = el.name.as_str();
                    let hardness = match el.attr("type") {
                        Some("HARD") => Hardness::Hard,
                        Some("SOFT") => Hardness::Soft,
                        other => {
                            return Err(invalid(
                                path,
                                el,
                                format!(
                                    "type is {}; expected HARD or SOFT",
                                    other.map_or("missing".to_owned(), |t| format!("\"{t}\""))
                                ),
                            ));
                        }
                    };
                    if class == "BA1" {
                        ba1 = Some((hardness, el.int("penalty")));
                        continue;
                    }
                    if !CLASSES.contains(&class) {
                        return Err(invalid(
                            path,
                            el,
                            format!(
                                "constraint class {class} is not used by ITC2021 and not supported; the classes are {}",
                                CLASSES.join(", ")
                            ),
                        ));
                    }
                    let ordinal = {
                        let o = ordinals.entry(class.to_owned()).or_default();
                        *o += 1;
                        *o
                    };
                    let mut params = element_params(path, el, &groups, n)?;
                    let label = format!("{class} #{ordinal} (line {})", el.line);
                    params.insert("class".into(), json!(class));
                    params.insert("label".into(), json!(label));
                    params.insert("hard".into(), json!(hardness == Hardness::Hard));
                    params.insert("penalty".into(), json!(el.int("penalty")));
                    params.insert("nteams".into(), json!(n));
                    params.insert("nslots".into(), json!(slots));
                    elements.push(ConstraintElement {
                        class: class.to_owned(),
                        ordinal,
                        line: el.line,
                        hardness,
                        params,
                    });
                }
            }
        }
        Ok(Self {
            path: path.to_owned(),
            name,
            team_order,
            slots,
            round_robins: k as usize,
            game_mode,
            elements,
            ba1,
        })
    }

    /// How many teams.
    pub fn teams(&self) -> usize {
        self.team_order.len()
    }

    /// The meeting pool (SPEC.md §3.1): `(home, away)` in pool order.
    pub fn pool(&self) -> Vec<(usize, usize)> {
        let order = &self.team_order;
        let mut pool = Vec::new();
        for (x, &i) in order.iter().enumerate() {
            for &j in &order[x + 1..] {
                for _ in 0..self.round_robins / 2 {
                    pool.push((i, j));
                    pool.push((j, i));
                }
            }
        }
        pool
    }

    /// The structural checks as constraint elements: BA1, BA2 and, unless
    /// the game mode is `NULL`, the game mode.
    pub fn structural(&self) -> Vec<ConstraintElement> {
        let n = self.teams();
        let base = |class: &str, what: &str, hardness: Hardness, penalty: i64| {
            let mut params = Map::new();
            params.insert("class".into(), json!(class));
            params.insert("label".into(), json!(what));
            params.insert("hard".into(), json!(hardness == Hardness::Hard));
            params.insert("penalty".into(), json!(penalty));
            params.insert("nteams".into(), json!(n));
            params.insert("nslots".into(), json!(self.slots));
            params.insert(
                "pool".into(),
                json!(n * (n.saturating_sub(1)) * self.round_robins / 2),
            );
            params.insert("rounds".into(), json!(self.round_robins));
            params.insert("mode".into(), json!(self.game_mode));
            ConstraintElement {
                class: class.to_owned(),
                ordinal: 1,
                line: 0,
                hardness,
                params,
            }
        };
        let (ba1_hardness, ba1_penalty) = self.ba1.unwrap_or((Hardness::Hard, 1));
        let mut out = vec![
            base(
                "BA1",
                "BA1 (every meeting scheduled)",
                ba1_hardness,
                ba1_penalty,
            ),
            base("BA2", "BA2 (one game per team and slot)", Hardness::Hard, 1),
        ];
        if self.game_mode != "NULL" {
            let what = format!("game mode {}", self.game_mode);
            out.push(base("GM", &what, Hardness::Hard, 1));
        }
        out
    }

    /// The instance as a league: teams `0..n` by id, each with a venue of
    /// its own in UTC.
    pub fn league(&self) -> Result<League> {
        let mut text = format!(
            "name = {}\nseason = \"ITC2021\"\ndefault_game_minutes = 1\n",
            toml_string(if self.name.is_empty() {
                "ITC2021"
            } else {
                &self.name
            })
        );
        for t in 0..self.teams() {
            text.push_str(&format!(
                "[[teams]]\nid = \"{t}\"\nname = \"Team {t}\"\nvenue = \"v{t}\"\n[[venues]]\nid = \"v{t}\"\nname = \"Venue {t}\"\ntimezone = \"UTC\"\n"
            ));
        }
        League::from_toml_str(&self.path, &text)
    }
}

/// `s` as a TOML string, quoted and escaped by the TOML writer. (JSON's
/// quoting, used before, leaves DEL and other characters bare that a TOML
/// string may not hold: an instance named so read, then made no league.)
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// Ids must be exactly `0..count` (any order): the scorer indexes by them.
fn check_ids(path: &Path, list: &Element, what: &str, ids: &[i64]) -> Result<()> {
    let mut seen = vec![false; ids.len()];
    for &id in ids {
        if id < 0 || id as usize >= ids.len() || std::mem::replace(&mut seen[id as usize], true) {
            return Err(invalid(
                path,
                list,
                format!(
                    "{what} ids must be 0..{} (each once), as in every ITC2021 instance; found {id}",
                    ids.len()
                ),
            ));
        }
    }
    if ids.is_empty() {
        return Err(invalid(path, list, format!("no <{what}> elements")));
    }
    Ok(())
}

/// The instance's team and slot groups.
struct Groups {
    teams: HashMap<i64, Vec<usize>>,
    slots: HashMap<i64, Vec<usize>>,
}

/// The params of one constraint element: its attributes by class, with
/// groups resolved into the team and slot lists.
fn element_params(
    path: &Path,
    el: &Element,
    groups: &Groups,
    teams: usize,
) -> Result<Map<String, Value>> {
    let ids = |list: &str, group_attr: &str, of: &HashMap<i64, Vec<usize>>| -> Vec<i64> {
        let mut out = id_list(el.attr(list).unwrap_or(""));
        for g in id_list(el.attr(group_attr).unwrap_or("")) {
            for &m in of.get(&g).into_iter().flatten() {
                if !out.contains(&(m as i64)) {
                    out.push(m as i64);
                }
            }
        }
        out
    };
    // Unknown (negative) ids can match nothing; they are left out.
    let known =
        |v: Vec<i64>| -> Value { json!(v.into_iter().filter(|&i| i >= 0).collect::<Vec<_>>()) };
    let team_set = |list: &str, group: &str| known(ids(list, group, &groups.teams));
    let slot_set = || known(ids("slots", "slotGroups", &groups.slots));
    let word = |attr: &str, allowed: &[&str]| -> Result<Value> {
        match el.attr(attr) {
            Some(v) if allowed.contains(&v) => Ok(json!(v)),
            other => Err(invalid(
                path,
                el,
                format!(
                    "{attr} is {}; expected {}",
                    other.map_or("missing".to_owned(), |v| format!("\"{v}\"")),
                    allowed.join(" or ")
                ),
            )),
        }
    };
    const HOME: &[&str] = &["H", "A", "HA"];
    let mut p = Map::new();
    let mut put = |k: &str, v: Value| {
        p.insert(k.to_owned(), v);
    };
    match el.name.as_str() {
        "CA1" => {
            put("teams", team_set("teams", "teamGroups"));
            put("slots", slot_set());
            put("mode", word("mode", HOME)?);
        }
        "CA2" | "CA3" | "CA4" => {
            put("teams1", team_set("teams1", "teamGroups1"));
            put("teams2", team_set("teams2", "teamGroups2"));
            put("mode1", word("mode1", HOME)?);
            if el.name == "CA3" {
                put("mode2", word("mode2", &["SLOTS", "GAMES"])?);
                put("intp", json!(el.int("intp")));
            } else {
                put("slots", slot_set());
                put("mode2", word("mode2", &["GLOBAL", "EVERY"])?);
            }
        }
        "GA1" => {
            let meetings: Vec<(i64, i64)> = game_list(el.attr("meetings").unwrap_or(""));
            put(
                "meetings",
                json!(
                    meetings
                        .into_iter()
                        .filter(|&(h, a)| h >= 0 && a >= 0)
                        .collect::<Vec<_>>()
                ),
            );
            put("slots", slot_set());
        }
        "BR1" => {
            put("teams", team_set("teams", "teamGroups"));
            put("slots", slot_set());
            put("intp", json!(el.int("intp")));
            put("mode1", word("mode1", &["LEQ", "EQ"])?);
            put("mode2", word("mode2", HOME)?);
        }
        "BR2" => {
            put("teams", team_set("teams", "teamGroups"));
            put("slots", slot_set());
            put("intp", json!(el.int("intp")));
            put("mode2", word("mode2", &["LEQ", "EQ"])?);
        }
        "FA2" => {
            let t = team_set("teams", "teamGroups");
            if t.as_array().map_or(0, Vec::len) != teams {
                return Err(invalid(
                    path,
                    el,
                    "FA2 must list every team (the validator refuses it otherwise)",
                ));
            }
            put("teams", t);
            put("slots", slot_set());
            put("mode", word("mode", HOME)?);
            put("intp", json!(el.int("intp")));
        }
        "SE1" => {
            put("teams", team_set("teams", "teamGroups"));
        }
        _ => {}
    }
    if matches!(
        el.name.as_str(),
        "CA1" | "CA2" | "CA3" | "CA4" | "GA1" | "SE1"
    ) {
        p.insert("min".into(), json!(el.int("min")));
    }
    if matches!(el.name.as_str(), "CA1" | "CA2" | "CA3" | "CA4" | "GA1") {
        p.insert("max".into(), json!(el.int("max")));
    }
    Ok(p)
}

impl Solution {
    /// Reads a solution file against its instance.
    pub fn load(path: &Path, instance: &Instance) -> Result<Self> {
        let text = read_to_string(path)?;
        Self::from_xml_str(path, &text, instance)
    }

    /// Parses solution XML as the validator reads it (SPEC.md §2, §3.2).
    pub fn from_xml_str(path: &Path, text: &str, instance: &Instance) -> Result<Self> {
        let root = xml::parse(path, text)?;
        let mut notes = Vec::new();
        let note = |notes: &mut Vec<Note>, line: usize, message: String| {
            notes.push(Note {
                path: path.to_owned(),
                line,
                message,
            })
        };
        let pool = instance.pool();
        if let Some(wipe) = metadata_pitfall(&root) {
            note(
                &mut notes,
                wipe.0,
                format!("{}; the validator then reads no games at all", wipe.1),
            );
            return Ok(Self {
                path: path.to_owned(),
                meetings: Vec::new(),
                notes,
            });
        }
        let Some(games) = root.child("Games") else {
            note(
                &mut notes,
                root.line,
                "no <Games> element: no game is scheduled".into(),
            );
            return Ok(Self {
                path: path.to_owned(),
                meetings: Vec::new(),
                notes,
            });
        };
        // Unscheduled pool positions of each ordered pair, first first.
        let n = instance.teams();
        let mut free: HashMap<(usize, usize), std::collections::VecDeque<usize>> = HashMap::new();
        for (i, &pair) in pool.iter().enumerate() {
            free.entry(pair).or_default().push_back(i);
        }
        let mut meetings = Vec::new();
        let matches: Vec<&Element> = games.children_named("ScheduledMatch").collect();
        for (k, m) in matches.iter().enumerate() {
            let (home, away, slot) = (m.int("home"), m.int("away"), m.int("slot"));
            let bad = |v: i64, limit: usize, what: &str, attr: &str| {
                (v < 0 || v as usize >= limit).then(|| {
                    let shown = m
                        .attr(attr)
                        .map_or("missing".to_owned(), |a| format!("\"{a}\""));
                    format!("{attr} {shown} is not a {what} of the instance")
                })
            };
            if let Some(why) = bad(home, n, "team", "home")
                .or_else(|| bad(away, n, "team", "away"))
                .or_else(|| bad(slot, instance.slots, "slot", "slot"))
            {
                note(
                    &mut notes,
                    m.line,
                    format!(
                        "{why}; the validator stops reading here: this and the {} matches after it are not scheduled",
                        matches.len() - k - 1
                    ),
                );
                break;
            }
            let (home, away, slot) = (home as usize, away as usize, slot as usize);
            match free.get_mut(&(home, away)).and_then(|q| q.pop_front()) {
                Some(pool) => meetings.push(Meeting {
                    pool,
                    home,
                    away,
                    slot,
                }),
                None => note(
                    &mut notes,
                    m.line,
                    if home == away {
                        format!("team {home} cannot play itself; the match is dropped")
                    } else {
                        format!("the game {home}-{away} is already scheduled; this copy is dropped")
                    },
                ),
            }
        }
        meetings.sort_by_key(|m| m.pool);
        Ok(Self {
            path: path.to_owned(),
            meetings,
            notes,
        })
    }

    /// The solution as a schedule of `league` (from [`Instance::league`]):
    /// games in pool order, each slot a round and a day.
    pub fn schedule(&self, league: &League) -> Result<Schedule> {
        let games = self.meetings.iter().map(|m| Arc::new(game(m))).collect();
        Schedule::from_games(&self.path, league, games)
    }
}

/// The game of a meeting: round = slot, starting on the slot's day (plus
/// its pool position in seconds, so a slot's games start in pool order).
pub fn game(m: &Meeting) -> Game {
    let start = Timestamp::from_second(FIRST_DAY + m.slot as i64 * 86_400 + m.pool as i64)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(TimeZone::UTC);
    let end = start
        .checked_add(jiff::SignedDuration::from_secs(1))
        .unwrap_or_else(|_| start.clone());
    Game {
        id: format!("{}-{}.{}", m.home, m.away, m.pool).into(),
        round: Some(m.slot as u32),
        home: m.home.to_string().into(),
        away: m.away.to_string().into(),
        venue: format!("v{}", m.home).into(),
        start,
        end,
        tv: None,
        tags: Vec::new(),
    }
}

/// The edit that moves `game` of a solution's schedule to `slot`: its round
/// and its day (each slot is a day, see [`game`]), keeping its place in
/// the slot's order.
pub fn to_slot(game: &Game, slot: usize) -> crate::GameEdit {
    let within = game.start.timestamp().as_second().rem_euclid(86_400);
    let start = Timestamp::from_second(FIRST_DAY + slot as i64 * 86_400 + within)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(TimeZone::UTC);
    let end = start
        .checked_add(jiff::SignedDuration::from_secs(1))
        .unwrap_or_else(|_| start.clone());
    crate::GameEdit::new(&*game.id)
        .round(slot as u32)
        .start(start.to_string())
        .end(end.to_string())
}

/// The `MetaData` mistakes that make the validator read no games
/// (SPEC.md §2): their line and what they are.
fn metadata_pitfall(root: &Element) -> Option<(usize, String)> {
    let meta = root.child("MetaData")?;
    for name in ["SolutionName", "InstanceName"] {
        if let Some(el) = meta.child(name)
            && el.text.trim().is_empty()
            && el.children.is_empty()
        {
            return Some((el.line, format!("<{name}> is empty")));
        }
    }
    if let Some(el) = meta.child("SolutionMethod") {
        // An empty one is not read at all.
        let method = el.text.trim();
        if !method.is_empty() && !["IP", "CP", "A", "H", "NULL"].contains(&method) {
            return Some((
                el.line,
                format!("<SolutionMethod> \"{method}\" is not one of IP, CP, A, H, NULL"),
            ));
        }
    }
    None
}
