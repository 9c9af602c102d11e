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

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BlockingRetryable, ExponentialBuilder};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use serde::{Deserialize, Serialize};

use crate::breaker::{Admit, Breaker, BreakerConfig};

/// Named data sources, as the `[data]` table of the config declares them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// By name, the name plugins ask for.
    pub sources: BTreeMap<String, SourceConfig>,
}

/// One HTTP JSON data source, checked as it is read: its URL template
/// parsed, its breaker a working one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SourceToml", into = "SourceToml")]
pub struct SourceConfig {
    /// URL template: `{name}` is filled from the query (percent-encoded);
    /// query entries the template does not name become query parameters.
    pub url: UrlTemplate,
    /// Timeout of one attempt, in milliseconds (at least 1).
    pub timeout_ms: u64,
    /// Retries after a transient failure (connection, timeout, 429, 5xx).
    pub retries: u32,
    /// First backoff between attempts, in milliseconds (doubling, jittered).
    pub backoff_ms: u64,
    /// Longest backoff, in milliseconds.
    pub max_backoff_ms: u64,
    /// How long an answer is reused, in seconds (0: not cached).
    pub ttl_s: u64,
    /// Answers cached at most.
    pub cache_entries: u64,
    /// Largest answer accepted, in bytes.
    pub max_bytes: u64,
    /// The source's own circuit breaker.
    pub breaker: BreakerConfig,
}

impl SourceConfig {
    /// A source at `url` with the default timeout, retries, cache and
    /// breaker.
    pub fn new(url: UrlTemplate) -> Self {
        Self {
            url,
            timeout_ms: 1000,
            retries: 2,
            backoff_ms: 50,
            max_backoff_ms: 1000,
            ttl_s: 300,
            cache_entries: 10_000,
            max_bytes: 1 << 20,
            breaker: BreakerConfig {
                min_calls: 5,
                open_for: Duration::from_secs(10),
                ..BreakerConfig::default()
            },
        }
    }
}

/// A source as TOML writes it: every key but `url` may be left out.
#[derive(Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct SourceToml {
    url: String,
    timeout_ms: u64,
    retries: u32,
    backoff_ms: u64,
    max_backoff_ms: u64,
    ttl_s: u64,
    cache_entries: u64,
    max_bytes: u64,
    breaker: BreakerConfig,
}

impl Default for SourceToml {
    fn default() -> Self {
        SourceConfig::new(UrlTemplate::unset()).into()
    }
}

impl From<SourceConfig> for SourceToml {
    fn from(c: SourceConfig) -> Self {
        Self {
            url: c.url.text,
            timeout_ms: c.timeout_ms,
            retries: c.retries,
            backoff_ms: c.backoff_ms,
            max_backoff_ms: c.max_backoff_ms,
            ttl_s: c.ttl_s,
            cache_entries: c.cache_entries,
            max_bytes: c.max_bytes,
            breaker: c.breaker,
        }
    }
}

impl TryFrom<SourceToml> for SourceConfig {
    type Error = String;

    fn try_from(t: SourceToml) -> Result<Self, String> {
        if t.url.is_empty() {
            return Err("a data source needs a `url`".into());
        }
        let url = UrlTemplate::parse(&t.url).map_err(|m| format!("url: {m}"))?;
        if t.timeout_ms == 0 {
            return Err("timeout_ms must be at least 1".into());
        }
        Ok(Self {
            url,
            timeout_ms: t.timeout_ms,
            retries: t.retries,
            backoff_ms: t.backoff_ms,
            max_backoff_ms: t.max_backoff_ms,
            ttl_s: t.ttl_s,
            cache_entries: t.cache_entries,
            max_bytes: t.max_bytes,
            breaker: t.breaker,
        })
    }
}

/// The data sources a host may call, by name.
#[derive(Default)]
pub struct DataSources {
    sources: HashMap<String, Source>,
    /// What the rules asking through these sources read of the league's
    /// own data (its blackouts, TV windows and reference tables).
    league_reads: LeagueReads,
}

/// Which of the league's own data the rules read, noted by the hosts as
/// they answer: a league whose blackouts no rule reads can be told so.
#[derive(Debug, Default)]
pub struct LeagueReads {
    blackouts: std::sync::atomic::AtomicBool,
    tv_windows: std::sync::atomic::AtomicBool,
    references: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

/// One kind of the league's own data.
#[derive(Debug, Clone, Copy)]
pub enum LeagueData<'a> {
    /// A venue's blackouts (or a venue, which carries them).
    Blackouts,
    /// The TV windows.
    TvWindows,
    /// A reference table, by name.
    Reference(&'a str),
}

impl LeagueReads {
    /// Notes that a rule read `what`.
    pub fn note(&self, what: LeagueData<'_>) {
        use std::sync::atomic::Ordering::Relaxed;
        match what {
            LeagueData::Blackouts => self.blackouts.store(true, Relaxed),
            LeagueData::TvWindows => self.tv_windows.store(true, Relaxed),
            LeagueData::Reference(key) => {
                let mut read = self
                    .references
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if !read.contains(key) {
                    read.insert(key.to_owned());
                }
            }
        }
    }

    /// Whether a rule read `what`.
    pub fn read(&self, what: LeagueData<'_>) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        match what {
            LeagueData::Blackouts => self.blackouts.load(Relaxed),
            LeagueData::TvWindows => self.tv_windows.load(Relaxed),
            LeagueData::Reference(key) => self
                .references
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .contains(key),
        }
    }
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
    /// What the rules read of the league's own data.
    pub fn league_reads(&self) -> &LeagueReads {
        &self.league_reads
    }

    /// The sources `config` declares.
    pub fn new(config: &DataConfig) -> Self {
        let sources = config
            .sources
            .iter()
            .map(|(name, c)| {
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
                    config: c.clone(),
                    agent,
                    cache,
                    breaker: Breaker::new(format!("data source `{name}`").into(), c.breaker),
                };
                (name.clone(), source)
            })
            .collect();
        Self {
            sources,
            league_reads: LeagueReads::default(),
        }
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
            .config
            .url
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

/// A URL with `{name}` placeholders, parsed: `http://h/w/{venue}/{date}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UrlTemplate {
    text: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Hole(String),
}

impl std::fmt::Display for UrlTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for UrlTemplate {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        Self::parse(url)
    }
}

impl TryFrom<String> for UrlTemplate {
    type Error = String;

    fn try_from(url: String) -> Result<Self, String> {
        Self::parse(&url)
    }
}

impl From<UrlTemplate> for String {
    fn from(t: UrlTemplate) -> Self {
        t.text
    }
}

impl UrlTemplate {
    /// Reads a template, or says what is wrong with it.
    pub fn parse(url: &str) -> Result<Self, String> {
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
        Ok(Self {
            text: url.to_owned(),
            parts,
        })
    }

    /// No template: the default of a source's TOML form, refused when read.
    fn unset() -> Self {
        Self {
            text: String::new(),
            parts: Vec::new(),
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
        let t = UrlTemplate::parse("http://h:1/w/{venue}/{date}").unwrap();
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
            let err = UrlTemplate::parse(url).unwrap_err();
            assert!(err.contains(says), "{url}: {err}");
        }
    }

    #[test]
    fn an_unknown_source_names_the_known_ones() {
        let mut config = DataConfig::default();
        config.sources.insert(
            "weather".into(),
            SourceConfig::new("http://127.0.0.1:9/{venue}".parse().unwrap()),
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
