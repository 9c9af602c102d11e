//! `umpire serve` against clients that misbehave, on real sockets: ones
//! that hang up mid-evaluation, send their request a byte at a time, never
//! read their stream, open more connections than the server takes, or send
//! more than it admits. Each test ends by showing that the server still
//! answers everyone else.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::server::{LEAGUE, Server, slow_config};
use crate::support::{TempTree, TestResult, generate_league};

/// The server's `host:port`.
fn addr(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// A raw connection to the server, with a read timeout so no test hangs.
fn connect(server: &Server) -> TcpStream {
    let tcp = TcpStream::connect(addr(server)).expect("the server takes a connection");
    tcp.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("a read timeout");
    tcp
}

/// Everything the server sends until it closes the connection (or the read
/// timeout passes).
fn read_all(tcp: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A POST request's bytes, with its body.
fn post_bytes(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Polls `probe` every 20 ms until it holds, for at most `most`.
fn eventually(most: Duration, mut probe: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + most;
    while Instant::now() < until {
        if probe() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    probe()
}

fn in_flight(server: &Server) -> i64 {
    server.get("/v1/stats").1["in_flight"]
        .as_i64()
        .unwrap_or(-1)
}

/// A metric's value from `/metrics` (the first sample whose line starts
/// with `name`).
fn metric(server: &Server, name: &str) -> f64 {
    let (_, v) = server.get("/metrics");
    let text = v.as_str().unwrap_or_default().to_owned();
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0)
}

fn evaluates_normally(server: &Server) -> bool {
    let (s, v) = server.post(
        "/v1/evaluate",
        &json!({"league": "pacific-atlantic", "game": "R14-PHX-SLC"}),
    );
    s == 200 && v["report"]["valid"] == false
}

/// Regression (issue 17, critical): a client that hung up mid-evaluation
/// kept its in-flight slot forever; ~1,024 of them made every evaluation
/// answer 503 for good.
#[test]
fn clients_that_hang_up_mid_evaluation_give_their_slots_back() -> TestResult {
    let tree = TempTree::new();
    let dir = tree.path().join("big");
    generate_league(&dir, 24, 4000, 7);
    let big = dir.to_string_lossy().into_owned();
    // No cache, so every whole-season batch is real work.
    let server = Server::start(
        &["--league", LEAGUE, "--league", &big],
        &[("UMPIRE_CACHE__ENABLED", "false")],
    );
    let (_, leagues) = server.get("/v1/leagues");
    let name = leagues["leagues"]
        .as_array()
        .and_then(|ls| ls.iter().find(|l| l["games"] == 4000))
        .and_then(|l| l["name"].as_str())
        .ok_or("the generated league is served")?
        .to_owned();
    let request = post_bytes("/v1/evaluate/batch", &json!({ "league": name }).to_string());
    for _round in 0..3 {
        let clients: Vec<TcpStream> = (0..100)
            .map(|_| {
                let mut tcp = connect(&server);
                tcp.write_all(&request).expect("the request goes out");
                tcp
            })
            .collect();
        std::thread::sleep(Duration::from_millis(150));
        // Hang up before the answers.
        drop(clients);
    }
    assert!(
        eventually(Duration::from_secs(60), || in_flight(&server) == 0),
        "slots were not given back: in_flight = {}",
        in_flight(&server)
    );
    assert!(
        metric(&server, "umpire_http_requests_cancelled_total") > 0.0,
        "no request was cancelled, so the test proved nothing"
    );
    assert!(evaluates_normally(&server));
    let (s, v) = server.post("/v1/evaluate/batch", &json!({ "league": name }));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["report"]["summary"]["games"], 4000);
    Ok(())
}

/// Past `server.request_timeout_ms` the answer is a 503 `deadline` with
/// Retry-After. The evaluation it started keeps its slot till it stops, so a
/// request that timed out makes no room for more work than
/// `server.concurrency`; and it is not counted as a client that went.
#[test]
fn requests_past_the_deadline_get_503_and_their_work_keeps_its_slot() -> TestResult {
    let t = TempTree::new();
    // The stuck rule runs to its own limit of 5 s, long after the
    // request's 300 ms.
    let config = slow_config(
        &t,
        5000,
        "[server]\nconcurrency = 1\nrequest_timeout_ms = 300\nretry_after_s = 3\n[cache]\nenabled = false",
    )?;
    let server = Server::start(&["--config", config.to_str().ok_or("path")?], &[]);
    let evaluate = |game: &str| {
        server.send(
            "POST",
            "/v1/evaluate",
            &json!({"league": "pa", "game": game}).to_string(),
        )
    };
    let (s, v, headers) = evaluate("R14-PHX-SLC");
    assert_eq!(s, 503, "{v}");
    assert_eq!(v["error"]["code"], "deadline", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("300 ms (server.request_timeout_ms)")),
        "{v}"
    );
    assert_eq!(
        headers.get("retry-after").and_then(|h| h.to_str().ok()),
        Some("3")
    );
    let (s, v, _) = evaluate("R20-ATL-VAN");
    assert_eq!(s, 503, "{v}");
    assert_eq!(v["error"]["code"], "too_many_requests", "{v}");
    assert!(eventually(Duration::from_secs(30), || in_flight(&server) == 0));
    assert_eq!(metric(&server, "umpire_http_requests_cancelled_total"), 0.0);
    Ok(())
}

/// A client that sends its body a byte at a time holds a connection, never
/// a concurrency slot, and is cut off at the body timeout with a 408.
#[test]
fn slow_bodies_hold_no_slot_and_time_out_with_408() -> TestResult {
    let server = Server::start(
        &["--league", LEAGUE],
        &[
            ("UMPIRE_SERVER__CONCURRENCY", "2"),
            ("UMPIRE_SERVER__BODY_TIMEOUT_MS", "1000"),
        ],
    );
    let head = "POST /v1/evaluate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{";
    let mut slow: Vec<TcpStream> = (0..6)
        .map(|_| {
            let mut tcp = connect(&server);
            tcp.write_all(head.as_bytes()).expect("the head goes out");
            tcp
        })
        .collect();
    // Six slow senders, two slots: everyone else is still answered.
    assert!(evaluates_normally(&server));
    assert_eq!(in_flight(&server), 0);
    for tcp in &mut slow {
        let answer = read_all(tcp);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("server.body_timeout_ms"), "{answer}");
    }
    assert!(evaluates_normally(&server));
    Ok(())
}

/// Slowloris: headers that never end, and a kept-alive connection that
/// sits idle, are closed at the header timeout.
#[test]
fn unfinished_headers_and_idle_connections_are_closed() -> TestResult {
    let server = Server::start(
        &["--league", LEAGUE],
        &[("UMPIRE_SERVER__HEADER_TIMEOUT_MS", "500")],
    );
    let mut half = connect(&server);
    half.write_all(b"POST /v1/evaluate HTTP/1.1\r\nhost: localhost\r\n")?;
    let mut idle = connect(&server);
    idle.write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n")?;
    let started = Instant::now();
    // The half-sent request gets nothing but a close; the idle one its
    // answer, then a close.
    let answer = read_all(&mut half);
    assert!(!answer.contains("200 OK"), "{answer}");
    let answer = read_all(&mut idle);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the connections were not closed by the server"
    );
    assert!(evaluates_normally(&server));
    Ok(())
}

/// Past `server.max_connections` a connection is answered 503 in JSON and
/// closed; once the others go, the server takes connections again.
#[test]
fn connections_past_the_cap_are_refused_with_a_clear_503() -> TestResult {
    let server = Server::start(
        &["--league", LEAGUE],
        &[("UMPIRE_SERVER__MAX_CONNECTIONS", "4")],
    );
    let held: Vec<TcpStream> = (0..4).map(|_| connect(&server)).collect();
    // The server counts a connection once it has accepted it.
    let mut refused = String::new();
    assert!(eventually(Duration::from_secs(10), || {
        let mut extra = connect(&server);
        let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n");
        refused = read_all(&mut extra);
        refused.starts_with("HTTP/1.1 503")
    }));
    assert!(refused.contains("too_many_connections"), "{refused}");
    assert!(refused.contains("server.max_connections"), "{refused}");
    assert!(
        refused.to_ascii_lowercase().contains("retry-after: 1"),
        "{refused}"
    );
    drop(held);
    assert!(eventually(Duration::from_secs(10), || server
        .get("/healthz")
        .0
        == 200));
    assert!(metric(&server, "umpire_http_connections_refused_total") >= 1.0);
    Ok(())
}

/// SIGTERM with a request half sent: the server drains for
/// `server.shutdown_drain_ms` and exits, cleanly.
#[test]
fn sigterm_drains_for_a_bounded_time_and_exits() -> TestResult {
    let mut server = Server::start(
        &["--league", LEAGUE],
        &[
            ("UMPIRE_SERVER__SHUTDOWN_DRAIN_MS", "500"),
            ("UMPIRE_SERVER__HEADER_TIMEOUT_MS", "600000"),
            ("UMPIRE_SERVER__BODY_TIMEOUT_MS", "600000"),
        ],
    );
    let mut half = connect(&server);
    half.write_all(
        b"POST /v1/evaluate HTTP/1.1\r\nhost: localhost\r\ncontent-length: 100\r\n\r\n{",
    )?;
    std::thread::sleep(Duration::from_millis(200));
    server.terminate();
    let mut status = None;
    assert!(
        eventually(Duration::from_secs(20), || {
            status = server.child.try_wait().ok().flatten();
            status.is_some()
        }),
        "the server did not exit after SIGTERM"
    );
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    Ok(())
}

/// A stream of 20,000 lines whose answer (some 30 MB) no socket buffer
/// holds: a client that sends it and never reads leaves it waiting.
fn unread_stream_request() -> String {
    let lines: String = (0..20_000).map(|_| "\"R14-PHX-SLC\"\n").collect();
    format!(
        "POST /v1/evaluate/stream?league=pacific-atlantic HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/x-ndjson\r\ncontent-length: {}\r\n\r\n{lines}",
        lines.len()
    )
}

/// Regression (issue 17): NDJSON clients that never read their answer kept
/// a blocking thread each forever. Now an unread stream holds one slot
/// while it waits (readyz says full), and gives it back at the write
/// timeout or when its client goes.
#[test]
fn unread_streams_hold_a_slot_and_give_it_back() -> TestResult {
    let server = Server::start(
        &["--league", LEAGUE],
        &[
            ("UMPIRE_SERVER__CONCURRENCY", "1"),
            ("UMPIRE_SERVER__WRITE_TIMEOUT_MS", "600000"),
        ],
    );
    let request = unread_stream_request();
    let mut reader = connect(&server);
    reader.write_all(request.as_bytes())?;
    // Never read: the answer backs up, and the stream holds its slot.
    assert!(eventually(Duration::from_secs(30), || in_flight(&server) == 1));
    let (s, v) = server.get("/readyz");
    assert_eq!(s, 503, "{v}");
    assert_eq!(v["error"]["code"], "full");
    let (s, v) = server.post(
        "/v1/evaluate",
        &json!({"league": "pacific-atlantic", "game": "R14-PHX-SLC"}),
    );
    assert_eq!(s, 503, "{v}");
    assert_eq!(v["error"]["code"], "too_many_requests");
    // The client goes: the stream ends, its evaluation stops, the slot is
    // free.
    drop(reader);
    assert!(eventually(Duration::from_secs(30), || in_flight(&server) == 0));
    assert!(evaluates_normally(&server));

    // The same with a reader that stays but does not read: the write
    // timeout ends it.
    drop(server);
    let server = Server::start(
        &["--league", LEAGUE],
        &[
            ("UMPIRE_SERVER__CONCURRENCY", "1"),
            ("UMPIRE_SERVER__WRITE_TIMEOUT_MS", "300"),
        ],
    );
    let mut stalled = connect(&server);
    stalled.write_all(request.as_bytes())?;
    assert!(eventually(Duration::from_secs(60), || {
        in_flight(&server) == 0 && evaluates_normally(&server)
    }));
    drop(stalled);
    Ok(())
}

/// Batches, streams and answers are bounded, each with a 413 that names
/// its setting.
#[test]
fn batches_streams_and_answers_are_bounded() -> TestResult {
    let server = Server::start(
        &["--league", LEAGUE],
        &[
            ("UMPIRE_SERVER__MAX_BATCH_GAMES", "10"),
            ("UMPIRE_SERVER__MAX_ANSWER_KB", "64"),
        ],
    );
    let ids: Vec<&str> = std::iter::repeat_n("R14-PHX-SLC", 11).collect();
    let (s, v) = server.post(
        "/v1/evaluate/batch",
        &json!({"league": "pacific-atlantic", "games": ids}),
    );
    assert_eq!(s, 413, "{v}");
    assert_eq!(v["error"]["code"], "too_many_games");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("server.max_batch_games")
    );
    let (s, _) = server.post(
        "/v1/evaluate/batch",
        &json!({"league": "pacific-atlantic", "games": &ids[..10]}),
    );
    assert_eq!(s, 200);

    let lines: String = (0..11).map(|_| "\"R14-PHX-SLC\"\n").collect();
    let url = format!("{}/v1/evaluate/stream?league=pacific-atlantic", server.base);
    let (s, v, _) = Server::answer(
        Server::agent()
            .post(url)
            .header("content-type", "application/x-ndjson")
            .send(&lines),
    );
    assert_eq!(s, 413, "{v}");
    assert_eq!(v["error"]["code"], "too_many_games");

    // The whole season's report is over 64 KiB.
    let (s, v) = server.post("/v1/evaluate/batch", &json!({"league": "pacific-atlantic"}));
    assert_eq!(s, 413, "{v}");
    assert_eq!(v["error"]["code"], "answer_too_large");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("/v1/evaluate/stream")
    );
    assert!(evaluates_normally(&server));
    Ok(())
}

/// Every client error is JSON, trailing garbage is refused, and a body
/// declared over the limit is refused before `100 Continue`.
#[test]
fn client_errors_are_json_and_bodies_are_exact() -> TestResult {
    let server = Server::start(
        &["--league", LEAGUE],
        &[("UMPIRE_SERVER__BODY_LIMIT_KB", "64")],
    );
    let one = json!({"league": "pacific-atlantic", "game": "R14-PHX-SLC"}).to_string();
    let (s, v, _) = server.send("POST", "/v1/evaluate", &format!("{one} {{}}"));
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["error"]["code"], "malformed_json");
    let (s, v, _) = server.send("POST", "/v1/evaluate", &format!("{one} \n\t"));
    assert_eq!(s, 200, "white space after the value is fine: {v}");

    let (s, v) = server.get("/v1/constraints?league=a&league=b");
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["error"]["code"], "bad_query");

    let mut tcp = connect(&server);
    tcp.write_all(
        b"POST /v1/evaluate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\nexpect: 100-continue\r\ncontent-length: 100000000\r\n\r\n",
    )?;
    let answer = read_all(&mut tcp);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");
    assert!(answer.contains("body_too_large"), "{answer}");
    Ok(())
}

/// Schedule writes need the write token (or the admin token) once one is
/// configured; reads and evaluations do not.
#[test]
fn schedule_writes_need_a_token_once_one_is_configured() -> TestResult {
    let write = "write-token-0123456789";
    let admin = "admin-token-0123456789";
    let server = Server::start(
        &["--league", LEAGUE],
        &[
            ("UMPIRE_SERVER__WRITE_TOKEN", write),
            ("UMPIRE_SERVER__ADMIN_TOKEN", admin),
        ],
    );
    let path = "/v1/leagues/pacific-atlantic/schedule";
    let edit = json!({"edit": [{"id": "R14-PHX-SLC", "start": "2026-05-13T19:00"}]}).to_string();
    let (s, v, _) = server.send("PATCH", path, &edit);
    assert_eq!(s, 401, "{v}");
    assert_eq!(v["error"]["code"], "unauthorized");
    let with = |token: &str, body: &str, method: &str| {
        let url = format!("{}{path}", server.base);
        let agent = Server::agent();
        let request = match method {
            "PUT" => agent.put(url),
            _ => agent.patch(url),
        };
        Server::answer(
            request
                .header("content-type", "application/json")
                .header("authorization", &format!("Bearer {token}"))
                .send(body),
        )
    };
    let (s, _, _) = with("wrong-token-0123456789", &edit, "PATCH");
    assert_eq!(s, 401);
    let (s, v, _) = with(write, &edit, "PATCH");
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["version"], 2);
    let (s, v, _) = with(admin, &edit, "PATCH");
    assert_eq!(s, 200, "{v}");
    let (_, schedule) = server.get(path);
    let body = json!({"games": schedule["games"]}).to_string();
    let (s, _, _) = server.send("PUT", path, &body);
    assert_eq!(s, 401);
    let (s, v, _) = with(write, &body, "PUT");
    assert_eq!(s, 200, "{v}");
    // The write token opens no admin route.
    let (s, _, _) = Server::answer(
        Server::agent()
            .post(format!("{}/v1/admin/reload", server.base))
            .header("authorization", &format!("Bearer {write}"))
            .send(""),
    );
    assert_eq!(s, 401);
    // Evaluations need no token.
    let (s, v) = server.post(
        "/v1/evaluate",
        &json!({"league": "pacific-atlantic", "game": "R14-PHX-SLC"}),
    );
    assert_eq!(s, 200, "{v}");
    Ok(())
}

/// The decision log on a disk that refuses every write: the errors are
/// counted, `/readyz` says why, and no answer is given that the log could
/// not take. A working log carries the schedule's fingerprint.
#[test]
fn decision_log_failures_are_counted_and_withhold_answers() -> TestResult {
    let tree = TempTree::new();
    let config = tree.write(
        "umpire.toml",
        "[server]\ndecision_log = \"/dev/full\"\ndecision_log_sync = \"never\"\n",
    );
    let config = config.to_string_lossy().into_owned();
    let server = Server::start(&["--config", &config, "--league", LEAGUE], &[]);
    // The first line is taken into the queue; its write fails.
    let _ = server.post(
        "/v1/evaluate",
        &json!({"league": "pacific-atlantic", "game": "R14-PHX-SLC"}),
    );
    assert!(eventually(Duration::from_secs(20), || server
        .get("/readyz")
        .0
        == 503));
    let (_, v) = server.get("/readyz");
    assert_eq!(v["error"]["code"], "decision_log", "{v}");
    assert!(metric(&server, "umpire_decision_log_errors_total") >= 1.0);
    let (s, v) = server.post(
        "/v1/evaluate",
        &json!({"league": "pacific-atlantic", "game": "R14-PHX-SLC"}),
    );
    assert_eq!(s, 503, "{v}");
    assert_eq!(v["error"]["code"], "decision_log");
    assert_eq!(server.get("/healthz").0, 200);
    drop(server);

    let log = tree.path().join("decisions.ndjson");
    let config = tree.write(
        "ok.toml",
        &format!("[server]\ndecision_log = {:?}\n", log.to_string_lossy()),
    );
    let config = config.to_string_lossy().into_owned();
    let server = Server::start(&["--config", &config, "--league", LEAGUE], &[]);
    assert!(evaluates_normally(&server));
    server.terminate();
    let mut server = server;
    let _ = server.child.wait();
    let text = std::fs::read_to_string(&log)?;
    let line: Value = serde_json::from_str(text.lines().last().ok_or("a logged line")?)?;
    assert_eq!(line["schedule_version"], 1);
    let fingerprint = line["schedule_fingerprint"].as_str().unwrap_or("");
    assert_eq!(fingerprint.len(), 16, "{line}");
    assert!(fingerprint.chars().all(|c| c.is_ascii_hexdigit()));
    Ok(())
}

/// At most `server.max_streams` streams evaluate at once: each holds its
/// games and reports in memory (300 unread streams took 1.1 GB before this
/// bound); one more gets 503 while evaluations go on.
#[test]
fn streams_past_the_stream_cap_get_503() -> TestResult {
    let server = Server::start(
        &["--league", LEAGUE],
        &[
            ("UMPIRE_SERVER__MAX_STREAMS", "1"),
            ("UMPIRE_SERVER__WRITE_TIMEOUT_MS", "600000"),
        ],
    );
    let request = unread_stream_request();
    let mut reader = connect(&server);
    reader.write_all(request.as_bytes())?;
    assert!(eventually(Duration::from_secs(30), || in_flight(&server) == 1));
    let url = format!("{}/v1/evaluate/stream?league=pacific-atlantic", server.base);
    let second = || {
        Server::answer(
            Server::agent()
                .post(&url)
                .header("content-type", "application/x-ndjson")
                .send("\"R14-PHX-SLC\"\n"),
        )
    };
    // The answer's head comes once the stream holds its permit: read just
    // that much, and leave the rest unread.
    let mut head = [0u8; 4096];
    let n = reader.read(&mut head)?;
    let head = String::from_utf8_lossy(&head[..n]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (s, v, headers) = second();
    assert_eq!(s, 503, "{v}");
    assert_eq!(v["error"]["code"], "too_many_streams", "{v}");
    assert!(headers.contains_key("retry-after"));
    assert!(evaluates_normally(&server));
    drop(reader);
    assert!(eventually(Duration::from_secs(30), || in_flight(&server) == 0));
    assert!(eventually(Duration::from_secs(10), || second().0 == 200));
    Ok(())
}
