//! Hot reload: the plugin directories are watched (notify); after a change
//! settles, the leagues whose directories it touched reload their plugins.
//! A broken edit leaves the previous version serving, with its error in
//! `/v1/constraints` and the log.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use super::state::App;

/// How long the files must be quiet before a reload: an editor's save is
/// several events.
const SETTLE: Duration = Duration::from_millis(300);

/// Starts watching every league's plugin directories on a thread of its
/// own; the watcher lives as long as the process.
pub(crate) fn start(app: Arc<App>) {
    let (tx, rx) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = match notify::recommended_watcher(tx) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the plugin directories; reload with POST /v1/admin/reload");
            return;
        }
    };
    // Events name canonical paths: so are the directories compared with them.
    let canonical = |d: &PathBuf| d.canonicalize().unwrap_or_else(|_| d.clone());
    let leagues: Vec<(Arc<super::state::LeagueState>, Vec<PathBuf>)> = app
        .leagues
        .values()
        .map(|s| (s.clone(), s.dirs.iter().map(canonical).collect()))
        .collect();
    let mut dirs: Vec<PathBuf> = leagues.iter().flat_map(|(_, d)| d.clone()).collect();
    dirs.sort();
    dirs.dedup();
    for dir in &dirs {
        if let Err(e) = watcher.watch(dir, RecursiveMode::Recursive) {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot watch a plugin directory");
        }
    }
    let spawned = std::thread::Builder::new()
        .name("umpire-watch".into())
        .spawn(move || {
            let _watcher = watcher;
            while let Ok(first) = rx.recv() {
                let mut paths = relevant(first);
                // Let the burst settle.
                while let Ok(next) = rx.recv_timeout(SETTLE) {
                    paths.extend(relevant(next));
                }
                if paths.is_empty() {
                    continue;
                }
                                let mut reloaded = false;
                for (state, dirs) in &leagues {
                    let touched = paths.iter().any(|p| {
                        dirs.iter()
                            .any(|d| p.strip_prefix(d).is_ok_and(|rel| !ignored(rel)))
                    });
                    if touched {
                        tracing::info!(league = %state.name, files = paths.len(), "plugin files changed; reloading");
                        reloaded |= state.reload(&app).is_ok();
                    }
                }
                // The other nodes of a cluster reload too.
                if let Some(cluster) = app.cluster.as_ref().filter(|_| reloaded)
                    && let Err(super::cluster::Down(why)) = cluster.announce_reload()
                {
                    tracing::warn!("the other nodes were not told of the reload: {why}");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the plugin watcher");
    }
}

/// The paths an event changed (not mere reads).
fn relevant(event: notify::Result<notify::Event>) -> Vec<PathBuf> {
    match event {
        Ok(e) if !matches!(e.kind, notify::EventKind::Access(_)) => e.paths,
        _ => Vec::new(),
    }
}

/// Whether a path below a plugin directory is no plugin's source: build
/// output (`target/`), hidden files, editor backups and fixtures.
fn ignored(path: &Path) -> bool {
    path.components().any(|c| match c {
        Component::Normal(name) => {
            let name = name.to_string_lossy();
            name == "target"
                || name.starts_with('.')
                || name.ends_with('~')
                || name.ends_with(".test.toml")
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_output_hidden_files_backups_and_fixtures_are_ignored() {
        for p in [
            "target/x.wasm",
            ".git/HEAD",
            "rule.rhai~",
            "tests/rule.test.toml",
        ] {
            assert!(ignored(Path::new(p)), "{p}");
        }
        for p in ["rule.rhai", "rule.toml", "tests/helper.rhai"] {
            assert!(!ignored(Path::new(p)), "{p}");
        }
    }
}
