//! Canned data sources for fixtures: a fixture's `[[data.NAME]]` answers,
//! served over HTTP on loopback so that a rule asking a data source runs
//! through the real host path (URL template, client, breaker, fallback).
//!
//! Each request's query parameters are matched against the answers in
//! order; the first whose `query` entries all agree answers with its JSON,
//! and a request nothing matches gets 404 (the data source fails, and the
//! rule's fallback answers, as with a real service that has no forecast).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;

use crate::{data::DataConfig, data::DataSources, data::SourceConfig};

/// One canned answer.
#[derive(Debug, Clone)]
pub(super) struct Answer {
    /// Entries the query must have; empty: any query.
    pub(super) query: BTreeMap<String, String>,
    /// The JSON to answer with.
    pub(super) body: String,
}

/// Starts one loopback server per source and returns data sources that ask
/// them. The servers live as long as the process.
pub(super) fn serve(sources: &BTreeMap<String, Vec<Answer>>) -> std::io::Result<Arc<DataSources>> {
    let mut config = DataConfig::default();
    for (name, answers) in sources {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let answers = answers.clone();
        std::thread::Builder::new()
            .name(format!("fixture-data-{name}"))
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let _ = answer(stream, &answers);
                }
            })?;
        config.sources.insert(
            name.clone(),
            SourceConfig {
                retries: 0,
                ttl_s: 0,
                // Every query entry becomes a query parameter.
                ..SourceConfig::new(
                    format!("http://{addr}/")
                        .parse()
                        .map_err(std::io::Error::other)?,
                )
            },
        );
    }
    Ok(Arc::new(DataSources::new(&config)))
}

fn answer(stream: std::net::TcpStream, answers: &[Answer]) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    // The rest of the head; a GET has no body.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let target = request.split_whitespace().nth(1).unwrap_or("/");
    let query: BTreeMap<String, String> = target
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    let hit = answers
        .iter()
        .find(|a| a.query.iter().all(|(k, v)| query.get(k) == Some(v)));
    let (status, body) = match hit {
        Some(a) => ("200 OK", a.body.as_str()),
        None => (
            "404 Not Found",
            "{\"error\": \"no canned answer for this query\"}",
        ),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}
