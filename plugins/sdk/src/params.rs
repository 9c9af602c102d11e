//! The constraint's `[params]` from its manifest.
//!
//! [`get`] reads one parameter and parses only that, so it is cheap enough
//! to call on every evaluation; [`all`] reads the whole table into a struct of
//! your own.
//!
//! The host keeps an instance's parameters fixed, so each one is asked for
//! once per instance and its JSON kept: with `isolation = "reuse"`, later
//! calls make no host call and, for numbers and booleans, allocate nothing.
//! Under `isolation = "shared"` one instance serves every constraint of the
//! component, each with its own parameters: read them with [`current`], or
//! with [`current_cached`], which parses each constraint's table once.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;

use crate::bindings::umpire::plugin::params as host;
use crate::words::{hash_bytes, same_bytes};

/// Each parameter asked for so far: its name and its JSON (`None` when the
/// manifest does not set it). A handful of entries, so a list.
type Cache = Vec<(Box<str>, Option<Box<str>>)>;

thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new(Vec::new()) };
}

/// The whole table's JSON, once asked for.
static ALL: OnceLock<String> = OnceLock::new();

/// Runs `f` on the JSON of parameter `name`, asking the host only the first
/// time in an instance.
fn with_raw<R>(name: &str, f: impl FnOnce(Option<&str>) -> R) -> R {
    CACHE.with(|cache| {
        if let Some((_, json)) = cache.borrow().iter().find(|(n, _)| **n == *name) {
            return f(json.as_deref());
        }
        let json = fetch(name).map(String::into_boxed_str);
        let result = f(json.as_deref());
        cache.borrow_mut().push((name.into(), json));
        result
    })
}

#[cfg(not(test))]
fn fetch(name: &str) -> Option<String> {
    host::get(name)
}

/// Natively there is no host: the tests' parameters.
#[cfg(test)]
fn fetch(name: &str) -> Option<String> {
    match name {
        "min_days" => Some("2".to_owned()),
        "mode" => Some("\"nan\"".to_owned()),
        _ => None,
    }
}

/// One parameter, read into `T`.
///
/// Errors name the parameter: "missing parameter `min_days`", or
/// "parameter `min_days`: invalid type: string \"two\", expected i64".
pub fn get<T: DeserializeOwned>(name: &str) -> Result<T, String> {
    with_raw(name, |json| {
        let json = json.ok_or_else(|| format!("missing parameter `{name}`"))?;
        parse(json).map_err(|e| format!("parameter `{name}`: {}", json_error(&e)))
    })
}

/// One parameter, or `default` when the manifest does not set it. A value of
/// the wrong type is still an error.
pub fn get_or<T: DeserializeOwned>(name: &str, default: T) -> Result<T, String> {
    with_raw(name, |json| match json {
        None => Ok(default),
        Some(json) => parse(json).map_err(|e| format!("parameter `{name}`: {}", json_error(&e))),
    })
}

/// Every parameter, read into `T`: a struct deriving `Deserialize`, or
/// `serde_json::Value` to look around.
pub fn all<T: DeserializeOwned>() -> Result<T, String> {
    parse(ALL.get_or_init(host::all)).map_err(|e| format!("parameters: {}", json_error(&e)))
}

/// Every parameter, read into `T`, asking the host on every call: for a
/// plugin whose manifests set `isolation = "shared"`, where one instance
/// serves many constraints and the parameters change from call to call
/// ([`get`], [`get_or`] and [`all`] keep the first answer for the life of
/// the instance).
pub fn current<T: DeserializeOwned>() -> Result<T, String> {
    parse(&host::all()).map_err(|e| format!("parameters: {}", json_error(&e)))
}

/// At most this many distinct tables are kept by [`current_cached`]; past
/// it the cache starts over, so memory stays bounded whatever the host sends.
const PARSED_LIMIT: usize = 4096;

/// A table read by [`current_cached`]: its JSON and what it became.
type Parsed = (Box<str>, Rc<dyn Any>);

thread_local! {
    /// [`current_cached`]'s tables by a hash of their JSON.
    static PARSED: RefCell<HashMap<u64, Parsed>> = RefCell::new(HashMap::new());
}

/// [`current`], parsing each distinct table once per instance: under
/// `isolation = "shared"`, where one instance serves many constraints
/// again and again, the second and later calls for a constraint cost one
/// host call and a lookup instead of a parse. The value is shared, so it is
/// read-only; the table's JSON is the key, so a changed manifest is parsed
/// anew.
pub fn current_cached<T: DeserializeOwned + 'static>() -> Result<Rc<T>, String> {
    let json = host::all();
    let key = hash_bytes(json.as_bytes());
    PARSED.with(|parsed| {
        if let Some((seen, value)) = parsed.borrow().get(&key)
            && same_bytes(seen.as_bytes(), json.as_bytes())
            && let Ok(value) = value.clone().downcast::<T>()
        {
            return Ok(value);
        }
        let value =
            Rc::new(parse::<T>(&json).map_err(|e| format!("parameters: {}", json_error(&e)))?);
        let mut parsed = parsed.borrow_mut();
        if parsed.len() >= PARSED_LIMIT {
            parsed.clear();
        }
        parsed.insert(key, (json.into_boxed_str(), value.clone()));
        Ok(value)
    })
}

pub(crate) fn parse<T: DeserializeOwned>(json: &str) -> serde_json::Result<T> {
    serde_json::from_str(json)
}

/// serde_json's message without its " at line 1 column 9": the JSON is the
/// host's, so the position means nothing to the plugin's author.
pub(crate) fn json_error(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match message.strip_suffix(&suffix) {
        Some(stripped) => stripped.to_owned(),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_drop_the_json_position() {
        let e = parse::<i64>("\"two\"").unwrap_err();
        assert_eq!(json_error(&e), "invalid type: string \"two\", expected i64");
    }

    #[test]
    fn parameters_are_read_and_kept() {
        for _ in 0..2 {
            assert_eq!(get::<i64>("min_days"), Ok(2));
            assert_eq!(get_or("min_days", 5u8), Ok(2));
            assert_eq!(get_or("absent", 5u8), Ok(5));
            assert_eq!(get::<String>("mode").as_deref(), Ok("nan"));
        }
        assert_eq!(
            get::<i64>("absent"),
            Err("missing parameter `absent`".to_owned())
        );
        assert_eq!(
            get::<i64>("mode"),
            Err("parameter `mode`: invalid type: string \"nan\", expected i64".to_owned())
        );
        CACHE.with(|c| assert_eq!(c.borrow().len(), 3));
    }
}
