//! What a script answers with: `pass()`, `violation(...)` and its builder
//! methods, `verdict(...)`; and `join`, for readable messages.

use rhai::{Array, Dynamic, ImmutableString, Module};

use super::super::outcome::violations_of;
use super::{RGame, RVerdict, RViolation, runtime_error};
use crate::model::reads::Fields;
use crate::model::{Entity, EntityKind, Violation};
use crate::runtime::call::saw;
use crate::runtime::query;

pub(super) fn register(m: &mut Module) {
    // Arrays: `["a", "b"].join(", ")` for readable messages.
    m.set_native_fn("join", |a: &mut Array, sep: ImmutableString| {
        Ok(ImmutableString::from(
            a.iter()
                .map(Dynamic::to_string)
                .collect::<Vec<_>>()
                .join(&sep),
        ))
    });

    // Verdict builders
    m.set_native_fn("pass", || {
        Ok(RVerdict {
            violations: Vec::new(),
            score: None,
        })
    });
    m.set_native_fn(
        "violation",
        |severity: ImmutableString, message: ImmutableString| {
            let severity = query::severity(&severity).map_err(runtime_error)?;
            Ok(RViolation(Violation::new(severity, message.as_str())))
        },
    );
    m.set_native_fn("verdict", |violations: Array, score: f64| {
        Ok(RVerdict {
            violations: violations_of(violations).map_err(runtime_error)?,
            score: Some(score),
        })
    });
    m.set_native_fn("verdict", |violations: Array, score: i64| {
        Ok(RVerdict {
            violations: violations_of(violations).map_err(runtime_error)?,
            score: Some(score as f64),
        })
    });
    fn entity(v: &mut RViolation, kind: EntityKind, id: String) -> RViolation {
        let e = Entity { kind, id };
        if !v.0.entities.contains(&e) {
            v.0.entities.push(e);
        }
        v.clone()
    }
    m.set_native_fn("team", |v: &mut RViolation, id: ImmutableString| {
        Ok(entity(v, EntityKind::Team, id.to_string()))
    });
    m.set_native_fn("venue", |v: &mut RViolation, id: ImmutableString| {
        Ok(entity(v, EntityKind::Venue, id.to_string()))
    });
    m.set_native_fn("game", |v: &mut RViolation, g: RGame| {
        saw(Fields::ID);
        Ok(entity(v, EntityKind::Game, g.0.id.to_string()))
    });
    m.set_native_fn("game", |v: &mut RViolation, id: ImmutableString| {
        Ok(entity(v, EntityKind::Game, id.to_string()))
    });
    m.set_native_fn(
        "entity",
        |v: &mut RViolation, kind: ImmutableString, id: Dynamic| {
            let kind = EntityKind::parse(&kind).ok_or_else(|| {
                runtime_error(format!(
                    "unknown entity kind \"{kind}\"; expected one of {}",
                    EntityKind::NAMES
                ))
            })?;
            Ok(entity(v, kind, id.to_string()))
        },
    );
    m.set_native_fn("penalty", |v: &mut RViolation, p: f64| {
        v.0.penalty = p;
        Ok(v.clone())
    });
    m.set_native_fn("penalty", |v: &mut RViolation, p: i64| {
        v.0.penalty = p as f64;
        Ok(v.clone())
    });
    m.set_native_fn("suggest", |v: &mut RViolation, text: ImmutableString| {
        v.0.suggestion = Some(text.to_string());
        Ok(v.clone())
    });
    m.set_native_fn("to_debug", |v: &mut RViolation| {
        Ok(ImmutableString::from(format!(
            "violation({}: {})",
            v.0.severity.as_str(),
            v.0.message
        )))
    });
}
