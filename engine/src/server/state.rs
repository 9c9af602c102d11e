//! What a server holds: its leagues, each with its current schedule and the
//! evaluator of its current plugins, swapped whole on an edit or a reload so
//! that a request in flight finishes on the versions it started with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::alerts::Readings;
use super::cluster::{Cluster, Down, LeagueInfo, NodeInfo, Stamp, Stored};
use super::metrics::Metrics;
use super::{ServeLeague, Source};
use crate::error::{Error, Result};
use crate::model::robinx::{Instance, Solution};
use crate::robinx::{Host, Pack, Scorer};
use crate::{
    Evaluator, League, Registry, Schedule, SchedulePatch, Season, cache::VerdictCache,
    config::Config, data::DataSources, exec::Cancel, exec::Interrupted, model::PatchError,
    model::ScheduleSpec,
};

/// One league being served.
pub(crate) struct LeagueState {
    pub(crate) name: String,
    pub(crate) league: Arc<League>,
    /// The plugin directories, the league's own first (a RobinX league's:
    /// its pack).
    pub(crate) dirs: Vec<PathBuf>,
    /// A RobinX league's instance, to build its constraints again on a
    /// reload.
    robinx: Option<Arc<Robinx>>,
    pub(crate) evaluator: ArcSwap<Evaluator>,
    pub(crate) schedule: ArcSwap<Versioned>,
    /// Held while an edit builds the next schedule, so edits do not race.
    pub(crate) editing: Mutex<()>,
    /// Why the last reload failed, while the previous plugins serve.
    pub(crate) reload_error: Mutex<Option<String>>,
    /// Plugin reloads that took effect.
    pub(crate) generation: AtomicU64,
    /// With `[cluster]`: the Redis that holds the schedule every node serves.
    cluster: Option<Arc<Cluster>>,
    /// Whether this node's copy came from the cluster (or went to it) since
    /// it started: until then its version number says nothing.
    synced: AtomicBool,
}

/// A schedule as served, with its version (1 at start, one more per edit)
/// and, once a what-if has needed it, its full evaluation.
pub(crate) struct Versioned {
    pub(crate) schedule: Arc<Schedule>,
    pub(crate) version: u64,
    /// With a cluster, the token of the write that stored this version.
    token: String,
    season: Mutex<Option<Arc<Season>>>,
}

impl Versioned {
    pub(crate) fn new(schedule: Arc<Schedule>, version: u64) -> Self {
        Self::stamped(
            schedule,
            Stamp {
                version,
                token: String::new(),
            },
        )
    }

    fn stamped(schedule: Arc<Schedule>, stamp: Stamp) -> Self {
        Self {
            schedule,
            version: stamp.version,
            token: stamp.token,
            season: Mutex::new(None),
        }
    }

    /// Its version as the cluster names it.
    fn stamp(&self) -> Stamp {
        Stamp {
            version: self.version,
            token: self.token.clone(),
        }
    }

    /// The version and the schedule an evaluation of it judged (for the
    /// decision log).
    pub(crate) fn judged(&self) -> (u64, &Schedule) {
        (self.version, &self.schedule)
    }

    /// This schedule's season under `evaluator`: evaluated at the first
    /// what-if and kept for the next (until an edit makes a new version, or
    /// a reload a new evaluator). Requests that need it meanwhile wait for
    /// the one evaluation.
    pub(crate) fn season(
        &self,
        evaluator: &Evaluator,
        cancel: &Cancel,
    ) -> std::result::Result<Arc<Season>, Interrupted> {
        let mut held = self.season.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(season) = held.as_ref().filter(|s| s.made_by(evaluator)) {
            return Ok(season.clone());
        }
        let season = Arc::new(evaluator.try_season_until(&self.schedule, cancel)?);
        *held = Some(season.clone());
        Ok(season)
    }
}

/// A RobinX league's instance and plugin pack.
struct Robinx {
    instance: Instance,
    pack: PathBuf,
}

impl Robinx {
    /// The instance's constraints on the pack, with the league they make.
    fn constraints(&self, config: &Config, no_build: bool) -> Result<(Arc<League>, Arc<Registry>)> {
        if !self.pack.join(Pack::TEMPLATE).is_file() {
            return Err(Error::Config {
                path: self.pack.clone(),
                message: format!(
                    "no RobinX plugin pack here (no {}); set `robinx.pack` to the pack's directory (plugins/robinx of an umpire checkout)",
                    Pack::TEMPLATE
                ),
            });
        }
        let pack = Pack::load(&self.pack)?;
        let options = config.plugins.load_options(true, no_build);
        let scorer = Scorer::new(&self.instance, &pack, Host::Wasm, &options)?;
        Ok((scorer.league().clone(), scorer.registry().clone()))
    }
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
    /// With `[cluster]`: the Redis the nodes share schedules through.
    pub(crate) cluster: Option<Arc<Cluster>>,
}

impl App {
    /// Loads every league; an error names the league and what failed.
    pub(crate) fn load(config: Config, leagues: Vec<ServeLeague>, no_build: bool) -> Result<Self> {
        let metrics = Metrics::new();
        let decisions = match &config.server.decision_log {
            Some(path) => {
                let path = path.path();
                Some(
                    super::decisions::DecisionLog::open(
                        path,
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
        let cluster = Cluster::of(&config)?.map(Arc::new);
        let mut loaded = BTreeMap::new();
        for ServeLeague { name, source } in leagues {
            let mut state = LeagueState::load(&name, source, &config, &cache, &data, no_build)?;
            if let Some(cluster) = &cluster {
                state.cluster = Some(cluster.clone());
                // The stored version, or this one stored; a Redis that does
                // not answer yet is asked again at the first request.
                if let Err(Down(why)) = state.current() {
                    tracing::warn!(league = %name, "{why}; the schedule is synced at the first request");
                }
            }
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
            cluster,
        })
    }

    /// Per league, the hash of its constraints' content: equal on two
    /// nodes when they run the same plugins.
    pub(crate) fn plugins(&self) -> BTreeMap<String, String> {
        self.leagues
            .iter()
            .map(|(name, state)| {
                let evaluator = state.evaluator.load();
                let mut f = crate::model::fingerprint::Fingerprint::new();
                for c in evaluator.registry().constraints() {
                    f.u64(c.content_hash());
                }
                (name.clone(), format!("{:016x}", f.finish()))
            })
            .collect()
    }

    /// What this node says of itself at a heartbeat.
    pub(crate) fn node_info(&self, node: &str, addr: &str) -> NodeInfo {
        let now = super::cluster::now_ms();
        let plugins = self.plugins();
        NodeInfo {
            node: node.to_owned(),
            addr: addr.to_owned(),
            heartbeat_ms: now,
            started_ms: now.saturating_sub(self.started.elapsed().as_millis() as u64),
            leagues: (self.leagues.iter())
                .map(|(name, state)| {
                    let info = LeagueInfo {
                        plugins: plugins.get(name).cloned().unwrap_or_default(),
                        reloads: state.generation.load(Ordering::Relaxed),
                        version: state.schedule.load().version,
                    };
                    (name.clone(), info)
                })
                .collect(),
        }
    }

    /// Reloads every league's plugins; with a cluster, tells the other
    /// nodes to reload theirs (unless `announce` is false: the reload
    /// answers another node's announcement).
    pub(crate) fn reload_all(
        &self,
        announce: bool,
    ) -> Vec<(String, std::result::Result<usize, String>)> {
        let results = (self.leagues.values())
            .map(|s| (s.name.clone(), s.reload(self)))
            .collect();
        if let Some(cluster) = self.cluster.as_ref().filter(|_| announce)
            && let Err(Down(why)) = cluster.announce_reload()
        {
            tracing::warn!("the other nodes were not told of the reload: {why}");
        }
        results
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

    /// What the alerts judge: each constraint's window since the last call
    /// (taken, so the next starts empty), its breaker, each league's queue
    /// and the process's memory.
    pub(crate) fn readings(&self) -> Readings {
        let windows = self.metrics.take_windows().into_iter();
        let mut readings = Readings {
            windows: windows
                .map(|((league, id), w)| (format!("{league}/{id}"), w))
                .collect(),
            rss_mb: super::alerts::rss_mb(),
            ..Readings::default()
        };
        for (name, state) in &self.leagues {
            let evaluator = state.evaluator.load();
            let constraints = evaluator.registry().constraints().iter();
            for (c, b) in constraints.zip(evaluator.breakers()) {
                let subject = format!("{name}/{}", c.manifest.id);
                readings.breakers.push((subject, b.state()));
            }
            let queued = evaluator.pool_stats().queued;
            readings.queues.push((name.clone(), queued));
        }
        readings
    }
}

impl LeagueState {
    fn load(
        name: &str,
        source: Source,
        config: &Config,
        cache: &Arc<VerdictCache>,
        data: &Arc<DataSources>,
        no_build: bool,
    ) -> Result<Self> {
        let (league, dirs, registry, schedule, robinx) = match source {
            Source::Dir {
                dir,
                plugins,
                schedule,
            } => {
                let league = Arc::new(League::load(&dir)?);
                let mut dirs = league.plugin_dirs.clone();
                dirs.extend(plugins);
                let registry = Arc::new(load_registry(&dirs, config, no_build)?);
                let schedule = match schedule.or_else(|| league.schedule_file.clone()) {
                    Some(path) => Schedule::load(&path, &league)?,
                    None => empty(&league)?,
                };
                (league, dirs, registry, schedule, None)
            }
            Source::Robinx {
                instance,
                solution,
                pack,
            } => {
                let instance = Instance::load(&instance)?;
                for note in &instance.notes {
                    tracing::warn!(league = %name, "{note}");
                }
                let robinx = Robinx { instance, pack };
                let (league, registry) = robinx.constraints(config, no_build)?;
                let schedule = match solution {
                    Some(path) => {
                        let solution = Solution::load(&path, &robinx.instance)?;
                        for note in &solution.notes {
                            tracing::warn!(league = %name, "{note}");
                        }
                        solution.schedule(&league)?
                    }
                    None => empty(&league)?,
                };
                let dirs = vec![robinx.pack.clone()];
                (league, dirs, registry, schedule, Some(Arc::new(robinx)))
            }
        };
        let evaluator = evaluator(&league, registry, config, cache, data);
        Ok(Self {
            name: name.to_owned(),
            league,
            dirs,
            robinx,
            evaluator: ArcSwap::from_pointee(evaluator),
            schedule: ArcSwap::from_pointee(Versioned::new(Arc::new(schedule), 1)),
            editing: Mutex::new(()),
            reload_error: Mutex::new(None),
            generation: AtomicU64::new(0),
            cluster: None,
            synced: AtomicBool::new(false),
        })
    }

    /// The schedule to answer from. With a cluster, the version Redis
    /// holds: its games fetched when this node's copy is another version,
    /// and this node's copy stored when Redis holds none (it was never
    /// stored, or Redis lost it) or an older one (Redis lost it, and a node
    /// behind stored its copy first). An error when Redis does not answer.
    pub(crate) fn current(&self) -> std::result::Result<Arc<Versioned>, Down> {
        let Some(cluster) = &self.cluster else {
            return Ok(self.schedule.load_full());
        };
        for _ in 0..WRITE_TRIES {
            let local = self.schedule.load_full();
            let synced = self.synced.load(Ordering::Acquire);
            // Until synced, the games come back whatever the version.
            let have = if synced {
                local.stamp()
            } else {
                Stamp::default()
            };
            let (base, mine) = match cluster.fetch(&self.name, &have)? {
                Stored::Same => {
                    self.synced.store(true, Ordering::Release);
                    return Ok(local);
                }
                Stored::Other(stored, games) if !synced || stored.version >= local.version => {
                    return self.adopt(stored, &games);
                }
                // Behind this node's copy: put it back.
                Stored::Other(stored, _) => (stored, local.stamp()),
                Stored::Nothing if local.token.is_empty() => {
                    (Stamp::default(), Stamp::fresh(local.version))
                }
                Stored::Nothing => (Stamp::default(), local.stamp()),
            };
            let games = games_json(&self.league, &local.schedule);
            if cluster.write(&self.name, &base, &mine, &games)?.is_none() {
                let stored = Arc::new(Versioned::stamped(local.schedule.clone(), mine));
                self.schedule.store(stored.clone());
                self.synced.store(true, Ordering::Release);
                return Ok(stored);
            }
            // Another node wrote first: look again.
        }
        Err(Down(format!(
            "the schedule of `{}` kept changing in the cluster's Redis while this node synced",
            self.name
        )))
    }

    /// Takes the cluster's version `stamp` (its games as JSON) as this
    /// node's copy.
    fn adopt(&self, stamp: Stamp, games: &str) -> std::result::Result<Arc<Versioned>, Down> {
        let origin = Path::new("(the cluster's Redis)");
        let version = stamp.version;
        let schedule = serde_json::from_str::<ScheduleSpec>(games)
            .map_err(|e| e.to_string())
            .and_then(|spec| {
                Schedule::from_spec(origin, spec, &self.league).map_err(|e| e.to_string())
            })
            .map_err(|e| {
                Down(format!(
                    "the cluster's version {version} of `{}` is no schedule of this league ({e}); is every node serving the same league?",
                    self.name
                ))
            })?;
        let versioned = Arc::new(Versioned::stamped(Arc::new(schedule), stamp));
        self.schedule.store(versioned.clone());
        self.synced.store(true, Ordering::Release);
        Ok(versioned)
    }

    /// Makes `schedule` the version after `base` if the schedule is still
    /// `base` (with a cluster, in Redis too): the new version, or `None`
    /// when another node wrote first.
    fn commit(
        &self,
        schedule: Schedule,
        base: &Versioned,
    ) -> std::result::Result<Option<u64>, EditError> {
        let stamp = Stamp::fresh(base.version + 1);
        if let Some(cluster) = &self.cluster {
            let games = games_json(&self.league, &schedule);
            if cluster
                .write(&self.name, &base.stamp(), &stamp, &games)
                .map_err(|Down(why)| EditError::Down(why))?
                .is_some()
            {
                return Ok(None);
            }
        }
        let version = stamp.version;
        self.schedule
            .store(Arc::new(Versioned::stamped(Arc::new(schedule), stamp)));
        Ok(Some(version))
    }

    /// Why `schedule` is no schedule of this league, beyond what the league
    /// itself checks: each game of a RobinX league sits in one of the
    /// instance's slots (its round).
    pub(crate) fn refuses(&self, schedule: &Schedule) -> Option<String> {
        crate::robinx::off_slot(schedule, self.robinx.as_ref()?.instance.slots)
    }

    /// Loads the plugins again and swaps the evaluator; on failure the
    /// previous plugins keep serving and the error is kept to be shown.
    pub(crate) fn reload(&self, app: &App) -> std::result::Result<usize, String> {
        let loaded = match &self.robinx {
            // The league stays the one the instance made at start.
            Some(r) => r
                .constraints(&app.config, app.no_build)
                .map(|(_, registry)| registry),
            None => load_registry(&self.dirs, &app.config, app.no_build).map(Arc::new),
        };
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

    /// Replaces the schedule with one built from `spec`, if the current
    /// one is still `expect` (when given); returns the new version.
    pub(crate) fn replace(
        &self,
        spec: ScheduleSpec,
        origin: &Path,
        expect: &Expect,
    ) -> std::result::Result<u64, EditError> {
        let _edit = self.editing.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..WRITE_TRIES {
            let current = self.current().map_err(|Down(why)| EditError::Down(why))?;
            check_version(current.version, expect)?;
            let schedule = Schedule::from_spec(origin, spec.clone(), &self.league)
                .map_err(EditError::Invalid)?;
            if let Some(why) = self.refuses(&schedule) {
                return Err(EditError::Refused(why));
            }
            if let Some(version) = self.commit(schedule, &current)? {
                return Ok(version);
            }
        }
        Err(EditError::Busy)
    }

    /// Applies `patch` to the current schedule, if it is still `expect`
    /// (when given), and replaces it; returns the new version and its number
    /// of games. An error leaves the schedule as it was.
    pub(crate) fn edit(
        &self,
        patch: &SchedulePatch,
        origin: &Path,
        expect: &Expect,
    ) -> std::result::Result<(u64, usize), EditError> {
        let _edit = self.editing.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..WRITE_TRIES {
            let current = self.current().map_err(|Down(why)| EditError::Down(why))?;
            check_version(current.version, expect)?;
            let schedule = patch
                .apply_to(&current.schedule, &self.league, origin)
                .map_err(|e| match e {
                    PatchError::Invalid(e) => EditError::Invalid(e),
                    e @ PatchError::Request { .. } => EditError::Request(e),
                })?;
            if let Some(why) = self.refuses(&schedule) {
                return Err(EditError::Refused(why));
            }
            let games = schedule.len();
            if let Some(version) = self.commit(schedule, &current)? {
                return Ok((version, games));
            }
        }
        Err(EditError::Busy)
    }
}

/// What a write expects the schedule to be: the versions an `If-Match`
/// header accepts (`None`: any), and the version a body names.
pub(crate) struct Expect {
    pub(crate) tags: Option<Vec<Option<u64>>>,
    pub(crate) version: Option<u64>,
}

/// Refuses an edit of a schedule that moved on from the version its client
/// read.
fn check_version(current: u64, expect: &Expect) -> std::result::Result<(), EditError> {
    if let Some(tags) = &expect.tags
        && !tags.contains(&Some(current))
    {
        return Err(EditError::Moved {
            current,
            precondition: true,
        });
    }
    match expect.version {
        Some(v) if v != current => Err(EditError::Moved {
            current,
            precondition: false,
        }),
        _ => Ok(()),
    }
}

/// Why an edit was refused.
pub(crate) enum EditError {
    /// The edit names what is not there (a game to edit or remove), or a
    /// game twice.
    Request(PatchError),
    /// The edited schedule does not validate.
    Invalid(Error),
    /// The edited schedule is no schedule of this league (why).
    Refused(String),
    /// The cluster's Redis does not answer (what failed).
    Down(String),
    /// Other nodes wrote each time this one tried.
    Busy,
    /// The schedule is no longer the version the client named: in
    /// `If-Match` (a failed precondition), or in the body.
    Moved { current: u64, precondition: bool },
}

/// Tries of a write that other nodes' writes overtake, before giving up.
const WRITE_TRIES: usize = 3;

/// A schedule as the cluster stores it: the schedule file's JSON.
fn games_json(league: &League, schedule: &Schedule) -> String {
    serde_json::to_string(&schedule.to_spec(league)).unwrap_or_default()
}

/// A server builds no plugin unless `plugins.build` says so: a plugin
/// directory's `[build]` is code it would run, at start and on every reload.
fn load_registry(dirs: &[PathBuf], config: &Config, no_build: bool) -> Result<Registry> {
    Registry::load_opts(dirs, &config.plugins.load_options(true, no_build))
}

/// A schedule with no games.
fn empty(league: &League) -> Result<Schedule> {
    Schedule::from_spec(Path::new("(empty)"), ScheduleSpec::default(), league)
}

fn evaluator(
    league: &Arc<League>,
    registry: Arc<Registry>,
    config: &Config,
    cache: &Arc<VerdictCache>,
    data: &Arc<DataSources>,
) -> Evaluator {
    let evaluator = Evaluator::new(league.clone(), registry)
        .with_executor(&config.executor)
        .with_breakers(config.breaker)
        .with_data(data.clone());
    if config.cache.enabled {
        evaluator.with_cache(cache.clone())
    } else {
        evaluator
    }
}
