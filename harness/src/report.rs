//! The run's report, in JSON (what `--baseline` reads back), Markdown and
//! HTML, written into the output directory beside Goose's own reports.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::judge::{Check, Judged};
use crate::profile::{ConfigError, Shape, Slo};

/// Everything about one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Report {
    /// `umpire-harness` and its version.
    pub(crate) harness: String,
    pub(crate) profile: String,
    pub(crate) description: String,
    pub(crate) shape: Shape,
    /// The target's URL, and whether the harness started it.
    pub(crate) target: String,
    pub(crate) spawned: bool,
    /// When the load started (UTC).
    pub(crate) started_at: String,
    /// The Goose test plan as run.
    pub(crate) plan: String,
    pub(crate) peak_users: usize,
    /// (league, games) the bodies were drawn from.
    pub(crate) leagues: Vec<(String, usize)>,
    pub(crate) slo: Slo,
    /// Candidate moves scored per second (moves requests answered per
    /// second, times the moves in each), when the mix sends them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) moves_scored_per_s: Option<f64>,
    #[serde(flatten)]
    pub(crate) judged: Judged,
    /// Requests Goose counted (a cross-check of `totals.requests`).
    pub(crate) goose_requests: u64,
    /// The baseline compared with, if any.
    pub(crate) baseline: Option<PathBuf>,
    /// How a spawned server ended after SIGTERM.
    pub(crate) server_exit: Option<String>,
    pub(crate) passed: bool,
}

impl Report {
    /// Reads an earlier run's `report.json`.
    pub(crate) fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("--baseline {}: {e}", path.display())))?;
        serde_json::from_str(&text).map_err(|e| {
            ConfigError(format!(
                "--baseline {}: not a harness report.json: {e}",
                path.display()
            ))
        })
    }

    /// Writes report.json, report.md and report.html into `dir`.
    pub(crate) fn write(&self, dir: &Path) -> std::io::Result<[PathBuf; 3]> {
        let json = dir.join("report.json");
        let md = dir.join("report.md");
        let html = dir.join("report.html");
        std::fs::write(
            &json,
            serde_json::to_string_pretty(self).map_err(std::io::Error::other)?,
        )?;
        std::fs::write(&md, self.markdown())?;
        std::fs::write(&html, self.html())?;
        Ok([json, md, html])
    }

    fn sections(&self) -> Vec<Section> {
        let j = &self.judged;
        let mut sections = Vec::new();
        sections.push((
            "Checks".to_owned(),
            vec!["", "check", "limit", "actual"],
            j.checks.iter().map(check_row).collect(),
        ));
        let figures = |name: &str, f: &crate::judge::Figures| {
            vec![
                name.to_owned(),
                f.requests.to_string(),
                f.answered.to_string(),
                f.shed.to_string(),
                f.failed.to_string(),
                format!("{:.0}", f.rps),
                format!("{:.2}", f.p50_ms),
                format!("{:.2}", f.p95_ms),
                format!("{:.2}", f.p99_ms),
                format!("{:.2}", f.max_ms),
            ]
        };
        let mut rows = vec![figures("all", &j.totals)];
        rows.extend(j.kinds.iter().map(|(k, f)| figures(k, f)));
        sections.push((
            "Requests".to_owned(),
            vec![
                "kind",
                "requests",
                "answered",
                "shed (503)",
                "failed",
                "req/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
            ],
            rows,
        ));
        let p = &j.phases;
        let mut phase_rows = Vec::new();
        let mut add = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                phase_rows.push(vec![name.to_owned(), v]);
            }
        };
        add("peak ended at", p.peak_end_s.map(|s| format!("{s} s")));
        add(
            "candidate moves scored",
            self.moves_scored_per_s.map(|m| format!("{m:.0}/s")),
        );
        if self.shape == Shape::Spike {
            add(
                "back under the SLO after",
                Some(p.recovery_s.map_or("never".into(), |s| format!("{s} s"))),
            );
        }
        if self.shape == Shape::Stress {
            add(
                "SLO first broke at",
                Some(p.broke_at_s.map_or("never".into(), |s| {
                    format!("{s} s, {:.0} users", p.broke_at_users.unwrap_or(0.0))
                })),
            );
            add(
                "most req/s within the SLO",
                p.held_rps.map(|r| r.to_string()),
            );
        }
        add(
            "drift judged from",
            p.judged_from_s
                .map(|s| format!("{s} s (after the warm-up)")),
        );
        add(
            "p95, first tenth of the plateau",
            p.p95_first_ms.map(|x| format!("{x:.2} ms")),
        );
        add(
            "p95, last tenth",
            p.p95_last_ms.map(|x| format!("{x:.2} ms")),
        );
        add("p95 drift", p.p95_drift_pct.map(|x| format!("{x:+.1} %")));
        add(
            "memory, first tenth",
            p.rss_first_mb.map(|x| format!("{x:.1} MB")),
        );
        add(
            "memory, last tenth",
            p.rss_last_mb.map(|x| format!("{x:.1} MB")),
        );
        add(
            "memory drift",
            p.rss_drift_pct.map(|x| format!("{x:+.1} %")),
        );
        add(
            "memory trend",
            p.rss_slope_mb_per_h.map(|x| format!("{x:+.2} MB/h")),
        );
        add(
            "server memory, max",
            j.memory.max_mb.map(|x| format!("{x:.1} MB")),
        );
        add("server exit", self.server_exit.clone());
        sections.push(("Judgement".to_owned(), vec!["what", "value"], phase_rows));
        if !j.failures.is_empty() {
            sections.push((
                "Failures".to_owned(),
                vec!["reason", "count"],
                j.failures
                    .iter()
                    .map(|(r, n)| vec![r.clone(), n.to_string()])
                    .collect(),
            ));
        }
        // At most 60 rows: every n-th second.
        let step = j.timeline.len().div_ceil(60).max(1);
        sections.push((
            format!("Timeline (every {step} s)"),
            vec![
                "t s",
                "users",
                "requests",
                "answered",
                "shed",
                "failed",
                "p95 ms",
                "p99 ms",
                "server MB",
                "SLO",
            ],
            j.timeline
                .iter()
                .step_by(step)
                .map(|s| {
                    vec![
                        s.t.to_string(),
                        format!("{:.0}", s.users),
                        s.requests.to_string(),
                        s.rps.to_string(),
                        s.shed.to_string(),
                        s.failed.to_string(),
                        format!("{:.2}", s.p95_ms),
                        format!("{:.2}", s.p99_ms),
                        s.rss_mb.map_or("-".into(), |mb| format!("{mb:.1}")),
                        match s.within_slo {
                            Some(true) => "ok".into(),
                            Some(false) => "missed".into(),
                            None => "-".into(),
                        },
                    ]
                })
                .collect(),
        ));
        sections
    }

    /// The first line: the verdict, the profile (in backticks in
    /// Markdown, as it is when `code`), the target and what the profile is.
    fn headline(&self, code: bool) -> String {
        let tick = if code { "`" } else { "" };
        format!(
            "{} {tick}{}{tick} against {}{}: {}",
            if self.passed { "PASS" } else { "FAIL" },
            self.profile,
            self.target,
            if self.spawned { " (spawned)" } else { "" },
            self.description
        )
    }

    /// The lines under the headline (the plan in backticks when `code`).
    fn about(&self, code: bool) -> Vec<String> {
        let tick = if code { "`" } else { "" };
        vec![
            format!("started {} by {}", self.started_at, self.harness),
            format!(
                "plan {tick}{}{tick}, at most {} users",
                self.plan, self.peak_users
            ),
            format!(
                "SLO per second: p95 <= {} ms, failed or shed <= {} %, for {} s in a row",
                self.slo.p95_ms,
                self.slo.error_rate * 100.0,
                self.slo.hold_s
            ),
            format!(
                "bodies from {}",
                self.leagues
                    .iter()
                    .map(|(l, g)| format!("{l} ({g} games)"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ]
    }

    /// The Markdown report.
    pub(crate) fn markdown(&self) -> String {
        let mut out = format!("# {}\n\n", self.headline(true));
        for line in self.about(true) {
            let _ = writeln!(out, "- {line}");
        }
        if let Some(b) = &self.baseline {
            let _ = writeln!(out, "- compared with {}", b.display());
        }
        for (title, head, rows) in self.sections() {
            let _ = write!(out, "\n## {title}\n\n| {} |\n|", head.join(" | "));
            for _ in &head {
                out.push_str("---|");
            }
            out.push('\n');
            for row in rows {
                let _ = writeln!(out, "| {} |", row.join(" | "));
            }
        }
        out
    }

    /// The HTML report: the same tables and a chart of the timeline.
    pub(crate) fn html(&self) -> String {
        let headline = esc(&self.headline(false));
        let mut out = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{headline}</title>\
             <style>body{{font:14px system-ui,sans-serif;margin:2em;max-width:72em}}\
             table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #ccc;\
             padding:.2em .6em;text-align:right}}th{{background:#f3f3f3}}td:first-child,th:first-child\
             {{text-align:left}}.pass{{color:#17702a}}.fail{{color:#b01c1c;font-weight:bold}}\
             svg text{{font:11px system-ui,sans-serif}}</style></head><body>",
        );
        let class = if self.passed { "pass" } else { "fail" };
        let _ = write!(out, "<h1 class=\"{class}\">{headline}</h1><ul>");
        for line in self.about(false) {
            let _ = write!(out, "<li>{}</li>", esc(&line));
        }
        out.push_str("</ul>");
        out.push_str(&self.chart());
        for (title, head, rows) in self.sections() {
            let _ = write!(out, "<h2>{}</h2><table><tr>", esc(&title));
            for h in head {
                let _ = write!(out, "<th>{}</th>", esc(h));
            }
            out.push_str("</tr>");
            for row in rows {
                out.push_str("<tr>");
                for cell in row {
                    let class = match cell.as_str() {
                        "✓" => " class=\"pass\"",
                        "✗" => " class=\"fail\"",
                        _ => "",
                    };
                    let _ = write!(out, "<td{class}>{}</td>", esc(&cell));
                }
                out.push_str("</tr>");
            }
            out.push_str("</table>");
        }
        // Goose's own report loads its charts from a CDN and is blank
        // offline: not pointed to. Everything it shows is above.
        out.push_str("</body></html>\n");
        out
    }

    /// The timeline as a chart: answered requests per second (blue, left
    /// axis), p95 in ms (red, right axis) with the SLO's p95 as a dashed
    /// line, and the users the plan had running (grey, scaled to the top
    /// of the left axis); seconds along the bottom.
    fn chart(&self) -> String {
        let t = &self.judged.timeline;
        if t.len() < 2 {
            return String::new();
        }
        // The plot inside margins for the axes' ticks and labels.
        let (w, h) = (900.0_f64, 260.0_f64);
        let (left, right, top, bottom) = (56.0, 64.0, 26.0, 40.0);
        let (pw, ph) = (w - left - right, h - top - bottom);
        let max_rps = nice(t.iter().map(|s| s.rps).max().unwrap_or(0) as f64);
        let max_ms = nice(t.iter().map(|s| s.p95_ms).fold(self.slo.p95_ms, f64::max));
        let max_users = t.iter().map(|s| s.users).fold(0.0, f64::max).max(1.0);
        let last = t.len() - 1;
        let x = |i: usize| left + i as f64 / last as f64 * pw;
        let y = |v: f64, max: f64| top + ph - (v / max).clamp(0.0, 1.0) * ph;
        let line = |values: &mut dyn Iterator<Item = f64>, max: f64| {
            values
                .enumerate()
                .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(v, max)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let rps = line(&mut t.iter().map(|s| s.rps as f64), max_rps);
        let p95 = line(&mut t.iter().map(|s| s.p95_ms), max_ms);
        let users = line(&mut t.iter().map(|s| s.users), max_users);
        let mut svg = format!(
            "<h2>Timeline</h2><svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
             role=\"img\" aria-label=\"answered requests per second and p95 latency over the run\">"
        );
        // Axes, with five ticks each: req/s on the left, ms on the right,
        // seconds along the bottom.
        let _ = write!(
            svg,
            "<g stroke=\"#888\" fill=\"none\"><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{b}\"/>\
             <line x1=\"{r}\" y1=\"{top}\" x2=\"{r}\" y2=\"{b}\"/>\
             <line x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/></g>",
            b = top + ph,
            r = left + pw
        );
        for k in 0..=4 {
            let f = f64::from(k) / 4.0;
            let ty = top + ph - f * ph;
            let tx = left + f * pw;
            let _ = write!(
                svg,
                "<line x1=\"{left}\" y1=\"{ty:.1}\" x2=\"{r:.1}\" y2=\"{ty:.1}\" stroke=\"#eee\"/>\
                 <text x=\"{lx:.1}\" y=\"{ty:.1}\" text-anchor=\"end\" dy=\"4\" fill=\"#2458b3\">{}</text>\
                 <text x=\"{rx:.1}\" y=\"{ty:.1}\" dy=\"4\" fill=\"#b01c1c\">{}</text>\
                 <text x=\"{tx:.1}\" y=\"{sy:.1}\" text-anchor=\"middle\">{}</text>",
                tick(f * max_rps),
                tick(f * max_ms),
                tick(f * last as f64),
                r = left + pw,
                lx = left - 6.0,
                rx = left + pw + 6.0,
                sy = top + ph + 16.0,
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{lx}\" y=\"{top}\" text-anchor=\"end\" dy=\"-12\" fill=\"#2458b3\">req/s</text>\
             <text x=\"{rx}\" y=\"{top}\" dy=\"-12\" fill=\"#b01c1c\">ms</text>\
             <text x=\"{cx}\" y=\"{h}\" dy=\"-4\" text-anchor=\"middle\">time since the start (s)</text>",
            lx = left - 6.0,
            rx = left + pw + 6.0,
            cx = left + pw / 2.0,
        );
        // The SLO's p95 on the ms axis, then the three lines.
        let slo = y(self.slo.p95_ms, max_ms);
        let _ = write!(
            svg,
            "<line class=\"slo\" x1=\"{left}\" y1=\"{slo:.1}\" x2=\"{r:.1}\" y2=\"{slo:.1}\" \
             stroke=\"#b01c1c\" stroke-dasharray=\"6 4\"/>\
             <polyline class=\"users\" fill=\"none\" stroke=\"#999\" points=\"{users}\"/>\
             <polyline class=\"rps\" fill=\"none\" stroke=\"#2458b3\" points=\"{rps}\"/>\
             <polyline class=\"p95\" fill=\"none\" stroke=\"#b01c1c\" points=\"{p95}\"/></svg>",
            r = left + pw
        );
        let _ = write!(
            svg,
            "<p><span style=\"color:#2458b3\">answered req/s</span> (left axis), \
             <span style=\"color:#b01c1c\">p95 ms</span> (right axis; dashed: the SLO's p95 of {} ms), \
             <span style=\"color:#999\">users</span> (at most {max_users:.0}, scaled to the top), \
             over {} s.</p>",
            self.slo.p95_ms,
            t.len()
        );
        svg
    }
}

/// `max` rounded up to a figure an axis can show in five even steps: 1,
/// 2, 2.5 or 5 times a power of ten, times four.
fn nice(max: f64) -> f64 {
    if max.is_nan() || max <= 0.0 {
        return 1.0;
    }
    let step = max / 4.0;
    let power = 10f64.powf(step.log10().floor());
    let m = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|m| m * power >= step)
        .unwrap_or(10.0);
    m * power * 4.0
}

/// A tick's label: at most two decimals, no trailing zeros (`2.5`, `10`).
fn tick(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A table of the report: its title, column heads and rows.
type Section = (String, Vec<&'static str>, Vec<Vec<String>>);

fn check_row(c: &Check) -> Vec<String> {
    vec![
        if c.pass { "✓" } else { "✗" }.to_owned(),
        c.name.clone(),
        c.limit.clone(),
        c.actual.clone(),
    ]
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_figures_in_four_even_steps() {
        assert_eq!(nice(0.0), 1.0);
        assert_eq!(nice(f64::NAN), 1.0);
        assert_eq!(nice(7.0), 8.0);
        assert_eq!(nice(130.0), 200.0);
        assert_eq!(nice(2_400.0), 4_000.0);
        assert_eq!(nice(0.3), 0.4);
        assert_eq!(tick(50.0), "50");
        assert_eq!(tick(0.126), "0.13");
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(0.0), "0");
    }
}
