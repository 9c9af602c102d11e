//! What-if answers, candidate moves and shared schedule writes, against the
//! real server: an inline game is an edit of a copy of the schedule, moves
//! are scored without being committed, and writes carry versions.

use serde_json::{Value, json};

use crate::server::{Server, status_of};
use crate::support::TestResult;

const LEAGUE: &str = "examples/leagues/pacific-atlantic";
const SCHEDULE: &str = "/v1/leagues/pacific-atlantic/schedule";
const MOVES: &str = "/v1/leagues/pacific-atlantic/moves";

fn untimed(v: &Value) -> Value {
    let mut v = v.clone();
    crate::support::without_timings(&mut v);
    v
}

fn season(server: &Server) -> Value {
    let (s, v) = server.post("/v1/evaluate/batch", &json!({"league": "pacific-atlantic"}));
    assert_eq!(s, 200, "{v}");
    v["report"]["summary"].clone()
}

fn version(server: &Server) -> Value {
    server.get(SCHEDULE).1["version"].clone()
}

/// A request with headers, answered as (status, body, headers).
fn send_with(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value, ureq::http::HeaderMap) {
    let url = format!("{}{path}", server.base);
    let agent = Server::agent();
    let mut request = match method {
        "PUT" => agent.put(url),
        "PATCH" => agent.patch(url),
        other => panic!("no method {other}"),
    }
    .header("content-type", "application/json");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    Server::answer(request.send(body))
}

#[test]
fn an_inline_game_is_judged_with_the_schedule_it_would_make() -> TestResult {
    let server = Server::start(&["--league", LEAGUE], &[]);
    let moved = json!({"id": "R02-POR-SEA", "round": 2, "home": "POR", "away": "SEA",
        "venue": "willamette-grounds", "start": "2026-03-14T15:30", "tags": ["rivalry"]});
    let (s, v) = server.post(
        "/v1/evaluate",
        &json!({"league": "pacific-atlantic", "game": moved}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["report"]["valid"], false, "{v}");
    assert_eq!(status_of(&v["report"], "venue-double-booking"), "violated");
    let what = &v["what_if"];
    assert_eq!(what["before"]["hard_violations"], 5, "{what}");
    let changed: Vec<&str> = what["changed"]
        .as_array()
        .ok_or("changed")?
        .iter()
        .filter_map(|c| c["game"].as_str())
        .collect();
    assert!(changed.contains(&"R03-POR-ATL"), "{changed:?}");
    assert!(
        !changed.contains(&"R02-POR-SEA"),
        "the game itself is the report"
    );
    // Nothing was committed.
    assert_eq!(version(&server), 1);
    assert_eq!(season(&server)["hard_violations"], 5);

    // The same move, committed, gives the season the what-if foretold.
    let (s, v, _) = server.send(
        "PATCH",
        SCHEDULE,
        &json!({"edit": [{"id": "R02-POR-SEA", "start": "2026-03-14T15:30"}]}).to_string(),
    );
    assert_eq!(s, 200, "{v}");
    let after = season(&server);
    assert_eq!(after["hard_violations"], what["after"]["hard_violations"]);
    assert_eq!(after["soft_violations"], what["after"]["soft_violations"]);
    assert_eq!(after["penalties"], what["after"]["penalties"]);
    assert_eq!(after["score"], what["after"]["score"]);
    let (_, v) = server.post(
        "/v1/evaluate",
        &json!({"league": "pacific-atlantic", "game": "R03-POR-ATL"}),
    );
    let reported = what["changed"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["game"] == "R03-POR-ATL"))
        .ok_or("R03-POR-ATL")?;
    assert_eq!(untimed(&v["report"]), untimed(&reported["report"]));

    // In a batch, the inline games are one edit and the ids are judged
    // in the edited copy.
    let (s, v) = server.post(
        "/v1/evaluate/batch",
        &json!({"league": "pacific-atlantic", "games": [
            {"id": "R02-POR-SEA", "home": "POR", "away": "SEA", "start": "2026-03-07T15:30"},
            "R03-POR-ATL"
        ]}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["games"][0]["game"], "R02-POR-SEA");
    assert_eq!(v["games"][1]["game"], "R03-POR-ATL");
    assert_eq!(v["what_if"]["after"]["hard_violations"], 5, "{v}");
    Ok(())
}

#[test]
fn moves_are_scored_one_by_one_and_never_committed() -> TestResult {
    let server = Server::start(&["--league", LEAGUE], &[]);
    let body = json!({"base_version": 1, "moves": [
        // onto a busy day: new hard violations
        {"edit": [{"id": "R02-POR-SEA", "start": "2026-03-14T15:30"}]},
        // two days later: the short rest is gone
        {"edit": [{"id": "R14-PHX-SLC", "start": "2026-05-13T19:00"}]},
        // a swap of two games' dates is two edits
        {"edit": [{"id": "R02-POR-SEA", "start": "2026-03-14T18:00"},
                  {"id": "R03-POR-ATL", "start": "2026-03-07T15:30"}]}
    ]});
    let (s, v) = server.post(MOVES, &body);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["schedule_version"], 1);
    let now = season(&server);
    for key in [
        "hard_violations",
        "soft_violations",
        "preference_violations",
        "penalties",
        "score",
        "valid",
    ] {
        assert_eq!(v["season"][key], now[key], "{key}");
    }
    assert_eq!(
        v["season"]["levels"].as_str().map(|l| l.ends_with("pref")),
        Some(true)
    );
    let moves = v["moves"].as_array().ok_or("moves")?;
    assert_eq!(moves.len(), 3);
    assert!(
        moves[0]["delta"]["hard_violations"].as_i64() > Some(0),
        "{}",
        moves[0]
    );
    assert!(
        moves[1]["delta"]["hard_violations"].as_i64() < Some(0),
        "{}",
        moves[1]
    );
    let changed = |m: &Value| -> Vec<String> {
        m["changed"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["game"].as_str().map(str::to_owned))
            .collect()
    };
    assert!(changed(&moves[1]).contains(&"R14-PHX-SLC".to_owned()));
    assert!(changed(&moves[2]).contains(&"R03-POR-ATL".to_owned()));
    // Each move was judged on its own: the second does not see the first.
    assert_eq!(
        moves[1]["after"]["hard_violations"].as_i64(),
        now["hard_violations"]
            .as_i64()
            .map(|h| h + moves[1]["delta"]["hard_violations"].as_i64().unwrap_or(0))
    );
    assert_eq!(version(&server), 1);

    // Committing the second gives the season it foretold.
    let (s, _, _) = server.send(
        "PATCH",
        SCHEDULE,
        &json!({"edit": [{"id": "R14-PHX-SLC", "start": "2026-05-13T19:00"}]}).to_string(),
    );
    assert_eq!(s, 200);
    let after = season(&server);
    assert_eq!(
        after["hard_violations"],
        moves[1]["after"]["hard_violations"]
    );
    assert_eq!(after["penalties"], moves[1]["after"]["penalties"]);

    // The schedule moved on: moves made against version 1 are refused.
    let (s, v) = server.post(MOVES, &body);
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"]["code"], "schedule_moved");
    Ok(())
}

#[test]
fn bad_moves_are_refused_with_what_and_where_and_nothing_is_committed() -> TestResult {
    let server = Server::start(&["--league", LEAGUE], &[]);
    let edit = |e: Value| json!({"moves": [{"edit": [{"id": "R02-POR-SEA", "start": "2026-03-08T15:30"}]}, {"edit": [e]}]});
    let many: Vec<Value> = (0..10_000)
        .map(|_| json!({"edit": [{"id": "R02-POR-SEA", "start": "2026-03-08T15:30"}]}))
        .collect();
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            edit(json!({"id": "NOPE-1", "start": "2026-03-08T15:30"})),
            422,
            "unknown_game",
            "moves[1].edit[0] (NOPE-1): no game `NOPE-1`",
        ),
        (
            edit(json!({"id": "R02-POR-SEA", "home": "XXX"})),
            422,
            "invalid_move",
            "unknown team `XXX`",
        ),
        (
            edit(json!({"id": "R02-POR-SEA", "venue": "atlantis"})),
            422,
            "invalid_move",
            "unknown venue `atlantis`",
        ),
        (
            edit(json!({"id": "R02-POR-SEA", "start": "next tuesday"})),
            422,
            "invalid_move",
            "moves[1]",
        ),
        (
            json!({"moves": [{"edit": [{"id": "R02-POR-SEA", "start": "2026-03-08T15:30"}, {"id": "R02-POR-SEA", "start": "2026-03-09T15:30"}]}]}),
            422,
            "invalid_move",
            "named twice",
        ),
        (
            json!({"moves": [{}]}),
            422,
            "empty_move",
            "moves[0] changes nothing",
        ),
        (json!({"moves": []}), 422, "no_moves", "`moves` is empty"),
        (
            json!({"moves": many}),
            413,
            "too_many_moves",
            "server.max_moves",
        ),
        (
            json!({"moves": [{"edit": [{"id": "R02-POR-SEA", "colour": "red"}]}]}),
            422,
            "invalid_request",
            "colour",
        ),
        (
            json!({"moves": [{"edit": [{"id": "R02-POR-SEA", "start": null}]}]}),
            422,
            "invalid_request",
            "cannot be null",
        ),
        (json!({"move": []}), 422, "invalid_request", "move"),
    ];
    for (body, status, code, says) in cases {
        let (s, v) = server.post(MOVES, &body);
        assert_eq!(s, status, "{v}");
        assert_eq!(v["error"]["code"], code, "{v}");
        let message = v["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(says), "{message:?} should say {says:?}");
    }
    let (s, v) = server.post(
        "/v1/leagues/nope/moves",
        &json!({"moves": [{"remove": ["A"]}]}),
    );
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (404, Some("unknown_league"))
    );
    assert_eq!(version(&server), 1);
    assert_eq!(season(&server)["hard_violations"], 5);
    Ok(())
}

#[test]
fn schedule_writes_carry_versions_and_get_goes_back_with_put() -> TestResult {
    let server = Server::start(&["--league", LEAGUE], &[]);
    let before = season(&server);
    let (s, got, headers) = Server::answer(
        Server::agent()
            .get(format!("{}{SCHEDULE}", server.base))
            .call(),
    );
    assert_eq!(s, 200);
    assert_eq!(
        headers.get("etag").and_then(|v| v.to_str().ok()),
        Some("\"1\"")
    );

    // GET's body, sent back unchanged, is the same schedule.
    let (s, v, headers) = server.send("PUT", SCHEDULE, &got.to_string());
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["version"], 2);
    assert_eq!(
        headers.get("etag").and_then(|v| v.to_str().ok()),
        Some("\"2\"")
    );
    let after = season(&server);
    for key in [
        "games",
        "hard_violations",
        "soft_violations",
        "preference_violations",
        "penalties",
        "score",
    ] {
        assert_eq!(before[key], after[key], "{key}");
    }
    // ...but not once the schedule has moved on (the body names version 1).
    let (s, v, _) = server.send("PUT", SCHEDULE, &got.to_string());
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("schedule_moved")),
        "{v}"
    );

    // If-Match: a stale tag is a failed precondition, and changes nothing.
    let edit = json!({"edit": [{"id": "R02-POR-SEA", "venue": "cascade-park"}]}).to_string();
    let (s, v, _) = send_with(&server, "PATCH", SCHEDULE, &[("if-match", "\"1\"")], &edit);
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (412, Some("precondition_failed")),
        "{v}"
    );
    let (s, v, _) = send_with(
        &server,
        "PUT",
        SCHEDULE,
        &[("if-match", "\"1\"")],
        &json!({"games": []}).to_string(),
    );
    assert_eq!(s, 412, "{v}");
    let (s, v, _) = send_with(&server, "PATCH", SCHEDULE, &[("if-match", "7")], &edit);
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("malformed_if_match")),
        "{v}"
    );
    assert_eq!(version(&server), 2);
    let (s, v, headers) = send_with(&server, "PATCH", SCHEDULE, &[("if-match", "\"2\"")], &edit);
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        headers.get("etag").and_then(|v| v.to_str().ok()),
        Some("\"3\"")
    );
    let game = |server: &Server| -> Value {
        server.get(SCHEDULE).1["games"]
            .as_array()
            .and_then(|gs| gs.iter().find(|g| g["id"] == "R02-POR-SEA").cloned())
            .unwrap_or_default()
    };
    assert_eq!(game(&server)["venue"], "cascade-park");

    // null clears an optional field: the venue goes back to the home team's.
    let (s, v, _) = send_with(
        &server,
        "PATCH",
        SCHEDULE,
        &[("if-match", "*")],
        &json!({"edit": [{"id": "R02-POR-SEA", "venue": null, "tags": null}]}).to_string(),
    );
    assert_eq!(s, 200, "{v}");
    let g = game(&server);
    assert!(
        g.get("venue").is_none(),
        "the home team's venue is not written: {g}"
    );
    assert!(g.get("tags").is_none(), "{g}");
    let (_, v) = server.post(
        "/v1/evaluate",
        &json!({"league": "pacific-atlantic", "game": "R02-POR-SEA"}),
    );
    assert_eq!(v["report"]["venue"], "willamette-grounds");
    // ...and a required one cannot be.
    let (s, v, _) = server.send(
        "PATCH",
        SCHEDULE,
        &json!({"edit": [{"id": "R02-POR-SEA", "start": null}]}).to_string(),
    );
    assert_eq!(s, 422, "{v}");
    assert_eq!(version(&server), 4);
    Ok(())
}

#[test]
fn a_stream_answers_a_bad_line_with_an_error_line_and_the_rest_as_usual() -> TestResult {
    let server = Server::start(&["--league", LEAGUE], &[]);
    let body = [
        "\"R14-PHX-SLC\"",
        "{\"game\": 42}",
        "\"NO-SUCH-GAME\"",
        "",
        "{\"id\": \"R02-POR-SEA\", \"home\": \"POR\", \"away\": \"SEA\", \"venue\": \"willamette-grounds\", \"start\": \"2026-03-14T15:30\"}",
        "{\"league\": \"elsewhere\", \"game\": \"R20-ATL-VAN\"}",
        "not json",
    ]
    .join("\n");
    let url = format!("{}/v1/evaluate/stream?league=pacific-atlantic", server.base);
    let mut response = Server::agent()
        .post(url)
        .header("content-type", "application/x-ndjson")
        .send(&body)?;
    assert_eq!(response.status().as_u16(), 200);
    let text = response.body_mut().read_to_string()?;
    let lines: Vec<Value> = text
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(lines.len(), 6, "{text}");
    let id = lines[0]["id"].as_str().ok_or("an evaluation id")?;
    assert!(id.starts_with("ev-"));
    for l in &lines {
        assert_eq!(l["id"], id, "{l}");
        assert_eq!(l["schedule_version"], 1, "{l}");
    }
    let by_line = |n: u64| {
        lines
            .iter()
            .find(|l| l["line"] == n)
            .ok_or(format!("line {n}"))
    };
    assert_eq!(by_line(1)?["game"], "R14-PHX-SLC");
    assert_eq!(by_line(1)?["valid"], false);
    assert_eq!(by_line(2)?["error"]["code"], "invalid_request");
    assert_eq!(by_line(3)?["error"]["code"], "unknown_game");
    assert!(
        by_line(3)?["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("NO-SUCH-GAME")
    );
    let moved = by_line(5)?;
    assert_eq!(moved["game"], "R02-POR-SEA");
    assert_eq!(status_of(moved, "venue-double-booking"), "violated");
    assert!(
        moved["what_if"]["after"]["hard_violations"].as_i64() > Some(5),
        "{moved}"
    );
    assert_eq!(by_line(6)?["error"]["code"], "mixed_leagues");
    assert_eq!(by_line(7)?["error"]["code"], "malformed_json");
    Ok(())
}

/// A venue-local time that the clocks skip or repeat is refused wherever a
/// schedule is written or a move made, naming the game, the time and the
/// zone; with an offset it is exact.
#[test]
fn times_that_do_not_exist_are_refused_naming_game_time_and_zone() -> TestResult {
    let server = Server::start(&["--league", LEAGUE], &[]);
    // Portland's clocks go from 02:00 to 03:00 on 2026-03-08.
    let gap = json!({"games": [
        {"id": "G1", "home": "POR", "away": "SEA", "start": "2026-03-01T19:00"},
        {"id": "G2", "home": "POR", "away": "SEA", "start": "2026-03-08T02:30"}
    ]});
    let (s, v, _) = server.send("PUT", SCHEDULE, &gap.to_string());
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("invalid_schedule")),
        "{v}"
    );
    let message = v["error"]["message"].as_str().unwrap_or("");
    for says in [
        "games[1] (G2).start",
        "2026-03-08T02:30",
        "does not exist in America/Los_Angeles",
    ] {
        assert!(message.contains(says), "{message:?} should say {says:?}");
    }
    // ...and 01:30 on 2026-11-01 happens twice.
    let (s, v) = server.post(
        MOVES,
        &json!({"moves": [{"edit": [{"id": "R02-POR-SEA", "start": "2026-11-01T01:30"}]}]}),
    );
    assert_eq!(s, 422, "{v}");
    let message = v["error"]["message"].as_str().unwrap_or("");
    for says in [
        "moves[0]",
        "R02-POR-SEA",
        "happens twice in America/Los_Angeles",
        "-07:00",
        "-08:00",
    ] {
        assert!(message.contains(says), "{message:?} should say {says:?}");
    }
    // With an offset the time is exact.
    let (s, v) = server.post(
        MOVES,
        &json!({"moves": [{"edit": [{"id": "R02-POR-SEA", "start": "2026-11-01T01:30-08:00"}]}]}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(version(&server), 1);
    Ok(())
}
