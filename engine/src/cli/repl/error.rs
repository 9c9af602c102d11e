//! A failed line of the REPL: what, where in the line, how to fix it.

use std::io::Write;
use std::path::PathBuf;

use super::super::render;
use crate::runtime::ConsoleError;

/// A failed line: what, where (in the line), how to fix it.
#[derive(Debug)]
pub(super) struct LineError {
    pub(super) message: String,
    pub(super) position: Option<(usize, usize)>,
    pub(super) hint: Option<String>,
    /// The file the failing text came from (`:load`), and its text.
    pub(super) file: Option<(PathBuf, String)>,
}

impl LineError {
    pub(super) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            position: None,
            hint: None,
            file: None,
        }
    }

    pub(super) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<ConsoleError> for LineError {
    fn from(e: ConsoleError) -> Self {
        Self {
            message: e.message,
            position: e.position,
            hint: e.hint,
            file: None,
        }
    }
}

impl From<anyhow::Error> for LineError {
    fn from(e: anyhow::Error) -> Self {
        Self::new(format!("{e:#}"))
    }
}

pub(super) fn io(e: std::io::Error) -> LineError {
    LineError::new(format!("writing the answer: {e}"))
}

pub(super) fn write_error(e: &LineError, line: &str) {
    let mut err = anstream::stderr().lock();
    let (file, text) = match &e.file {
        Some((path, text)) => (format!("{}:", path.display()), text.as_str()),
        None => (String::new(), line),
    };
    let at = match e.position {
        Some((l, c)) => format!("{file}{l}:{c}: "),
        None if !file.is_empty() => format!("{file} "),
        None => String::new(),
    };
    let _ = writeln!(err, "{}: {at}{}", render::error_label(), e.message);
    if let Some((l, c)) = e.position
        && let Some(text) = text.lines().nth(l.saturating_sub(1))
    {
        let _ = writeln!(err, "  | {text}");
        let _ = writeln!(err, "  | {}^", " ".repeat(c.saturating_sub(1)));
    }
    if let Some(h) = &e.hint {
        let _ = writeln!(err, "  = hint: {h}");
    }
}
