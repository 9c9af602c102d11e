//! Named data sources declared in the host's config (a weather service, a
//! stadium calendar). The host makes the request, with a timeout, retries, a
//! circuit breaker and a cache; the plugin never touches the network.

use serde::de::DeserializeOwned;

use crate::bindings::umpire::plugin::data as host;
use crate::params::{json_error, parse};

/// Asks `source`, with `query` filling its URL template; returns the body
/// (JSON) or why there is none.
pub fn fetch(source: &str, query: &[(&str, &str)]) -> Result<String, String> {
    let query: Vec<(String, String)> = query
        .iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    host::fetch(source, &query)
}

/// [`fetch`], with the body read into `T`.
pub fn fetch_json<T: DeserializeOwned>(source: &str, query: &[(&str, &str)]) -> Result<T, String> {
    let body = fetch(source, query)?;
    parse(&body).map_err(|e| format!("data source `{source}`: {}", json_error(&e)))
}
