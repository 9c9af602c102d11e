//! Data sources against a real weather server on loopback (axum): answers
//! reach Rhai and WebAssembly rules through the query API, are cached, are
//! retried when the failure is transient, and a source that is down, slow or
//! failing is answered by the constraint's fallback without holding the
//! evaluation past its deadline.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use predicates::prelude::PredicateBooleanExt;
use serde_json::Value;
use umpire::{
    Evaluator, Registry, Report, Schedule, Status, config::Config, data::DataConfig,
    data::DataSources, data::SourceConfig, exec::Deadlines,
};

use crate::support::{TempTree, TestResult, mini_league, umpire, verdict, workspace_root};

/// How the weather server behaves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Answers every forecast: a storm at `hudson`, fair elsewhere.
    Fair,
    /// Answers 500 to everything.
    Broken,
    /// Answers 503 to the first `n` requests, then as `Fair`.
    Flaky(usize),
    /// Never answers (sleeps a minute).
    Hangs,
}

#[derive(Clone)]
struct ServerState {
    mode: Mode,
    hits: Arc<AtomicUsize>,
}

/// A weather service on a free loopback port, stopped when dropped.
struct WeatherServer {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl WeatherServer {
    fn start(mode: Mode) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let hits = Arc::new(AtomicUsize::new(0));
        let state = ServerState {
            mode,
            hits: hits.clone(),
        };
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        let app = axum::Router::new()
            .route("/forecast/{venue}/{date}", axum::routing::get(forecast))
            .with_state(state);
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self {
            addr,
            hits,
            runtime: Some(runtime),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/forecast/{{venue}}/{{date}}", self.addr)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for WeatherServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

async fn forecast(
    State(state): State<ServerState>,
    Path((venue, date)): Path<(String, String)>,
) -> Response {
    let n = state.hits.fetch_add(1, Ordering::SeqCst);
    match state.mode {
        Mode::Broken => return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        Mode::Flaky(k) if n < k => {
            return (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
        }
        Mode::Hangs => {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        _ => {}
    }
    let body = if venue == "hudson" {
        serde_json::json!({"precip_mm": 42.5, "wind_kmh": 80.0, "summary": "storm", "date": date})
    } else {
        serde_json::json!({"precip_mm": 1.0, "wind_kmh": 12.0, "summary": "fair", "date": date})
    };
    axum::Json(body).into_response()
}

/// Six games, home at each team's venue in turn: NYR plays at `hudson`.
const SCHEDULE: &str = r#"{"games": [
  {"id": "G1", "home": "NYR", "away": "LAS", "start": "2026-06-06T19:00"},
  {"id": "G2", "home": "LAS", "away": "CHW", "start": "2026-06-07T19:00"},
  {"id": "G3", "home": "CHW", "away": "PHX", "start": "2026-06-08T19:00"},
  {"id": "G4", "home": "PHX", "away": "NYR", "start": "2026-06-09T19:00"},
  {"id": "G5", "home": "NYR", "away": "CHW", "start": "2026-06-06T21:00"},
  {"id": "G6", "home": "LAS", "away": "PHX", "start": "2026-06-10T19:00"}
]}"#;

/// The repository's weather plugin directory.
fn weather_plugins() -> PathBuf {
    workspace_root().join("plugins/weather")
}

/// A Rhai twin of the weather rule, asking the source through `data()`.
fn rhai_weather_rule(t: &TempTree) -> PathBuf {
    t.rule_in(
        "rhai-weather",
        "rhai-weather",
        "game",
        "soft",
        "timeout_ms = 1500\nfallback = \"pass\"",
        r#"
let f = data("weather", #{ venue: game.venue, date: `${game.start.date}` });
if f.precip_mm > 20.0 {
    return violation("major", `${game.id}: ${f.precip_mm} mm of rain (${f.summary})`).game(game);
}
pass()
"#,
    );
    t.path().join("rhai-weather")
}

fn source(url: String, tweak: impl FnOnce(&mut SourceConfig)) -> Arc<DataSources> {
    let mut s = SourceConfig {
        backoff_ms: 5,
        max_backoff_ms: 20,
        ..SourceConfig::new(url.parse().unwrap())
    };
    tweak(&mut s);
    let mut config = DataConfig::default();
    config.sources.insert("weather".into(), s);
    Arc::new(DataSources::new(&config))
}

fn evaluate(
    t: &TempTree,
    dirs: &[PathBuf],
    data: Arc<DataSources>,
    deadlines: Deadlines,
) -> Result<Report, umpire::Error> {
    let league = mini_league(t.path());
    let path = t.write("schedule.json", SCHEDULE);
    let schedule = Schedule::load(&path, &league)?;
    let registry = Registry::load(dirs)?;
    let evaluator = Evaluator::new(Arc::new(league), Arc::new(registry))
        .with_workers(2)
        .with_deadlines(deadlines)
        .with_data(data);
    Ok(evaluator.evaluate(&Arc::new(schedule)))
}

fn statuses(report: &Report, id: &str) -> Vec<(String, Status)> {
    report
        .games
        .iter()
        .map(|g| (g.game.to_string(), verdict(g, id).status))
        .collect()
}

#[test]
fn rhai_and_wasm_rules_read_the_forecast_and_answers_are_cached() -> TestResult {
    let server = WeatherServer::start(Mode::Fair);
    let t = TempTree::new();
    let rhai = rhai_weather_rule(&t);
    let report = evaluate(
        &t,
        &[weather_plugins(), rhai],
        source(server.url(), |_| {}),
        Deadlines::default(),
    )?;
    for id in ["weather-playable", "rhai-weather"] {
        let got = statuses(&report, id);
        let want: Vec<(String, Status)> = ["G1", "G2", "G3", "G4", "G5", "G6"]
            .iter()
            .map(|g| {
                let stormy = *g == "G1" || *g == "G5";
                let status = if stormy {
                    Status::Violated
                } else {
                    Status::Passed
                };
                ((*g).to_owned(), status)
            })
            .collect();
        assert_eq!(got, want, "{id}");
    }
    let g1 = crate::support::game(&report, "G1");
    let v = verdict(g1, "weather-playable");
    assert_eq!(
        v.violations[0].message,
        "G1 at hudson on 2026-06-06: forecast of 42.5 mm of rain (limit 20 mm) and gusts of 80 km/h (limit 60 km/h) (storm)"
    );
    // G1 and G5 share hudson on 2026-06-06: five distinct questions, asked
    // by two rules, reach the server five times.
    assert_eq!(server.hits(), 5);
    Ok(())
}

#[test]
fn transient_failures_are_retried_with_backoff() -> TestResult {
    let server = WeatherServer::start(Mode::Flaky(2));
    let data = source(server.url(), |s| s.retries = 2);
    let deadline = Instant::now() + Duration::from_secs(5);
    let q = |v: &str| {
        vec![
            ("venue".to_owned(), v.to_owned()),
            ("date".to_owned(), "2026-06-06".to_owned()),
        ]
    };
    let body = data.fetch("weather", &q("palms"), deadline)?;
    let v: Value = serde_json::from_str(&body)?;
    assert_eq!(v["summary"], "fair");
    assert_eq!(server.hits(), 3, "two 503s, then the answer");

    let server = WeatherServer::start(Mode::Flaky(5));
    let data = source(server.url(), |s| s.retries = 1);
    let err = data.fetch("weather", &q("palms"), deadline).unwrap_err();
    assert!(
        err.0.contains("503") && err.0.contains("after 2 attempts"),
        "{err}"
    );
    assert_eq!(server.hits(), 2);
    Ok(())
}

#[test]
fn a_failing_source_gets_the_fallback_and_its_breaker_stops_the_calls() -> TestResult {
    let server = WeatherServer::start(Mode::Broken);
    let t = TempTree::new();
    let data = source(server.url(), |s| {
        s.retries = 1;
        s.breaker.min_calls = 2;
        s.breaker.open_for = Duration::from_secs(60);
    });
    let report = evaluate(&t, &[weather_plugins()], data.clone(), Deadlines::default())?;
    for g in &report.games {
        let v = verdict(g, "weather-playable");
        assert_eq!(v.status, Status::Fallback, "{}: {:?}", g.game, v.message);
        assert_eq!(v.score, 1.0, "the fallback is `pass`");
        let m = v.message.as_deref().unwrap_or("");
        assert!(
            m.contains("data source `weather`") && m.ends_with("its fallback answers `pass`"),
            "{m}"
        );
    }
    // Two failed calls (two attempts each) open the breaker; the other games
    // never reach the server.
    assert!(server.hits() <= 2 * 2 + 2, "hits: {}", server.hits());
    assert_eq!(
        data.breaker("weather").map(|b| b.state()),
        Some(umpire::breaker::BreakerState::Open)
    );
    // The rule's own breaker is not charged for its source's failures.
    assert_eq!(report.summary.errors, 0);
    Ok(())
}

#[test]
fn a_hanging_source_never_holds_the_batch_past_its_deadline() -> TestResult {
    let server = WeatherServer::start(Mode::Hangs);
    let t = TempTree::new();
    let rhai = rhai_weather_rule(&t);
    let data = source(server.url(), |s| {
        s.timeout_ms = 30_000;
        s.retries = 3;
    });
    let started = Instant::now();
    let report = evaluate(
        &t,
        &[weather_plugins(), rhai],
        data,
        Deadlines {
            request: Some(Duration::from_millis(400)),
            ..Deadlines::default()
        },
    )?;
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1_500), "took {took:?}");
    for id in ["weather-playable", "rhai-weather"] {
        for (game, status) in statuses(&report, id) {
            assert!(
                matches!(status, Status::Fallback | Status::Timeout),
                "{id} on {game}: {status:?}"
            );
        }
    }
    Ok(())
}

#[test]
fn a_source_that_is_down_or_not_configured_gets_the_fallback() -> TestResult {
    // A port nobody listens on: bind one, then let it go.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let t = TempTree::new();
    let down = source(format!("http://{addr}/forecast/{{venue}}/{{date}}"), |s| {
        s.retries = 0
    });
    let report = evaluate(&t, &[weather_plugins()], down, Deadlines::default())?;
    let v = verdict(&report.games[0], "weather-playable");
    assert_eq!(v.status, Status::Fallback);
    assert!(
        v.message.as_deref().unwrap_or("").contains("cannot reach"),
        "{v:?}"
    );

    let report = evaluate(
        &t,
        &[weather_plugins()],
        Arc::default(),
        Deadlines::default(),
    )?;
    let v = verdict(&report.games[0], "weather-playable");
    assert_eq!(v.status, Status::Fallback);
    assert!(
        v.message
            .as_deref()
            .unwrap_or("")
            .starts_with("no data source named `weather` is configured on this host"),
        "{v:?}"
    );
    Ok(())
}

#[test]
fn eval_takes_the_source_from_the_config_file() -> TestResult {
    let server = WeatherServer::start(Mode::Fair);
    let t = TempTree::new();
    t.write("league.toml", crate::support::MINI_LEAGUE);
    t.write("schedule.json", SCHEDULE);
    t.rule("noop", "game", "soft", "", "pass()");
    let config = t.write(
        "umpire.toml",
        &format!(
            "[executor]\nworkers = 2\n\n[data.sources.weather]\nurl = \"{}\"\nttl_s = 60\n",
            server.url()
        ),
    );
    let out = umpire()
        .args(["eval", "--format", "json", "--league"])
        .arg(t.path())
        .arg("--plugins")
        .arg(weather_plugins())
        .arg("--config")
        .arg(&config)
        .output()?;
    let report: Value = serde_json::from_slice(&out.stdout)?;
    let g1 = &report["games"][0];
    assert_eq!(g1["game"], "G1");
    let v = g1["verdicts"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["constraint"] == "weather-playable"))
        .ok_or("no weather verdict")?;
    assert_eq!(v["status"], "violated", "{v}");

    // A wrong key in the config names the key and the file.
    let bad = t.write(
        "bad.toml",
        "[data.sources.weather]\nurl = \"http://x/{venue}\"\ntimeout = 5\n",
    );
    umpire()
        .args(["eval", "--league"])
        .arg(t.path())
        .arg("--config")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("bad.toml")
                .and(predicates::str::contains("`data.sources.weather.timeout`")),
        );
    let _ = Config::load(None)?;
    Ok(())
}
