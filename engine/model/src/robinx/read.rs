//! Reading an instance in the validator's order (RobinX SPEC.md §2): each
//! step may stop the reading (a [`Note`]; the rest is absent) or crash it
//! (an [`Error`]: no score).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::json;

use super::xml::{self, Element, id_list, pair_list};
use super::{ConstraintElement, Data, Division, Instance, Note, Objective, PoolMeeting, invalid};
use crate::Hardness;
use crate::error::{Error, Result};

/// The most meetings a pool may hold, and the most entries a data table
/// may have: a mangled file that asks for more is refused, not allocated.
const MAX_POOL: u64 = 10_000_000;
const MAX_TABLE: u64 = 20_000_000;
/// The most constraint elements an instance may have (the largest
/// repository instance has 6,468): each becomes a constraint.
const MAX_ELEMENTS: usize = 200_000;

/// Why reading ended early.
enum Halt {
    /// A stop: noted, the instance is still scored.
    Stop,
    /// A crash: no score.
    Crash(Error),
}

impl From<Error> for Halt {
    fn from(e: Error) -> Self {
        Self::Crash(e)
    }
}

type Step = std::result::Result<(), Halt>;

const GAME_MODES: &[&str] = &["NULL", "P", "M", "E", "F", "I"];
const HOME: &[&str] = &["H", "A", "HA"];
const CMP: &[&str] = &["EQ", "NEQ", "LE", "LEQ", "GE", "GEQ"];

/// What the validator reads of one class.
struct Class {
    name: &'static str,
    section: &'static str,
    /// `(ids attribute, groups attribute, param)`.
    teams: &'static [(&'static str, &'static str, &'static str)],
    slots: &'static [(&'static str, &'static str, &'static str)],
    /// `(attribute, allowed keywords)`.
    words: &'static [(&'static str, &'static [&'static str])],
    /// Integer attributes (missing → −1).
    ints: &'static [&'static str],
}

const T: &[(&str, &str, &str)] = &[("teams", "teamGroups", "teams")];
const T12: &[(&str, &str, &str)] = &[
    ("teams1", "teamGroups1", "teams1"),
    ("teams2", "teamGroups2", "teams2"),
];
const S: &[(&str, &str, &str)] = &[("slots", "slotGroups", "slots")];
const NONE: &[(&str, &str, &str)] = &[];

/// Every class, in the validator's reading order (SPEC.md §2.8).
const READ_ORDER: &[Class] = &[
    Class {
        name: "BA1",
        section: "BasicConstraints",
        teams: NONE,
        slots: NONE,
        words: &[],
        ints: &[],
    },
    Class {
        name: "CA1",
        section: "CapacityConstraints",
        teams: T,
        slots: S,
        words: &[("mode", HOME)],
        ints: &["min", "max"],
    },
    Class {
        name: "CA2",
        section: "CapacityConstraints",
        teams: T12,
        slots: S,
        words: &[("mode1", HOME), ("mode2", &["GLOBAL", "EVERY"])],
        ints: &["min", "max"],
    },
    Class {
        name: "CA3",
        section: "CapacityConstraints",
        teams: T12,
        slots: NONE,
        words: &[("mode1", HOME), ("mode2", &["SLOTS", "GAMES"])],
        ints: &["intp", "min", "max"],
    },
    Class {
        name: "CA4",
        section: "CapacityConstraints",
        teams: T12,
        slots: S,
        words: &[("mode1", HOME), ("mode2", &["GLOBAL", "EVERY"])],
        ints: &["min", "max"],
    },
    Class {
        name: "CA5",
        section: "CapacityConstraints",
        teams: T12,
        slots: S,
        words: &[],
        ints: &["min", "max"],
    },
    Class {
        name: "BR1",
        section: "BreakConstraints",
        teams: T,
        slots: S,
        words: &[("mode1", CMP), ("mode2", HOME)],
        ints: &["intp"],
    },
    Class {
        name: "BR2",
        section: "BreakConstraints",
        teams: T,
        slots: S,
        words: &[("mode2", CMP)],
        ints: &["intp"],
    },
    Class {
        name: "BR3",
        section: "BreakConstraints",
        teams: T,
        slots: NONE,
        words: &[("mode1", &["REGULAR", "GENERALIZED"]), ("mode2", HOME)],
        ints: &["intp"],
    },
    Class {
        name: "BR4",
        section: "BreakConstraints",
        teams: T,
        slots: S,
        words: &[("mode", CMP)],
        ints: &["min"],
    },
    Class {
        name: "GA1",
        section: "GameConstraints",
        teams: NONE,
        slots: S,
        words: &[],
        ints: &["min", "max"],
    },
    Class {
        name: "GA2",
        section: "GameConstraints",
        teams: &[
            ("teams1", "teamGroups1", "teams1"),
            ("teams2", "teamGroups2", "teams2"),
            ("teams3", "teamGroups3", "teams3"),
            ("teams4", "teamGroups4", "teams4"),
        ],
        slots: &[
            ("slots1", "slotGroups1", "slots1"),
            ("slots2", "slotGroups2", "slots2"),
        ],
        words: &[("mode1", HOME), ("mode2", CMP), ("mode3", HOME)],
        ints: &[],
    },
    Class {
        name: "FA1",
        section: "FairnessConstraints",
        teams: T,
        slots: S,
        words: &[],
        ints: &["intp"],
    },
    Class {
        name: "FA2",
        section: "FairnessConstraints",
        teams: T,
        slots: S,
        words: &[("mode", HOME)],
        ints: &["intp"],
    },
    Class {
        name: "FA3",
        section: "FairnessConstraints",
        teams: T,
        slots: NONE,
        words: &[],
        ints: &[],
    },
    Class {
        name: "FA4",
        section: "FairnessConstraints",
        teams: T,
        slots: NONE,
        words: &[],
        ints: &["intp"],
    },
    Class {
        name: "FA5",
        section: "FairnessConstraints",
        teams: T,
        slots: S,
        words: &[],
        ints: &["intp"],
    },
    Class {
        name: "FA6",
        section: "FairnessConstraints",
        teams: NONE,
        slots: S,
        words: &[],
        ints: &["intp"],
    },
    Class {
        name: "SE1",
        section: "SeparationConstraints",
        teams: T,
        slots: NONE,
        words: &[],
        ints: &["min"],
    },
    Class {
        name: "SE2",
        section: "SeparationConstraints",
        teams: T,
        slots: NONE,
        words: &[],
        ints: &[],
    },
];

const SECTIONS: &[&str] = &[
    "BasicConstraints",
    "CapacityConstraints",
    "GameConstraints",
    "BreakConstraints",
    "FairnessConstraints",
    "SeparationConstraints",
];

/// The state of one reading.
struct Reader<'a> {
    path: &'a Path,
    instance: Instance,
    /// Declared groups and their members (members join from their side).
    team_groups: HashMap<i64, Vec<usize>>,
    slot_groups: HashMap<i64, Vec<usize>>,
    /// The ids read so far, with their lines.
    team_ids: HashMap<i64, usize>,
    slot_ids: HashMap<i64, usize>,
}

/// Ids may come in any order, but umpire indexes by them: the ids read
/// must be `0..count`. `lines` holds each id's line.
fn numbered(path: &Path, list: &Element, what: &str, lines: &HashMap<i64, usize>) -> Step {
    let count = lines.len() as i64;
    let mut beyond: Vec<(&i64, &usize)> = lines
        .iter()
        .filter(|(id, _)| !(0..count).contains(*id))
        .collect();
    beyond.sort();
    if let Some((id, line)) = beyond.first() {
        let missing = (0..count).find(|i| !lines.contains_key(i)).unwrap_or(0);
        return Err(Halt::Crash(Error::invalid(
            path,
            format!("line {line} (<{what}>)"),
            format!(
                "{what} id {id} where {what} {missing} is missing: umpire reads {what}s numbered 0..{count} (in any order), as every RobinX instance numbers them; <{}> is at line {}",
                list.name, list.line
            ),
        )));
    }
    Ok(())
}

pub(super) fn instance(path: &Path, text: &str) -> Result<Instance> {
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
    let mut reader = Reader {
        path,
        instance: Instance {
            path: path.to_owned(),
            name,
            objective: Objective::None,
            leagues: Vec::new(),
            teams: 0,
            slots: 0,
            extra: Vec::new(),
            elements: Vec::new(),
            notes: Vec::new(),
            ba1: Vec::new(),
            data: Data::default(),
        },
        team_groups: HashMap::new(),
        slot_groups: HashMap::new(),
        team_ids: HashMap::new(),
        slot_ids: HashMap::new(),
    };
    match reader.read(&root) {
        Ok(()) | Err(Halt::Stop) => Ok(reader.instance),
        Err(Halt::Crash(e)) => Err(e),
    }
}

/// A required child, or the crash its absence is.
fn required<'e>(
    path: &Path,
    parent: &'e Element,
    name: &str,
) -> std::result::Result<&'e Element, Halt> {
    parent.child(name).ok_or_else(|| {
        Halt::Crash(invalid(
            path,
            parent,
            format!(
                "no <{name}> in <{}>; the validator needs it and gives no result without it",
                parent.name
            ),
        ))
    })
}

/// `"x"`, or `missing`.
fn shown(v: Option<&str>) -> String {
    v.map_or("missing".to_owned(), |v| format!("\"{v}\""))
}

impl Reader<'_> {
    fn stop(&mut self, el: &Element, what: impl std::fmt::Display, lost: &str) -> Halt {
        self.instance.notes.push(Note {
            path: self.path.to_owned(),
            line: el.line,
            message: format!(
                "<{}>: {what}; the validator stops reading the instance here, so {lost} are not read",
                el.name
            ),
        });
        Halt::Stop
    }

    fn read(&mut self, root: &Element) -> Step {
        let path = self.path;
        // 2. The objective.
        let function = required(path, root, "ObjectiveFunction")?;
        let objective = required(path, function, "Objective")?;
        match Objective::parse(&objective.text) {
            Some(o) => self.instance.objective = o,
            None => {
                return Err(self.stop(
                    objective,
                    format!(
                        "the objective is \"{}\", not one of SC, TR, BM, CO, CR, NONE",
                        objective.text
                    ),
                    "the leagues, teams, slots and constraints",
                ));
            }
        }
        // 3. Formats, then leagues.
        let structure = required(path, root, "Structure")?;
        self.leagues(structure, root)?;
        let resources = required(path, root, "Resources")?;
        // 4. Slots, 5. teams, 6. extra games.
        let slots = self.slots(resources);
        numbered(path, resources, "slot", &self.slot_ids)?;
        self.instance.slots = self.slot_ids.len();
        slots?;
        let teams = self.teams(resources);
        numbered(path, resources, "team", &self.team_ids)?;
        self.instance.teams = self.team_ids.len();
        teams?;
        self.extra(structure)?;
        // 7. The pool: refused when absurdly large.
        let pool = self.pool_size();
        if pool > MAX_POOL {
            return Err(Halt::Crash(invalid(
                path,
                structure,
                format!(
                    "the meeting pool would hold {pool} meetings; umpire scores at most {MAX_POOL}"
                ),
            )));
        }
        // 8. Data, 9. constraints.
        if let Some(data) = root.child("Data") {
            self.data(data)?;
        }
        self.constraints(root)
    }

    fn leagues(&mut self, structure: &Element, root: &Element) -> Step {
        let path = self.path;
        let mut formats: HashMap<i64, (i64, String)> = HashMap::new();
        for format in structure.children_named("Format") {
            let k = required(path, format, "numberRoundRobin")?;
            let k = xml::leading_int(&k.text).unwrap_or(-1);
            if let Some(c) = format.child("compactness")
                && !["C", "R", "NULL"].contains(&c.text.as_str())
            {
                return Err(self.stop(
                    c,
                    format!("compactness \"{}\" is not C, R or NULL", c.text),
                    "the leagues, teams, slots and constraints",
                ));
            }
            let mode = match format.child("gameMode") {
                Some(g) if !g.text.is_empty() => g.text.clone(),
                _ => "NULL".to_owned(),
            };
            if !GAME_MODES.contains(&mode.as_str()) {
                let at = format.child("gameMode").unwrap_or(format);
                return Err(self.stop(
                    at,
                    format!("game mode \"{mode}\" is not one of NULL, P, M, E, F, I"),
                    "the leagues, teams, slots and constraints",
                ));
            }
            for id in id_list(format.attr("leagueIds").unwrap_or("")) {
                formats.insert(id, (k, mode.clone()));
            }
        }
        let resources = required(path, root, "Resources")?;
        let leagues = required(path, resources, "Leagues")?;
        for l in leagues.children_named("league") {
            let id = l.int("id");
            let Some((k, mode)) = formats.get(&id) else {
                self.note(l, format!("league {id} has no <Format>; it is skipped"));
                continue;
            };
            if self.instance.leagues.iter().any(|d| d.id == id) {
                self.note(
                    l,
                    format!("league {id} is declared again; this copy is skipped"),
                );
                continue;
            }
            self.instance.leagues.push(Division {
                id,
                teams: Vec::new(),
                round_robins: *k,
                game_mode: mode.clone(),
            });
        }
        self.instance.leagues.sort_by_key(|l| l.id);
        Ok(())
    }

    fn note(&mut self, el: &Element, message: String) {
        self.instance.notes.push(Note {
            path: self.path.to_owned(),
            line: el.line,
            message,
        });
    }

    fn slots(&mut self, resources: &Element) -> Step {
        declare(&mut self.slot_groups, resources, "SlotGroups", "slotGroup");
        let slots = required(self.path, resources, "Slots")?;
        for s in slots.children_named("slot") {
            let id = s.int("id");
            let groups = id_list(s.attr("slotGroup").unwrap_or(""));
            if let Some(g) = undeclared(&groups, &self.slot_groups) {
                return Err(self.stop(
                    s,
                    format!("slot {id} joins slot group {g}, which <SlotGroups> does not declare"),
                    "the slots after it, the teams and the constraints",
                ));
            }
            if self.slot_ids.insert(id, s.line).is_some() {
                self.note(
                    s,
                    format!("slot {id} is declared again; this copy is skipped"),
                );
                continue;
            }
            join(&mut self.slot_groups, &groups, id);
        }
        Ok(())
    }

    fn teams(&mut self, resources: &Element) -> Step {
        declare(&mut self.team_groups, resources, "TeamGroups", "teamGroup");
        let teams = required(self.path, resources, "Teams")?;
        for t in teams.children_named("team") {
            let id = t.int("id");
            let league = t.int("league");
            let Some(at) = self.instance.leagues.iter().position(|l| l.id == league) else {
                return Err(self.stop(
                    t,
                    format!(
                        "team {id} names league {}, which does not exist",
                        shown(t.attr("league"))
                    ),
                    "the teams after it, the extra games and the constraints",
                ));
            };
            let groups = id_list(t.attr("teamGroups").unwrap_or(""));
            if let Some(g) = undeclared(&groups, &self.team_groups) {
                return Err(self.stop(
                    t,
                    format!("team {id} joins team group {g}, which <TeamGroups> does not declare"),
                    "the teams after it, the extra games and the constraints",
                ));
            }
            if self.team_ids.insert(id, t.line).is_some() {
                self.note(
                    t,
                    format!("team {id} is declared again; this copy is skipped"),
                );
                continue;
            }
            join(&mut self.team_groups, &groups, id);
            self.instance.leagues[at].teams.push(id.max(0) as usize);
        }
        Ok(())
    }

    fn extra(&mut self, structure: &Element) -> Step {
        let Some(extra) = structure.child("AdditionalGames") else {
            return Ok(());
        };
        let n = self.instance.teams as i64;
        for g in extra.children_named("game") {
            let (t1, t2) = (g.int("team1"), g.int("team2"));
            if !(0..n).contains(&t1) || !(0..n).contains(&t2) {
                let bad = if (0..n).contains(&t1) {
                    "team2"
                } else {
                    "team1"
                };
                return Err(self.stop(
                    g,
                    format!("{bad} {} is not a team", shown(g.attr(bad))),
                    "the extra games after it and the constraints",
                ));
            }
            self.instance.extra.push(PoolMeeting {
                home: t1 as usize,
                away: t2 as usize,
                determined: g.int("noHome") == 0,
            });
        }
        Ok(())
    }

    fn pool_size(&self) -> u64 {
        let extra = self.instance.extra.len() as u64;
        self.instance.leagues.iter().fold(extra, |sum, l| {
            let n = l.teams.len() as u64;
            let k = l.round_robins;
            let per_pair = if k > 1 { (k / 2) as u64 * 2 } else { 0 } + u64::from(k % 2 != 0);
            sum.saturating_add((n * n.saturating_sub(1) / 2).saturating_mul(per_pair))
        })
    }

    fn data(&mut self, data: &Element) -> Step {
        let path = self.path;
        let n = self.instance.teams;
        let ns = self.instance.slots;
        let team = |v: i64| (0..n as i64).contains(&v).then_some(v as usize);
        let table = |what: &str, size: u64, at: &Element| -> std::result::Result<(), Halt> {
            if size > MAX_TABLE {
                return Err(Halt::Crash(invalid(
                    path,
                    at,
                    format!(
                        "the {what} table would have {size} entries; umpire reads at most {MAX_TABLE}"
                    ),
                )));
            }
            Ok(())
        };
        let distances = required(path, data, "Distances")?;
        let weights = required(path, data, "COEWeights")?;
        let costs = required(path, data, "Costs")?;
        let fill = |el: &Element,
                    child: &str,
                    value: &str|
         -> std::result::Result<Vec<Option<i64>>, Halt> {
            let mut out: Vec<Option<i64>> = Vec::new();
            for d in el.children_named(child) {
                let (Some(i), Some(j)) = (team(d.int("team1")), team(d.int("team2"))) else {
                    continue;
                };
                if out.is_empty() {
                    table(child, (n * n) as u64, el)?;
                    out = vec![None; n * n];
                }
                out[i * n + j].get_or_insert(d.int(value));
            }
            Ok(out)
        };
        self.instance.data.distances = fill(distances, "distance", "dist")?;
        self.instance.data.weights = fill(weights, "COEWeight", "weight")?;
        let mut out: Vec<Option<i64>> = Vec::new();
        for c in costs.children_named("cost") {
            let (Some(h), Some(a)) = (team(c.int("team1")), team(c.int("team2"))) else {
                continue;
            };
            let s = c.int("slot");
            if !(0..ns as i64).contains(&s) {
                continue;
            }
            if out.is_empty() {
                table("cost", (n * n) as u64 * ns as u64, costs)?;
                out = vec![None; n * n * ns];
            }
            out[(h * n + a) * ns + s as usize].get_or_insert(c.int("cost"));
        }
        self.instance.data.costs = out;
        Ok(())
    }

    fn constraints(&mut self, root: &Element) -> Step {
        let path = self.path;
        let constraints = required(path, root, "Constraints")?;
        let mut elements = 0;
        for section in SECTIONS {
            elements += required(path, constraints, section)?.children.len();
        }
        if elements > MAX_ELEMENTS {
            return Err(Halt::Crash(invalid(
                path,
                constraints,
                format!(
                    "{elements} constraint elements; umpire scores at most {MAX_ELEMENTS} (the largest RobinX instance has 6,468)"
                ),
            )));
        }
        let mut ordinals: HashMap<&str, usize> = HashMap::new();
        for class in READ_ORDER {
            let section = required(path, constraints, class.section)?;
            for el in section.children_named(class.name) {
                let ordinal = {
                    let o = ordinals.entry(class.name).or_default();
                    *o += 1;
                    *o
                };
                let element = self.element(class, el, ordinal)?;
                if class.name == "BA1" {
                    self.instance.ba1.push(element);
                } else {
                    self.instance.elements.push(element);
                }
            }
        }
        Ok(())
    }

    /// One constraint element, or the stop it is.
    fn element(
        &mut self,
        class: &Class,
        el: &Element,
        ordinal: usize,
    ) -> std::result::Result<ConstraintElement, Halt> {
        const LOST: &str = "this constraint and every one read after it (classes in the order BA1, CA1–CA5, BR1–BR4, GA1, GA2, FA1–FA6, SE1, SE2)";
        let hardness = match el.attr("type") {
            Some("HARD") => Hardness::Hard,
            Some("SOFT") => Hardness::Soft,
            other => {
                return Err(self.stop(
                    el,
                    format!("type is {}, not HARD or SOFT", shown(other)),
                    LOST,
                ));
            }
        };
        let label = format!("{} #{ordinal} (line {})", class.name, el.line);
        let mut params = self
            .instance
            .common(class.name, &label, hardness, el.int("penalty"));
        for &(attr, allowed) in class.words {
            match el.attr(attr) {
                Some(v) if allowed.contains(&v) => {
                    params.insert(attr.into(), json!(v));
                }
                other => {
                    return Err(self.stop(
                        el,
                        format!(
                            "{attr} is {}, not one of {}",
                            shown(other),
                            allowed.join(", ")
                        ),
                        LOST,
                    ));
                }
            }
        }
        for &attr in class.ints {
            params.insert(attr.into(), json!(el.int(attr)));
        }
        let n = self.instance.teams;
        let ns = self.instance.slots;
        for &(ids, groups, param) in class.teams {
            match members(el, ids, groups, n, &self.team_groups) {
                Ok(set) => {
                    params.insert(param.into(), json!(set));
                }
                Err(why) => return Err(self.stop(el, why, LOST)),
            }
        }
        for &(ids, groups, param) in class.slots {
            match members(el, ids, groups, ns, &self.slot_groups) {
                Ok(mut set) => {
                    // GA2 reads slotGroups2 (its ids must exist) but uses
                    // only the ids of slots2 (SPEC.md §6.2).
                    if param == "slots2" {
                        set = sorted(
                            id_list(el.attr(ids).unwrap_or(""))
                                .into_iter()
                                .map(|s| s as usize)
                                .collect(),
                        );
                    }
                    params.insert(param.into(), json!(set));
                }
                Err(why) => return Err(self.stop(el, why, LOST)),
            }
        }
        match class.name {
            "GA1" => {
                let mut set: Vec<(i64, i64)> = Vec::new();
                for pair in pair_list(el.attr("meetings").unwrap_or("")) {
                    if pair.0 >= 0 && pair.1 >= 0 && !set.contains(&pair) {
                        set.push(pair);
                    }
                }
                params.insert("meetings".into(), json!(set));
            }
            "SE2" => {
                params.insert(
                    "pairs".into(),
                    json!(pair_list(el.attr("slotPairs").unwrap_or(""))),
                );
            }
            "FA5" => {
                params.insert("distances".into(), json!(self.instance.data.distances));
            }
            "FA6" => {
                params.insert("costs".into(), json!(self.instance.data.costs));
            }
            _ => {}
        }
        Ok(ConstraintElement {
            class: class.name.to_owned(),
            ordinal,
            line: el.line,
            hardness,
            params,
        })
    }
}

/// Declares the groups `<section>` lists (`<child id=…>`), with no members
/// yet: members join from their own side.
fn declare(groups: &mut HashMap<i64, Vec<usize>>, resources: &Element, section: &str, child: &str) {
    for g in resources
        .child(section)
        .into_iter()
        .flat_map(|s| s.children_named(child))
    {
        groups.entry(g.int("id")).or_default();
    }
}

/// The first of `named` that is not a declared group.
fn undeclared(named: &[i64], groups: &HashMap<i64, Vec<usize>>) -> Option<i64> {
    named.iter().copied().find(|g| !groups.contains_key(g))
}

/// Member `id` joins each of the (declared) groups `named`.
fn join(groups: &mut HashMap<i64, Vec<usize>>, named: &[i64], id: i64) {
    for g in named {
        groups.entry(*g).or_default().push(id.max(0) as usize);
    }
}

/// The ids of `ids` and the members of the groups of `groups`, as a sorted
/// set; or why one names nothing.
fn members(
    el: &Element,
    ids: &str,
    groups: &str,
    count: usize,
    declared: &HashMap<i64, Vec<usize>>,
) -> std::result::Result<Vec<usize>, String> {
    let mut out: HashSet<usize> = HashSet::new();
    for id in id_list(el.attr(ids).unwrap_or("")) {
        if !(0..count as i64).contains(&id) {
            return Err(format!("{ids} names {id}, which does not exist"));
        }
        out.insert(id as usize);
    }
    for g in id_list(el.attr(groups).unwrap_or("")) {
        let Some(members) = declared.get(&g) else {
            return Err(format!("{groups} names group {g}, which is not declared"));
        };
        out.extend(members);
    }
    Ok(sorted(out.into_iter().collect()))
}

fn sorted(mut v: Vec<usize>) -> Vec<usize> {
    v.sort_unstable();
    v.dedup();
    v
}
