//! Paths a config file gives: written relative to the file, used resolved.

use std::path::{Path, PathBuf};

use figment::value::magic::RelativePathBuf;
use serde::{Deserialize, Serialize};

/// A path as a config file wrote it, and resolved against that file's
/// directory (a path from the environment or the defaults is taken as
/// written). It is shown as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RelativePathBuf", into = "PathBuf")]
pub struct ConfigPath {
    written: PathBuf,
    resolved: PathBuf,
}

impl ConfigPath {
    /// The path to use: resolved against the config file's directory.
    pub fn path(&self) -> &Path {
        &self.resolved
    }

    /// The path as the config wrote it.
    pub fn written(&self) -> &Path {
        &self.written
    }
}

impl From<PathBuf> for ConfigPath {
    /// A path given in code: used as it is.
    fn from(path: PathBuf) -> Self {
        Self {
            written: path.clone(),
            resolved: path,
        }
    }
}

impl From<RelativePathBuf> for ConfigPath {
    fn from(p: RelativePathBuf) -> Self {
        Self {
            written: p.original().to_path_buf(),
            resolved: p.relative(),
        }
    }
}

impl From<ConfigPath> for PathBuf {
    fn from(p: ConfigPath) -> Self {
        p.written
    }
}
