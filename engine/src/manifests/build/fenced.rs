//! Running a build command fenced: a cleared environment, a process group
//! of its own killed at the timeout, only the tail of its output kept.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;

/// What a fenced command did: its exit status (`None`: killed at the
/// timeout) and the tail of its output.
pub(super) struct Ran {
    pub(super) status: Option<ExitStatus>,
    pub(super) tail: Vec<u8>,
    pub(super) dropped: usize,
    /// Whether stderr went to this process's own (and was not kept).
    pub(super) shown: bool,
}

impl Ran {
    pub(super) fn text(&self) -> String {
        String::from_utf8_lossy(&self.tail).into_owned()
    }

    /// The last lines of the output, as an error quotes them.
    pub(super) fn tail_for_error(&self) -> String {
        if self.shown {
            return "; its output is above".into();
        }
        let text = self.text();
        let lines: Vec<&str> = text.lines().collect();
        if lines.is_empty() {
            return String::new();
        }
        let tail = lines[lines.len().saturating_sub(OUTPUT_TAIL_LINES)..].join("\n");
        let cut = if self.dropped > 0 || lines.len() > OUTPUT_TAIL_LINES {
            " (its last lines)"
        } else {
            ""
        };
        format!("; output{cut}:\n{tail}")
    }
}

/// The last bytes written to a pipe, at most a limit.
pub(super) struct Tail {
    pub(super) bytes: VecDeque<u8>,
    pub(super) limit: usize,
    pub(super) dropped: usize,
}

/// Runs `cmd` from a cleared environment plus `env`, in its own process
/// group, until it exits or `limits.timeout` passes (then the group is
/// killed); its stdout and stderr are read together, the last
/// `limits.output_bytes` kept.
pub(super) fn run_fenced(
    cmd: &mut Command,
    limits: BuildLimits,
    env: &[(OsString, OsString)],
) -> std::io::Result<Ran> {
    run_fenced_to(cmd, limits, BuildOutput::Captured, env)
}

/// As [`run_fenced`]; with [`BuildOutput::Shown`] its stderr is this
/// process's own.
pub(super) fn run_fenced_to(
    cmd: &mut Command,
    limits: BuildLimits,
    output: BuildOutput,
    env: &[(OsString, OsString)],
) -> std::io::Result<Ran> {
    let shown = output == BuildOutput::Shown;
    cmd.env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if shown {
            Stdio::inherit()
        } else {
            Stdio::piped()
        });
    let mut child = cmd.spawn()?;
    let group = rustix::process::Pid::from_child(&child);
    let tail = Arc::new(Mutex::new(Tail {
        bytes: VecDeque::new(),
        limit: limits.output_bytes,
        dropped: 0,
    }));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let pipes: [Option<Box<dyn Read + Send>>; 2] = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ];
    let mut readers = 0;
    for mut pipe in pipes.into_iter().flatten() {
        let tail = tail.clone();
        let done = done_tx.clone();
        readers += 1;
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
                t.bytes.extend(&buf[..n]);
                let over = t.bytes.len().saturating_sub(t.limit);
                if over > 0 {
                    t.bytes.drain(..over);
                    t.dropped += over;
                }
            }
            let _ = done.send(());
        });
    }
    let until = Instant::now() + limits.timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= until {
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Whatever the leader did, nothing it started outlives it: a build that
    // left a process behind would hold the pipes open (and run on).
    let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    if status.is_none() {
        let _ = child.wait();
    }
    // The readers end when the group's last writer is gone; one that
    // escaped the group (its own session) is not waited for long.
    let grace = Instant::now() + Duration::from_secs(2);
    for _ in 0..readers {
        let left = grace.saturating_duration_since(Instant::now());
        if done_rx.recv_timeout(left).is_err() {
            break;
        }
    }
    let t = tail.lock().unwrap_or_else(|e| e.into_inner());
    Ok(Ran {
        status,
        tail: t.bytes.iter().copied().collect(),
        dropped: t.dropped,
        shown,
    })
}
