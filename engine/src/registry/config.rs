//! How plugins load: the `[plugins]` table of the config (when `[build]`
//! commands run, and what a plugin may read and return).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::LoadOptions;
use crate::manifests::{BuildLimits, BuildPolicy};
use crate::runtime::RhaiLimits;

/// Plugins: a plugin directory is a trust boundary. Its manifests' `[build]`
/// commands run code, so a server runs none unless told to (`build`), and
/// every build runs fenced (a cleared environment, a timeout that kills
/// its process group, bounded output). Each plugin's source, and what each
/// call may return, are bounded too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginsConfig {
    /// When to run a manifest's `[build]` command: `never`, or `if-stale`
    /// (when `source` is missing or older than its inputs). Unset (the
    /// default), the command decides: `umpire serve` (and its hot and admin
    /// reloads) never builds; `eval`, `test` and the other commands, run by
    /// a developer in their own checkout, build what is stale. `--no-build`
    /// always wins.
    pub build: Option<BuildPolicy>,
    /// A build still running after this many seconds is killed with its
    /// whole process group (default 600).
    pub build_timeout_s: u64,
    /// KiB of a build's output kept for its error message (default 64).
    pub build_output_kb: usize,
    /// Largest Rhai script a manifest may name, in KiB (default 1024).
    pub max_script_kb: usize,
    /// Largest WebAssembly component a manifest may name, in MiB (default 64).
    pub max_component_mb: usize,
    /// Violations one call may return (default 10,000).
    pub max_violations: usize,
    /// KiB one call's answer may take: its violations with their messages,
    /// suggestions and entities, counted as the host holds them (default
    /// 4096). A WebAssembly plugin's answer is refused while it is copied
    /// out, before the host holds more than this; a Rhai script's while it
    /// builds it.
    pub max_output_kb: usize,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        let build = BuildLimits::default();
        let limits = RhaiLimits::default();
        Self {
            build: None,
            build_timeout_s: build.timeout.as_secs(),
            build_output_kb: build.output_bytes / 1024,
            max_script_kb: limits.max_script_bytes / 1024,
            max_component_mb: limits.max_component_bytes >> 20,
            max_violations: limits.max_violations,
            max_output_kb: limits.max_output_bytes / 1024,
        }
    }
}

impl PluginsConfig {
    /// When to build: `plugins.build` if set, else never for a server
    /// (`serving`) and if stale for the other commands.
    pub fn build_policy(&self, serving: bool) -> BuildPolicy {
        self.build.unwrap_or(if serving {
            BuildPolicy::Never
        } else {
            BuildPolicy::IfStale
        })
    }

    /// How a registry loads under these settings (`no_build`: the command
    /// line's `--no-build`, which wins).
    pub fn load_options(&self, serving: bool, no_build: bool) -> LoadOptions<'static> {
        LoadOptions {
            limits: self.limits(),
            build: if no_build {
                BuildPolicy::Never
            } else {
                self.build_policy(serving)
            },
            build_limits: BuildLimits {
                timeout: Duration::from_secs(self.build_timeout_s),
                output_bytes: self.build_output_kb * 1024,
            },
            build_output: Default::default(),
            on_build: None,
        }
    }

    /// The limits plugin calls run under.
    pub fn limits(&self) -> RhaiLimits {
        RhaiLimits {
            max_script_bytes: self.max_script_kb * 1024,
            max_component_bytes: self.max_component_mb << 20,
            max_violations: self.max_violations,
            max_output_bytes: self.max_output_kb * 1024,
            ..Default::default()
        }
    }

    pub(crate) fn check(&self) -> std::result::Result<(), String> {
        for (key, value) in [
            ("build_timeout_s", self.build_timeout_s as usize),
            ("build_output_kb", self.build_output_kb),
            ("max_script_kb", self.max_script_kb),
            ("max_component_mb", self.max_component_mb),
            ("max_violations", self.max_violations),
            ("max_output_kb", self.max_output_kb),
        ] {
            if value == 0 {
                return Err(format!("plugins.{key} must be at least 1"));
            }
        }
        Ok(())
    }
}
