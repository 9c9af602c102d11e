//! `umpire repl`: try an idea live against a league's season.
//!
//! A line is a Rhai expression, evaluated on the host's own engine with the
//! query API the rules see (`league`, `schedule`; `let game = ...` picks a
//! game), or a `:command`. At a terminal there is line editing, history and
//! completion of commands, constraint ids, game ids and variables
//! (rustyline); with piped stdin there are no prompts, so a session can be
//! scripted, and the exit code is 1 when any line failed.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Args;

mod complete;
mod error;
mod inspect;
mod session;
mod write;

use complete::Helper;
use error::{LineError, io, write_error};
use session::Session;

#[derive(Debug, Args)]
pub(super) struct ReplArgs {
    /// League directory (holding league.toml).
    #[arg(long, value_name = "DIR")]
    league: PathBuf,
    /// Schedule file; defaults to the league's `schedule`.
    #[arg(long, value_name = "FILE")]
    schedule: Option<PathBuf>,
    /// More plugin directories, added to the league's own (repeatable).
    #[arg(long = "plugins", value_name = "DIR")]
    plugins: Vec<PathBuf>,
    /// Never run a plugin's `[build]` command; use what is built.
    #[arg(long)]
    no_build: bool,
    /// Wall-clock budget of one expression, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    timeout_ms: u64,
    /// History file (default: `$XDG_STATE_HOME/umpire/repl_history`, or
    /// under `~/.local/state`).
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
}

/// The commands, for `:help` and completion.
const COMMANDS: &[(&str, &str)] = &[
    (":help", "this list, and the query API"),
    (
        ":load FILE [GAME]",
        "a manifest or plugin directory: add its constraints; a .rhai file: run it here; binds its params and GAME as `game`",
    ),
    (
        ":reload",
        "read the league, the schedule and every plugin again",
    ),
    (
        ":constraints",
        "the constraints: kind, scope, hardness, weight, dependencies",
    ),
    (":graph", "the dependency graph: levels and edges"),
    (
        ":eval GAME [CONSTRAINT]",
        "rule on a game (`schedule`: the schedule-scoped rules)",
    ),
    (
        ":explain GAME",
        "a game, its teams' neighbouring games, and every verdict in full",
    ),
    (":time", "show the time of each evaluation (toggles)"),
    (
        ":bench N",
        "run the last expression or :eval N times: mean, p50, p99",
    ),
    (
        ":trace on|off",
        "show the schedule queries each evaluation makes",
    ),
    (":quit", "leave (or Ctrl-D)"),
];

/// What `:bench` repeats.
#[derive(Debug, Clone)]
enum Last {
    Expr(String),
    Eval(String, Option<String>),
}

fn help(out: &mut dyn Write) -> Result<(), LineError> {
    let mut text = String::from("commands:\n");
    for (c, what) in COMMANDS {
        text.push_str(&format!("  {c:26} {what}\n"));
    }
    text.push_str("anything else is a Rhai expression over the query API the rules see:\n ");
    let mut width = 1;
    for q in crate::runtime::SCHEDULE_QUERIES {
        if width + q.rhai.len() > 100 {
            text.push_str("\n ");
            width = 1;
        }
        text.push(' ');
        text.push_str(q.rhai);
        text.push(',');
        width += q.rhai.len() + 2;
    }
    text.push_str(
        "\n  league.team(id), league.venue(id), league.tv_window(id), league.reference(key), league.blackout(venue, date),\n  \
         days_between(a, b), hours_between(a, b), pass(), violation(severity, message)\n\
         `let game = schedule.game(\"ID\");` binds `game` as a game-scoped rule sees it; `let` and `fn` persist.\n",
    );
    out.write_all(text.as_bytes()).map_err(io)
}

fn history_path(args: &ReplArgs) -> Option<PathBuf> {
    if let Some(p) = &args.history {
        return Some(p.clone());
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(state.join("umpire/repl_history"))
}

pub(super) fn run(args: ReplArgs) -> Result<ExitCode> {
    let mut session = Session::open(&args)?;
    if !std::io::stdin().is_terminal() {
        return piped(&mut session);
    }
    // An ambiguous word lists what it could be (a second Tab does not undo
    // the first).
    let config = rustyline::Config::builder()
        .completion_type(rustyline::CompletionType::List)
        .build();
    let mut editor: rustyline::Editor<Helper, rustyline::history::DefaultHistory> =
        rustyline::Editor::with_config(config).context("starting the line editor")?;
    editor.set_helper(Some(Helper {
        words: session.words(),
    }));
    let history = history_path(&args);
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!(
        "umpire repl · {} · {} games · {} constraints · `:help` for commands, Ctrl-D to leave",
        session.league.name,
        session.schedule.len(),
        session.registry.len()
    );
    loop {
        match editor.readline("umpire> ") {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                let mut out = std::io::stdout().lock();
                match session.line(&line, &mut out) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => write_error(&e, &line),
                }
                drop(out);
                if let Some(h) = editor.helper_mut() {
                    h.words = session.words();
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => return Err(e).context("reading a line"),
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(h);
    }
    Ok(ExitCode::SUCCESS)
}

/// Lines from a pipe: no prompts, no banner; exit 1 if any line failed.
fn piped(session: &mut Session) -> Result<ExitCode> {
    let mut failed = false;
    // Lines are gathered while a bracket stays open, as at the prompt; what
    // is still open at the end is evaluated as it is (its error says why).
    let mut pending = String::new();
    let mut lines = std::io::stdin().lock().lines();
    loop {
        let next = lines.next().transpose().context("reading stdin")?;
        let ended = next.is_none();
        if let Some(line) = next {
            if !pending.is_empty() {
                pending.push('\n');
            }
            pending.push_str(&line);
            if complete::incomplete(&pending) {
                continue;
            }
        } else if pending.is_empty() {
            break;
        }
        let line = std::mem::take(&mut pending);
        let mut out = std::io::stdout().lock();
        let result = session.line(&line, &mut out);
        out.flush()?;
        match result {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                failed = true;
                write_error(&e, &line);
            }
        }
        if ended {
            break;
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
