//! The host half of the WIT contract (`wit/`, the SDK's copy): the state a store
//! carries, the query API a plugin imports, and the conversions between the
//! model and the contract's records.
//!
//! Here are the bindings, a plugin's params and the store's state;
//! `records.rs` holds what one call may read (the schedule's games
//! as records, built as asked), `queries.rs` the query API as host
//! functions, and `convert.rs` the conversions between the model and the
//! records.

mod convert;
mod queries;
mod records;

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{Result as WasmResult, StoreLimits};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::model::{Game, League};
use convert::id_at;

pub(crate) use convert::{OutputLimits, game_record, outcome};
pub(crate) use records::{Call, Records, blank};

pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "constraint",
        imports: { default: trappable },
    });
}
use bindings::umpire::plugin::types;
pub(crate) use bindings::{Constraint as Bindings, ConstraintPre as BindingsPre};
pub(crate) use types::{Game as GameRecord, Outcome as OutcomeRecord, Part};

/// The slot of a game under evaluation that is not (this version of) a game
/// of the schedule.
pub(crate) const OUTSIDE_SCHEDULE: u32 = u32::MAX;

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
                let kept = schedule
                    .position_of(g)
                    .and_then(|i| call.records.get(i, schedule, league));
                match (kept, call.fields) {
                    (Some(record), Some(fields)) => blank(record, fields),
                    (Some(record), None) => record.clone(),
                    (None, fields) => {
                        let record = game_record(g, OUTSIDE_SCHEDULE, league);
                        match fields {
                            Some(fields) => blank(&record, fields),
                            None => record,
                        }
                    }
                }
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
