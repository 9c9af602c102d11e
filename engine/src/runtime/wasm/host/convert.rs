//! Conversions between the model and the contract's records: refs, dates
//! and times, games, teams, venues, blackouts, and a plugin's outcome
//! checked against the output limits.

use std::sync::Arc;

use jiff::Zoned;
use jiff::civil::{Date, Weekday};
use wasmtime::Result as WasmResult;

use super::bindings::umpire::plugin::types;
use super::{GameRecord, OutcomeRecord};
use crate::model::{Entity, EntityKind, Game, League, Severity, Violation};

/// The id of the item a ref (a position in the league's list) names.
pub(super) fn id_at<T>(
    items: &[T],
    r: u32,
    what: &str,
    id: impl Fn(&T) -> &Arc<str>,
) -> WasmResult<Arc<str>> {
    items.get(r as usize).map(|t| id(t).clone()).ok_or_else(|| {
        wasmtime::format_err!(
            "{what} ref {r} is out of range: the league has {} {what}s",
            items.len()
        )
    })
}

pub(super) fn timestamp(unix_seconds: i64) -> WasmResult<jiff::Timestamp> {
    jiff::Timestamp::from_second(unix_seconds)
        .map_err(|e| wasmtime::format_err!("{unix_seconds} is not a valid instant: {e}"))
}

pub(super) fn civil_date(d: types::Date) -> WasmResult<Date> {
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

pub(super) fn weekday(d: Weekday) -> types::Weekday {
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

pub(super) fn civil(z: &Zoned) -> types::Civil {
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

pub(super) fn team_record(t: &crate::model::Team) -> types::Team {
    types::Team {
        id: t.id.to_string(),
        name: t.name.clone(),
        venue: t.venue.to_string(),
        division: t.division.clone(),
    }
}

pub(super) fn blackout_record(b: &crate::model::Blackout) -> types::Blackout {
    types::Blackout {
        from: date_record(b.from),
        to: date_record(b.to),
        reason: b.reason.clone(),
    }
}

pub(super) fn venue_record(v: &crate::model::Venue) -> types::Venue {
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
