//! A RobinX instance served as a league (`[leagues.NAME] robinx = {...}`):
//! its season's hard and soft penalties are the validator's two numbers,
//! and candidate moves, edits and `If-Match` work as for any league, each
//! answer equal to `umpire robinx`'s scoring of the edited schedule.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use umpire::model::robinx::to_slot;
use umpire::registry::LoadOptions;
use umpire::robinx::{Host, Instance, Pack, Scorer, Solution};
use umpire::{Schedule, SchedulePatch};

use crate::server::Server;
use crate::support::{TempTree, TestResult, workspace_root};

const INSTANCE: &str = "examples/robinx/instances/ITC2021/ITC2021_Test2.xml";
const SOLUTION: &str = "examples/robinx/solutions/ITC2021/ITC2021_Test2_SolIP.xml";
const SCHEDULE: &str = "/v1/leagues/test2/schedule";

/// The library's scoring, the slow and obvious one, of the instance's
/// schedules; the component built if stale, before a server needs it.
struct Library {
    scorer: Scorer,
    schedule: Arc<Schedule>,
}

impl Library {
    fn new() -> Self {
        let root = workspace_root();
        let instance = Instance::load(&root.join(INSTANCE)).expect("the sample instance");
        let pack = Pack::load(&Pack::default_dir()).expect("the pack");
        let scorer = Scorer::new(&instance, &pack, Host::Wasm, &LoadOptions::default())
            .expect("the pack builds and loads");
        let solution = Solution::load(&root.join(SOLUTION), &instance).expect("the solution");
        let schedule = Arc::new(solution.schedule(scorer.league()).expect("a schedule"));
        Self { scorer, schedule }
    }

    /// (infeasibility, objective) of `schedule`.
    fn score(&self, schedule: &Arc<Schedule>) -> (i64, i64) {
        let s = self.scorer.score(schedule);
        (s.hard_violations, s.objective)
    }

    /// The move of the game at `position` to `slot` (its round and its
    /// day, as `to_slot` makes it), as a PATCH body.
    fn move_to(&self, position: usize, slot: usize) -> Value {
        let game = &self.schedule.games()[position];
        let days = slot as i64 - i64::from(game.round.expect("a slot"));
        let start = game
            .start
            .checked_add(jiff::Span::new().days(days))
            .expect("a day");
        let end = start
            .checked_add(jiff::SignedDuration::from_secs(1))
            .expect("an end");
        let body = json!({"edit": [{"id": &*game.id, "round": slot, "start": start.to_string(), "end": end.to_string()}]});
        // The same edit as the library's own.
        let mine: SchedulePatch = serde_json::from_value(body.clone()).expect("a patch");
        let theirs = SchedulePatch::new().editing(to_slot(game, slot));
        let league = self.scorer.league();
        let (a, b) = (
            mine.apply_to(&self.schedule, league, Path::new("mine")),
            theirs.apply_to(&self.schedule, league, Path::new("theirs")),
        );
        let (a, b) = (a.expect("applies"), b.expect("applies"));
        assert_eq!(
            a.fingerprint_of(&a.games()[position]),
            b.fingerprint_of(&b.games()[position])
        );
        body
    }

    /// `schedule` with the move applied.
    fn apply(&self, schedule: &Arc<Schedule>, body: &Value) -> Arc<Schedule> {
        let patch: SchedulePatch = serde_json::from_value(body.clone()).expect("a patch");
        let edited = patch
            .apply_to(schedule, self.scorer.league(), Path::new("test"))
            .expect("the move applies");
        Arc::new(edited)
    }
}

fn config(t: &TempTree, extra: &str) -> PathBuf {
    let root = workspace_root();
    t.write(
        "umpire.toml",
        &format!(
            "[leagues.test2.robinx]\ninstance = {:?}\nsolution = {:?}\npack = {:?}\n{extra}",
            root.join(INSTANCE),
            root.join(SOLUTION),
            Pack::default_dir()
        ),
    )
}

/// `PATCH` of the schedule with `If-Match: tag`.
fn patch_if(server: &Server, tag: &str, body: &str) -> (u16, Value) {
    let request = Server::agent()
        .patch(format!("{}{SCHEDULE}", server.base))
        .header("content-type", "application/json")
        .header("if-match", tag);
    let (s, v, _) = Server::answer(request.send(body));
    (s, v)
}

fn penalties(summary: &Value) -> (i64, i64) {
    let p = &summary["penalties"];
    let n = |v: &Value| v.as_f64().map(|x| x.round() as i64);
    (
        n(&p["hard"]).expect("hard penalties"),
        n(&p["soft"]).expect("soft penalties"),
    )
}

#[test]
fn a_robinx_league_scores_moves_and_edits_as_the_validator_would() -> TestResult {
    let lib = Library::new();
    assert_eq!(
        lib.score(&lib.schedule),
        (0, 176),
        "the expected.tsv row for Test2"
    );
    let t = TempTree::new();
    let config = config(&t, "");
    let server = Server::start(&["--config", config.to_str().ok_or("path")?], &[]);

    let (s, v) = server.get(SCHEDULE);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["version"], 1);
    let games = v["games"].as_array().ok_or("games")?.len();
    assert_eq!(games, lib.schedule.len());

    // The season: the validator's numbers, as penalty levels.
    let (s, v, _) = server.send("POST", "/v1/evaluate/batch", r#"{"league": "test2"}"#);
    assert_eq!(s, 200, "{v}");
    assert_eq!(penalties(&v["report"]["summary"]), (0, 176), "{v}");

    // Candidate moves: each game of a few moved to a few slots, each answer
    // the library's score of the edited schedule; nothing committed.
    let mut bodies = Vec::new();
    for (position, slot) in [(0, 5), (7, 0), (19, 8), (23, 2), (14, 3), (29, 7)] {
        bodies.push(lib.move_to(position, slot));
    }
    let (s, v, _) = server.send(
        "POST",
        "/v1/leagues/test2/moves",
        &json!({"moves": bodies}).to_string(),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(penalties(&v["season"]), (0, 176), "{v}");
    let answers = v["moves"].as_array().ok_or("moves")?;
    assert_eq!(answers.len(), bodies.len());
    let mut worse = 0;
    for (body, answer) in bodies.iter().zip(answers) {
        let expected = lib.score(&lib.apply(&lib.schedule, body));
        assert_eq!(penalties(&answer["after"]), expected, "{body} -> {answer}");
        let delta = penalties(&answer["delta"]);
        assert_eq!(delta, (expected.0, expected.1 - 176), "{answer}");
        worse += usize::from(expected.0 > 0);
    }
    assert!(
        worse > 0,
        "some move breaks a hard constraint: the test sees one"
    );
    assert_eq!(server.get(SCHEDULE).1["version"], 1, "nothing committed");

    // An edit with a stale If-Match is refused; with the right one it lands,
    // and the season is what the library says of the edited schedule.
    let edit = bodies[2].to_string();
    let (s, _) = patch_if(&server, "\"7\"", &edit);
    assert_eq!(s, 412);
    let (s, v) = patch_if(&server, "\"1\"", &edit);
    assert_eq!(s, 200, "{v}");
    assert_eq!(server.get(SCHEDULE).1["version"], 2);
    let edited = lib.apply(&lib.schedule, &bodies[2]);
    let (s, v, _) = server.send("POST", "/v1/evaluate/batch", r#"{"league": "test2"}"#);
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        penalties(&v["report"]["summary"]),
        lib.score(&edited),
        "{v}"
    );

    // A move to a slot the instance does not have, or of a game that is
    // not there, is the client's mistake: a 422 that says which, and
    // nothing is committed.
    let slots = 2 * (6 - 1);
    let mut unknown = lib.move_to(0, 0);
    unknown["edit"][0]["id"] = json!("no-such-game");
    let off = json!({"edit": [{"id": &*lib.schedule.games()[0].id, "round": slots}]});
    for (bad, says) in [
        (&unknown, "no-such-game"),
        (
            &off,
            "round 10 is not a slot of the instance (its slots are 0..=9)",
        ),
    ] {
        let (s, v, _) = server.send(
            "POST",
            "/v1/leagues/test2/moves",
            &json!({"moves": [bad]}).to_string(),
        );
        assert_eq!(s, 422, "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .ok_or("message")?
                .contains(says),
            "{v}"
        );
    }
    let (s, v) = patch_if(&server, "\"2\"", &off.to_string());
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("round 10 is not a slot"), "{v}");
    let mut games = server.get(SCHEDULE).1;
    games["games"][0]["round"] = json!(11);
    let (s, v, _) = server.send(
        "PUT",
        SCHEDULE,
        &json!({"games": games["games"]}).to_string(),
    );
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("round 11 is not a slot"), "{v}");
    let mut inline = games["games"][0].clone();
    inline["round"] = json!(12);
    let (s, v, _) = server.send(
        "POST",
        "/v1/evaluate",
        &json!({"league": "test2", "game": inline}).to_string(),
    );
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("round 12 is not a slot"), "{v}");
    assert_eq!(server.get(SCHEDULE).1["version"], 2, "nothing committed");
    Ok(())
}

#[test]
fn a_robinx_league_entry_that_is_wrong_says_what_and_where() -> TestResult {
    let root = workspace_root();
    let t = TempTree::new();
    for (name, body, says) in [
        (
            "both",
            format!(
                "[leagues.x]\ndir = \"a\"\n[leagues.x.robinx]\ninstance = {:?}\n",
                root.join(INSTANCE)
            ),
            "leagues.x: `dir` and `robinx` are two kinds of league",
        ),
        (
            "neither",
            "[leagues.x]\nplugins = [\"p\"]\n".to_owned(),
            "leagues.x: give the league's directory",
        ),
        (
            "schedule",
            format!(
                "[leagues.x]\nschedule = \"s.json\"\n[leagues.x.robinx]\ninstance = {:?}\n",
                root.join(INSTANCE)
            ),
            "drop `plugins` and `schedule`",
        ),
        (
            "missing",
            "[leagues.x.robinx]\ninstance = \"no-such.xml\"\n".to_owned(),
            "no-such.xml",
        ),
        (
            "pack",
            format!(
                "[leagues.x.robinx]\ninstance = {:?}\npack = \"nowhere\"\n",
                root.join(INSTANCE)
            ),
            "no RobinX plugin pack here",
        ),
    ] {
        let config = t.write(&format!("{name}.toml"), &body);
        let out = crate::support::umpire()
            .args(["serve", "--bind", "127.0.0.1:0", "--config"])
            .arg(&config)
            .timeout(std::time::Duration::from_secs(60))
            .output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: {stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
    }
    Ok(())
}
