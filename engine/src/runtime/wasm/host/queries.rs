//! The query API as host functions: the schedule, league, time, params,
//! log and data interfaces a plugin imports.

use jiff::tz::TimeZone;
use wasmtime::Result as WasmResult;

use super::bindings::umpire::plugin::{data, league, log, params, schedule, time, types};
use super::convert::{
    blackout_record, civil, civil_date, team_record, timestamp, venue_record, weekday,
};
use super::{GameRecord, HostState};
use crate::data::LeagueData;
use crate::model::reads::{Fields, Query};
use crate::runtime::call::{ask, read_league};

/// Most log lines one call may emit; the rest are counted and dropped.
const MAX_LOG_LINES: u32 = 64;
/// Longest log line kept, in bytes.
const MAX_LOG_BYTES: usize = 4096;

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
        // The answer is made of the two games' kickoffs: the call read them.
        crate::runtime::call::saw(Fields::START);
        let previous = ask(&self.call()?.schedule, Query::Previous(&team, &game)).one();
        Ok(previous
            .map(|prev| crate::runtime::query::days_between(&prev.start, &game.start) as i32))
    }

    fn games_at(
        &mut self,
        venue: types::VenueRef,
        date: types::Date,
    ) -> WasmResult<Vec<GameRecord>> {
        read_league(LeagueData::Blackouts);
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
        read_league(LeagueData::TvWindows);
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

    // A venue record carries its blackouts: reading one may read them.
    fn venue_by_id(&mut self, id: String) -> WasmResult<Option<types::Venue>> {
        read_league(LeagueData::Blackouts);
        Ok(self.league()?.venue(&id).map(venue_record))
    }

    fn venues(&mut self) -> WasmResult<Vec<types::Venue>> {
        read_league(LeagueData::Blackouts);
        Ok(self.league()?.venues.iter().map(venue_record).collect())
    }

    fn tv_window_by_id(&mut self, id: String) -> WasmResult<Option<types::TvWindow>> {
        read_league(LeagueData::TvWindows);
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
        read_league(LeagueData::Blackouts);
        let venue = self.venue(venue)?;
        let date = civil_date(date)?;
        Ok(self
            .league()?
            .venue(&venue)
            .and_then(|v| v.blackouts.iter().find(|b| b.covers(date)))
            .map(blackout_record))
    }

    fn reference(&mut self, key: String) -> WasmResult<Option<String>> {
        read_league(LeagueData::Reference(&key));
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
            Err(_) => return Ok(Err(crate::model::unknown_zone(&timezone))),
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
        crate::runtime::printed::note(|| {
            let level = match level {
                log::Level::Trace => "trace",
                log::Level::Debug => "debug",
                log::Level::Info => "info",
                log::Level::Warn => "warn",
                log::Level::Error => "error",
            };
            format!("{level}: {message}")
        });
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
