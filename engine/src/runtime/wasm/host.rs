//! The host half of the WIT contract (`wit/`, the SDK's copy): the state a store
//! carries, the query API a plugin imports, and the conversions between the
//! model and the contract's records.

use crate::model::reads::Query;
use crate::runtime::call::ask;
use std::sync::Arc;

use jiff::Zoned;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use wasmtime::component::ResourceTable;
use wasmtime::{Result as WasmResult, StoreLimits};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::model::{Entity, EntityKind, Game, League, Schedule, Severity, Violation};

pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "constraint",
        imports: { default: trappable },
    });
}

use bindings::umpire::plugin::{data, league, log, params, schedule, time, types};
pub(crate) use bindings::{Constraint as Bindings, ConstraintPre as BindingsPre};
pub(crate) use types::{Game as GameRecord, Outcome as OutcomeRecord, Part};

/// The slot of a game under evaluation that is not (this version of) a game
/// of the schedule.
pub(crate) const OUTSIDE_SCHEDULE: u32 = u32::MAX;

/// Most log lines one call may emit; the rest are counted and dropped.
const MAX_LOG_LINES: u32 = 64;
/// Longest log line kept, in bytes.
const MAX_LOG_BYTES: usize = 4096;

/// A plugin's parameters, serialised once: the whole table when loaded,
/// each value the first time a call asks for one by name (a pack of a
/// thousand constraints that reads its table whole never builds these).
#[derive(Debug)]
pub(crate) struct Params {
    all: String,
    each: std::sync::OnceLock<std::collections::HashMap<String, String>>,
}

impl Params {
    pub(crate) fn new(map: &serde_json::Map<String, serde_json::Value>) -> Self {
        Self {
            all: serde_json::to_string(map).unwrap_or_else(|_| "{}".to_owned()),
            each: std::sync::OnceLock::new(),
        }
    }

    fn get(&self, name: &str) -> Option<&String> {
        self.each
            .get_or_init(|| {
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&self.all)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.to_string()))
                    .collect()
            })
            .get(name)
    }
}

/// What one call may read: the schedule, its games as records, the game
/// under evaluation.
pub(crate) struct Call {
    pub(crate) schedule: Arc<Schedule>,
    pub(crate) records: Arc<Records>,
    pub(crate) game: Option<Arc<Game>>,
}

/// A schedule's games as records, indexed by slot, each built the first
/// time a call asks for it: a call after a schedule change reads a few
/// games, and need not pay for all of them.
pub(crate) struct Records {
    cells: Box<[std::sync::OnceLock<Arc<Built>>]>,
    /// The `pairings` answer, built the first time a call asks.
    pairings: std::sync::OnceLock<Vec<u32>>,
}

/// A game's record, with the game it was built from: the records of the
/// next schedule take it over where that very game sits in the same slot.
struct Built {
    game: Arc<Game>,
    record: GameRecord,
}

impl Records {
    /// The records of `schedule`, taking over from `before` (the records of
    /// the schedule seen last, if any) those of the games that `schedule`
    /// has in the same slots: an edited copy of a schedule shares all but
    /// the edited games, so a what-if builds the records of those only.
    pub(crate) fn after(schedule: &Schedule, before: Option<&Records>) -> Self {
        let games = schedule.games();
        let taken = |i: usize| {
            before
                .and_then(|b| b.cells.get(i)?.get())
                .filter(|b| Arc::ptr_eq(&b.game, &games[i]))
                .cloned()
        };
        Self {
            cells: (0..games.len())
                .map(|i| match taken(i) {
                    Some(built) => std::sync::OnceLock::from(built),
                    None => std::sync::OnceLock::new(),
                })
                .collect(),
            pairings: std::sync::OnceLock::new(),
        }
    }

    /// Every game as `home, away, round` (team refs; `u32::MAX` for no
    /// round).
    pub(crate) fn pairings(&self, schedule: &Schedule, league: &League) -> &[u32] {
        self.pairings.get_or_init(|| {
            let position = |id: &str| league.team_position(id).map_or(u32::MAX, |p| p as u32);
            schedule
                .games()
                .iter()
                .flat_map(|g| {
                    [
                        position(&g.home),
                        position(&g.away),
                        g.round.unwrap_or(u32::MAX),
                    ]
                })
                .collect()
        })
    }

    /// The record of the game in `slot`.
    pub(crate) fn get(
        &self,
        slot: usize,
        schedule: &Schedule,
        league: &League,
    ) -> Option<&GameRecord> {
        let cell = self.cells.get(slot)?;
        let built = cell.get_or_init(|| {
            let game = schedule.games()[slot].clone();
            let record = game_record(&game, slot as u32, league);
            Arc::new(Built { game, record })
        });
        Some(&built.record)
    }
}

/// The data of one store: WASI without authority, the memory cap, and what
/// the current call may read.
pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limits: StoreLimits,
    /// The guest's stdout and stderr (a panic message lands here).
    pub(crate) stdio: MemoryOutputPipe,
    league: Option<Arc<League>>,
    params: Arc<Params>,
    pub(crate) constraint: Arc<str>,
    pub(crate) call: Option<Call>,
    log_lines: u32,
}

impl HostState {
    pub(crate) fn new(
        league: Option<Arc<League>>,
        params: Arc<Params>,
        constraint: Arc<str>,
        memory_bytes: usize,
        stdio_capacity: usize,
    ) -> Self {
        let stdio = MemoryOutputPipe::new(stdio_capacity);
        // The builder's defaults give no preopened directories, no
        // environment, no arguments, closed stdin and no network.
        let wasi = WasiCtx::builder()
            .stdout(stdio.clone())
            .stderr(stdio.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let limits = wasmtime::StoreLimitsBuilder::new()
            .memory_size(memory_bytes)
            .trap_on_grow_failure(true)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limits,
            stdio,
            league,
            params,
            constraint,
            call: None,
            log_lines: 0,
        }
    }

    pub(crate) fn begin(&mut self, call: Call) {
        self.call = Some(call);
        self.log_lines = 0;
    }

    /// Hands the store to another constraint on the same component (under
    /// `shared` isolation one store serves many): its params and id. A
    /// store made for the plugin has them already.
    pub(crate) fn serve(&mut self, params: &Arc<Params>, constraint: &Arc<str>) {
        if !Arc::ptr_eq(&self.constraint, constraint) {
            self.params = params.clone();
            self.constraint = constraint.clone();
        }
    }

    fn league(&self) -> WasmResult<&League> {
        self.league.as_deref().ok_or_else(|| {
            wasmtime::format_err!(
                "league queries are only available while evaluating, not in `describe`"
            )
        })
    }

    fn call(&self) -> WasmResult<&Call> {
        self.call.as_ref().ok_or_else(|| {
            wasmtime::format_err!(
                "schedule queries are only available while evaluating, not in `describe`"
            )
        })
    }

    /// The game in `slot`, or the game under evaluation.
    fn game_in(&self, slot: u32) -> WasmResult<Arc<Game>> {
        let call = self.call()?;
        if slot == OUTSIDE_SCHEDULE {
            return call.game.clone().ok_or_else(|| {
                wasmtime::format_err!(
                    "slot {slot} names the game under evaluation, but there is none"
                )
            });
        }
        call.schedule
            .games()
            .get(slot as usize)
            .cloned()
            .ok_or_else(|| {
                wasmtime::format_err!(
                    "slot {slot} is out of range: the schedule has {} games",
                    call.schedule.len()
                )
            })
    }

    fn records<'a>(
        &self,
        games: impl Iterator<Item = &'a Arc<Game>>,
    ) -> WasmResult<Vec<GameRecord>> {
        let call = self.call()?;
        let league = self.league()?;
        let schedule = &call.schedule;
        Ok(games
            .map(|g| {
                match schedule.position_of(g) {
                    Some(i) => call.records.get(i, schedule, league).cloned(),
                    None => None,
                }
                .unwrap_or_else(|| game_record(g, OUTSIDE_SCHEDULE, league))
            })
            .collect())
    }

    /// The id of the team a ref names.
    fn team(&self, team: types::TeamRef) -> WasmResult<Arc<str>> {
        let league = self.league()?;
        id_at(&league.teams, team, "team", |t| &t.id)
    }

    /// The id of the venue a ref names.
    fn venue(&self, venue: types::VenueRef) -> WasmResult<Arc<str>> {
        let league = self.league()?;
        id_at(&league.venues, venue, "venue", |v| &v.id)
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for HostState {}

/// Every query through `ask` (runtime::call), the one lookup that also
/// records it for the cache; the games found go out as records.
impl schedule::Host for HostState {
    fn len(&mut self) -> WasmResult<u32> {
        Ok(ask(&self.call()?.schedule, Query::Len).count() as u32)
    }

    fn games(&mut self) -> WasmResult<Vec<GameRecord>> {
        self.records(ask(&self.call()?.schedule, Query::All).games())
    }

    fn game_at(&mut self, slot: u32) -> WasmResult<Option<GameRecord>> {
        let found = ask(&self.call()?.schedule, Query::At(slot));
        self.records(found.games()).map(|mut v| v.pop())
    }

    fn game_by_id(&mut self, id: String) -> WasmResult<Option<GameRecord>> {
        let found = ask(&self.call()?.schedule, Query::ById(&id));
        self.records(found.games()).map(|mut v| v.pop())
    }

    fn games_of(&mut self, team: types::TeamRef) -> WasmResult<Vec<GameRecord>> {
        let team = self.team(team)?;
        self.records(ask(&self.call()?.schedule, Query::GamesOf(&team)).games())
    }

    fn games_of_between(
        &mut self,
        team: types::TeamRef,
        from: i64,
        to: i64,
    ) -> WasmResult<Vec<GameRecord>> {
        let team = self.team(team)?;
        let (from, to) = (timestamp(from)?, timestamp(to)?);
        let query = Query::GamesOfBetween(&team, from, to);
        self.records(ask(&self.call()?.schedule, query).games())
    }

    fn previous_game(&mut self, team: types::TeamRef, slot: u32) -> WasmResult<Option<GameRecord>> {
        let team = self.team(team)?;
        let game = self.game_in(slot)?;
        let found = ask(&self.call()?.schedule, Query::Previous(&team, &game));
        self.records(found.games()).map(|mut v| v.pop())
    }

    fn next_game(&mut self, team: types::TeamRef, slot: u32) -> WasmResult<Option<GameRecord>> {
        let team = self.team(team)?;
        let game = self.game_in(slot)?;
        let found = ask(&self.call()?.schedule, Query::Next(&team, &game));
        self.records(found.games()).map(|mut v| v.pop())
    }

    fn rest_days(&mut self, team: types::TeamRef, slot: u32) -> WasmResult<Option<i32>> {
        let team = self.team(team)?;
        let game = self.game_in(slot)?;
        let previous = ask(&self.call()?.schedule, Query::Previous(&team, &game)).one();
        Ok(previous
            .map(|prev| crate::runtime::query::days_between(&prev.start, &game.start) as i32))
    }

    fn games_at(
        &mut self,
        venue: types::VenueRef,
        date: types::Date,
    ) -> WasmResult<Vec<GameRecord>> {
        let venue = self.venue(venue)?;
        let date = civil_date(date)?;
        self.records(ask(&self.call()?.schedule, Query::GamesAt(&venue, date)).games())
    }

    fn games_on(&mut self, date: types::Date) -> WasmResult<Vec<GameRecord>> {
        let date = civil_date(date)?;
        self.records(ask(&self.call()?.schedule, Query::GamesOn(date)).games())
    }

    fn pairings(&mut self) -> WasmResult<Vec<u32>> {
        let call = self.call()?;
        // Made from every game, in schedule order: recorded as that query.
        let _every_game = ask(&call.schedule, Query::All);
        Ok(call
            .records
            .pairings(&call.schedule, self.league()?)
            .to_vec())
    }
}

impl league::Host for HostState {
    fn ids(&mut self) -> WasmResult<types::IdLists> {
        let league = self.league()?;
        Ok(types::IdLists {
            teams: league.teams.iter().map(|t| t.id.to_string()).collect(),
            venues: league.venues.iter().map(|v| v.id.to_string()).collect(),
            tv_windows: league.tv_windows.iter().map(|w| w.id.to_string()).collect(),
        })
    }

    fn team_by_id(&mut self, id: String) -> WasmResult<Option<types::Team>> {
        Ok(self.league()?.team(&id).map(team_record))
    }

    fn teams(&mut self) -> WasmResult<Vec<types::Team>> {
        Ok(self.league()?.teams.iter().map(team_record).collect())
    }

    fn venue_by_id(&mut self, id: String) -> WasmResult<Option<types::Venue>> {
        Ok(self.league()?.venue(&id).map(venue_record))
    }

    fn venues(&mut self) -> WasmResult<Vec<types::Venue>> {
        Ok(self.league()?.venues.iter().map(venue_record).collect())
    }

    fn tv_window_by_id(&mut self, id: String) -> WasmResult<Option<types::TvWindow>> {
        Ok(self.league()?.tv_window(&id).map(|w| types::TvWindow {
            id: w.id.to_string(),
            network: w.network.clone(),
            days: w.days.iter().map(|&d| weekday(d)).collect(),
            start_minute: (w.start.hour() as u16) * 60 + w.start.minute() as u16,
            end_minute: (w.end.hour() as u16) * 60 + w.end.minute() as u16,
            timezone: w.timezone_name.clone(),
        }))
    }

    fn blackout_on(
        &mut self,
        venue: types::VenueRef,
        date: types::Date,
    ) -> WasmResult<Option<types::Blackout>> {
        let venue = self.venue(venue)?;
        let date = civil_date(date)?;
        Ok(self
            .league()?
            .venue(&venue)
            .and_then(|v| v.blackouts.iter().find(|b| b.covers(date)))
            .map(blackout_record))
    }

    fn reference(&mut self, key: String) -> WasmResult<Option<String>> {
        Ok(self.league()?.reference.get(&key).map(|v| v.to_string()))
    }
}

impl time::Host for HostState {
    fn in_zone(
        &mut self,
        unix_seconds: i64,
        timezone: String,
    ) -> WasmResult<Result<types::Civil, String>> {
        let tz = match TimeZone::get(&timezone) {
            Ok(tz) => tz,
            Err(_) => return Ok(Err(format!("unknown time zone \"{timezone}\""))),
        };
        Ok(Ok(civil(&timestamp(unix_seconds)?.to_zoned(tz))))
    }
}

impl params::Host for HostState {
    fn get(&mut self, name: String) -> WasmResult<Option<String>> {
        Ok(self.params.get(&name).cloned())
    }

    fn all(&mut self) -> WasmResult<String> {
        Ok(self.params.all.clone())
    }
}

impl log::Host for HostState {
    fn log(&mut self, level: log::Level, mut message: String) -> WasmResult<()> {
        self.log_lines += 1;
        if self.log_lines > MAX_LOG_LINES {
            if self.log_lines == MAX_LOG_LINES + 1 {
                tracing::warn!(constraint = %self.constraint, "more than {MAX_LOG_LINES} log lines in one call; dropping the rest");
            }
            return Ok(());
        }
        if message.len() > MAX_LOG_BYTES {
            let mut cut = MAX_LOG_BYTES;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str("...");
        }
        let id = &*self.constraint;
        match level {
            log::Level::Trace => tracing::trace!(constraint = id, "{message}"),
            log::Level::Debug => tracing::debug!(constraint = id, "{message}"),
            log::Level::Info => tracing::info!(constraint = id, "{message}"),
            log::Level::Warn => tracing::warn!(constraint = id, "{message}"),
            log::Level::Error => tracing::error!(constraint = id, "{message}"),
        }
        Ok(())
    }
}

impl data::Host for HostState {
    fn fetch(
        &mut self,
        source: String,
        query: Vec<(String, String)>,
    ) -> WasmResult<Result<String, String>> {
        Ok(crate::runtime::call::fetch(&source, &query).map(|body| body.to_string()))
    }
}

/// The id of the item a ref (a position in the league's list) names.
fn id_at<T>(items: &[T], r: u32, what: &str, id: impl Fn(&T) -> &Arc<str>) -> WasmResult<Arc<str>> {
    items.get(r as usize).map(|t| id(t).clone()).ok_or_else(|| {
        wasmtime::format_err!(
            "{what} ref {r} is out of range: the league has {} {what}s",
            items.len()
        )
    })
}

fn timestamp(unix_seconds: i64) -> WasmResult<jiff::Timestamp> {
    jiff::Timestamp::from_second(unix_seconds)
        .map_err(|e| wasmtime::format_err!("{unix_seconds} is not a valid instant: {e}"))
}

fn civil_date(d: types::Date) -> WasmResult<Date> {
    Date::new(d.year, d.month as i8, d.day as i8).map_err(|e| {
        wasmtime::format_err!("{}-{}-{} is not a valid date: {e}", d.year, d.month, d.day)
    })
}

fn date_record(d: Date) -> types::Date {
    types::Date {
        year: d.year(),
        month: d.month() as u8,
        day: d.day() as u8,
    }
}

fn weekday(d: Weekday) -> types::Weekday {
    match d {
        Weekday::Monday => types::Weekday::Mon,
        Weekday::Tuesday => types::Weekday::Tue,
        Weekday::Wednesday => types::Weekday::Wed,
        Weekday::Thursday => types::Weekday::Thu,
        Weekday::Friday => types::Weekday::Fri,
        Weekday::Saturday => types::Weekday::Sat,
        Weekday::Sunday => types::Weekday::Sun,
    }
}

fn civil(z: &Zoned) -> types::Civil {
    types::Civil {
        date: date_record(z.date()),
        hour: z.hour() as u8,
        minute: z.minute() as u8,
        weekday: weekday(z.weekday()),
        offset_seconds: z.offset().seconds(),
    }
}

fn moment(z: &Zoned) -> types::Moment {
    types::Moment {
        unix_seconds: z.timestamp().as_second(),
        offset_seconds: z.offset().seconds(),
    }
}

/// A game as the contract's record. Its teams, venue and TV window are
/// known to the league: the schedule was checked against it.
pub(crate) fn game_record(g: &Game, slot: u32, league: &League) -> GameRecord {
    let position = |p: Option<usize>| p.unwrap_or(usize::MAX) as u32;
    GameRecord {
        slot,
        id: g.id.to_string(),
        round: g.round,
        home: position(league.team_position(&g.home)),
        away: position(league.team_position(&g.away)),
        venue: position(league.venue_position(&g.venue)),
        start: moment(&g.start),
        end: moment(&g.end),
        tv: g.tv.as_deref().map(|tv| position(league.tv_position(tv))),
        tags: g.tags.iter().map(|t| t.to_string()).collect(),
    }
}

fn team_record(t: &crate::model::Team) -> types::Team {
    types::Team {
        id: t.id.to_string(),
        name: t.name.clone(),
        venue: t.venue.to_string(),
        division: t.division.clone(),
    }
}

fn blackout_record(b: &crate::model::Blackout) -> types::Blackout {
    types::Blackout {
        from: date_record(b.from),
        to: date_record(b.to),
        reason: b.reason.clone(),
    }
}

fn venue_record(v: &crate::model::Venue) -> types::Venue {
    types::Venue {
        id: v.id.to_string(),
        name: v.name.clone(),
        timezone: v.timezone_name.clone(),
        blackouts: v.blackouts.iter().map(blackout_record).collect(),
    }
}

/// Limits on what a plugin may return, the same as a Rhai rule's.
pub(crate) struct OutputLimits {
    pub(crate) max_violations: usize,
    pub(crate) max_entities: usize,
    pub(crate) max_string_bytes: usize,
}

/// The contract's outcome as violations and a score, or why it is not one.
pub(crate) fn outcome(
    record: OutcomeRecord,
    limits: &OutputLimits,
) -> Result<(Vec<Violation>, Option<f64>), String> {
    if record.violations.len() > limits.max_violations {
        return Err(format!(
            "it returned {} violations; at most {} are accepted (`plugins.max_violations`)",
            record.violations.len(),
            limits.max_violations
        ));
    }
    let too_long = |what: &str, s: &str| {
        (s.len() > limits.max_string_bytes).then(|| {
            format!(
                "{what} is {} bytes long; at most {} are accepted",
                s.len(),
                limits.max_string_bytes
            )
        })
    };
    let mut violations = Vec::with_capacity(record.violations.len());
    for (i, v) in record.violations.into_iter().enumerate() {
        if let Some(e) = too_long(&format!("violation {i}'s message"), &v.message) {
            return Err(e);
        }
        if let Some(e) = v
            .suggestion
            .as_deref()
            .and_then(|s| too_long(&format!("violation {i}'s suggestion"), s))
        {
            return Err(e);
        }
        if v.entities.len() > limits.max_entities {
            return Err(format!(
                "violation {i} touches {} entities; at most {} are accepted",
                v.entities.len(),
                limits.max_entities
            ));
        }
        let mut entities = Vec::with_capacity(v.entities.len());
        for e in v.entities {
            if let Some(err) = too_long(&format!("an entity id of violation {i}"), &e.id) {
                return Err(err);
            }
            entities.push(Entity {
                kind: match e.kind {
                    types::EntityKind::Team => EntityKind::Team,
                    types::EntityKind::Venue => EntityKind::Venue,
                    types::EntityKind::Game => EntityKind::Game,
                    types::EntityKind::Round => EntityKind::Round,
                    types::EntityKind::Date => EntityKind::Date,
                    types::EntityKind::TvWindow => EntityKind::TvWindow,
                },
                id: e.id,
            });
        }
        violations.push(Violation {
            message: v.message,
            severity: match v.severity {
                types::Severity::Critical => Severity::Critical,
                types::Severity::Major => Severity::Major,
                types::Severity::Minor => Severity::Minor,
            },
            entities,
            penalty: v.penalty,
            suggestion: v.suggestion,
        });
    }
    Ok((violations, record.score))
}
