//! Several `umpire serve` nodes sharing schedules through one real Redis
//! (`[cluster]`): an edit on one node is what the others answer from next,
//! `If-Match` holds across nodes, a restarted node serves the last version,
//! and a Redis that goes away gives 503s, never an answer from a version a
//! node cannot tell is current.

use serde_json::{Value, json};

use crate::redis_cache::RedisServer;
use crate::server::{Server, status_of};
use crate::support::{TempTree, TestResult, workspace_root};

const SCHEDULE: &str = "/v1/leagues/pacific-atlantic/schedule";

fn node(config: &std::path::Path) -> Server {
    Server::start(&["--config", config.to_str().expect("a path")], &[])
}

fn patch(server: &Server, tag: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = Server::agent()
        .patch(format!("{}{SCHEDULE}", server.base))
        .header("content-type", "application/json");
    if let Some(tag) = tag {
        request = request.header("if-match", tag);
    }
    let (s, v, _) = Server::answer(request.send(body.to_string()));
    (s, v)
}

fn start_of(schedule: &Value, id: &str) -> String {
    schedule["games"]
        .as_array()
        .and_then(|gs| gs.iter().find(|g| g["id"] == id))
        .map(|g| g["start"].to_string())
        .unwrap_or_default()
}

#[test]
fn nodes_share_the_schedule_through_redis_and_never_answer_from_a_stale_one() -> TestResult {
    let Some(redis) = RedisServer::start() else {
        return Ok(());
    };
    let t = TempTree::new();
    let config = t.write(
        "umpire.toml",
        &format!(
            "[cluster]\nurl = \"{}\"\nprefix = \"test:\"\ntimeout_ms = 200\n\n[leagues.pacific-atlantic]\ndir = {:?}\n",
            redis.url(),
            workspace_root().join("examples/leagues/pacific-atlantic")
        ),
    );
    let (a, b) = (node(&config), node(&config));
    let mut c = node(&config);
    for n in [&a, &b, &c] {
        let (s, v) = n.get(SCHEDULE);
        assert_eq!((s, &v["version"]), (200, &json!(1)), "{v}");
    }

    // An edit on A: B's schedule and C's evaluation are the edited ones.
    let moved = json!({"edit": [{"id": "R02-POR-SEA", "start": "2026-03-14T15:30"}]});
    let (s, v) = patch(&a, None, &moved);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["version"], 2);
    let on_b = b.get(SCHEDULE).1;
    assert_eq!(on_b["version"], 2);
    assert_eq!(
        start_of(&on_b, "R02-POR-SEA"),
        start_of(&a.get(SCHEDULE).1, "R02-POR-SEA")
    );
    let (s, v, _) = c.send(
        "POST",
        "/v1/evaluate",
        &json!({"league": "pacific-atlantic", "game": "R02-POR-SEA"}).to_string(),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        status_of(&v["report"], "venue-double-booking"),
        "violated",
        "{v}"
    );

    // If-Match across nodes: B cannot write over version 2 with a tag of 1.
    let back = json!({"edit": [{"id": "R02-POR-SEA", "start": "2026-03-15T15:30"}]});
    let (s, v) = patch(&b, Some("\"1\""), &back);
    assert_eq!(s, 412, "{v}");
    let (s, v) = patch(&b, Some("\"2\""), &back);
    assert_eq!((s, &v["version"]), (200, &json!(3)), "{v}");
    let (s, v) = patch(&a, Some("\"2\""), &moved);
    assert_eq!(s, 412, "A's copy was version 2: {v}");

    // C killed and started again serves the last version.
    drop(c);
    c = node(&config);
    let on_c = c.get(SCHEDULE).1;
    assert_eq!(on_c["version"], 3, "{on_c}");
    assert_eq!(
        start_of(&on_c, "R02-POR-SEA"),
        start_of(&b.get(SCHEDULE).1, "R02-POR-SEA")
    );

    // Redis gone: 503s that say why, no answer from a copy that may be old.
    let port = redis.port;
    drop(redis);
    let (s, v) = a.get(SCHEDULE);
    assert_eq!(s, 503, "{v}");
    assert_eq!(v["error"]["code"], "cluster_unavailable", "{v}");
    let (s, _) = patch(&b, None, &moved);
    assert_eq!(s, 503);
    let (s, v, _) = c.send(
        "POST",
        "/v1/evaluate",
        &json!({"league": "pacific-atlantic", "game": "R02-POR-SEA"}).to_string(),
    );
    assert_eq!(s, 503, "{v}");

    // Redis back, empty: the nodes store their last version again and serve.
    let _redis = RedisServer::start_on(port).ok_or("redis-server")?;
    for n in [&a, &b, &c] {
        let (s, v) = n.get(SCHEDULE);
        assert_eq!((s, &v["version"]), (200, &json!(3)), "{v}");
    }
    let (s, v) = patch(&c, Some("\"3\""), &moved);
    assert_eq!((s, &v["version"]), (200, &json!(4)), "{v}");
    assert_eq!(a.get(SCHEDULE).1["version"], 4);
    Ok(())
}
