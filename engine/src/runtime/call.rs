//! What a host function needs to know about the constraint call it serves:
//! the data sources, the call's deadline and the game under evaluation; and
//! what the call did with them: the schedule queries it made (for the verdict
//! cache) and whether a data source failed it.
//!
//! Both hosts run a call on the calling thread from start to end, so the
//! context lives in a thread-local set by [`Runtime`](super::Runtime) around
//! each call.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

use crate::data::DataSources;
use crate::model::reads::{Fields, Found, Query, Read};
use crate::model::{Game, Schedule};

struct Call {
    deadline: Instant,
    this: Option<Arc<Game>>,
    notes: Notes,
}

/// What a call did beyond its answer.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    /// The first data source failure it met.
    pub(crate) data_failure: Option<String>,
    /// Whether it asked a data source at all (its verdict then depends on
    /// more than the schedule and the league).
    pub(crate) used_data: bool,
    /// The schedule queries it made, when asked to record them.
    pub(crate) reads: Option<Vec<Read>>,
    /// The fields of the games it looked at: all of them unless its host
    /// tells them apart ([`looking`]).
    pub(crate) fields: Fields,
}

thread_local! {
    static CALL: RefCell<Option<Call>> = const { RefCell::new(None) };
    /// The data sources of the runtime that last made a call on this
    /// thread: kept between calls, replaced only when another runtime's
    /// differ (so a call clones no `Arc`).
    static DATA: RefCell<Option<Arc<DataSources>>> = const { RefCell::new(None) };
}

/// Runs `f` as one constraint call about `this` (`None`: the schedule) with
/// these data sources and deadline, recording its schedule queries when
/// `record`; returns its result and what it did.
pub(crate) fn within<T>(
    data: &Arc<DataSources>,
    deadline: Instant,
    this: Option<&Arc<Game>>,
    record: bool,
    f: impl FnOnce() -> T,
) -> (T, Notes) {
    DATA.with(|d| {
        let mut d = d.borrow_mut();
        if !d.as_ref().is_some_and(|d| Arc::ptr_eq(d, data)) {
            *d = Some(data.clone());
        }
    });
    CALL.with(|c| {
        *c.borrow_mut() = Some(Call {
            deadline,
            // Only the read log needs the game (to name a query's subject).
            this: if record { this.cloned() } else { None },
            notes: Notes {
                reads: record.then(Vec::new),
                fields: Fields::ALL,
                ..Notes::default()
            },
        })
    });
    let out = f();
    let notes = CALL.with(|c| c.borrow_mut().take().map(|c| c.notes).unwrap_or_default());
    (out, notes)
}

/// Asks a schedule query for the running call: what [`Query::find`]
/// finds, with the query recorded for the verdict cache in the same step
/// (when the call records them), so a host cannot answer a query without
/// recording it. A query that names a game (`previous_game`, `next_game`)
/// counts the id among the fields the call looked at: had an earlier answer
/// given another game with the same fields, this query would have named
/// another one.
pub(crate) fn ask<'s>(schedule: &'s Schedule, query: Query<'_>) -> Found<'s> {
    CALL.with(|c| {
        let mut c = c.borrow_mut();
        let Some(call) = c.as_mut() else { return };
        if query.names_a_game() {
            call.notes.fields = call.notes.fields.with(Fields::ID);
        }
        if let Some(reads) = call.notes.reads.as_mut() {
            reads.push(query.read(schedule, call.this.as_ref()));
        }
    });
    query.find(schedule)
}

/// Notes that the running call read `what` of the league's own data.
pub(crate) fn read_league(what: crate::data::LeagueData<'_>) {
    DATA.with(|d| {
        if let Some(data) = d.borrow().as_ref() {
            data.league_reads().note(what);
        }
    });
}

/// Says that the running call's host tells the fields of the games it
/// looks at apart: from here on, only those noted with [`saw`] count.
pub(crate) fn looking() {
    CALL.with(|c| {
        if let Some(call) = c.borrow_mut().as_mut() {
            call.notes.fields = Fields::NONE;
        }
    });
}

/// Notes that the running call looked at `fields` of a game.
pub(crate) fn saw(fields: Fields) {
    CALL.with(|c| {
        if let Some(call) = c.borrow_mut().as_mut() {
            call.notes.fields = call.notes.fields.with(fields);
        }
    });
}

/// Asks a data source on behalf of the running call; the failure is kept so
/// that the call can be answered by its constraint's fallback.
pub(crate) fn fetch(source: &str, query: &[(String, String)]) -> Result<Arc<str>, String> {
    let (data, deadline) = CALL.with(|c| {
        let mut c = c.borrow_mut();
        let call = c
            .as_mut()
            .ok_or_else(|| "data sources can only be asked during a constraint call".to_owned())?;
        call.notes.used_data = true;
        let data = DATA.with(|d| d.borrow().clone()).unwrap_or_default();
        Ok::<_, String>((data, call.deadline))
    })?;
    let answer = data.fetch(source, query, deadline).map_err(|e| e.0);
    if let Err(message) = &answer {
        CALL.with(|c| {
            if let Some(call) = c.borrow_mut().as_mut() {
                call.notes
                    .data_failure
                    .get_or_insert_with(|| message.clone());
            }
        });
    }
    answer
}
