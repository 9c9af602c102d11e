//! `umpire serve`: the real binary on an ephemeral loopback port, asked by a
//! real HTTP client (ureq).

use std::io::{BufRead, BufReader};

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{TempTree, TestResult, workspace_root};

/// A running `umpire serve`, stopped (SIGKILL) when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
}

impl Server {
    /// Starts `umpire serve --bind 127.0.0.1:0` with `args` and `env`, and
    /// waits for its address and for `/readyz`.
    pub(crate) fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        // A server does not build plugins unless its config says so.
        crate::support::examples_built();
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("umpire"));
        cmd.current_dir(workspace_root())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(args)
            .env("UMPIRE_WASM_CACHE", "off")
            .env("UMPIRE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("umpire serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("a line from umpire serve");
        let base = line
            .trim()
            .strip_prefix("umpire: listening on ")
            .unwrap_or_else(|| panic!("not an address line: {line:?}"))
            .to_owned();
        let server = Self { child, base };
        let until = Instant::now() + Duration::from_secs(60);
        while server.get("/readyz").0 != 200 {
            assert!(Instant::now() < until, "the server never got ready");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    pub(crate) fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into()
    }

    pub(crate) fn answer(
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> (u16, Value, ureq::http::HeaderMap) {
        let mut response = response.expect("an HTTP answer");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .expect("a body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value, headers)
    }

    pub(crate) fn get(&self, path: &str) -> (u16, Value) {
        let (s, v, _) = Self::answer(Self::agent().get(format!("{}{path}", self.base)).call());
        (s, v)
    }

    pub(crate) fn send(
        &self,
        method: &str,
        path: &str,
        body: &str,
    ) -> (u16, Value, ureq::http::HeaderMap) {
        let url = format!("{}{path}", self.base);
        let agent = Self::agent();
        let response = match method {
            "POST" => agent
                .post(url)
                .header("content-type", "application/json")
                .send(body),
            "PUT" => agent
                .put(url)
                .header("content-type", "application/json")
                .send(body),
            "PATCH" => agent
                .patch(url)
                .header("content-type", "application/json")
                .send(body),
            "GET" => agent.get(url).call(),
            "DELETE" => agent.delete(url).call(),
            other => panic!("no method {other}"),
        };
        Self::answer(response)
    }

    pub(crate) fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (s, v, _) = self.send("POST", path, &body.to_string());
        (s, v)
    }

    /// Sends SIGTERM.
    pub(crate) fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) const LEAGUE: &str = "examples/leagues/pacific-atlantic";

pub(crate) fn status_of<'a>(report: &'a Value, constraint: &str) -> &'a str {
    report["verdicts"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["constraint"] == constraint))
        .and_then(|v| v["status"].as_str())
        .unwrap_or("(none)")
}

#[test]
fn evaluates_games_by_id_inline_in_batches_and_streams() -> TestResult {
    let server = Server::start(&["--league", LEAGUE], &[]);
    let (s, v) = server.post(
        "/v1/evaluate",
        &json!({"league": "pacific-atlantic", "game": "R14-PHX-SLC"}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["league"], "pacific-atlantic");
    assert_eq!(v["schedule_version"], 1);
    assert!(v["id"].as_str().is_some_and(|id| id.starts_with("ev-")));
    assert_eq!(v["report"]["valid"], false);
    assert_eq!(status_of(&v["report"], "min-rest-days"), "violated");

    // Inline: the same game two days later is rested enough (an inline
    // game with the id of one in the schedule takes its place).
    let inline = json!({"league": "pacific-atlantic", "game": {
        "id": "R14-PHX-SLC", "home": "PHX", "away": "SLC", "start": "2026-05-13T19:00"
    }});
    let (s, v) = server.post("/v1/evaluate", &inline);
    assert_eq!(s, 200, "{v}");
    assert_eq!(status_of(&v["report"], "min-rest-days"), "passed");

    let (s, v) = server.post(
        "/v1/evaluate/batch",
        &json!({"league": "pacific-atlantic", "games": ["R14-PHX-SLC", "R20-ATL-VAN"]}),
    );
    assert_eq!(s, 200, "{v}");
    let games: Vec<_> = v["games"]
        .as_array()
        .ok_or("games")?
        .iter()
        .map(|g| g["game"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(games, ["R14-PHX-SLC", "R20-ATL-VAN"]);

    // The whole season: the CLI's report.
    let (s, v) = server.post("/v1/evaluate/batch", &json!({"league": "pacific-atlantic"}));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["report"]["summary"]["games"], 240);
    assert_eq!(v["report"]["summary"]["hard_violations"], 5);

    // NDJSON: a line per game, each a report.
    let body = "\"R14-PHX-SLC\"\n{\"game\": \"R20-ATL-VAN\"}\n\n{\"league\": \"pacific-atlantic\", \"game\": \"R25-LAC-SLC\"}\n";
    let url = format!("{}/v1/evaluate/stream?league=pacific-atlantic", server.base);
    let mut response = Server::agent()
        .post(url)
        .header("content-type", "application/x-ndjson")
        .send(body)?;
    assert_eq!(response.status().as_u16(), 200);
    let text = response.body_mut().read_to_string()?;
    let mut ids: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).map(|v| v["game"].as_str().unwrap_or("").to_owned())
        })
        .collect::<Result<_, _>>()?;
    ids.sort();
    assert_eq!(ids, ["R14-PHX-SLC", "R20-ATL-VAN", "R25-LAC-SLC"]);
    Ok(())
}

#[test]
fn schedules_are_replaced_and_edited_on_the_server() -> TestResult {
    let server = Server::start(&["--league", LEAGUE], &[]);
    let (s, v) = server.get("/v1/leagues");
    assert_eq!(s, 200);
    assert_eq!(v["leagues"][0]["name"], "pacific-atlantic");
    assert_eq!(v["leagues"][0]["games"], 240);

    // Move the short-rest game two days later: its fault is gone.
    let (s, v, _) = server.send(
        "PATCH",
        "/v1/leagues/pacific-atlantic/schedule",
        &json!({"edit": [{"id": "R14-PHX-SLC", "start": "2026-05-13T19:00"}]}).to_string(),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["version"], 2);
    let (_, v) = server.post(
        "/v1/evaluate",
        &json!({"league": "pacific-atlantic", "game": "R14-PHX-SLC"}),
    );
    assert_eq!(v["schedule_version"], 2);
    assert_eq!(status_of(&v["report"], "min-rest-days"), "passed");

    // Remove and add.
    let (s, v, _) = server.send(
        "PATCH",
        "/v1/leagues/pacific-atlantic/schedule",
        &json!({"remove": ["R14-PHX-SLC"], "add": [{"id": "X1", "home": "PHX", "away": "SLC", "start": "2026-08-01T19:00"}]}).to_string(),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["version"].as_u64(), v["games"].as_u64()),
        (Some(3), Some(240))
    );
    let (s, _) = server.post(
        "/v1/evaluate",
        &json!({"league": "pacific-atlantic", "game": "R14-PHX-SLC"}),
    );
    assert_eq!(s, 404);

    // PUT replaces the whole schedule; GET gives it back.
    let two = json!({"games": [
        {"id": "A", "home": "PHX", "away": "SLC", "start": "2026-08-01T19:00"},
        {"id": "B", "home": "SLC", "away": "PHX", "start": "2026-08-02T19:00"}
    ]});
    let (s, v, _) = server.send(
        "PUT",
        "/v1/leagues/pacific-atlantic/schedule",
        &two.to_string(),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["games"], 2);
    let (s, v) = server.get("/v1/leagues/pacific-atlantic/schedule");
    assert_eq!(s, 200);
    assert_eq!(v["version"], 4);
    assert_eq!(v["games"][1]["id"], "B");
    let (_, v) = server.post(
        "/v1/evaluate",
        &json!({"league": "pacific-atlantic", "game": "B"}),
    );
    assert_eq!(status_of(&v["report"], "min-rest-days"), "violated");

    // A bad edit changes nothing.
    let (s, v, _) = server.send(
        "PATCH",
        "/v1/leagues/pacific-atlantic/schedule",
        &json!({"edit": [{"id": "A", "home": "NOPE"}]}).to_string(),
    );
    assert_eq!(s, 422, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("unknown team `NOPE`"),
        "{v}"
    );
    assert_eq!(
        server.get("/v1/leagues/pacific-atlantic/schedule").1["version"],
        4
    );
    Ok(())
}

#[test]
fn constraints_stats_metrics_health_and_the_openapi_document() -> TestResult {
    let server = Server::start(&["--league", LEAGUE], &[]);
    for _ in 0..3 {
        server.post(
            "/v1/evaluate",
            &json!({"league": "pacific-atlantic", "game": "R14-PHX-SLC"}),
        );
    }
    let (s, v) = server.get("/v1/constraints");
    assert_eq!(s, 200);
    let list = v["constraints"].as_array().ok_or("constraints")?;
    assert_eq!(list.len(), 10);
    assert!(list.iter().all(|c| c["breaker"]["state"] == "closed"));
    let (s, v) = server.get("/v1/constraints/min-rest-days");
    assert_eq!(s, 200);
    assert_eq!(v["stats"]["statuses"]["violated"], 3);
    assert_eq!(v["params"]["min_days"], 2);

    let (s, v) = server.get("/v1/stats");
    assert_eq!(s, 200);
    let league = &v["leagues"]["pacific-atlantic"];
    let figures = &league["constraints"]["min-rest-days"]["figures"];
    assert_eq!(figures["count"], 3);
    for p in ["p50_us", "p95_us", "p99_us"] {
        assert!(figures[p].as_u64().is_some(), "{figures}");
    }
    assert!(
        league["executor"]["capacity"]
            .as_u64()
            .is_some_and(|c| c > 0)
    );
    assert!(
        v["cache"]["l1"]["hits"].as_u64().is_some_and(|h| h > 0),
        "{v}"
    );

    let (s, text) = server.get("/metrics");
    assert_eq!(s, 200);
    let text = text.as_str().ok_or("text")?;
    assert!(
        text.contains(r#"umpire_http_requests_total{route="/v1/evaluate",status="200"} 3"#),
        "{text}"
    );
    assert!(text.contains(r#"umpire_verdicts_total{league="pacific-atlantic",constraint="min-rest-days",status="violated"} 3"#), "{text}");
    assert!(text.contains("umpire_breaker_open{"), "{text}");
    assert!(
        text.contains(r#"umpire_cache_lookups_total{layer="l1",outcome="hit"}"#),
        "{text}"
    );
    assert!(text.trim_end().ends_with("# EOF"));

    assert_eq!(server.get("/healthz"), (200, json!({"status": "ok"})));
    let (s, doc) = server.get("/v1/openapi.json");
    assert_eq!(s, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "umpire");
    // Every route the router serves, with its methods: each is in the
    // document, the document has no other, and the server takes each
    // method there and refuses the others (405).
    let routes: &[(&str, &[&str], &str)] = &[
        ("/healthz", &["get"], "/healthz"),
        ("/readyz", &["get"], "/readyz"),
        ("/metrics", &["get"], "/metrics"),
        ("/v1/openapi.json", &["get"], "/v1/openapi.json"),
        ("/v1/evaluate", &["post"], "/v1/evaluate"),
        ("/v1/evaluate/batch", &["post"], "/v1/evaluate/batch"),
        ("/v1/evaluate/stream", &["post"], "/v1/evaluate/stream"),
        ("/v1/constraints", &["get"], "/v1/constraints"),
        (
            "/v1/constraints/{id}",
            &["get"],
            "/v1/constraints/min-rest-days",
        ),
        ("/v1/stats", &["get"], "/v1/stats"),
        ("/v1/cluster", &["get"], "/v1/cluster"),
        ("/v1/leagues", &["get"], "/v1/leagues"),
        (
            "/v1/leagues/{league}/schedule",
            &["get", "put", "patch"],
            "/v1/leagues/pacific-atlantic/schedule",
        ),
        (
            "/v1/leagues/{league}/moves",
            &["post"],
            "/v1/leagues/pacific-atlantic/moves",
        ),
        (
            "/v1/leagues/{league}/report.html",
            &["get"],
            "/v1/leagues/pacific-atlantic/report.html",
        ),
        ("/v1/admin/reload", &["post"], "/v1/admin/reload"),
    ];
    let paths = doc["paths"].as_object().ok_or("paths")?;
    let documented: Vec<&str> = paths.keys().map(String::as_str).collect();
    let mut served: Vec<&str> = routes.iter().map(|r| r.0).collect();
    served.sort_unstable();
    assert_eq!(documented, served, "the document's paths are the router's");
    for (route, methods, example) in routes {
        let operations = paths[*route].as_object().ok_or("operations")?;
        let mut documented: Vec<&str> = operations
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "parameters")
            .collect();
        documented.sort_unstable();
        let mut expected = methods.to_vec();
        expected.sort_unstable();
        assert_eq!(documented, expected, "{route}'s methods");
        for method in ["get", "post", "put", "patch", "delete"] {
            let (s, v, _) = server.send(&method.to_uppercase(), example, "");
            if methods.contains(&method) {
                assert!(s != 404 && s != 405, "{method} {example}: {s} {v}");
            } else {
                assert_eq!(s, 405, "{method} {example}: {v}");
            }
        }
        // Every error a route documents is the JSON error.
        for (method, operation) in operations.iter().filter(|(k, _)| *k != "parameters") {
            let responses = operation["responses"].as_object().ok_or("responses")?;
            assert!(responses.contains_key("200"), "{method} {route}");
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let shared = response["$ref"].as_str().unwrap_or_default();
                    let errors = [
                        "#/components/responses/Error",
                        "#/components/responses/Unavailable",
                    ];
                    assert!(
                        errors.contains(&shared)
                            || (route == &"/v1/admin/reload" && status == "422"),
                        "{method} {route} {status}: {response}"
                    );
                }
            }
        }
    }
    let error = &doc["components"]["schemas"]["Error"];
    assert_eq!(error["required"], json!(["error"]));
    assert!(doc["components"]["responses"]["Unavailable"]["headers"]["Retry-After"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    Ok(())
}

#[test]
fn client_errors_are_json_4xx_never_5xx() -> TestResult {
    let t = TempTree::new();
    let config = t.write("umpire.toml", "[server]\nbody_limit_kb = 64\n");
    let server = Server::start(
        &[
            "--league",
            LEAGUE,
            "--config",
            config.to_str().ok_or("path")?,
        ],
        &[],
    );
    let big = format!(
        "{{\"league\": \"pacific-atlantic\", \"game\": \"{}\"}}",
        "x".repeat(100_000)
    );
    let cases: Vec<(&str, &str, String, u16, &str)> = vec![
        ("POST", "/v1/evaluate", "{\"league\": ".into(), 400, "malformed_json"),
        ("POST", "/v1/evaluate", String::new(), 400, "malformed_json"),
        ("POST", "/v1/evaluate", "{\"league\": 5, \"game\": \"x\"}".into(), 422, "invalid_request"),
        ("POST", "/v1/evaluate", "{\"league\": \"pacific-atlantic\"}".into(), 422, "invalid_request"),
        ("POST", "/v1/evaluate", "{\"league\": \"pacific-atlantic\", \"game\": \"x\", \"extra\": 1}".into(), 422, "invalid_request"),
        ("POST", "/v1/evaluate", "{\"league\": \"nope\", \"game\": \"x\"}".into(), 404, "unknown_league"),
        ("POST", "/v1/evaluate", "{\"league\": \"pacific-atlantic\", \"game\": \"nope\"}".into(), 404, "unknown_game"),
        ("POST", "/v1/evaluate", "{\"league\": \"pacific-atlantic\", \"game\": {\"id\": \"g\", \"home\": \"PHX\", \"away\": \"ZZZ\", \"start\": \"2026-05-01T19:00\"}}".into(), 422, "invalid_game"),
        ("POST", "/v1/evaluate", big, 413, "body_too_large"),
        ("POST", "/v1/evaluate/batch", "[]".into(), 422, "invalid_request"),
        ("POST", "/v1/evaluate/stream", "\"R14-PHX-SLC\"\n".into(), 422, "no_league"),
        // A bad line is answered by an error line (server_what_if); an
        // unknown league is the whole request's mistake.
        ("POST", "/v1/evaluate/stream?league=nope", "\"R14-PHX-SLC\"\n{oops\n".into(), 404, "unknown_league"),
        ("PUT", "/v1/leagues/pacific-atlantic/schedule", "{\"games\": [{\"id\": \"a\"}]}".into(), 422, "invalid_request"),
        ("PUT", "/v1/leagues/nope/schedule", "{\"games\": []}".into(), 404, "unknown_league"),
        ("PATCH", "/v1/leagues/pacific-atlantic/schedule", "{\"remove\": [\"nope\"]}".into(), 404, "unknown_game"),
        ("POST", "/v1/admin/reload", String::new(), 403, "admin_disabled"),
        ("POST", "/v1/nothing", "{}".into(), 404, "not_found"),
        ("PUT", "/v1/evaluate", "{}".into(), 405, "method_not_allowed"),
    ];
    for (method, path, body, status, code) in cases {
        let (s, v, _) = server.send(method, path, &body);
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{method} {path}: {v}"
        );
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{v}"
        );
    }
    let (s, v) = server.get("/v1/constraints/nope");
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (404, Some("unknown_constraint"))
    );
    // Still serving.
    assert_eq!(server.get("/healthz").0, 200);
    Ok(())
}

/// A plugin directory with one Rhai rule whose message carries `tag`.
fn tagged_rule(t: &TempTree, script: &str) -> std::path::PathBuf {
    t.rule_in(
        "extra",
        "tagged",
        "game",
        "soft",
        "[params]\ntag = \"v1\"",
        script,
    );
    t.path().join("extra")
}

#[test]
fn admin_reload_needs_the_token_swaps_good_plugins_and_keeps_serving_on_a_broken_one() -> TestResult
{
    let t = TempTree::new();
    let extra = tagged_rule(&t, "[violation(\"minor\", `tag ${params.tag}`)]");
    let config = t.write(
        "umpire.toml",
        &format!(
            "[server]\nwatch = false\n[leagues.pa]\ndir = {:?}\nplugins = [{:?}]\n",
            workspace_root().join(LEAGUE).display().to_string(),
            extra.display().to_string()
        ),
    );
    let token = "a-test-token-of-some-length";
    let server = Server::start(
        &["--config", config.to_str().ok_or("path")?],
        &[("UMPIRE_SERVER__ADMIN_TOKEN", token)],
    );
    assert_eq!(tag_of(&server), "tag v1");

    let reload = |auth: Option<&str>| {
        let url = format!("{}/v1/admin/reload", server.base);
        let mut request = Server::agent().post(url);
        if let Some(a) = auth {
            request = request.header("authorization", a);
        }
        Server::answer(request.send(""))
    };
    assert_eq!(reload(None).0, 401);
    assert_eq!(reload(Some("Bearer wrong-token-of-some-length")).0, 401);

    // A good edit: the new params serve after the reload.
    std::fs::write(
        t.path().join("extra/tagged.toml"),
        std::fs::read_to_string(t.path().join("extra/tagged.toml"))?.replace("v1", "v2"),
    )?;
    let (s, v, _) = reload(Some(&format!("Bearer {token}")));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["reloaded"]["pa"], 11);
    assert_eq!(tag_of(&server), "tag v2");

    // A broken edit: refused, shown, and v2 keeps serving.
    std::fs::write(t.path().join("extra/tagged.rhai"), "let = ;")?;
    let (s, v, _) = reload(Some(&format!("Bearer {token}")));
    assert_eq!(s, 422, "{v}");
    assert!(
        v["errors"]["pa"]
            .as_str()
            .unwrap_or("")
            .contains("tagged.rhai"),
        "{v}"
    );
    let (_, v) = server.get("/v1/constraints");
    assert!(
        v["reload_errors"]["pa"]
            .as_str()
            .unwrap_or("")
            .contains("tagged.rhai"),
        "{v}"
    );
    assert_eq!(tag_of(&server), "tag v2");
    Ok(())
}

/// A config whose league has the hostile endless loop as a soft rule with
/// a deadline of `ms`, and `extra` TOML.
pub(crate) fn slow_config(
    t: &TempTree,
    ms: u32,
    extra: &str,
) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    t.stuck("slow", ms)?;
    Ok(t.write(
        "umpire.toml",
        &format!(
            "{extra}\n[leagues.pa]\ndir = {:?}\nplugins = [{:?}]\n",
            workspace_root().join(LEAGUE).display().to_string(),
            t.path().join("slow").display().to_string()
        ),
    ))
}

#[test]
fn past_the_concurrency_limit_the_answer_is_503_with_retry_after() -> TestResult {
    let t = TempTree::new();
    let config = slow_config(
        &t,
        400,
        "[server]\nconcurrency = 1\nretry_after_s = 2\n[cache]\nenabled = false",
    )?;
    let server = Server::start(&["--config", config.to_str().ok_or("path")?], &[]);
    std::thread::scope(|s| {
        let slow = s.spawn(|| {
            server.post(
                "/v1/evaluate",
                &json!({"league": "pa", "game": "R14-PHX-SLC"}),
            )
        });
        std::thread::sleep(Duration::from_millis(150));
        let (status, v, headers) = server.send(
            "POST",
            "/v1/evaluate",
            &json!({"league": "pa", "game": "R20-ATL-VAN"}).to_string(),
        );
        assert_eq!(status, 503, "{v}");
        assert_eq!(v["error"]["code"], "too_many_requests");
        assert_eq!(
            headers.get("retry-after").and_then(|h| h.to_str().ok()),
            Some("2")
        );
        let (status, _) = slow.join().expect("the slow request");
        assert_eq!(status, 200, "the accepted request completes");
    });
    Ok(())
}

#[test]
fn sigterm_lets_the_request_in_flight_finish_then_exits() -> TestResult {
    let t = TempTree::new();
    let config = slow_config(&t, 600, "[cache]\nenabled = false")?;
    let mut server = Server::start(&["--config", config.to_str().ok_or("path")?], &[]);
    let answered = std::thread::scope(|s| {
        let slow = s.spawn(|| {
            server.post(
                "/v1/evaluate",
                &json!({"league": "pa", "game": "R14-PHX-SLC"}),
            )
        });
        std::thread::sleep(Duration::from_millis(200));
        server.terminate();
        slow.join().expect("the request in flight")
    });
    assert_eq!(answered.0, 200, "{}", answered.1);
    assert_eq!(status_of(&answered.1["report"], "infinite-loop"), "timeout");
    let until = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.child.try_wait()? {
            break status;
        }
        assert!(
            Instant::now() < until,
            "the server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    Ok(())
}

#[test]
fn config_show_says_where_each_value_came_from() -> TestResult {
    let t = TempTree::new();
    let config = t.write(
        "umpire.toml",
        "[executor]\nworkers = 3\n[server]\nadmin_token = \"from-the-file-0123\"\n",
    );
    let out = crate::support::umpire()
        .args(["config", "show", "--format", "json", "--config"])
        .arg(&config)
        .env("UMPIRE_SERVER__CONCURRENCY", "7")
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = serde_json::from_slice(&out.stdout)?;
    let find = |key: &str| {
        lines
            .iter()
            .find(|l| l["key"] == key)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(find("executor.workers")["value"], "3");
    assert!(
        find("executor.workers")["source"]
            .as_str()
            .is_some_and(|s| s.ends_with("umpire.toml"))
    );
    assert_eq!(find("server.concurrency")["value"], "7");
    assert_eq!(
        find("server.concurrency")["source"],
        "env UMPIRE_SERVER__CONCURRENCY"
    );
    assert_eq!(find("executor.queue_chunks")["source"], "default");

    // The text form hides the token; a wrong variable names itself.
    let out = crate::support::umpire()
        .args(["config", "show", "--config"])
        .arg(&config)
        .output()?;
    let text = String::from_utf8(out.stdout)?;
    assert!(text.contains("server.admin_token = \"********\""), "{text}");
    assert!(!text.contains("from-the-file"), "{text}");
    let out = crate::support::umpire()
        .args(["config", "show"])
        .env("UMPIRE_EXECUTOR__WORKERS", "many")
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr)?;
    assert!(err.contains("executor.workers"), "{err}");
    // Blamed on the variable, not on the defaults.
    assert!(
        err.contains("environment variable UMPIRE_EXECUTOR__WORKERS"),
        "{err}"
    );
    assert!(!err.contains("<defaults>"), "{err}");
    Ok(())
}

#[test]
fn config_show_prints_paths_as_the_keys_a_file_writes() -> TestResult {
    let t = TempTree::new();
    let config = t.write(
        "umpire.toml",
        "[leagues.pa]\ndir = \"leagues/pa\"\nplugins = [\"more\"]\n[server]\ndecision_log = \"decisions.ndjson\"\n",
    );
    let out = crate::support::umpire()
        .args(["config", "show", "--config"])
        .arg(&config)
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout)?;
    assert!(!text.contains("figment"), "{text}");
    let line = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_default()
            .to_owned()
    };
    for (key, value) in [
        ("leagues.pa.dir", "\"leagues/pa\""),
        ("server.decision_log", "\"decisions.ndjson\""),
    ] {
        let l = line(key);
        assert!(l.contains(value), "{key}: {l:?} in\n{text}");
        assert!(l.trim_end().ends_with("umpire.toml"), "{key}: {l:?}");
    }
    assert!(line("leagues.pa.plugins").contains("more"), "{text}");
    Ok(())
}

#[test]
fn a_full_executor_queue_is_a_503_overloaded_and_the_accepted_requests_complete() -> TestResult {
    let t = TempTree::new();
    let config = slow_config(
        &t,
        400,
        "[executor]\nworkers = 1\nqueue_chunks = 1\ninline_games = 0\n[cache]\nenabled = false",
    )?;
    let server = Server::start(&["--config", config.to_str().ok_or("path")?], &[]);
    let request = |game: &str| {
        server.send(
            "POST",
            "/v1/evaluate",
            &json!({"league": "pa", "game": game}).to_string(),
        )
    };
    std::thread::scope(|s| {
        // One request runs on the only worker, a second waits in the queue.
        let first = s.spawn(|| request("R14-PHX-SLC"));
        std::thread::sleep(Duration::from_millis(120));
        let second = s.spawn(|| request("R20-ATL-VAN"));
        std::thread::sleep(Duration::from_millis(120));
        let (status, v, headers) = request("R25-LAC-SLC");
        assert_eq!(status, 503, "{v}");
        assert_eq!(v["error"]["code"], "overloaded");
        assert!(headers.get("retry-after").is_some());
        for accepted in [first, second] {
            let (status, v, _) = accepted.join().expect("an accepted request");
            assert_eq!(status, 200, "{v}");
        }
    });
    let (_, metrics) = server.get("/metrics");
    let text = metrics.as_str().unwrap_or("");
    assert!(
        text.contains(r#"umpire_http_requests_total{route="/v1/evaluate",status="503"} 1"#),
        "{text}"
    );
    Ok(())
}

/// The `tagged` rule's message for R14-PHX-SLC in league `pa`.
fn tag_of(server: &Server) -> String {
    let (_, v) = server.post(
        "/v1/evaluate",
        &json!({"league": "pa", "game": "R14-PHX-SLC"}),
    );
    v["report"]["verdicts"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["constraint"] == "tagged"))
        .and_then(|v| v["violations"][0]["message"].as_str())
        .unwrap_or("(none)")
        .to_owned()
}

fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < until, "{what} did not happen within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_edited_plugin_is_reloaded_by_the_watcher_and_a_broken_edit_keeps_the_old_one() -> TestResult {
    let t = TempTree::new();
    let extra = tagged_rule(&t, "[violation(\"minor\", `tag ${params.tag}`)]");
    let decisions = t.path().join("decisions.ndjson");
    let config = t.write(
        "umpire.toml",
        &format!(
            "[server]\ndecision_log = \"decisions.ndjson\"\n[leagues.pa]\ndir = {:?}\nplugins = [{:?}]\n",
            workspace_root().join(LEAGUE).display().to_string(),
            extra.display().to_string()
        ),
    );
    let server = Server::start(&["--config", config.to_str().ok_or("path")?], &[]);
    assert_eq!(tag_of(&server), "tag v1");
    let (_, answer) = server.post(
        "/v1/evaluate",
        &json!({"league": "pa", "game": "R14-PHX-SLC"}),
    );
    let answered_id = answer["id"].as_str().unwrap_or("").to_owned();

    let manifest = t.path().join("extra/tagged.toml");
    std::fs::write(
        &manifest,
        std::fs::read_to_string(&manifest)?.replace("v1", "v2"),
    )?;
    eventually("the reload of v2", || tag_of(&server) == "tag v2");

    std::fs::write(t.path().join("extra/tagged.rhai"), "let = ;")?;
    eventually("the broken edit's error in /v1/constraints", || {
        server.get("/v1/constraints").1["reload_errors"]["pa"]
            .as_str()
            .is_some_and(|e| e.contains("tagged.rhai"))
    });
    assert_eq!(
        tag_of(&server),
        "tag v2",
        "the previous version keeps serving"
    );

    // Every evaluation is in the decision log, with the versions that ruled.
    server.terminate();
    let mut server = server;
    let until = Instant::now() + Duration::from_secs(10);
    while server.child.try_wait()?.is_none() {
        assert!(Instant::now() < until, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(&decisions)?;
    let lines: Vec<Value> = text
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert!(lines.len() >= 4, "{text}");
    assert!(
        lines.iter().any(|l| l["id"] == answered_id.as_str()),
        "the answer's id {answered_id} is in the decision log"
    );
    for line in &lines {
        assert!(
            line["id"].as_str().is_some_and(|id| id.starts_with("ev-")),
            "{line}"
        );
        assert_eq!(line["league"], "pa");
        assert!(line["time"].as_str().is_some(), "{line}");
        assert_eq!(line["games"][0]["game"], "R14-PHX-SLC");
        assert_eq!(line["games"][0]["statuses"]["min-rest-days"], "violated");
        assert_eq!(
            line["constraints"].as_object().map(|c| c.len()),
            Some(11),
            "{line}"
        );
    }
    let versions: std::collections::BTreeSet<_> = lines
        .iter()
        .map(|l| l["constraints"]["tagged"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        versions.len() >= 2,
        "v1 and v2 have different versions: {versions:?}"
    );
    Ok(())
}

#[test]
fn json_logs_carry_the_request_span() -> TestResult {
    let t = TempTree::new();
    let config = t.write("umpire.toml", "[server]\nlog_format = \"json\"\nlog_level = \"umpire=debug\"\nwatch = false\n[cache]\nenabled = false\n");
    crate::support::examples_built();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("umpire"))
        .current_dir(workspace_root())
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--league",
            LEAGUE,
            "--config",
        ])
        .arg(&config)
        .env_remove("UMPIRE_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("stdout")?).read_line(&mut line)?;
    let base = line
        .trim()
        .trim_start_matches("umpire: listening on ")
        .to_owned();
    let (s, _, _) = Server::answer(Server::agent().get(format!("{base}/healthz")).call());
    assert_eq!(s, 200);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    let out = child.wait_with_output()?;
    let stderr = String::from_utf8(out.stderr)?;
    let answered = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["fields"]["message"] == "answered")
        .ok_or_else(|| format!("no JSON `answered` line in:\n{stderr}"))?;
    assert_eq!(answered["span"]["route"], "/healthz", "{answered}");
    assert!(
        answered["span"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("ev-")),
        "{answered}"
    );
    assert_eq!(answered["fields"]["status"], 200);
    Ok(())
}

#[test]
fn an_alert_is_raised_while_a_rule_fails_and_cleared_when_it_stops() -> TestResult {
    let t = TempTree::new();
    t.rule_in(
        "extra",
        "always-fails",
        "game",
        "soft",
        "",
        "throw \"the service is down\"",
    );
    let config = t.write(
        "umpire.toml",
        &format!(
            "[alerts]\ninterval_ms = 300\nmin_verdicts = 3\nerror_rate = 0.5\n[breaker]\nmin_calls = 1000\n[server]\nwatch = false\n[leagues.pa]\ndir = {:?}\nplugins = [{:?}]\n",
            workspace_root().join(LEAGUE).display().to_string(),
            t.path().join("extra").display().to_string()
        ),
    );
    let server = Server::start(&["--config", config.to_str().ok_or("path")?], &[]);
    let raised = |server: &Server| -> bool {
        server.get("/v1/stats").1["alerts"]
            .as_array()
            .is_some_and(|a| {
                a.iter()
                    .any(|a| a["kind"] == "error_rate" && a["subject"] == "pa/always-fails")
            })
    };
    eventually("the error-rate alert", || {
        for _ in 0..5 {
            server.post(
                "/v1/evaluate",
                &json!({"league": "pa", "game": "R14-PHX-SLC"}),
            );
        }
        raised(&server)
    });
    let (_, stats) = server.get("/v1/stats");
    let alert = stats["alerts"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["kind"] == "error_rate"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(alert["threshold"], 0.5);
    assert_eq!(alert["value"], 1.0);
    assert!(alert["since"].as_str().is_some());
    assert!(stats["rss_mb"].as_f64().is_some_and(|m| m > 1.0));
    // No more failing calls: the next windows clear it.
    eventually("the alert to clear", || !raised(&server));
    Ok(())
}

/// Regression (found by the `schedule_patch` fuzz target): text after a
/// body's JSON value was ignored, so the PATCH body `{}tv` was an empty
/// edit that bumped the version. It is malformed JSON, and nothing changes.
#[test]
fn text_after_a_json_body_is_malformed_and_edits_nothing() -> TestResult {
    let server = Server::start(&["--league", LEAGUE], &[]);
    let (s, v, _) = server.send("PATCH", "/v1/leagues/pacific-atlantic/schedule", "{}tv");
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("malformed_json")),
        "{v}"
    );
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("trailing characters at line 1 column 3"),
        "{v}"
    );
    let (s, v, _) = server.send(
        "POST",
        "/v1/evaluate",
        "{\"league\": \"pacific-atlantic\", \"game\": \"R14-PHX-SLC\"} {}",
    );
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("malformed_json")),
        "{v}"
    );
    let (s, v, _) = server.send("PATCH", "/v1/leagues/pacific-atlantic/schedule", "{}");
    assert_eq!((s, v["version"].as_u64()), (200, Some(2)), "{v}");
    Ok(())
}

/// A league whose one plugin is built by a `[build]` that leaves a marker.
fn league_with_a_build(t: &TempTree) -> std::path::PathBuf {
    t.write("league/league.toml", crate::support::MINI_LEAGUE);
    t.write("league/schedule.json", r#"{"games": []}"#);
    t.write(
        "league/plugins/rule.toml",
        &crate::support::manifest(
            "rule",
            "rule.rhai",
            "game",
            "soft",
            "[build]\ncommand = [\"sh\", \"-c\", \"touch built && echo 'pass()' > rule.rhai\"]",
        ),
    );
    t.path().join("league")
}

/// Pins issue 17: a manifest's `[build]` ran at server start (and on every
/// reload) with the server's environment.
#[test]
fn a_server_runs_no_build_unless_its_config_says_so() -> TestResult {
    let t = TempTree::new();
    let league = league_with_a_build(&t);
    let out = crate::support::umpire()
        .args(["serve", "--bind", "127.0.0.1:0", "--league"])
        .arg(&league)
        .timeout(Duration::from_secs(60))
        .output()?;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8(out.stderr)?;
    assert!(
        stderr.contains("rule.toml: source: ")
            && stderr.contains("rule.rhai does not exist and building is turned off; build it with `sh -c touch built && echo 'pass()' > rule.rhai` in ")
            && stderr.contains("(or let umpire build: `plugins.build = \"if-stale\"` in the config)"),
        "{stderr}"
    );
    assert!(!league.join("plugins/built").exists(), "the build ran");

    let league = league.display().to_string();
    let server = Server::start(
        &["--league", &league],
        &[("UMPIRE_PLUGINS__BUILD", "if-stale")],
    );
    assert_eq!(server.get("/healthz").0, 200);
    assert!(
        t.path().join("league/plugins/built").exists(),
        "the build ran"
    );
    Ok(())
}
