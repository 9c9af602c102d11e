//! Plugin fixtures: `*.test.toml` files that pin what a constraint says
//! about a schedule snippet or a game, run by `umpire test`.
//!
//! ```toml
//! constraint = "min-rest-days"      # the rule under test (a case may name another)
//! # plugins = [".."]                # plugin directories, relative to this file
//! # league = "path/to/league"       # or a [league] table; default: the example league
//! # [[data.weather]]                # canned answers of a data source, first match wins
//! # query = { venue = "cascade-park" }
//! # answer = { precip_mm = 35.0, wind_kmh = 20.0 }
//!
//! [[case]]
//! name = "a Monday game after a Sunday one is a short rest"
//! game = "R14-PHX-SLC"              # an id, or an inline game table
//! expect = "violated"
//! violations = [{ message = "needs 2", entities = ["team:PHX"] }]
//! ```
//!
//! Fixtures live in a `tests/` folder of the plugin directory: the loader
//! reads only top-level `*.toml` as manifests, so they are never mistaken
//! for rules, and `plugins` defaults to the folder above. Every mistake is
//! reported as `file:line:column: field: message`, from the TOML spans.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::model::{Entity, EntityKind, Game, GameSpec, League, Schedule, ScheduleSpec};
use crate::{Registry, Scope, Severity, Status, Verdict};

/// How fixture files end.
pub(super) const SUFFIX: &str = ".test.toml";

/// The example league's files, built in: the league a fixture uses when it
/// names none, wherever the fixture is. The crate carries its own copy
/// (`example/`, so that it builds from its package alone); a test keeps it
/// equal to `examples/leagues/pacific-atlantic`.
const EXAMPLE_LEAGUE: &str = include_str!("example/league.toml");
const EXAMPLE_SCHEDULE: &str = include_str!("example/schedule.json");
const EXAMPLE_LEAGUE_PATH: &str = "<built-in>/examples/leagues/pacific-atlantic/league.toml";

/// A mistake in a fixture: where, which field, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FixtureError {
    pub(super) path: PathBuf,
    pub(super) line: usize,
    pub(super) column: usize,
    pub(super) field: String,
    pub(super) message: String,
}

impl std::fmt::Display for FixtureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: ", self.path.display(), self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "`{}`: ", self.field)?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for FixtureError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    constraint: Option<Spanned<String>>,
    plugins: Option<Spanned<Vec<PathBuf>>>,
    league: Option<Spanned<toml::Value>>,
    #[serde(rename = "case", default)]
    cases: Vec<Spanned<CaseFile>>,
    #[serde(default)]
    data: BTreeMap<String, Vec<AnswerFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerFile {
    #[serde(default)]
    query: BTreeMap<String, toml::Value>,
    answer: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    name: String,
    constraint: Option<Spanned<String>>,
    games: Option<Vec<Spanned<toml::Value>>>,
    game: Option<Spanned<toml::Value>>,
    expect: Spanned<Status>,
    #[serde(default)]
    violations: Vec<Spanned<ExpectedFile>>,
    count: Option<Spanned<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFile {
    message: Option<String>,
    severity: Option<Severity>,
    #[serde(default)]
    entities: Vec<Spanned<String>>,
}

/// Where a fixture's league comes from.
enum LeagueSource {
    /// The built-in example league and its season.
    Example,
    /// A league directory (or file).
    Dir(PathBuf),
    /// A `[league]` table, as TOML text.
    Inline(String),
}

/// A parsed fixture file: its cases, not yet checked against a league or
/// the plugins.
pub(super) struct Fixture {
    pub(super) path: PathBuf,
    text: String,
    pub(super) plugins: Vec<PathBuf>,
    plugins_span: Range<usize>,
    league: LeagueSource,
    league_span: Range<usize>,
    cases: Vec<CaseSpec>,
    /// Canned answers of data sources, by source name.
    pub(super) data: BTreeMap<String, Vec<super::canned::Answer>>,
}

struct CaseSpec {
    name: String,
    span: Range<usize>,
    constraint: Spanned<String>,
    constraint_field: String,
    games: Option<Vec<Spanned<toml::Value>>>,
    game: Option<Spanned<toml::Value>>,
    expect: Status,
    violations: Vec<Spanned<ExpectedFile>>,
    count: Option<Spanned<usize>>,
}

/// One violation a case expects: every given part must match.
#[derive(Debug, Clone)]
pub(super) struct Expected {
    pub(super) message: Option<String>,
    pub(super) severity: Option<Severity>,
    pub(super) entities: Vec<Entity>,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(m) = &self.message {
            parts.push(format!("message containing {m:?}"));
        }
        if let Some(s) = self.severity {
            parts.push(format!("severity {}", s.as_str()));
        }
        if !self.entities.is_empty() {
            let e: Vec<String> = self.entities.iter().map(entity_name).collect();
            parts.push(format!("entities {}", e.join(", ")));
        }
        if parts.is_empty() {
            parts.push("any".into());
        }
        write!(f, "{}", parts.join(", "))
    }
}

/// A case ready to run: its schedule and game resolved.
pub(super) struct Case {
    pub(super) name: String,
    pub(super) line: usize,
    pub(super) constraint: Arc<str>,
    pub(super) schedule: Arc<Schedule>,
    pub(super) game: Option<Arc<Game>>,
    pub(super) expect: Status,
    pub(super) violations: Vec<Expected>,
    pub(super) count: Option<usize>,
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Fixture {
    /// Reads and parses a fixture file.
    pub(super) fn load(path: &Path) -> Result<Self, FixtureError> {
        let text = std::fs::read_to_string(path).map_err(|e| FixtureError {
            path: path.to_owned(),
            line: 1,
            column: 1,
            field: String::new(),
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(path, text)
    }

    fn error_at(
        &self,
        span: &Range<usize>,
        field: &str,
        message: impl Into<String>,
    ) -> FixtureError {
        let (line, column) = line_col(&self.text, span.start);
        FixtureError {
            path: self.path.clone(),
            line,
            column,
            field: field.to_owned(),
            message: message.into(),
        }
    }

    fn parse(path: &Path, text: String) -> Result<Self, FixtureError> {
        let at = |span: Option<Range<usize>>, field: String, message: String| {
            let (line, column) = line_col(&text, span.map_or(0, |s| s.start));
            FixtureError {
                path: path.to_owned(),
                line,
                column,
                field,
                message,
            }
        };
        let de = toml::Deserializer::parse(&text)
            .map_err(|e| at(e.span(), String::new(), e.message().to_owned()))?;
        let file: FixtureFile = serde_path_to_error::deserialize(de).map_err(|e| {
            // Spanned values show up in the path as a private field: drop it.
            let field: Vec<String> = e
                .path()
                .to_string()
                .split('.')
                .filter(|s| !s.is_empty() && !s.starts_with("$__serde_spanned"))
                .map(str::to_owned)
                .collect();
            let field = field.join(".").replace(".[", "[");
            let inner = e.into_inner();
            at(inner.span(), field, inner.message().to_owned())
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let (plugins, plugins_span) = match file.plugins {
            Some(p) => {
                let span = p.span();
                let dirs = p.into_inner();
                if dirs.is_empty() {
                    return Err(at(
                        Some(span),
                        "plugins".into(),
                        "no plugin directories; leave `plugins` out to use the folder above this one".into(),
                    ));
                }
                (dirs.iter().map(|d| dir.join(d)).collect(), span)
            }
            None => (vec![dir.join("..")], 0..0),
        };
        let (league, league_span) = match file.league {
            None => (LeagueSource::Example, 0..0),
            Some(l) => {
                let span = l.span();
                match l.into_inner() {
                    toml::Value::String(s) => (LeagueSource::Dir(dir.join(s)), span),
                    toml::Value::Table(t) => (
                        LeagueSource::Inline(toml::to_string(&t).unwrap_or_default()),
                        span,
                    ),
                    other => {
                        return Err(at(
                            Some(span),
                            "league".into(),
                            format!(
                                "expected a league directory (a string) or a [league] table, found a {}",
                                other.type_str()
                            ),
                        ));
                    }
                }
            }
        };
        if file.cases.is_empty() {
            return Err(at(
                None,
                String::new(),
                "no cases; add one with [[case]] (name, game or games, expect)".into(),
            ));
        }
        let mut cases = Vec::with_capacity(file.cases.len());
        for (i, c) in file.cases.into_iter().enumerate() {
            let span = c.span();
            let c = c.into_inner();
            let (constraint, constraint_field) = match (c.constraint, &file.constraint) {
                (Some(own), _) => (own, format!("case[{i}].constraint")),
                (None, Some(top)) => (top.clone(), "constraint".to_owned()),
                (None, None) => {
                    return Err(at(
                        Some(span),
                        format!("case[{i}]"),
                        "no constraint to test; set `constraint = \"ID\"` at the top of the file or in the case".into(),
                    ));
                }
            };
            if let Some(count) = &c.count
                && *count.get_ref() < c.violations.len()
            {
                return Err(at(
                    Some(count.span()),
                    format!("case[{i}].count"),
                    format!(
                        "{} is fewer than the {} violations listed",
                        count.get_ref(),
                        c.violations.len()
                    ),
                ));
            }
            if !c.violations.is_empty() && *c.expect.get_ref() != Status::Violated {
                return Err(at(
                    Some(c.expect.span()),
                    format!("case[{i}].expect"),
                    format!(
                        "violations are listed but the case expects `{}`; expect \"violated\" or drop `violations`",
                        c.expect.get_ref().as_str()
                    ),
                ));
            }
            cases.push(CaseSpec {
                name: c.name,
                span,
                constraint,
                constraint_field,
                games: c.games,
                game: c.game,
                expect: *c.expect.get_ref(),
                violations: c.violations,
                count: c.count,
            });
        }
        let data = file
            .data
            .into_iter()
            .map(|(name, answers)| {
                let answers = answers
                    .into_iter()
                    .map(|a| super::canned::Answer {
                        query: a
                            .query
                            .into_iter()
                            .map(|(k, v)| match v {
                                toml::Value::String(s) => (k, s),
                                other => (k, other.to_string()),
                            })
                            .collect(),
                        body: serde_json::to_string(&a.answer).unwrap_or_default(),
                    })
                    .collect();
                (name, answers)
            })
            .collect();
        Ok(Self {
            data,
            path: path.to_owned(),
            text,
            plugins,
            plugins_span,
            league,
            league_span,
            cases,
        })
    }

    /// A key naming the league this fixture uses (equal keys, equal leagues).
    pub(super) fn league_key(&self) -> String {
        match &self.league {
            LeagueSource::Example => EXAMPLE_LEAGUE_PATH.to_owned(),
            LeagueSource::Dir(d) => d
                .canonicalize()
                .unwrap_or_else(|_| d.clone())
                .display()
                .to_string(),
            LeagueSource::Inline(_) => format!("{}#league", self.path.display()),
        }
    }

    /// Loads the league and its season (if it has one).
    pub(super) fn load_league(&self) -> Result<(Arc<League>, Option<Arc<Schedule>>), FixtureError> {
        let wrap = |e: crate::Error| {
            let message = e.to_string();
            self.error_at(&self.league_span, "league", message)
        };
        let (league, schedule) = match &self.league {
            LeagueSource::Example => {
                let path = Path::new(EXAMPLE_LEAGUE_PATH);
                let league = League::from_toml_str(path, EXAMPLE_LEAGUE).map_err(wrap)?;
                let spec: ScheduleSpec = serde_json::from_str(EXAMPLE_SCHEDULE)
                    .map_err(|e| self.error_at(&(0..0), "league", e.to_string()))?;
                let schedule = Schedule::from_spec(path, spec, &league).map_err(wrap)?;
                (league, Some(schedule))
            }
            LeagueSource::Dir(dir) => {
                let league = League::load(dir).map_err(wrap)?;
                let schedule = match &league.schedule_file {
                    Some(f) => Some(Schedule::load(f, &league).map_err(wrap)?),
                    None => None,
                };
                (league, schedule)
            }
            LeagueSource::Inline(text) => {
                let league = League::from_toml_str(&self.path, text).map_err(wrap)?;
                (league, None)
            }
        };
        Ok((Arc::new(league), schedule.map(Arc::new)))
    }

    /// An error about the plugin directories (they did not load).
    pub(super) fn plugins_error(&self, e: &crate::Error) -> FixtureError {
        self.error_at(&self.plugins_span, "plugins", e.to_string())
    }

    /// Checks every case against the league, its season and the plugins,
    /// and resolves its schedule and game.
    pub(super) fn cases(
        &self,
        league: &League,
        season: Option<&Arc<Schedule>>,
        registry: &Registry,
    ) -> Result<Vec<Case>, FixtureError> {
        self.cases
            .iter()
            .enumerate()
            .map(|(i, c)| self.case(i, c, league, season, registry))
            .collect()
    }

    fn case(
        &self,
        i: usize,
        c: &CaseSpec,
        league: &League,
        season: Option<&Arc<Schedule>>,
        registry: &Registry,
    ) -> Result<Case, FixtureError> {
        let id = c.constraint.get_ref();
        let Some(constraint) = registry.get(id) else {
            let known: Vec<&str> = registry.constraints().iter().map(|c| &**c.id()).collect();
            return Err(self.error_at(
                &c.constraint.span(),
                &c.constraint_field,
                format!(
                    "no constraint `{id}` in {}; it has {}",
                    show_dirs(&self.plugins),
                    known.join(", ")
                ),
            ));
        };
        let mut schedule = match &c.games {
            Some(games) => {
                let mut specs = Vec::with_capacity(games.len());
                for (j, g) in games.iter().enumerate() {
                    let spec: GameSpec =
                        g.get_ref()
                            .clone()
                            .try_into()
                            .map_err(|e: toml::de::Error| {
                                self.error_at(
                                    &g.span(),
                                    &format!("case[{i}].games[{j}]"),
                                    e.message().to_owned(),
                                )
                            })?;
                    specs.push(spec);
                }
                let schedule =
                    Schedule::from_spec(&self.path, ScheduleSpec { games: specs }, league)
                        .map_err(|e| {
                            let (j, message) = match &e {
                                crate::Error::Invalid { at, message, .. } => {
                                    (game_index(at), format!("{at}: {message}"))
                                }
                                other => (None, other.to_string()),
                            };
                            let span = j
                                .and_then(|j| games.get(j))
                                .map_or(c.span.clone(), |g| g.span());
                            self.error_at(&span, &format!("case[{i}].games"), message)
                        })?;
                Arc::new(schedule)
            }
            None => match season {
                Some(s) => s.clone(),
                None => {
                    return Err(self.error_at(
                        &c.span,
                        &format!("case[{i}]"),
                        "the league names no schedule; give the case its `games`",
                    ));
                }
            },
        };
        let game = match &c.game {
            None => None,
            Some(g) => {
                let field = format!("case[{i}].game");
                if constraint.manifest.scope == Scope::Schedule {
                    return Err(self.error_at(
                        &g.span(),
                        &field,
                        format!(
                            "`{id}` is schedule-scoped: it is asked about the whole schedule, not a game; drop `game`"
                        ),
                    ));
                }
                Some(match g.get_ref() {
                    toml::Value::String(gid) => schedule.game(gid).cloned().ok_or_else(|| {
                        let hint = similar(gid, schedule.games().iter().map(|g| &*g.id));
                        self.error_at(
                            &g.span(),
                            &field,
                            format!(
                                "no game `{gid}` in the case's schedule ({} games){hint}",
                                schedule.len()
                            ),
                        )
                    })?,
                    toml::Value::Table(_) => {
                        let spec: GameSpec =
                            g.get_ref()
                                .clone()
                                .try_into()
                                .map_err(|e: toml::de::Error| {
                                    self.error_at(&g.span(), &field, e.message().to_owned())
                                })?;
                        let game = Schedule::game_from_spec(&self.path, &field, spec, league)
                            .map_err(|e| {
                                let message = match &e {
                                    crate::Error::Invalid { message, .. } => message.clone(),
                                    other => other.to_string(),
                                };
                                self.error_at(&g.span(), &field, message)
                            })?;
                        // An inline game is an edit of the case's schedule:
                        // it replaces its namesake or joins it, and is judged
                        // with the rest, as a full evaluation would judge it.
                        schedule = Arc::new(
                            schedule
                                .with_games(league, vec![game.clone()], &self.path)
                                .map_err(|e| self.error_at(&g.span(), &field, e.to_string()))?,
                        );
                        game
                    }
                    other => {
                        return Err(self.error_at(
                            &g.span(),
                            &field,
                            format!(
                                "expected a game id or an inline game table, found a {}",
                                other.type_str()
                            ),
                        ));
                    }
                })
            }
        };
        let mut violations = Vec::with_capacity(c.violations.len());
        for (j, v) in c.violations.iter().enumerate() {
            let v = v.get_ref();
            let mut entities = Vec::with_capacity(v.entities.len());
            for (k, e) in v.entities.iter().enumerate() {
                let entity = parse_entity(e.get_ref()).map_err(|m| {
                    self.error_at(
                        &e.span(),
                        &format!("case[{i}].violations[{j}].entities[{k}]"),
                        m,
                    )
                })?;
                entities.push(entity);
            }
            violations.push(Expected {
                message: v.message.clone(),
                severity: v.severity,
                entities,
            });
        }
        let (line, _) = line_col(&self.text, c.span.start);
        Ok(Case {
            name: c.name.clone(),
            line,
            constraint: constraint.id().clone(),
            schedule,
            game,
            expect: c.expect,
            violations,
            count: c.count.as_ref().map(|n| *n.get_ref()),
        })
    }
}

fn show_dirs(dirs: &[PathBuf]) -> String {
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `j` of an error location `games[j] (...)...`.
fn game_index(at: &str) -> Option<usize> {
    at.strip_prefix("games[")?.split(']').next()?.parse().ok()
}

fn parse_entity(s: &str) -> Result<Entity, String> {
    let (kind, id) = s.split_once(':').ok_or_else(|| {
        format!(
            "\"{s}\" is not an entity; write KIND:ID, e.g. \"team:PHX\" (kinds: {})",
            EntityKind::NAMES
        )
    })?;
    let kind = EntityKind::parse(kind).ok_or_else(|| {
        format!(
            "unknown entity kind \"{kind}\"; expected one of {}",
            EntityKind::NAMES
        )
    })?;
    Ok(Entity {
        kind,
        id: id.to_owned(),
    })
}

/// `kind:id`, as fixtures write entities.
pub(super) fn entity_name(e: &Entity) -> String {
    format!("{}:{}", e.kind.as_str(), e.id)
}

/// "; did you mean `X`?" for the closest of `known` to `wanted`, if close.
pub(super) fn similar<'a>(wanted: &str, known: impl Iterator<Item = &'a str>) -> String {
    let best = known
        .map(|k| (strsim::levenshtein(wanted, k), k))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, k)) if d <= wanted.len().max(3) / 3 => format!("; did you mean `{k}`?"),
        _ => String::new(),
    }
}

/// What a case found wrong with the verdict; empty when it passed.
pub(super) fn check(case: &Case, verdict: &Verdict) -> Vec<String> {
    let mut problems = Vec::new();
    if verdict.status != case.expect {
        let mut p = format!(
            "expected `{}`, got `{}`",
            case.expect.as_str(),
            verdict.status.as_str()
        );
        if let Some(m) = &verdict.message {
            p.push_str(&format!(": {m}"));
        }
        problems.push(p);
    }
    let mut unmatched: Vec<&crate::Violation> = verdict.violations.iter().collect();
    for e in &case.violations {
        let hit = unmatched.iter().position(|v| {
            e.message
                .as_ref()
                .is_none_or(|m| v.message.contains(m.as_str()))
                && e.severity.is_none_or(|s| v.severity == s)
                && e.entities.iter().all(|x| v.entities.contains(x))
        });
        match hit {
            Some(k) => {
                unmatched.remove(k);
            }
            None => problems.push(format!("no violation matches: {e}")),
        }
    }
    let wanted = case
        .count
        .or((!case.violations.is_empty()).then_some(case.violations.len()));
    if let Some(n) = wanted
        && verdict.violations.len() != n
    {
        problems.push(format!(
            "expected {n} violation(s), got {}",
            verdict.violations.len()
        ));
    }
    if !problems.is_empty() {
        for v in verdict.violations.iter().take(5) {
            let e: Vec<String> = v.entities.iter().map(entity_name).collect();
            problems.push(format!(
                "  got: {} {:?} [{}]",
                v.severity.as_str(),
                v.message,
                e.join(", ")
            ));
        }
        if verdict.violations.len() > 5 {
            problems.push(format!("  ... and {} more", verdict.violations.len() - 5));
        }
    }
    problems
}

/// The verdict of a game-scoped constraint over a whole schedule: the worst
/// status among its games' verdicts, every violation, time added up.
pub(super) fn combine(constraint: &Arc<str>, verdicts: Vec<&Verdict>) -> Option<Verdict> {
    let rank = |s: Status| match s {
        Status::Error => 0,
        Status::Timeout => 1,
        Status::Violated => 2,
        Status::Fallback => 3,
        Status::Passed => 4,
        Status::Skipped => 5,
    };
    let first = verdicts.first()?;
    let worst = verdicts.iter().min_by_key(|v| rank(v.status))?;
    Some(Verdict {
        constraint: constraint.clone(),
        status: worst.status,
        message: worst.message.clone(),
        score: verdicts.iter().map(|v| v.score).sum::<f64>() / verdicts.len() as f64,
        violations: verdicts.iter().flat_map(|v| v.violations.clone()).collect(),
        elapsed_us: verdicts.iter().map(|v| v.elapsed_us).sum(),
        ..(*first).clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Fixture, FixtureError> {
        Fixture::parse(Path::new("t.test.toml"), text.to_owned())
    }

    #[test]
    fn positions_and_fields_are_named() {
        let e = parse("constraint = \"x\"\n[[case]]\nname = \"a\"\nexpect = \"passd\"\n")
            .err()
            .unwrap();
        assert_eq!((e.line, e.column), (4, 10), "{e}");
        assert_eq!(e.field, "case[0].expect");
        assert!(e.message.contains("passd"), "{e}");
        let e =
            parse("constraint = \"x\"\n[[case]]\nname = \"a\"\nexpect = \"passed\"\ncont = 1\n")
                .err()
                .unwrap();
        assert_eq!(e.line, 5, "{e}");
        assert!(e.message.contains("unknown field `cont`"), "{e}");
        let e = parse("constraint = \"x\"\n").err().unwrap();
        assert!(e.message.contains("no cases"), "{e}");
    }

    #[test]
    fn entities_parse_and_near_names_are_suggested() {
        assert_eq!(
            parse_entity("team:PHX").unwrap(),
            Entity {
                kind: EntityKind::Team,
                id: "PHX".into()
            }
        );
        assert!(parse_entity("PHX").unwrap_err().contains("KIND:ID"));
        assert!(parse_entity("club:PHX").unwrap_err().contains("club"));
        assert_eq!(
            similar("R14-PHX-SCL", ["R14-PHX-SLC", "R01-TOR-SDG"].into_iter()),
            "; did you mean `R14-PHX-SLC`?"
        );
        assert_eq!(similar("zzz", ["R14-PHX-SLC"].into_iter()), "");
    }
}
