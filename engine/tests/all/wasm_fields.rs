//! A WebAssembly rule that names the fields of a game it reads
//! (`[wasm] fields`): the host leaves the others empty in every record it
//! hands over, and the verdict cache fingerprints the games over the named
//! fields alone, so a rule that counts TV games holds when a game only
//! moves in time.

use std::sync::Arc;

use umpire::{Evaluator, Registry, Status, cache::CacheConfig, cache::VerdictCache};

use crate::support::{
    TempTree, TestResult, comparable, example_season, examples_built, move_game, schedule_of,
    wasm_plugins,
};

/// A plugin directory in `t` holding the component at `wasm` (under the
/// example plugins) with this manifest, whose `source` is `rule.wasm`.
fn plugin(t: &TempTree, dir: &str, wasm: &str, manifest: &str) -> std::path::PathBuf {
    let to = t.path().join(dir);
    std::fs::create_dir_all(&to).expect("a plugin directory");
    std::fs::copy(wasm_plugins().join(wasm), to.join("rule.wasm")).expect("the component is built");
    std::fs::write(to.join("rule.toml"), manifest).expect("the manifest");
    to
}

const PROBE: &str = "id = \"probe-wasm\"\nname = \"Probe\"\nkind = \"wasm\"\nsource = \"rule.wasm\"\nscope = \"game\"\nhardness = \"soft\"\ntimeout_ms = 5000\n";

/// The probe's answers about the game at `index`, by probe name, with the
/// manifest's `[wasm]` table `table`.
fn probe_answers(table: &str, index: usize) -> Vec<(String, String)> {
    Registry::load(&[wasm_plugins().join("probe")]).expect("the probe builds and loads");
    let t = TempTree::new();
    let dir = plugin(
        &t,
        "probe",
        "probe/target/probe.wasm",
        &format!("{PROBE}{table}"),
    );
    let (league, spec, _) = example_season();
    let schedule = schedule_of(&league, &spec);
    let registry = Registry::load(&[dir]).expect("the probe loads");
    let report = Evaluator::new(league, Arc::new(registry)).evaluate(&schedule);
    let verdict = &report.games[index].verdicts[0];
    assert_eq!(verdict.status, Status::Violated, "{verdict:?}");
    verdict
        .violations
        .iter()
        .map(|v| {
            let (name, answer) = v.message.split_once(": ").expect("`name: answer`");
            (name.to_owned(), answer.to_owned())
        })
        .collect()
}

fn answer<'a>(answers: &'a [(String, String)], name: &str) -> &'a str {
    answers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, a)| a.as_str())
        .unwrap_or_else(|| panic!("no `{name}` answer in {answers:?}"))
}

#[test]
fn a_field_the_manifest_does_not_name_comes_empty() {
    let whole = probe_answers("", 5);
    let named = probe_answers(
        "[wasm]\nfields = [\"id\", \"home\", \"away\", \"venue\"]\n",
        5,
    );
    // The game itself: id, teams and venue as they are; kickoff, end,
    // round and tags empty.
    let game = answer(&whole, "game(id)");
    let (id_teams_venue, _) = game
        .split_once(' ')
        .and_then(|(id, rest)| {
            let (teams_venue, _) = rest.split_once(' ')?;
            Some((format!("{id} {teams_venue}"), ()))
        })
        .expect("`ID HOME-AWAY@VENUE ...`");
    assert!(!game.contains("1970-01-01"), "{game}");
    assert_eq!(
        answer(&named, "game(id)"),
        format!("{id_teams_venue} 1970-01-01T00:00..1970-01-01T00:00 r- []"),
    );
    // The same in a list: the games of the home team, each blanked.
    let games_of = answer(&named, "games_of(home)");
    assert!(
        games_of.contains(" 1970-01-01T00:00..1970-01-01T00:00 r- []"),
        "{games_of}"
    );
    assert_eq!(
        games_of.split(" | ").next(),
        answer(&whole, "games_of(home)").split(" | ").next(),
        "the same games are found"
    );
    // What the host answers from the real kickoffs still answers (and is
    // noted as read): the rest days.
    assert_eq!(
        answer(&named, "rest_days(home)"),
        answer(&whole, "rest_days(home)")
    );
}

const SHARE: &str = "id = \"broadcast-share\"\nname = \"Broadcast share\"\nkind = \"wasm\"\nsource = \"rule.wasm\"\nscope = \"schedule\"\npartition = \"team\"\nhardness = \"soft\"\ntimeout_ms = 5000\n[params]\nmin_tv_games = 4\nmax_tv_games = 12\n";

/// L1 inserts after a season and then one more evaluation of the season
/// with game 17 moved a day (or its TV window dropped, when `tv_off`),
/// with `broadcast-share` under this `[wasm]` table; the warm evaluation
/// is checked against a fresh one.
fn inserts_after_a_move(
    table: &str,
    tv_off: bool,
) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    examples_built();
    let t = TempTree::new();
    let dir = plugin(
        &t,
        "share",
        "target/wasm32-wasip2/release/broadcast_share.wasm",
        &format!("{SHARE}{table}"),
    );
    let registry = Arc::new(Registry::load(&[dir])?);
    let (league, mut spec, _) = example_season();
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default())?);
    let cached = Evaluator::new(league.clone(), registry.clone()).with_cache(cache.clone());
    cached.evaluate(&schedule_of(&league, &spec));
    let season = cache.stats().l1.inserts;
    if tv_off {
        let i = spec
            .games
            .iter()
            .position(|g| g.tv.is_some())
            .ok_or("a TV game")?;
        spec.games[i].tv = None;
    } else {
        move_game(&mut spec, 17, 1);
    }
    let edited = schedule_of(&league, &spec);
    let warm = cached.evaluate(&edited);
    let fresh = Evaluator::new(league, registry).evaluate(&edited);
    assert_eq!(comparable(warm), comparable(fresh));
    Ok((season, cache.stats().l1.inserts - season))
}

#[test]
fn a_rule_that_reads_only_tv_windows_holds_across_a_move_in_time() -> TestResult {
    let teams = example_season().0.teams.len() as u64;
    // Whole records: the moved game's two teams are asked again.
    assert_eq!(inserts_after_a_move("", false)?, (teams, 2));
    // The TV window only: nothing it reads changed.
    let tv = "[wasm]\nfields = [\"tv\"]\n";
    assert_eq!(inserts_after_a_move(tv, false)?, (teams, 0));
    // A change to what it reads asks the two teams again.
    assert_eq!(inserts_after_a_move(tv, true)?, (teams, 2));
    Ok(())
}

#[test]
fn the_example_plugins_see_every_field_they_name() -> TestResult {
    // The example league's WebAssembly rules name their fields; the same
    // rules given whole records must rule the season the same way (a rule
    // that read a field it does not name would trap or differ).
    examples_built();
    let t = TempTree::new();
    let whole = t.path().join("whole");
    let mut named = Vec::new();
    for entry in std::fs::read_dir(wasm_plugins())? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "toml") || path.ends_with("Cargo.toml") {
            continue;
        }
        let mut manifest: toml::Table = toml::from_str(&std::fs::read_to_string(&path)?)?;
        let Some(wasm) = manifest.get_mut("wasm").and_then(|w| w.as_table_mut()) else {
            continue;
        };
        if wasm.remove("fields").is_none() {
            continue;
        }
        named.push(path.file_name().ok_or("a name")?.to_owned());
        // Built already; the copy has no build of its own.
        manifest.remove("build");
        let source = manifest["source"].as_str().ok_or("a source")?;
        let to = whole.join(source);
        std::fs::create_dir_all(to.parent().ok_or("a parent")?)?;
        std::fs::copy(wasm_plugins().join(source), to)?;
        let text = toml::to_string(&manifest)?;
        std::fs::write(whole.join(path.file_name().ok_or("a name")?), text)?;
    }
    assert_eq!(
        named.len(),
        4,
        "the four example rules name their fields: {named:?}"
    );
    let (league, spec, _) = example_season();
    let schedule = schedule_of(&league, &spec);
    let with_fields = Registry::load(&[wasm_plugins()])?;
    let with_whole = Registry::load(&[whole])?;
    assert!(
        with_whole
            .constraints()
            .iter()
            .all(|c| c.manifest.wasm.is_some_and(|w| w.fields.is_none()))
    );
    let a = Evaluator::new(league.clone(), Arc::new(with_fields)).evaluate(&schedule);
    let b = Evaluator::new(league, Arc::new(with_whole)).evaluate(&schedule);
    assert!(
        a.summary.hard_violations > 0,
        "the season has faults these rules find"
    );
    assert_eq!(comparable(a), comparable(b));
    Ok(())
}
