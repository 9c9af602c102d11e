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

    // A's edit, which B and C have not asked about since.
    let (s, v) = patch(&a, Some("\"3\""), &moved);
    assert_eq!((s, &v["version"]), (200, &json!(4)), "{v}");

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

    // Redis back, empty (no persistence). B, asked first, stores the last
    // version it knew (3); A's newer copy then goes back over it, and every
    // node ends on version 4: no accepted edit is lost.
    let _redis = RedisServer::start_on(port).ok_or("redis-server")?;
    let (s, v) = b.get(SCHEDULE);
    assert_eq!((s, &v["version"]), (200, &json!(3)), "{v}");
    let on_a = a.get(SCHEDULE).1;
    assert_eq!(on_a["version"], 4, "{on_a}");
    for n in [&b, &c] {
        let (s, v) = n.get(SCHEDULE);
        assert_eq!((s, &v["version"]), (200, &json!(4)), "{v}");
        assert_eq!(start_of(&v, "R02-POR-SEA"), start_of(&on_a, "R02-POR-SEA"));
    }
    let (s, v) = patch(&c, Some("\"4\""), &back);
    assert_eq!((s, &v["version"]), (200, &json!(5)), "{v}");
    assert_eq!(a.get(SCHEDULE).1["version"], 5);
    Ok(())
}

/// GET `path` until `done` holds of the answer (bounded: 15 s).
fn until(server: &Server, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (s, v) = server.get(path);
        if s == 200 && done(&v) {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{path} never did: {s} {v}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn node_named<'a>(cluster: &'a Value, base: &str) -> Option<&'a Value> {
    let port = base.rsplit(':').next()?;
    cluster["nodes"].as_array()?.iter().find(|n| {
        n["addr"]
            .as_str()
            .is_some_and(|a| a.ends_with(&format!(":{port}")))
    })
}

#[test]
fn a_reload_on_one_node_reloads_every_node_and_a_node_with_other_plugins_says_so() -> TestResult {
    let Some(redis) = RedisServer::start() else {
        return Ok(());
    };
    let t = TempTree::new();
    t.rule(
        "extra-rule",
        "game",
        "soft",
        "[params]\nlevel = 1\n",
        "pass()",
    );
    let league = workspace_root().join("examples/leagues/pacific-atlantic");
    let head = format!(
        "[cluster]\nurl = \"{}\"\nprefix = \"reload:\"\nheartbeat_ms = 100\n\n[server]\nwatch = false\nadmin_token = \"secret-secret-secret\"\n\n",
        redis.url()
    );
    let same = t.write(
        "same.toml",
        &format!(
            "{head}[leagues.pacific-atlantic]\ndir = {league:?}\nplugins = [{:?}]\n",
            t.path().join("plugins")
        ),
    );
    let other = t.write(
        "other.toml",
        &format!("{head}[leagues.pacific-atlantic]\ndir = {league:?}\n"),
    );
    let (a, b, c) = (node(&same), node(&same), node(&other));

    // Every node listed, alive; C's plugins are not A's.
    let listed = until(&a, "/v1/cluster", |v| {
        [&a, &b, &c]
            .iter()
            .all(|n| node_named(v, &n.base).is_some_and(|n| n["alive"] == true))
    });
    let same_plugins = |n: &Server| node_named(&listed, &n.base).map(|n| n["same_plugins"].clone());
    assert_eq!(same_plugins(&b), Some(json!(true)), "{listed}");
    assert_eq!(same_plugins(&c), Some(json!(false)), "{listed}");

    // A reload on A (the rule's params changed) reaches B.
    let params = |n: &Server| n.get("/v1/constraints/extra-rule").1["params"]["level"].clone();
    assert_eq!(params(&b), json!(1));
    t.rule(
        "extra-rule",
        "game",
        "soft",
        "[params]\nlevel = 2\n",
        "pass()",
    );
    let (s, v, _) = Server::answer(
        Server::agent()
            .post(format!("{}/v1/admin/reload", a.base))
            .header("authorization", "Bearer secret-secret-secret")
            .send(""),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(params(&a), json!(2));
    until(&b, "/v1/constraints/extra-rule", |v| {
        v["params"]["level"] == 2
    });
    // And the two still run the same plugins.
    let listed = until(&a, "/v1/cluster", |v| {
        node_named(v, &b.base).is_some_and(|n| {
            n["same_plugins"] == true && n["leagues"]["pacific-atlantic"]["reloads"] == 1
        })
    });
    assert!(
        node_named(&listed, &c.base).is_some_and(|n| n["same_plugins"] == false),
        "{listed}"
    );

    // A server without [cluster] lists no nodes.
    let alone = Server::start(&["--league", "examples/leagues/pacific-atlantic"], &[]);
    let (s, v) = alone.get("/v1/cluster");
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (&v["clustered"], &v["nodes"]),
        (&json!(false), &json!([])),
        "{v}"
    );
    Ok(())
}
