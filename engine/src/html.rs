//! The season as one HTML page (`umpire eval --format html`, and
//! `GET /v1/leagues/{league}/report.html`): self-contained, with no
//! external resource, so it opens from a file or an e-mail as it is.
//!
//! The page holds a grid of the season (a row per team, a column per round,
//! or per date when the games have no rounds), each game's cell marked by
//! its worst violation's level; every violation in a table, with its
//! diagnostic and suggestion; the totals by constraint. A little script
//! filters by team and by constraint and, on a click on a game, shows that
//! game's violations; without it the page still shows everything.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::{
    ConstraintTotal, Game, GameReport, Hardness, League, Report, Schedule, Violation,
};

/// One violation as the page lists it.
struct Row<'r> {
    hardness: Hardness,
    constraint: &'r str,
    /// The game it is on (none for a schedule-scoped rule's).
    game: Option<&'r GameReport>,
    /// Where, in words.
    place: String,
    violation: &'r Violation,
    penalty: f64,
}

/// A game as the reports name it: `R02-POR-SEA · round 2 · POR vs SEA ·
/// Sat 2026-03-07 15:30 PST · Willamette Grounds`.
pub(crate) fn describe_game(game: &Game, g: &GameReport, league: &League) -> String {
    let venue = league
        .venue(&game.venue)
        .map_or(game.venue.to_string(), |v| v.name.clone());
    let round = g.round.map(|r| format!(" · round {r}")).unwrap_or_default();
    format!(
        "{}{round} · {} vs {} · {} · {}",
        game.id,
        game.home,
        game.away,
        game.start.strftime("%a %Y-%m-%d %H:%M %Z"),
        venue
    )
}

/// The page for `report`, the evaluation of `schedule` in `league`.
pub(crate) fn season_page(report: &Report, schedule: &Schedule, league: &League) -> String {
    let rows = rows(report, schedule, league);
    let totals_by_constraint = report.by_constraint();
    let title = match &league.season {
        Some(season) => format!("{} {season}", league.name),
        None => league.name.clone(),
    };
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{}: season report</title><style>{STYLE}</style></head><body>",
        esc(&title)
    );
    summary(&mut out, report, &title);
    filters(&mut out, &totals_by_constraint, league, &rows);
    grid(&mut out, report, schedule, league);
    violations(&mut out, &rows);
    totals(&mut out, &totals_by_constraint);
    let _ = writeln!(out, "<script>{SCRIPT}</script></body></html>");
    out
}

fn rows<'r>(report: &'r Report, schedule: &Schedule, league: &League) -> Vec<Row<'r>> {
    let whole = report.schedule.verdicts.iter().map(|v| (v, None));
    let games = (report.games.iter()).flat_map(|g| g.verdicts.iter().map(move |v| (v, Some(g))));
    let mut rows: Vec<Row<'_>> = whole
        .chain(games)
        .flat_map(|(v, game)| {
            let place = match game {
                Some(g) => schedule
                    .game(&g.game)
                    .map_or_else(|| g.game.to_string(), |game| describe_game(game, g, league)),
                None => "the schedule".to_owned(),
            };
            v.violations.iter().map(move |violation| Row {
                hardness: v.hardness,
                constraint: &v.constraint,
                game,
                place: place.clone(),
                violation,
                penalty: violation.penalty * f64::from(v.weight),
            })
        })
        .collect();
    // Hard first, then soft, then preference; in report order within one.
    rows.sort_by_key(|r| r.hardness as u8);
    rows
}

fn summary(out: &mut String, report: &Report, title: &str) {
    let s = &report.summary;
    let verdict = if s.valid { "valid" } else { "invalid" };
    let _ = write!(
        out,
        "<header><h1>{}</h1><p class=\"verdict {verdict}\">{verdict}: \
         <b class=\"hard\">{} hard</b> · <b class=\"soft\">{} soft</b> · \
         <b class=\"preference\">{} preference</b> violations · {} games, {} invalid · \
         score {:.3} · <code>{}</code></p></header>",
        esc(title),
        s.hard_violations,
        s.soft_violations,
        s.preference_violations,
        s.games,
        s.invalid_games,
        s.score,
        esc(&s.levels)
    );
}

fn filters(out: &mut String, totals: &[ConstraintTotal], league: &League, rows: &[Row<'_>]) {
    out.push_str("<nav><label>Team <select id=\"team\"><option value=\"\">every team</option>");
    for t in &league.teams {
        let _ = write!(
            out,
            "<option value=\"{}\">{} ({})</option>",
            esc(&t.id),
            esc(&t.id),
            esc(&t.name)
        );
    }
    out.push_str(
        "</select></label> <label>Constraint <select id=\"constraint\">\
         <option value=\"\">every constraint</option>",
    );
    for t in totals {
        let _ = write!(
            out,
            "<option value=\"{0}\">{0}</option>",
            esc(&t.constraint)
        );
    }
    let _ = write!(
        out,
        "</select></label> <span id=\"shown\">{} violations</span></nav>",
        rows.len()
    );
}

/// The season as a grid: a row per team, a column per round (or date).
fn grid(out: &mut String, report: &Report, schedule: &Schedule, league: &League) {
    let by_round = !report.games.is_empty() && report.games.iter().all(|g| g.round.is_some());
    // Each game's column: its round, or its venue-local date.
    let column = |i: usize, g: &GameReport| -> String {
        match (by_round, g.round) {
            (true, Some(r)) => format!("R{r}"),
            _ => schedule
                .games()
                .get(i)
                .map_or_else(String::new, |game| game.date().to_string()),
        }
    };
    let mut columns: BTreeMap<(u32, String), ()> = BTreeMap::new();
    let mut cells: BTreeMap<(&str, String), Vec<(usize, &GameReport)>> = BTreeMap::new();
    for (i, g) in report.games.iter().enumerate() {
        let c = column(i, g);
        columns.insert(
            (if by_round { g.round.unwrap_or(0) } else { 0 }, c.clone()),
            (),
        );
        for team in [&*g.home, &*g.away] {
            cells.entry((team, c.clone())).or_default().push((i, g));
        }
    }
    // Schedule-wide violations that name a team mark its row.
    let mut team_marks: BTreeMap<&str, Hardness> = BTreeMap::new();
    for v in &report.schedule.verdicts {
        for violation in &v.violations {
            for e in violation
                .entities
                .iter()
                .filter(|e| e.kind.as_str() == "team")
            {
                let worst = team_marks.entry(&e.id).or_insert(v.hardness);
                if (v.hardness as u8) < (*worst as u8) {
                    *worst = v.hardness;
                }
            }
        }
    }
    let _ = write!(
        out,
        "<h2>The season, {}</h2><p class=\"key\">A cell is a team's game: \
         <code>v XXX</code> at home, <code>@ XXX</code> away; marked \
         <span class=\"cell hard\">hard</span> <span class=\"cell soft\">soft</span> \
         <span class=\"cell preference\">preference</span> by its worst violation. \
         Click one for its violations.</p><div class=\"scroll\"><table class=\"grid\"><thead><tr><th>team</th>",
        if by_round { "by round" } else { "by date" }
    );
    for (_, c) in columns.keys() {
        let _ = write!(out, "<th>{}</th>", esc(c));
    }
    out.push_str("</tr></thead><tbody>");
    for team in &league.teams {
        let mark = team_marks
            .get(&*team.id)
            .map_or(String::new(), |h| format!(" class=\"{}\"", h.as_str()));
        let _ = write!(
            out,
            "<tr data-team=\"{0}\"><th{mark} title=\"{1}\">{0}</th>",
            esc(&team.id),
            esc(&team.name)
        );
        for (_, c) in columns.keys() {
            out.push_str("<td>");
            for (i, g) in cells.get(&(&*team.id, c.clone())).into_iter().flatten() {
                let title = schedule
                    .games()
                    .get(*i)
                    .map_or_else(|| g.game.to_string(), |game| describe_game(game, g, league));
                cell(out, g, &team.id, &title);
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

/// One game in a team's row.
fn cell(out: &mut String, g: &GameReport, team: &str, title: &str) {
    let mut worst: Option<Hardness> = None;
    let mut constraints: Vec<&str> = Vec::new();
    for v in g.verdicts.iter().filter(|v| !v.violations.is_empty()) {
        constraints.push(&v.constraint);
        if worst.is_none_or(|w| (v.hardness as u8) < (w as u8)) {
            worst = Some(v.hardness);
        }
    }
    let (text, other) = if *g.home == *team {
        ("v", &g.away)
    } else {
        ("@", &g.home)
    };
    let _ = write!(
        out,
        "<button class=\"cell {}\" data-game=\"{}\" data-constraints=\"{}\" title=\"{}\">{text} {}</button>",
        worst.map_or("ok", |h| h.as_str()),
        esc(&g.game),
        esc(&constraints.join(" ")),
        esc(title),
        esc(other)
    );
}

fn violations(out: &mut String, rows: &[Row<'_>]) {
    out.push_str(
        "<h2>Violations</h2><aside id=\"detail\" hidden></aside><table class=\"violations\">\
         <thead><tr><th>level</th><th>constraint</th><th>where</th><th>what</th><th>penalty</th></tr></thead><tbody>",
    );
    for r in rows {
        let (game, teams) = match r.game {
            Some(g) => (g.game.to_string(), format!("{} {}", g.home, g.away)),
            None => {
                let teams: Vec<&str> = (r.violation.entities.iter())
                    .filter(|e| e.kind.as_str() == "team")
                    .map(|e| &*e.id)
                    .collect();
                (String::new(), teams.join(" "))
            }
        };
        let place = &r.place;
        let level = r.hardness.as_str();
        let _ = write!(
            out,
            "<tr class=\"violation {level}\" data-game=\"{}\" data-teams=\"{}\" data-constraint=\"{}\">\
             <td>{level}</td><td>{}</td><td>{}</td><td>{}",
            esc(&game),
            esc(&teams),
            esc(r.constraint),
            esc(r.constraint),
            esc(place),
            esc(&r.violation.message)
        );
        if let Some(help) = &r.violation.suggestion {
            let _ = write!(out, "<div class=\"help\">help: {}</div>", esc(help));
        }
        let _ = write!(out, "</td><td>{}</td></tr>", r.penalty);
    }
    out.push_str("</tbody></table>");
}

fn totals(out: &mut String, totals: &[ConstraintTotal]) {
    out.push_str(
        "<h2>By constraint</h2><table class=\"totals\"><thead><tr><th>constraint</th>\
         <th>level</th><th>violations</th><th>games</th><th>penalty</th></tr></thead><tbody>",
    );
    for t in totals {
        let games = if t.games > 0 {
            t.games.to_string()
        } else {
            "schedule-wide".into()
        };
        let _ = write!(
            out,
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{games}</td><td>{}</td></tr>",
            t.hardness.as_str(),
            esc(&t.constraint),
            t.hardness.as_str(),
            t.violations,
            t.penalty
        );
    }
    out.push_str("</tbody></table>");
}

/// Text for HTML: `&`, `<`, `>` and quotes escaped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\
h1{margin:0 0 .2em}h2{margin:1.5em 0 .4em}\
.verdict.invalid{color:#b01c1c}.verdict.valid{color:#17702a}\
b.hard{color:#b01c1c}b.soft{color:#a35a00}b.preference{color:#2458b3}\
nav{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #ddd;z-index:1}\
.scroll{overflow-x:auto}table{border-collapse:collapse}\
td,th{border:1px solid #ddd;padding:.15em .35em;vertical-align:top}\
th{background:#f4f4f4;text-align:left}\
.grid td{padding:1px;min-width:3.6em}.grid th.hard{background:#f6c9c9}\
.grid th.soft{background:#f8ddb5}.grid th.preference{background:#cfdcf3}\
.cell{display:block;width:100%;font:12px ui-monospace,monospace;border:1px solid #ccc;\
background:#fff;padding:1px 2px;cursor:pointer;text-align:left}\
.cell.hard{background:#e04848;color:#fff;border-color:#b01c1c}\
.cell.soft{background:#f3a93b;border-color:#a35a00}\
.cell.preference{background:#8fb0e8;border-color:#2458b3}\
.cell.dim{opacity:.25}.cell.picked{outline:3px solid #222}\
span.cell{display:inline;width:auto}\
tr.violation.hard td:first-child{color:#b01c1c;font-weight:bold}\
tr.violation.soft td:first-child{color:#a35a00;font-weight:bold}\
tr.violation.preference td:first-child{color:#2458b3;font-weight:bold}\
.help{color:#17702a}#detail{border:2px solid #222;padding:.5em 1em;margin:.5em 0;background:#fafafa}\
.totals td:nth-child(n+3){text-align:right}";

/// Filters by team and constraint; a click on a game shows its
/// violations above the table. `#shown` says how many rows show (and that
/// the script ran).
const SCRIPT: &str = r#"
(function () {
  var team = document.getElementById('team');
  var constraint = document.getElementById('constraint');
  var shown = document.getElementById('shown');
  var detail = document.getElementById('detail');
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.violation'));
  var cells = Array.prototype.slice.call(document.querySelectorAll('button.cell'));
  function apply() {
    var t = team.value, c = constraint.value, n = 0;
    rows.forEach(function (r) {
      var show = (!t || (' ' + r.dataset.teams + ' ').indexOf(' ' + t + ' ') >= 0)
        && (!c || r.dataset.constraint === c);
      r.hidden = !show;
      if (show) n += 1;
    });
    document.querySelectorAll('table.grid tbody tr').forEach(function (tr) {
      tr.hidden = !!t && tr.dataset.team !== t;
    });
    cells.forEach(function (b) {
      var has = !c || (' ' + b.dataset.constraints + ' ').indexOf(' ' + c + ' ') >= 0;
      b.classList.toggle('dim', !has);
    });
    shown.textContent = n + ' of ' + rows.length + ' violations shown';
  }
  function pick(b) {
    cells.forEach(function (x) { x.classList.toggle('picked', x.dataset.game === b.dataset.game); });
    var mine = rows.filter(function (r) { return r.dataset.game === b.dataset.game; });
    detail.hidden = false;
    detail.textContent = '';
    var h = document.createElement('h3');
    h.textContent = b.title;
    detail.appendChild(h);
    if (mine.length === 0) {
      var p = document.createElement('p');
      p.textContent = 'No violation.';
      detail.appendChild(p);
    }
    mine.forEach(function (r) {
      var p = document.createElement('p');
      p.className = 'picked-violation';
      p.innerHTML = '<b>' + r.cells[0].innerHTML + '</b> ' + r.cells[1].innerHTML + ': ' + r.cells[3].innerHTML;
      detail.appendChild(p);
    });
    detail.scrollIntoView({block: 'nearest'});
  }
  team.addEventListener('change', apply);
  constraint.addEventListener('change', apply);
  cells.forEach(function (b) { b.addEventListener('click', function () { pick(b); }); });
  var params = new URLSearchParams(location.search);
  if (params.get('team')) team.value = params.get('team');
  if (params.get('constraint')) constraint.value = params.get('constraint');
  apply();
  if (params.get('game')) {
    var b = cells.filter(function (x) { return x.dataset.game === params.get('game'); })[0];
    if (b) pick(b);
  }
  document.body.dataset.ready = 'yes';
})();
"#;

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">R&D's</a>"),
            "&lt;a href=&quot;x&quot;&gt;R&amp;D&#39;s&lt;/a&gt;"
        );
    }
}
