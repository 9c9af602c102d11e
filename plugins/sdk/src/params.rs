//! The constraint's `[params]` from its manifest.
//!
//! [`get`] asks the host for one parameter and parses only that, so it is
//! cheap enough to call on every evaluation; [`all`] reads the whole table
//! into a struct of your own.

use serde::de::DeserializeOwned;

use crate::bindings::umpire::plugin::params as host;

/// One parameter, read into `T`.
///
/// Errors name the parameter: "missing parameter `min_days`", or
/// "parameter `min_days`: invalid type: string \"two\", expected i64".
pub fn get<T: DeserializeOwned>(name: &str) -> Result<T, String> {
    let json = host::get(name).ok_or_else(|| format!("missing parameter `{name}`"))?;
    parse(&json).map_err(|e| format!("parameter `{name}`: {}", json_error(&e)))
}

/// One parameter, or `default` when the manifest does not set it. A value of
/// the wrong type is still an error.
pub fn get_or<T: DeserializeOwned>(name: &str, default: T) -> Result<T, String> {
    match host::get(name) {
        None => Ok(default),
        Some(json) => parse(&json).map_err(|e| format!("parameter `{name}`: {}", json_error(&e))),
    }
}

/// Every parameter, read into `T`: a struct deriving `Deserialize`, or
/// `serde_json::Value` to look around.
pub fn all<T: DeserializeOwned>() -> Result<T, String> {
    parse(&host::all()).map_err(|e| format!("parameters: {}", json_error(&e)))
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
}
