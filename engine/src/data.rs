//! Named data sources: HTTP services that answer JSON (a weather forecast, a
//! venue's calendar), declared by the operator in config and called by the
//! host on a plugin's behalf, never by the plugin itself.
//!
//! Each source has a URL template, a timeout per attempt, retries with
//! jittered exponential backoff for transient failures (connection errors,
//! timeouts, 429 and 5xx), a circuit breaker and a TTL cache. Every call also
//! keeps to the deadline of the constraint call that made it: no retry, no
//! backoff and no attempt runs past it, so a source that hangs or fails
//! cannot hold an evaluation longer than its own budget.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BlockingRetryable, ExponentialBuilder};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::breaker::{Admit, Breaker, BreakerConfig};
use crate::config::{DataConfig, SourceConfig};

/// The data sources a host may call, by name.
#[derive(Default)]
pub struct DataSources {
    sources: HashMap<String, Source>,
}

impl std::fmt::Debug for DataSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<_> = self.sources.keys().collect();
        names.sort();
        f.debug_struct("DataSources")
            .field("names", &names)
            .finish()
    }
}

struct Source {
    name: String,
    template: Template,
    config: SourceConfig,
    agent: ureq::Agent,
    cache: Option<moka::sync::Cache<String, Arc<str>>>,
    breaker: Breaker,
}

/// Why a source gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError(pub String);

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DataError {}

/// One failed attempt, and whether another may do better.
struct Attempt {
    message: String,
    transient: bool,
}

impl DataSources {
    /// The sources `config` declares (checked at load).
    pub fn new(config: &DataConfig) -> Self {
        let sources = config
            .sources
            .iter()
            .map(|(name, c)| {
                let breaker = c
                    .breaker
                    .to_config(&format!("data.sources.{name}.breaker"))
                    .unwrap_or_else(|_| BreakerConfig::default());
                let cache = (c.ttl_s > 0 && c.cache_entries > 0).then(|| {
                    moka::sync::Cache::builder()
                        .max_capacity(c.cache_entries)
                        .time_to_live(Duration::from_secs(c.ttl_s))
                        .build()
                });
                let agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .user_agent(concat!("umpire/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .into();
                let source = Source {
                    name: name.clone(),
                    // Checked when the config was loaded; an unparsable one
                    // answers every call with the parse error.
                    template: Template::parse(&c.url).unwrap_or_else(|_| Template::broken(&c.url)),
                    config: c.clone(),
                    agent,
                    cache,
                    breaker: Breaker::new(format!("data source `{name}`").into(), breaker),
                };
                (name.clone(), source)
            })
            .collect();
        Self { sources }
    }

    /// The names of the sources, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.sources.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The breaker of a source.
    pub fn breaker(&self, name: &str) -> Option<&Breaker> {
        self.sources.get(name).map(|s| &s.breaker)
    }

    /// Asks `name` with `query` filling its URL template; gives up at
    /// `deadline`. The answer is the response body, checked to be JSON.
    pub fn fetch(
        &self,
        name: &str,
        query: &[(String, String)],
        deadline: Instant,
    ) -> Result<Arc<str>, DataError> {
        let Some(source) = self.sources.get(name) else {
            let known = self.names();
            return Err(DataError(if known.is_empty() {
                format!("no data source named `{name}` is configured on this host")
            } else {
                format!(
                    "no data source named `{name}`; this host has {}",
                    known
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }));
        };
        source.fetch(query, deadline)
    }
}

impl Source {
    fn fetch(&self, query: &[(String, String)], deadline: Instant) -> Result<Arc<str>, DataError> {
        let (url, extra) = self
            .template
            .fill(query)
            .map_err(|m| DataError(format!("data source `{}`: {m}", self.name)))?;
        let key = cache_key(&url, &extra);
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.get(&key)) {
            return Ok(hit);
        }
        let now = Instant::now();
        let admitted = self.breaker.admit(now);
        if admitted == Admit::Fallback {
            return Err(DataError(format!(
                "data source `{}`: {}",
                self.name,
                self.breaker.reason()
            )));
        }
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(self.config.backoff_ms))
            .with_max_delay(Duration::from_millis(
                self.config.max_backoff_ms.max(self.config.backoff_ms),
            ))
            .with_max_times(self.config.retries as usize)
            .with_jitter();
        let attempts = std::sync::atomic::AtomicU32::new(0);
        let result = (|| {
            attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.attempt(&url, &extra, deadline)
        })
        .retry(backoff)
        // Never sleep past the deadline, and do not retry when there is no
        // time left for another attempt.
        .sleep(move |d: Duration| {
            std::thread::sleep(d.min(deadline.saturating_duration_since(Instant::now())))
        })
        .when(|e: &Attempt| e.transient && Instant::now() < deadline)
        .call();
        let tries = attempts.into_inner();
        match result {
            Ok(body) => {
                self.breaker.record(now, admitted, false);
                if let Some(cache) = &self.cache {
                    cache.insert(key, body.clone());
                }
                Ok(body)
            }
            Err(e) => {
                // A refusal (4xx, not JSON) is an answer about the query, not
                // about the source's health.
                if e.transient {
                    self.breaker.record(now, admitted, true);
                } else {
                    self.breaker.abandon(admitted);
                }
                let after = if tries > 1 {
                    format!(" (after {tries} attempts)")
                } else {
                    String::new()
                };
                Err(DataError(format!(
                    "data source `{}`: {}{after}",
                    self.name, e.message
                )))
            }
        }
    }

    fn attempt(
        &self,
        url: &str,
        extra: &[(String, String)],
        deadline: Instant,
    ) -> Result<Arc<str>, Attempt> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Attempt {
                message: "the constraint's deadline passed before the source answered".into(),
                transient: false,
            });
        }
        let timeout = Duration::from_millis(self.config.timeout_ms).min(left);
        let mut request = self.agent.get(url);
        for (k, v) in extra {
            request = request.query(k, v);
        }
        let response = request
            .header("accept", "application/json")
            .config()
            .timeout_global(Some(timeout))
            .build()
            .call();
        let mut response = match response {
            Ok(r) => r,
            Err(ureq::Error::Timeout(_)) => {
                return Err(Attempt {
                    message: format!("no answer within {} ms", timeout.as_millis()),
                    transient: true,
                });
            }
            Err(e) => {
                return Err(Attempt {
                    message: format!("cannot reach {url}: {e}"),
                    transient: true,
                });
            }
        };
        let status = response.status();
        if !status.is_success() {
            return Err(Attempt {
                message: format!("{url} answered {status}"),
                transient: status.is_server_error() || status.as_u16() == 429,
            });
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(self.config.max_bytes)
            .read_to_string()
            .map_err(|e| Attempt {
                transient: matches!(e, ureq::Error::Timeout(_) | ureq::Error::Io(_)),
                message: format!("reading the answer of {url}: {e}"),
            })?;
        serde_json::from_str::<serde::de::IgnoredAny>(&body).map_err(|e| Attempt {
            message: format!("{url} answered something that is not JSON: {e}"),
            transient: false,
        })?;
        Ok(body.into())
    }
}

fn cache_key(url: &str, extra: &[(String, String)]) -> String {
    let mut key = url.to_owned();
    for (k, v) in extra {
        key.push('\n');
        key.push_str(k);
        key.push('=');
        key.push_str(v);
    }
    key
}

/// A URL with `{name}` placeholders.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Hole(String),
}

impl Template {
    /// Reads a template, or says what is wrong with it.
    pub(crate) fn parse(url: &str) -> Result<Self, String> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("`{url}` must start with http:// or https://"));
        }
        let mut parts = Vec::new();
        let mut rest = url;
        while let Some(open) = rest.find('{') {
            let (text, after) = rest.split_at(open);
            let Some(close) = after.find('}') else {
                return Err(format!(
                    "`{url}`: `{{` at byte {} is never closed",
                    url.len() - after.len()
                ));
            };
            let name = &after[1..close];
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(format!(
                    "`{url}`: `{{{name}}}` is not a placeholder name (letters, digits, `_`, `-`)"
                ));
            }
            if text.contains('}') {
                return Err(format!("`{url}`: stray `}}`"));
            }
            parts.push(Part::Text(text.to_owned()));
            parts.push(Part::Hole(name.to_owned()));
            rest = &after[close + 1..];
        }
        if rest.contains('}') {
            return Err(format!("`{url}`: stray `}}`"));
        }
        parts.push(Part::Text(rest.to_owned()));
        Ok(Self { parts })
    }

    fn broken(url: &str) -> Self {
        Self {
            parts: vec![Part::Hole(format!("unreadable template {url}"))],
        }
    }

    /// The URL with its holes filled from `query`, and the entries no hole
    /// named (to send as query parameters).
    fn fill(&self, query: &[(String, String)]) -> Result<(String, Vec<(String, String)>), String> {
        let mut url = String::new();
        let mut used = vec![false; query.len()];
        for part in &self.parts {
            match part {
                Part::Text(t) => url.push_str(t),
                Part::Hole(name) => {
                    let Some(i) = query.iter().position(|(k, _)| k == name) else {
                        return Err(format!("the query has no `{name}`, which the URL needs"));
                    };
                    used[i] = true;
                    url.extend(utf8_percent_encode(&query[i].1, NON_ALPHANUMERIC));
                }
            }
        }
        let extra = query
            .iter()
            .zip(used)
            .filter(|(_, used)| !used)
            .map(|(kv, _)| kv.clone())
            .collect();
        Ok((url, extra))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn a_template_fills_its_holes_encoded_and_passes_the_rest_on() {
        let t = Template::parse("http://h:1/w/{venue}/{date}").unwrap();
        let (url, extra) = t
            .fill(&q(&[
                ("date", "2026-03-01"),
                ("venue", "a b/c"),
                ("units", "si"),
            ]))
            .unwrap();
        assert_eq!(url, "http://h:1/w/a%20b%2Fc/2026%2D03%2D01");
        assert_eq!(extra, q(&[("units", "si")]));
        let err = t.fill(&q(&[("venue", "x")])).unwrap_err();
        assert_eq!(err, "the query has no `date`, which the URL needs");
    }

    #[test]
    fn bad_templates_say_what_is_wrong() {
        for (url, says) in [
            ("ftp://h/x", "must start with http"),
            ("http://h/{venue", "never closed"),
            ("http://h/{}", "not a placeholder name"),
            ("http://h/{a b}", "not a placeholder name"),
            ("http://h/x}", "stray"),
        ] {
            let err = Template::parse(url).unwrap_err();
            assert!(err.contains(says), "{url}: {err}");
        }
    }

    #[test]
    fn an_unknown_source_names_the_known_ones() {
        let mut config = DataConfig::default();
        config.sources.insert(
            "weather".into(),
            SourceConfig {
                url: "http://127.0.0.1:9/{venue}".into(),
                ..SourceConfig::default()
            },
        );
        let sources = DataSources::new(&config);
        let err = sources
            .fetch("forecast", &[], Instant::now() + Duration::from_secs(1))
            .unwrap_err();
        assert_eq!(
            err.0,
            "no data source named `forecast`; this host has `weather`"
        );
    }
}
