//! What a script returned, read as a rule's answer: `pass()`, a violation,
//! an array of violations, or `verdict(...)`.

use rhai::{Array, Dynamic};

use super::types::{RVerdict, RViolation};
use crate::model::Violation;
use crate::runtime::answer::Outcome;

/// Whether a value is a rule's answer: `pass()`, a violation, `verdict(...)`
/// or a non-empty array of violations.
pub(in crate::runtime) fn is_outcome(value: &Dynamic) -> bool {
    if value.is::<RVerdict>() || value.is::<RViolation>() {
        return true;
    }
    value
        .read_lock::<Array>()
        .is_some_and(|a| !a.is_empty() && a.iter().all(|v| v.is::<RViolation>()))
}

/// Reads what a script returned: `pass()`, a violation, an array of
/// violations, or `verdict(...)`.
pub(in crate::runtime) fn outcome(value: Dynamic) -> std::result::Result<Outcome, String> {
    let value = value.flatten();
    if value.is::<RVerdict>() {
        let v = value.cast::<RVerdict>();
        return Ok(Outcome {
            violations: v.violations,
            score: v.score,
        });
    }
    if value.is::<RViolation>() {
        return Ok(Outcome {
            violations: vec![value.cast::<RViolation>().0],
            score: None,
        });
    }
    if value.is_array() {
        let array = value.cast::<Array>();
        return Ok(Outcome {
            violations: violations_of(array)?,
            score: None,
        });
    }
    let what = if value.is_unit() {
        "nothing (`()`)".to_owned()
    } else {
        format!("a value of type {}", value.type_name())
    };
    Err(format!(
        "the script returned {what}; a rule must end with pass(), a violation(...), or an array of violations"
    ))
}

pub(super) fn violations_of(array: Array) -> std::result::Result<Vec<Violation>, String> {
    array
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let item = item.flatten();
            if item.is::<RViolation>() {
                Ok(item.cast::<RViolation>().0)
            } else {
                Err(format!(
                    "element {i} of the returned array is a {}, not a violation",
                    item.type_name()
                ))
            }
        })
        .collect()
}
