//! Whether a plugin is fresh: its `source` exists and no input of its
//! build is newer, as `make` would decide.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::manifests::{BuildSpec, Manifest};

/// The newest modification time under each input path, found once per
/// load however many manifests name the path.
#[derive(Default)]
pub(super) struct NewestInputs(std::collections::HashMap<PathBuf, Option<SystemTime>>);

impl NewestInputs {
    pub(super) fn of(&mut self, path: &Path) -> Option<SystemTime> {
        if let Some(t) = self.0.get(path) {
            return *t;
        }
        let t = newest_input(path);
        self.0.insert(path.to_owned(), t);
        t
    }

    /// After a build: the inputs may have changed (a build script, a lock
    /// file).
    pub(super) fn forget(&mut self) {
        self.0.clear();
    }
}

/// Whether a manifest's `source` exists, no input is newer, and neither is
/// the artifact it is copied from.
pub(super) fn is_fresh(m: &Manifest, spec: &BuildSpec, newest: &mut NewestInputs) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let Some(built) = modified(&m.source) else {
        return false;
    };
    if let Some(output) = &spec.output
        && modified(output).is_some_and(|t| t > built)
    {
        return false;
    }
    std::iter::once(&spec.dir)
        .chain(&spec.watch)
        .filter_map(|p| newest.of(p))
        .all(|t| t <= built)
}

/// The newest modification time of `path` or of the files under it,
/// skipping `target/`, hidden entries and fixtures.
pub(super) fn newest_input(path: &Path) -> Option<SystemTime> {
    if path.is_file() {
        return std::fs::metadata(path).and_then(|m| m.modified()).ok();
    }
    let mut newest = None;
    let mut stack = vec![path.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Fixtures (`*.test.toml`) test the plugin; they do not build it.
            if name.starts_with('.') || name == "target" || name.ends_with(".test.toml") {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if let Ok(t) = meta.modified() {
                newest = newest.max(Some(t));
            }
        }
    }
    newest
}
