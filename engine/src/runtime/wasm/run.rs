//! Running a call: the instance it enters under the plugin's isolation mode
//! (`fresh`, or one kept per worker under `reuse` and `shared`), the game
//! records it reads, and a call that did not return, in words.

use std::cell::RefCell;
use std::path::Path;
use std::sync::{Arc, Weak};
use std::time::Instant;

use wasmtime::{Store, Trap};

use super::host::{self, Bindings, Call, HostState, OUTSIDE_SCHEDULE, Part};
use super::load::{Prepared, WasmPlugin, failure_text};
use super::{STDIO_RECYCLE, ticks};
use crate::manifests::{Isolation, Partition, Scope};
use crate::model::{Game, League, Schedule};
use crate::runtime::Target;
use crate::runtime::answer::{Failure, Outcome};

/// A reused instance and its store.
struct Slot {
    /// Keeps the component alive while its address is the slot's key.
    prepared: Arc<Prepared>,
    store: Store<HostState>,
    bindings: Bindings,
}

/// Which reused instance a call may enter: one per plugin under `reuse`;
/// under `shared`, one per component, memory cap and fuel budget.
#[derive(Clone, Copy, PartialEq, Eq)]
struct SlotKey(usize, u32, Option<u64>);

impl SlotKey {
    fn of(plugin: &Arc<WasmPlugin>) -> Self {
        let s = plugin.settings;
        match s.isolation {
            Isolation::Shared => Self(Arc::as_ptr(&plugin.prepared) as usize, s.memory_mb, s.fuel),
            Isolation::Reuse | Isolation::Fresh => Self(Arc::as_ptr(plugin) as usize, 0, None),
        }
    }
}

/// The records of the schedule last seen, so a call does not rebuild them.
struct Records {
    schedule: Weak<Schedule>,
    records: Arc<host::Records>,
    /// The slot last asked about: games usually come in order.
    last: usize,
}

/// What a worker keeps for WebAssembly plugins: its reused instances and
/// the schedule's game records.
pub(crate) struct WasmHost {
    league: Arc<League>,
    /// Reused instances by plugin (a handful: a linear scan beats hashing).
    slots: RefCell<Vec<(SlotKey, Slot)>>,
    records: RefCell<Option<Records>>,
    limits: host::OutputLimits,
    /// Bytes a call's answer may copy out of the guest (wasmtime's
    /// hostcall fuel): the output limit, enforced before the host holds
    /// the answer.
    output_fuel: usize,
}

impl WasmHost {
    pub(crate) fn new(league: Arc<League>, limits: &crate::runtime::RhaiLimits) -> Self {
        Self {
            league,
            slots: RefCell::new(Vec::new()),
            records: RefCell::new(None),
            output_fuel: limits.max_output_bytes,
            limits: host::OutputLimits {
                max_violations: limits.max_violations,
                max_entities: limits.max_array_size,
                max_string_bytes: limits.max_string_size,
            },
        }
    }

    /// Where `game` sits in the schedule, if it is that schedule's own game
    /// (not an edited or inline one). Tries the slot after the last one
    /// asked about before looking the id up.
    fn slot_of(&self, schedule: &Schedule, game: &Arc<Game>) -> Option<usize> {
        let games = schedule.games();
        let mut cached = self.records.borrow_mut();
        let last = cached.as_ref().map_or(0, |r| r.last);
        let found = [last, last + 1]
            .into_iter()
            .find(|&i| games.get(i).is_some_and(|g| Arc::ptr_eq(g, game)))
            .or_else(|| schedule.position_of(game));
        if let (Some(i), Some(r)) = (found, cached.as_mut()) {
            r.last = i;
        }
        found
    }

    fn records(&self, schedule: &Arc<Schedule>) -> Arc<host::Records> {
        let mut cached = self.records.borrow_mut();
        if let Some(r) = cached.as_ref()
            && std::ptr::eq(r.schedule.as_ptr(), Arc::as_ptr(schedule))
        {
            return r.records.clone();
        }
        let before = cached.as_ref().map(|r| &*r.records);
        let records = Arc::new(host::Records::after(schedule, before));
        *cached = Some(Records {
            schedule: Arc::downgrade(schedule),
            records: records.clone(),
            last: 0,
        });
        records
    }

    /// Runs one call under the plugin's isolation mode; `now` is when the
    /// call started.
    pub(crate) fn run(
        &self,
        plugin: &Arc<WasmPlugin>,
        schedule: &Arc<Schedule>,
        target: Target<'_>,
        deadline: Instant,
        now: Instant,
    ) -> std::result::Result<Outcome, Failure> {
        let game = target.game();
        let records = self.records(schedule);
        let fields = plugin.settings.fields;
        if let Some(fields) = fields {
            // The host hands over these fields only, so they are all the
            // call can have looked at (and what the host's own answers
            // show of a game, which it notes as it gives them).
            crate::runtime::call::looking();
            crate::runtime::call::saw(fields);
        }
        let record;
        let game_record = match game {
            Some(g) => Some(match (self.slot_of(schedule, g), fields) {
                (Some(i), None) => records
                    .get(i, schedule, &self.league)
                    .unwrap_or_else(|| unreachable!("a slot of this schedule")),
                (slot, fields) => {
                    let whole = match slot {
                        Some(i) => records
                            .get(i, schedule, &self.league)
                            .unwrap_or_else(|| unreachable!("a slot of this schedule"))
                            .clone(),
                        None => host::game_record(g, OUTSIDE_SCHEDULE, &self.league),
                    };
                    record = match fields {
                        Some(fields) => host::blank(&whole, fields),
                        None => whole,
                    };
                    &record
                }
            }),
            None => None,
        };
        let call = Call {
            schedule: schedule.clone(),
            records: records.clone(),
            game: game.cloned(),
            fields,
        };
        let key = SlotKey::of(plugin);
        // The caller's clock read: the deadline in epoch ticks from `now`
        // (what happened since takes microseconds, far below a tick).
        let mut slot = match plugin.settings.isolation {
            Isolation::Reuse | Isolation::Shared => {
                let mut slots = self.slots.borrow_mut();
                let found = slots.iter().position(|(k, _)| *k == key);
                found.map(|i| slots.swap_remove(i).1)
            }
            Isolation::Fresh => None,
        };
        let slot = match slot.take() {
            Some(slot) => slot,
            None => {
                let mut store = plugin.store(Some(self.league.clone()));
                store.set_epoch_deadline(ticks(deadline.saturating_duration_since(now)));
                let bindings = plugin
                    .prepared
                    .pre
                    .instantiate(&mut store)
                    .map_err(|e| self.failure(&e, &store, plugin, deadline))?;
                Slot {
                    prepared: plugin.prepared.clone(),
                    store,
                    bindings,
                }
            }
        };
        let Slot {
            prepared: kept,
            mut store,
            bindings,
        } = slot;
        let state = store.data_mut();
        if plugin.settings.isolation == Isolation::Shared {
            state.serve(&plugin.params, &plugin.id);
        }
        state.begin(call);
        store.set_hostcall_fuel(self.output_fuel);
        store.set_epoch_deadline(ticks(deadline.saturating_duration_since(now)));
        if let Some(fuel) = plugin.settings.fuel
            && let Err(e) = store.set_fuel(fuel)
        {
            return Err(Failure::trap(format!("cannot set fuel: {e}")));
        }
        let rule = bindings.umpire_plugin_rule();
        let result = match (plugin.scope, game_record, target) {
            (Scope::Game, Some(g), _) => rule.call_evaluate_game(&mut store, g),
            (_, _, Target::Part(p, k)) => {
                let k = k as u32;
                let part = match p {
                    Partition::Team => Part::Team(k),
                    Partition::Venue => Part::Venue(k),
                };
                rule.call_evaluate_part(&mut store, part)
            }
            _ => rule.call_evaluate_schedule(&mut store),
        };
        store.data_mut().call = None;
        let returned = result.is_ok();
        let answer = match result {
            Err(e) => Err(self.failure(&e, &store, plugin, deadline)),
            Ok(Err(message)) => Err(Failure::reported(format!(
                "{}: the plugin reported an error: {message}",
                file_name(&plugin.source)
            ))),
            Ok(Ok(record)) => host::outcome(record, &self.limits)
                .map(|(violations, score)| Outcome { violations, score })
                .map_err(|m| Failure::invalid(format!("{}: {m}", file_name(&plugin.source)))),
        };
        // An instance whose call did not return (a trap, a timeout, an answer
        // stopped while it was copied out) is never entered again; one that
        // returned, even with its own error, goes back unless it has filled
        // its output buffer.
        if plugin.settings.isolation != Isolation::Fresh
            && returned
            && store.data().stdio.contents().len() < STDIO_RECYCLE
        {
            self.slots.borrow_mut().push((
                key,
                Slot {
                    prepared: kept,
                    store,
                    bindings,
                },
            ));
        }
        answer
    }

    /// A call that did not return, by why: an answer over the output limit
    /// (stopped while it was copied out) is invalid, one past the deadline
    /// a timeout, anything else a trap.
    fn failure(
        &self,
        e: &wasmtime::Error,
        store: &Store<HostState>,
        plugin: &WasmPlugin,
        deadline: Instant,
    ) -> Failure {
        let text = failure_text(e, store, plugin);
        let file = file_name(&plugin.source);
        if format!("{e:#}").contains("fuel allocated for hostcalls has been exhausted") {
            return Failure::invalid(format!(
                "{file}: its answer is over {} KiB; at most that is accepted (`plugins.max_output_kb`), and the rest was not copied out of the plugin",
                self.output_fuel / 1024
            ));
        }
        if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) || Instant::now() > deadline {
            Failure::timeout(format!("{file}: the plugin ran past its deadline"))
        } else {
            Failure::trap(format!("{file}: {text}"))
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
