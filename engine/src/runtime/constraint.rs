//! A constraint as the runtime runs it: its manifest and its compiled
//! code, with the verdicts it gives when it is not called (its fallback, a
//! skip) and the merging of a partitioned rule's parts.

use std::sync::{Arc, OnceLock};

use super::{Program, WasmInfo};
use crate::manifests::{Fallback, Manifest};
use crate::model::{League, Severity, Status, Verdict, Violation};

/// A loaded constraint: its manifest and its compiled code.
#[derive(Debug, Clone)]
pub struct Constraint {
    /// What it is.
    pub manifest: Manifest,
    pub(crate) program: Program,
    /// The fingerprint of the code's bytes.
    code: u64,
    /// A fingerprint of the manifest (params included) and the code: a cached
    /// verdict is only ever served to the same content. Taken when first
    /// asked: a scorer that never caches (RobinX's thousands of elements)
    /// never pays for it.
    content: OnceLock<u64>,
}

impl Constraint {
    /// A constraint of `manifest` running `program`, whose bytes
    /// fingerprint as `code` (see [`Constraint::content_hash`]).
    pub(crate) fn new(manifest: Manifest, program: Program, code: u64) -> Self {
        Self {
            manifest,
            program,
            code,
            content: OnceLock::new(),
        }
    }

    /// The constraint's id.
    pub fn id(&self) -> &Arc<str> {
        &self.manifest.id
    }

    /// A fingerprint of the manifest (params included) and the code: what
    /// the verdict cache keys on, so an edited rule never meets an old
    /// verdict. The same in every build and version of Rust, so processes
    /// that share the cache agree on it.
    pub fn content_hash(&self) -> u64 {
        *self.content.get_or_init(|| {
            let mut f = crate::model::fingerprint::Fingerprint::new();
            if serde_json::to_writer(&mut f, &self.manifest).is_err() {
                f.str(&self.manifest.id);
            }
            f.u64(self.code).finish()
        })
    }

    /// For a WebAssembly plugin: the SHA-256 of its component (hex), where
    /// its machine code came from, and the version it describes itself with.
    pub fn wasm_info(&self) -> Option<WasmInfo<'_>> {
        self.program.wasm_info()
    }

    /// The verdict of this constraint when it was not called: score 0, no
    /// violations, `message` saying why.
    pub(crate) fn unrun(&self, status: Status, message: String) -> Verdict {
        let m = &self.manifest;
        Verdict {
            constraint: m.id.clone(),
            hardness: m.hardness,
            weight: m.weight,
            status,
            score: 0.0,
            violations: Vec::new(),
            message: Some(message),
            elapsed_us: 0,
        }
    }

    /// A partitioned rule's verdict from its parts' verdicts (`(part, verdict)`
    /// in part order): the first part that erred, timed out or fell back
    /// decides for the whole, its message naming the part; otherwise the
    /// violations in part order, the score the parts' mean. Time adds up.
    pub(crate) fn merge_parts(&self, league: &League, parts: Vec<(usize, Verdict)>) -> Verdict {
        let Some(partition) = self.manifest.partition else {
            unreachable!("only a partitioned rule has parts")
        };
        let elapsed_us = parts.iter().map(|(_, v)| v.elapsed_us).sum();
        let rank = |s: Status| match s {
            Status::Error => 0,
            Status::Timeout => 1,
            Status::Fallback => 2,
            _ => 3,
        };
        let worst = parts
            .iter()
            .filter(|(_, v)| rank(v.status) < 3)
            .min_by_key(|(k, v)| (rank(v.status), *k));
        if let Some((k, v)) = worst {
            let id = super::part_id(league, partition, *k);
            let mut v = v.clone();
            v.message = Some(format!(
                "{} `{id}`: {}",
                partition.as_str(),
                v.message.as_deref().unwrap_or("failed")
            ));
            v.elapsed_us = elapsed_us;
            return v;
        }
        let n = parts.len();
        let score = if n == 0 {
            1.0
        } else {
            parts.iter().map(|(_, v)| v.score).sum::<f64>() / n as f64
        };
        let violations: Vec<Violation> =
            parts.into_iter().flat_map(|(_, v)| v.violations).collect();
        let status = if violations.is_empty() {
            Status::Passed
        } else {
            Status::Violated
        };
        Verdict {
            status,
            score,
            violations,
            message: None,
            elapsed_us,
            ..self.unrun(status, String::new())
        }
    }

    /// What the manifest's `fallback` answers when the constraint cannot run
    /// (its breaker is open, or a data source it asked is down).
    pub(crate) fn fallback(&self, reason: &str) -> Verdict {
        let m = &self.manifest;
        let answer = match m.fallback {
            Fallback::Pass => "pass",
            Fallback::Fail => "fail",
            Fallback::Skip => "skip",
        };
        let message = format!("{reason}; not run, its fallback answers `{answer}`");
        let violations = match m.fallback {
            Fallback::Fail => vec![Violation::new(
                Severity::Major,
                format!(
                    "`{}` could not run ({reason}) and its fallback is `fail`",
                    m.id
                ),
            )],
            Fallback::Pass | Fallback::Skip => Vec::new(),
        };
        Verdict {
            score: if m.fallback == Fallback::Pass {
                1.0
            } else {
                0.0
            },
            violations,
            ..self.unrun(Status::Fallback, message)
        }
    }
}
