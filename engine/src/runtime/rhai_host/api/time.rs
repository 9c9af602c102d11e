//! A time as scripts see it: its parts, zones, arithmetic and comparisons.

use jiff::tz::TimeZone;
use rhai::{ImmutableString, Module};

use super::{RTime, runtime_error};
use crate::runtime::query;

pub(super) fn register(m: &mut Module) {
    // Time
    m.set_getter_fn("date", |t: &mut RTime| {
        Ok(ImmutableString::from(t.0.date().to_string()))
    });
    m.set_getter_fn("clock", |t: &mut RTime| {
        Ok(ImmutableString::from(query::clock(&t.0)))
    });
    m.set_getter_fn("hour", |t: &mut RTime| Ok(i64::from(t.0.hour())));
    m.set_getter_fn("minute", |t: &mut RTime| Ok(i64::from(t.0.minute())));
    m.set_getter_fn("weekday", |t: &mut RTime| {
        Ok(ImmutableString::from(query::weekday_short(t.0.weekday())))
    });
    m.set_getter_fn("timezone", |t: &mut RTime| {
        Ok(ImmutableString::from(
            t.0.time_zone().iana_name().unwrap_or("UTC"),
        ))
    });
    m.set_native_fn("in_tz", |t: &mut RTime, tz: ImmutableString| {
        let zone =
            TimeZone::get(&tz).map_err(|_| runtime_error(crate::model::unknown_zone(&tz)))?;
        Ok(RTime(t.0.with_time_zone(zone)))
    });
    m.set_native_fn("plus_days", |t: &mut RTime, n: i64| {
        t.0.checked_add(
            jiff::Span::new()
                .try_days(n)
                .map_err(|e| runtime_error(e.to_string()))?,
        )
        .map(RTime)
        .map_err(|e| runtime_error(e.to_string()))
    });
    m.set_native_fn("plus_hours", |t: &mut RTime, n: i64| {
        t.0.checked_add(jiff::SignedDuration::from_hours(n))
            .map(RTime)
            .map_err(|e| runtime_error(e.to_string()))
    });
    m.set_native_fn("<", |a: &mut RTime, b: RTime| {
        Ok(a.0.timestamp() < b.0.timestamp())
    });
    m.set_native_fn("<=", |a: &mut RTime, b: RTime| {
        Ok(a.0.timestamp() <= b.0.timestamp())
    });
    m.set_native_fn(">", |a: &mut RTime, b: RTime| {
        Ok(a.0.timestamp() > b.0.timestamp())
    });
    m.set_native_fn(">=", |a: &mut RTime, b: RTime| {
        Ok(a.0.timestamp() >= b.0.timestamp())
    });
    m.set_native_fn("==", |a: &mut RTime, b: RTime| {
        Ok(a.0.timestamp() == b.0.timestamp())
    });
    m.set_native_fn("!=", |a: &mut RTime, b: RTime| {
        Ok(a.0.timestamp() != b.0.timestamp())
    });
    m.set_native_fn("to_string", |t: &mut RTime| {
        Ok(ImmutableString::from(t.0.to_string()))
    });
    m.set_native_fn("to_debug", |t: &mut RTime| {
        Ok(ImmutableString::from(t.0.to_string()))
    });
    m.set_native_fn("days_between", |a: &mut RTime, b: RTime| {
        Ok(query::days_between(&a.0, &b.0))
    });
    m.set_native_fn("hours_between", |a: &mut RTime, b: RTime| {
        Ok(query::hours_between(&a.0, &b.0))
    });
}
