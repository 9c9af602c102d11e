//! Helpers shared by the test modules: temp leagues and plugin directories
//! written from strings, the library pipeline in one call, and the `umpire`
//! binary.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use umpire::{
    Evaluator, GameReport, League, Registry, Report, Schedule, Status, Verdict,
    manifests::Partition, runtime::RhaiLimits,
};

/// The constraint calls behind a report: one per verdict that was not
/// skipped, and for a partitioned rule one per part (each team or venue).
pub(crate) fn calls_of(r: &Report, league: &League, registry: &Registry) -> u64 {
    let verdicts = r
        .schedule
        .verdicts
        .iter()
        .chain(r.games.iter().flat_map(|g| &g.verdicts));
    verdicts
        .filter(|v| v.status != Status::Skipped)
        .map(|v| {
            let partition = registry
                .get(&v.constraint)
                .and_then(|c| c.manifest.partition);
            match partition {
                Some(Partition::Team) => league.teams.len() as u64,
                Some(Partition::Venue) => league.venues.len() as u64,
                None => 1,
            }
        })
        .sum()
}

/// What the tests return.
pub(crate) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The workspace root (holding `examples/` and `plugins/`).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("engine/ has a parent")
        .to_owned()
}

/// The example Rhai plugins, absolute.
pub(crate) fn rhai_plugins() -> PathBuf {
    workspace_root().join("plugins/rhai")
}

/// The example WebAssembly plugins (a cargo workspace that builds them),
/// absolute.
pub(crate) fn wasm_plugins() -> PathBuf {
    workspace_root().join("plugins/wasm")
}

/// Every example plugin directory: the example league's set.
pub(crate) fn example_plugins() -> Vec<PathBuf> {
    vec![rhai_plugins(), wasm_plugins()]
}

/// Builds the example plugins (once per test run) for a process that will
/// not build them itself: `umpire serve` does not by default.
pub(crate) fn examples_built() {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        Registry::load(&example_plugins()).expect("the example plugins build and load");
    });
}

/// A fixture under `engine/tests/fixtures`.
pub(crate) fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// The `umpire` binary, run from the workspace root with colour left to its
/// own judgement (stdout is a pipe, so none).
pub(crate) fn umpire() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("umpire").expect("the umpire binary is built");
    cmd.current_dir(workspace_root())
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .env_remove("UMPIRE_LOG");
    cmd
}

/// A temporary directory that holds files written from strings.
pub(crate) struct TempTree {
    pub(crate) dir: tempfile::TempDir,
}

impl TempTree {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temp dir"),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to `rel` (creating parent directories); returns the path.
    pub(crate) fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dirs");
        }
        std::fs::write(&path, text).expect("write file");
        path
    }

    /// Writes a Rhai rule into the plugin directory `plugins`: `<name>.toml`
    /// and `<name>.rhai`. `extra` is appended to the manifest (e.g.
    /// `timeout_ms = 30` or a `[params]` table). Returns the manifest path.
    pub(crate) fn rule(
        &self,
        id: &str,
        scope: &str,
        hardness: &str,
        extra: &str,
        script: &str,
    ) -> PathBuf {
        self.rule_in("plugins", id, scope, hardness, extra, script)
    }

    /// As [`TempTree::rule`], in another plugin directory.
    pub(crate) fn rule_in(
        &self,
        dir: &str,
        id: &str,
        scope: &str,
        hardness: &str,
        extra: &str,
        script: &str,
    ) -> PathBuf {
        let file = id.replace('-', "_");
        self.write(&format!("{dir}/{file}.rhai"), script);
        self.write(
            &format!("{dir}/{file}.toml"),
            &manifest(id, &format!("{file}.rhai"), scope, hardness, extra),
        )
    }

    /// Writes the hostile endless WebAssembly loop into the plugin
    /// directory `dir` as a soft game rule `infinite-loop` with a deadline
    /// of `ms`: its component copied in (a source lies inside its plugin
    /// directory) and `stuck.toml`. Builds it first if need be.
    pub(crate) fn stuck(&self, dir: &str, ms: u32) -> Result<PathBuf, umpire::Error> {
        self.hostile(dir, "infinite-loop", "stuck", &format!("timeout_ms = {ms}"))
    }

    /// Writes the hostile WebAssembly plugin `name` into the plugin
    /// directory `dir` as a soft game rule with the plugin's own id: its
    /// component copied in as `<file>.wasm` (a source lies inside its plugin
    /// directory) and `<file>.toml`, with `extra` appended. Builds it first
    /// if need be.
    pub(crate) fn hostile(
        &self,
        dir: &str,
        name: &str,
        file: &str,
        extra: &str,
    ) -> Result<PathBuf, umpire::Error> {
        let built = hostile_component(name)?;
        std::fs::create_dir_all(self.path().join(dir)).expect("create the plugin dir");
        std::fs::copy(&built, self.path().join(dir).join(format!("{file}.wasm")))
            .expect("copy the component");
        Ok(self.write(
            &format!("{dir}/{file}.toml"),
            &format!(
                "id = \"{name}\"\nname = \"{file}\"\nkind = \"wasm\"\nsource = \"{file}.wasm\"\nscope = \"game\"\nhardness = \"soft\"\n{extra}\n"
            ),
        ))
    }
}

/// A hostile plugin's directory (`plugins/wasm/hostile/<name>`).
pub(crate) fn hostile_dir(name: &str) -> PathBuf {
    wasm_plugins().join("hostile").join(name)
}

/// A hostile plugin's component, built (and copied into its plugin
/// directory) if it is missing or out of date.
pub(crate) fn hostile_component(name: &str) -> Result<PathBuf, umpire::Error> {
    let dir = hostile_dir(name);
    Registry::load(std::slice::from_ref(&dir))?;
    Ok(dir
        .join("target")
        .join(format!("{}.wasm", name.replace('-', "_"))))
}

/// Manifest text for a Rhai rule.
pub(crate) fn manifest(id: &str, source: &str, scope: &str, hardness: &str, extra: &str) -> String {
    format!(
        "id = \"{id}\"\nname = \"{id}\"\nkind = \"rhai\"\nsource = \"{source}\"\nscope = \"{scope}\"\nhardness = \"{hardness}\"\n{extra}\n"
    )
}

/// A small league: four teams, four venues in four time zones (one that keeps
/// standard time all year), two TV windows and some reference data.
pub(crate) const MINI_LEAGUE: &str = r#"
name = "Mini League"
season = "2026"
schedule = "schedule.json"
plugins = ["plugins"]

[[teams]]
id = "NYR"
name = "New York Rovers"
venue = "hudson"
division = "east"

[[teams]]
id = "LAS"
name = "Los Angeles Stars"
venue = "palms"
division = "west"

[[teams]]
id = "CHW"
name = "Chicago Wind"
venue = "lakefront"

[[teams]]
id = "PHX"
name = "Phoenix Heat"
venue = "desert"

[[venues]]
id = "hudson"
name = "Hudson Field"
timezone = "America/New_York"
blackouts = [{ from = "2026-04-01", to = "2026-04-03", reason = "Circus" }]

[[venues]]
id = "palms"
name = "Palms Stadium"
timezone = "America/Los_Angeles"

[[venues]]
id = "lakefront"
name = "Lakefront Park"
timezone = "America/Chicago"

[[venues]]
id = "desert"
name = "Desert Dome"
timezone = "America/Phoenix"

[[tv_windows]]
id = "sat-prime"
network = "National Sports Network"
days = ["sat"]
start = "19:00"
end = "23:00"
timezone = "America/New_York"

[[tv_windows]]
id = "weekend"
network = "Weekend Channel"
days = ["sat", "sun"]
start = "12:00"
end = "18:00"
timezone = "America/Chicago"

[reference]
rivalries = [["NYR", "LAS"]]
founded = { NYR = 1901, LAS = 1950 }
"#;

/// Parses [`MINI_LEAGUE`] as if it were `dir/league.toml`.
pub(crate) fn mini_league(dir: &Path) -> League {
    League::from_toml_str(&dir.join("league.toml"), MINI_LEAGUE).expect("the mini league is valid")
}

/// Loads the registry from `dirs`, builds an evaluator and rules on the schedule.
pub(crate) fn evaluate(
    league: League,
    schedule_file: &Path,
    dirs: &[PathBuf],
) -> Result<Report, umpire::Error> {
    evaluate_with(league, schedule_file, dirs, &RhaiLimits::default())
}

/// As [`evaluate`], with script limits.
pub(crate) fn evaluate_with(
    league: League,
    schedule_file: &Path,
    dirs: &[PathBuf],
    limits: &RhaiLimits,
) -> Result<Report, umpire::Error> {
    let schedule = Schedule::load(schedule_file, &league)?;
    let registry = Registry::load_with(dirs, limits)?;
    let evaluator = Evaluator::with_limits(Arc::new(league), Arc::new(registry), limits);
    Ok(evaluator.evaluate(&Arc::new(schedule)))
}

/// The verdict of `constraint` in a game report.
pub(crate) fn verdict<'a>(game: &'a GameReport, constraint: &str) -> &'a Verdict {
    game.verdicts
        .iter()
        .find(|v| &*v.constraint == constraint)
        .unwrap_or_else(|| panic!("no verdict of `{constraint}` for {}", game.game))
}

/// The report of one game.
pub(crate) fn game<'a>(report: &'a Report, id: &str) -> &'a GameReport {
    report
        .games
        .iter()
        .find(|g| &*g.game == id)
        .unwrap_or_else(|| panic!("no game `{id}` in the report"))
}

/// The schedule-scoped verdict of `constraint`.
pub(crate) fn schedule_verdict<'a>(report: &'a Report, constraint: &str) -> &'a Verdict {
    report
        .schedule
        .verdicts
        .iter()
        .find(|v| &*v.constraint == constraint)
        .unwrap_or_else(|| panic!("no schedule verdict of `{constraint}`"))
}

/// The example league, its schedule as a spec to edit, and its plugins.
pub(crate) fn example_season() -> (Arc<League>, umpire::model::ScheduleSpec, Arc<Registry>) {
    let dir = workspace_root().join("examples/leagues/pacific-atlantic");
    let league = League::load(&dir).expect("the example league");
    let text = std::fs::read_to_string(dir.join("schedule.json")).expect("its schedule");
    let spec = serde_json::from_str(&text).expect("a schedule");
    let registry = Registry::load(&example_plugins()).expect("the example plugins");
    (Arc::new(league), spec, Arc::new(patient(registry)))
}

/// `registry` with every rule's `timeout_ms` raised to 10 s: for the tests
/// that compare two evaluations verdict by verdict (cached and not, a
/// what-if and a full evaluation), where a rule cut short on a loaded
/// machine in a debug build would differ for a reason the test is not
/// about. The tests of deadlines keep their own.
pub(crate) fn patient(registry: Registry) -> Registry {
    let manifests = (registry.constraints().iter())
        .map(|c| {
            let mut m = c.manifest.clone();
            m.timeout = m.timeout.max(std::time::Duration::from_secs(10));
            m
        })
        .collect();
    Registry::from_manifests(manifests, &umpire::runtime::RhaiLimits::default())
        .expect("the same rules, with more time")
}

/// A schedule built from an (edited) spec.
pub(crate) fn schedule_of(league: &League, spec: &umpire::model::ScheduleSpec) -> Arc<Schedule> {
    Arc::new(
        Schedule::from_spec(Path::new("edited.json"), spec.clone(), league)
            .expect("an edited schedule stays valid"),
    )
}

/// Moves game `i` by `days`, keeping its clock time (and its length).
pub(crate) fn move_game(spec: &mut umpire::model::ScheduleSpec, i: usize, days: i64) {
    shift_game(spec, i, jiff::Span::new().days(days));
}

/// Shifts game `i`'s start and end by `span`.
pub(crate) fn shift_game(spec: &mut umpire::model::ScheduleSpec, i: usize, span: jiff::Span) {
    let shift = |t: &str| {
        let t: jiff::civil::DateTime = t.parse().expect("a civil time");
        t.checked_add(span).expect("a time").to_string()
    };
    let g = &mut spec.games[i];
    g.start = shift(&g.start);
    g.end = g.end.as_deref().map(shift);
}

/// A report without what may differ between equal evaluations: timings and
/// the cache's own counters.
pub(crate) fn comparable(mut report: Report) -> Report {
    report.summary.elapsed_ms = 0.0;
    report.cache = None;
    for v in report
        .schedule
        .verdicts
        .iter_mut()
        .chain(report.games.iter_mut().flat_map(|g| g.verdicts.iter_mut()))
    {
        v.elapsed_us = 0;
    }
    report
}

/// Strips what depends on timing from a JSON report: `elapsed_ms` and
/// `elapsed_us` anywhere.
pub(crate) fn without_timings(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.remove("elapsed_ms");
            map.remove("elapsed_us");
            map.values_mut().for_each(without_timings);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_timings),
        _ => {}
    }
}

/// Writes a generated league into `dir` that lists the example plugins.
pub(crate) fn generate_league(dir: &Path, teams: u32, games: u32, seed: u64) {
    generate_league_with(dir, teams, games, seed, &example_plugins());
}

/// [`generate_league`] with these plugin directories.
pub(crate) fn generate_league_with(
    dir: &Path,
    teams: u32,
    games: u32,
    seed: u64,
    plugins: &[PathBuf],
) {
    let mut generate = umpire();
    generate
        .args([
            "generate",
            "--teams",
            &teams.to_string(),
            "--games",
            &games.to_string(),
        ])
        .args(["--seed", &seed.to_string(), "--out"])
        .arg(dir);
    for plugins in plugins {
        generate.arg("--plugins").arg(plugins);
    }
    generate.assert().success();
}

/// The example plugins copied under `dir` (manifests and code), each rule
/// with `timeout_ms` raised to 10 s and no `[build]` (the components are
/// built first): for a test that runs the
/// `umpire` binary twice and compares the reports, where a rule cut short
/// on a loaded machine would differ for a reason the test is not about
/// (as [`patient`] does in process).
pub(crate) fn patient_example_plugins(dir: &Path) -> Vec<PathBuf> {
    examples_built();
    [rhai_plugins(), wasm_plugins()]
        .iter()
        .enumerate()
        .map(|(n, from)| {
            let to = dir.join(format!("patient-{n}"));
            std::fs::create_dir_all(&to).expect("a plugin directory");
            for entry in std::fs::read_dir(from)
                .expect("the example plugins")
                .flatten()
            {
                let path = entry.path();
                if path.extension().is_none_or(|e| e != "toml") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("a manifest");
                let mut manifest: toml::Table = toml::from_str(&text).expect("TOML");
                let Some(source) = manifest.get("source").and_then(|s| s.as_str()) else {
                    continue; // not a manifest (Cargo.toml)
                };
                let code = from.join(source);
                let file = code.file_name().expect("a source file").to_owned();
                std::fs::copy(&code, to.join(&file)).expect("copy the rule's code");
                let file = file.to_string_lossy().into_owned();
                manifest.insert("source".into(), file.into());
                manifest.insert("timeout_ms".into(), 10_000.into());
                manifest.remove("build");
                let name = path.file_name().expect("a file name");
                std::fs::write(to.join(name), toml::to_string(&manifest).expect("TOML"))
                    .expect("write the manifest");
            }
            to
        })
        .collect()
}

/// An error message that names a file and a place in it, as
/// `FILE:LINE:COLUMN: REST`: the line of the file's `text` it points at,
/// and the rest. Panics (naming the message) when it does not have that
/// form.
pub(crate) fn placed<'m>(msg: &'m str, file: &Path, text: &str) -> (String, &'m str) {
    let shown = file.display().to_string();
    let after = msg
        .strip_prefix(&shown)
        .and_then(|m| m.strip_prefix(':'))
        .unwrap_or_else(|| panic!("not `{shown}:LINE:COLUMN: ...`: {msg}"));
    let mut parts = after.splitn(3, ':');
    let line: usize = parts
        .next()
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("no line in {msg}"));
    let column: usize = parts
        .next()
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no column in {msg}"));
    let rest = parts
        .next()
        .and_then(|r| r.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{msg}"));
    let at = text
        .lines()
        .nth(line - 1)
        .unwrap_or_else(|| panic!("line {line} is past the end of {shown}: {msg}"));
    assert!(
        column >= 1 && column <= at.chars().count() + 1,
        "column {column} of {at:?}"
    );
    (at.to_owned(), rest)
}
