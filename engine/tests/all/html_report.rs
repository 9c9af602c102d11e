//! The season as an HTML page (`umpire eval --format html`, and
//! `GET /v1/leagues/{league}/report.html`), rendered in headless Chromium:
//! what a person sees once the page's script has run, compared with the
//! JSON report of the same season.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::server::Server;
use crate::support::{TestResult, umpire};

const LEAGUE: &str = "examples/leagues/pacific-atlantic";

/// Headless Chromium, or `None` (said loudly) outside CI. Under CI a
/// missing browser fails the test: `.ci/run` installs Debian's `chromium`.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(|name| {
            let out = Command::new("which").arg(name).output().ok()?;
            let path = String::from_utf8(out.stdout).ok()?;
            let path = path.trim();
            (out.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
        });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no Chromium on this CI machine: .ci/run installs Debian's `chromium`"
        );
        eprintln!("SKIPPED: no Chromium here (apt-get install chromium); the page is not rendered");
    }
    found
}

/// The page's DOM after its script ran, in headless Chromium, with `query`
/// (`?team=POR`) after its URL.
fn rendered(browser: &Path, page: &Path, query: &str) -> String {
    let profile = tempfile::tempdir().expect("a profile directory");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}{query}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the DOM is UTF-8")
}

/// The text of the element with this id.
fn text_of<'d>(dom: &'d str, id: &str) -> &'d str {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let after = &dom[start..];
    let open = after.find('>').expect("the tag closes") + 1;
    let close = after[open..].find('<').expect("text ends");
    &after[open..open + close]
}

/// The example season's JSON report and its HTML page, written by `eval`.
fn season(dir: &Path) -> Result<(Value, PathBuf), Box<dyn std::error::Error>> {
    let json = umpire()
        .args(["eval", "--format", "json", "--league", LEAGUE])
        .output()?;
    assert_eq!(
        json.status.code(),
        Some(1),
        "the example has hard violations"
    );
    let report: Value = serde_json::from_slice(&json.stdout)?;
    let html = umpire()
        .args(["eval", "--format", "html", "--league", LEAGUE])
        .output()?;
    assert_eq!(
        html.status.code(),
        Some(1),
        "the same exit code as the text"
    );
    let page = dir.join("season.html");
    std::fs::write(&page, &html.stdout)?;
    Ok((report, page))
}

/// How many violations the JSON report holds, those of `constraint` on a
/// game of `team` when given.
fn violations(report: &Value, team: Option<&str>, constraint: Option<&str>) -> usize {
    let games = report["games"].as_array().into_iter().flatten();
    let of_games = games.flat_map(|g| {
        let teams = [g["home"].as_str(), g["away"].as_str()];
        (g["verdicts"].as_array().into_iter().flatten()).map(move |v| (teams, v))
    });
    let on_team = |teams: [Option<&str>; 2]| team.is_none_or(|t| teams.contains(&Some(t)));
    let of_constraint = |v: &Value| constraint.is_none_or(|c| v["constraint"] == c);
    let mut n: usize = of_games
        .filter(|(teams, v)| on_team(*teams) && of_constraint(v))
        .map(|(_, v)| v["violations"].as_array().map_or(0, Vec::len))
        .sum();
    for v in report["schedule"]["verdicts"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if !of_constraint(v) {
            continue;
        }
        for violation in v["violations"].as_array().into_iter().flatten() {
            let names = |t: &str| {
                (violation["entities"].as_array().into_iter().flatten())
                    .any(|e| e["kind"] == "team" && e["id"] == t)
            };
            n += usize::from(team.is_none_or(names));
        }
    }
    n
}

#[test]
fn the_season_page_shows_every_violation_and_filters_and_picks_in_a_browser() -> TestResult {
    let Some(browser) = chromium() else {
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let (report, page) = season(dir.path())?;
    let total = violations(&report, None, None);
    assert_eq!(total, 10, "the example season's ten violations");

    let dom = rendered(&browser, &page, "");
    assert!(dom.contains("data-ready=\"yes\""), "the page's script ran");
    // Every violation is a row, marked by its level.
    assert_eq!(dom.matches("<tr class=\"violation ").count(), total);
    let summary = &report["summary"];
    for (level, key) in [
        ("hard", "hard_violations"),
        ("soft", "soft_violations"),
        ("preference", "preference_violations"),
    ] {
        let rows = dom
            .matches(&format!("<tr class=\"violation {level}\""))
            .count();
        assert_eq!(Some(rows as u64), summary[key].as_u64(), "{level}");
    }
    assert_eq!(
        text_of(&dom, "shown"),
        format!("{total} of {total} violations shown")
    );
    // Each game with a hard violation is marked in both its teams' rows.
    let invalid = summary["invalid_games"].as_u64().unwrap_or(0) as usize;
    assert_eq!(
        dom.matches("<button class=\"cell hard\"").count(),
        2 * invalid
    );
    // Every team has its row; the totals list each constraint that found one.
    assert_eq!(dom.matches("<tr data-team=").count(), 16);
    assert!(
        dom.contains("<td>venue-double-booking</td><td>hard</td><td>2</td><td>2</td><td>200</td>")
    );
    // Nothing is loaded from elsewhere.
    assert!(!dom.contains("src=\"http") && !dom.contains("href=\"http"));

    // Filtered to a team and a constraint: the rows that remain are those.
    let dom = rendered(&browser, &page, "?team=POR&constraint=venue-double-booking");
    let expected = violations(&report, Some("POR"), Some("venue-double-booking"));
    assert_eq!(
        text_of(&dom, "shown"),
        format!("{expected} of {total} violations shown")
    );
    assert_eq!(
        dom.matches("<tr class=\"violation ").count() - dom.matches("hidden=\"\"><td>").count(),
        expected,
        "visible rows"
    );

    // A game picked: its violations shown with their help.
    let dom = rendered(&browser, &page, "?game=R08-CHI-PHI");
    assert!(
        dom.contains("class=\"cell hard picked\""),
        "the game is outlined"
    );
    assert!(
        dom.contains("class=\"picked-violation\"")
            && dom.contains("North Branch Stadium is unavailable on 2026-04-11"),
        "its violation is shown"
    );
    Ok(())
}

#[test]
fn the_server_serves_the_page_of_the_current_schedule() -> TestResult {
    let server = Server::start(&["--league", LEAGUE], &[]);
    let (status, page) = server.get("/v1/leagues/pacific-atlantic/report.html");
    assert_eq!(status, 200);
    let page = page.as_str().ok_or("an HTML page, not JSON")?;
    assert!(page.starts_with("<!doctype html>"), "{page:.80}");
    assert_eq!(page.matches("<tr class=\"violation ").count(), 10);
    let (status, _) = server.get("/v1/leagues/nowhere/report.html");
    assert_eq!(status, 404);
    // The page follows the schedule: the short rest moved away is gone.
    let (status, _, _) = server.send(
        "PATCH",
        "/v1/leagues/pacific-atlantic/schedule",
        &serde_json::json!({"edit": [{"id": "R14-PHX-SLC", "start": "2026-05-13T19:00"}]})
            .to_string(),
    );
    assert_eq!(status, 200);
    let (_, page) = server.get("/v1/leagues/pacific-atlantic/report.html");
    let page = page.as_str().ok_or("an HTML page")?;
    assert_eq!(page.matches("<tr class=\"violation ").count(), 9);
    assert!(!page.contains("PHX plays R14-PHX-SLC 1 day(s)"));
    Ok(())
}
