//! What a server holds: its leagues, each with its current schedule and the
//! evaluator of its current plugins, swapped whole on an edit or a reload so
//! that a request in flight finishes on the versions it started with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::metrics::Metrics;
use crate::error::{Error, Result};
use crate::{
    Config, DataSources, Evaluator, League, Registry, Schedule, ScheduleSpec, VerdictCache,
};

/// One league being served.
pub(crate) struct LeagueState {
    pub(crate) name: String,
    pub(crate) league: Arc<League>,
    /// The plugin directories, the league's own first.
    pub(crate) dirs: Vec<PathBuf>,
    pub(crate) evaluator: ArcSwap<Evaluator>,
    pub(crate) schedule: ArcSwap<Versioned>,
    /// Held while an edit builds the next schedule, so edits do not race.
    pub(crate) editing: Mutex<()>,
    /// Why the last reload failed, while the previous plugins serve.
    pub(crate) reload_error: Mutex<Option<String>>,
    /// Plugin reloads that took effect.
    pub(crate) generation: AtomicU64,
}

/// A schedule as served: the spec it was built from (for edits) and its
/// version (1 at start, one more per edit).
pub(crate) struct Versioned {
    pub(crate) schedule: Arc<Schedule>,
    pub(crate) spec: ScheduleSpec,
    pub(crate) version: u64,
}

/// The whole server.
pub(crate) struct App {
    pub(crate) leagues: BTreeMap<String, Arc<LeagueState>>,
    pub(crate) config: Config,
    pub(crate) cache: Arc<VerdictCache>,
    pub(crate) data: Arc<DataSources>,
    pub(crate) metrics: Metrics,
    /// One permit per request being served (`server.concurrency`), held
    /// until its work is done: by the handler, the blocking evaluation it
    /// started, or the stream it answers with.
    pub(crate) slots: Arc<tokio::sync::Semaphore>,
    /// One permit per NDJSON stream evaluating (`server.max_streams`).
    pub(crate) streams: Arc<tokio::sync::Semaphore>,
    pub(crate) ready: AtomicBool,
    next_id: AtomicU64,
    /// Distinguishes this process's evaluation ids from another's.
    boot: String,
    pub(crate) started: std::time::Instant,
    pub(crate) no_build: bool,
    pub(crate) decisions: Option<super::decisions::DecisionLog>,
    pub(crate) alerts: super::alerts::Alerts,
}

impl App {
    /// Loads every league (`(name, dir, extra plugin dirs, schedule)`);
    /// an error names the league and what failed.
    pub(crate) fn load(
        config: Config,
        leagues: Vec<(String, PathBuf, Vec<PathBuf>, Option<PathBuf>)>,
        no_build: bool,
    ) -> Result<Self> {
        let metrics = Metrics::new();
        let decisions = match &config.server.decision_log {
            Some(path) => {
                let path = path.relative();
                Some(
                    super::decisions::DecisionLog::open(
                        &path,
                        config.server.decision_log_sync,
                        metrics.decision_log_errors.clone(),
                    )
                    .map_err(|e| Error::Config {
                        path: "server.decision_log".into(),
                        message: format!("cannot open {}: {e}", path.display()),
                    })?,
                )
            }
            None => None,
        };
        let cache = Arc::new(VerdictCache::new(&config.cache)?);
        let data = Arc::new(DataSources::new(&config.data));
        let mut loaded = BTreeMap::new();
        for (name, dir, plugins, schedule) in leagues {
            let state = LeagueState::load(
                &name,
                &dir,
                plugins,
                schedule.as_deref(),
                &config,
                &cache,
                &data,
                no_build,
            )?;
            loaded.insert(name, Arc::new(state));
        }
        let boot = format!(
            "{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis())
                & 0xff_ffff
        );
        Ok(Self {
            slots: Arc::new(tokio::sync::Semaphore::new(config.server.concurrency)),
            streams: Arc::new(tokio::sync::Semaphore::new(config.server.max_streams)),
            metrics,
            leagues: loaded,
            config,
            cache,
            data,
            ready: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
            boot,
            started: std::time::Instant::now(),
            no_build,
            decisions,
            alerts: super::alerts::Alerts::default(),
        })
    }

    /// A new evaluation id, unique in this process and unlikely to repeat
    /// across restarts.
    pub(crate) fn evaluation_id(&self) -> String {
        format!(
            "ev-{}-{}",
            self.boot,
            self.next_id.fetch_add(1, Ordering::Relaxed)
        )
    }
}

impl LeagueState {
    #[allow(
        clippy::too_many_arguments,
        reason = "each is one input of a league's load"
    )]
    fn load(
        name: &str,
        dir: &Path,
        plugins: Vec<PathBuf>,
        schedule: Option<&Path>,
        config: &Config,
        cache: &Arc<VerdictCache>,
        data: &Arc<DataSources>,
        no_build: bool,
    ) -> Result<Self> {
        let league = Arc::new(League::load(dir)?);
        let mut dirs = league.plugin_dirs.clone();
        dirs.extend(plugins);
        let registry = load_registry(&dirs, config, no_build)?;
        let evaluator = evaluator(&league, registry, config, cache, data);
        let spec = match schedule
            .map(Path::to_path_buf)
            .or_else(|| league.schedule_file.clone())
        {
            Some(path) => {
                let spec = ScheduleSpec::load(&path)?;
                let schedule = Schedule::from_spec(&path, spec.clone(), &league)?;
                (Arc::new(schedule), spec)
            }
            None => {
                let spec = ScheduleSpec::default();
                (
                    Arc::new(Schedule::from_spec(
                        Path::new("(empty)"),
                        spec.clone(),
                        &league,
                    )?),
                    spec,
                )
            }
        };
        Ok(Self {
            name: name.to_owned(),
            league,
            dirs,
            evaluator: ArcSwap::from_pointee(evaluator),
            schedule: ArcSwap::from_pointee(Versioned {
                schedule: spec.0,
                spec: spec.1,
                version: 1,
            }),
            editing: Mutex::new(()),
            reload_error: Mutex::new(None),
            generation: AtomicU64::new(0),
        })
    }

    /// Loads the plugins again and swaps the evaluator; on failure the
    /// previous plugins keep serving and the error is kept to be shown.
    pub(crate) fn reload(&self, app: &App) -> std::result::Result<usize, String> {
        let loaded = load_registry(&self.dirs, &app.config, app.no_build);
        let mut error = self.reload_error.lock().unwrap_or_else(|e| e.into_inner());
        match loaded {
            Ok(registry) => {
                let n = registry.len();
                let evaluator =
                    evaluator(&self.league, registry, &app.config, &app.cache, &app.data);
                self.evaluator.store(Arc::new(evaluator));
                self.generation.fetch_add(1, Ordering::Relaxed);
                *error = None;
                tracing::info!(league = %self.name, constraints = n, "plugins reloaded");
                Ok(n)
            }
            Err(e) => {
                let message = e.to_string();
                tracing::error!(league = %self.name, error = %message, "reload failed; the previous plugins keep serving");
                *error = Some(message.clone());
                Err(message)
            }
        }
    }

    /// Replaces the schedule with one built from `spec`; returns its version.
    pub(crate) fn replace(&self, spec: ScheduleSpec, origin: &Path) -> Result<u64> {
        let _edit = self.editing.lock().unwrap_or_else(|e| e.into_inner());
        let schedule = Schedule::from_spec(origin, spec.clone(), &self.league)?;
        let version = self.schedule.load().version + 1;
        self.schedule.store(Arc::new(Versioned {
            schedule: Arc::new(schedule),
            spec,
            version,
        }));
        Ok(version)
    }

    /// Edits the current schedule's spec with `f` and replaces it; an
    /// error (from `f` or validation) leaves the schedule as it was.
    pub(crate) fn edit(
        &self,
        origin: &Path,
        f: impl FnOnce(&mut ScheduleSpec) -> std::result::Result<(), String>,
    ) -> std::result::Result<u64, EditError> {
        let _edit = self.editing.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.schedule.load_full();
        let mut spec = current.spec.clone();
        f(&mut spec).map_err(EditError::Request)?;
        let schedule =
            Schedule::from_spec(origin, spec.clone(), &self.league).map_err(EditError::Invalid)?;
        let version = current.version + 1;
        self.schedule.store(Arc::new(Versioned {
            schedule: Arc::new(schedule),
            spec,
            version,
        }));
        Ok(version)
    }
}

/// Why an edit was refused.
pub(crate) enum EditError {
    /// The request names what is not there (a game to edit or remove).
    Request(String),
    /// The edited schedule does not validate.
    Invalid(Error),
}

/// A server builds no plugin unless `plugins.build` says so: a plugin
/// directory's `[build]` is code it would run, at start and on every reload.
fn load_registry(dirs: &[PathBuf], config: &Config, no_build: bool) -> Result<Registry> {
    Registry::load_opts(dirs, &config.plugins.load_options(true, no_build))
}

fn evaluator(
    league: &Arc<League>,
    registry: Registry,
    config: &Config,
    cache: &Arc<VerdictCache>,
    data: &Arc<DataSources>,
) -> Evaluator {
    let evaluator = Evaluator::new(league.clone(), Arc::new(registry))
        .with_executor(&config.executor)
        .with_breakers(config.breaker_config())
        .with_data(data.clone());
    if config.cache.enabled {
        evaluator.with_cache(cache.clone())
    } else {
        evaluator
    }
}
