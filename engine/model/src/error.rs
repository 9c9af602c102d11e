//! The library's one error type.
//!
//! Every variant says what went wrong and where (a file, a field, a game), in
//! lowercase, and hints at the fix where there is one. The binary adds
//! context with `anyhow`; the library never prints.

use std::path::PathBuf;

/// What can go wrong while loading a league, a schedule or the constraints.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    // The cause is part of the message and deliberately not exposed as
    // `source()`, so error chains state it once.
    #[error("{}: cannot read: {cause}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// A file could not be written.
    #[error("{}: cannot write: {cause}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// A file is not well-formed, or a field has the wrong name or type.
    #[error("{}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line, column and field.
        message: String,
    },
    /// A file is well-formed but says something impossible.
    #[error("{}{}: {at}: {message}", path.display(), line_col(*position))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Where in the file: a field path such as `games[3].home` or `depends_on`.
        at: String,
        /// What is wrong, and how to fix it.
        message: String,
        /// The line and column (1-based) of that field's value, when the
        /// reader knew the file's text.
        position: Option<(usize, usize)>,
    },
    /// Two manifests declare the same constraint id.
    #[error(
        "{}: constraint id `{id}` is already declared in {}; ids must be unique across plugin directories",
        path.display(),
        first.display()
    )]
    DuplicateConstraint {
        /// The id.
        id: String,
        /// The manifest that declared it first.
        first: PathBuf,
        /// The manifest that declared it again.
        path: PathBuf,
    },
    /// `depends_on` forms a cycle.
    #[error("dependency cycle: {}; remove one of these `depends_on` entries", cycle.join(" -> "))]
    Cycle {
        /// The constraint ids along the cycle, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// A WebAssembly plugin cannot be loaded: it does not compile, was built
    /// against another contract version, imports what the host does not
    /// give, or describes itself as another constraint.
    #[error("{}: {message}", path.display())]
    Plugin {
        /// The component file.
        path: PathBuf,
        /// What is wrong, and how to fix it.
        message: String,
    },
    /// A plugin's `[build]` command failed.
    #[error("{}: building the plugin failed: {message}", path.display())]
    Build {
        /// The manifest.
        path: PathBuf,
        /// The command, its exit status and the end of its output.
        message: String,
    },
    /// A constraint script does not compile.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Script {
        /// The script file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The compiler's message.
        message: String,
    },
    /// A plugin directory holds no manifest, or does not exist.
    #[error("{}: {message}", path.display())]
    PluginDir {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Several errors of one file, each whole (a schedule's games are
    /// checked one by one and every bad one is named): the first
    /// [`SEVERAL_SHOWN`], and how many more.
    #[error("{}", several(errors, *more))]
    Several {
        /// The errors, in the file's order.
        errors: Vec<Error>,
        /// How many more there were.
        more: usize,
    },
    /// A config file is wrong: an unknown key, a wrong type, a bad value.
    #[error("{}: {message}", path.display())]
    Config {
        /// The file (or `<defaults>`).
        path: PathBuf,
        /// What is wrong, naming the key.
        message: String,
    },
}

/// `:line:col` after a file's name, or nothing.
fn line_col(position: Option<(usize, usize)>) -> String {
    position.map_or_else(String::new, |(line, column)| format!(":{line}:{column}"))
}

/// The line and column (1-based) in TOML `text` of the value a field path
/// names (`teams[3].venue`, `tv_windows[0] (sat).days[1]`), or of the
/// deepest part of it the text has; `None` when not even its first key is
/// there.
pub fn toml_position(text: &str, at: &str) -> Option<(usize, usize)> {
    use toml::de::{DeTable, DeValue};
    let path = field_path(at);
    let root = DeTable::parse(text).ok()?;
    let mut table: &DeTable<'_> = root.get_ref();
    let mut found: Option<std::ops::Range<usize>> = None;
    for segment in path.split('.') {
        let (key, indexes) = segment.split_once('[').unwrap_or((segment, ""));
        let Some((_, mut value)) = table.iter().find(|(k, _)| k.get_ref().as_ref() == key) else {
            break;
        };
        found = Some(value.span());
        for index in indexes.split('[').map(|i| i.trim_end_matches(']')) {
            let (Ok(i), DeValue::Array(items)) = (index.parse::<usize>(), value.get_ref()) else {
                break;
            };
            let Some(item) = items.get(i) else { break };
            value = item;
            found = Some(value.span());
        }
        match value.get_ref() {
            DeValue::Table(inner) => table = inner,
            _ => break,
        }
    }
    Some(line_and_column(text, found?.start))
}

/// As [`toml_position`], in JSON `text` (`games[3] (G4).home`).
pub fn json_position(text: &str, at: &str) -> Option<(usize, usize)> {
    use serde_json::value::RawValue;
    let path = field_path(at);
    let mut value: &RawValue = serde_json::from_str(text).ok()?;
    let mut found: Option<&RawValue> = None;
    'path: for segment in path.split('.') {
        let (key, indexes) = segment.split_once('[').unwrap_or((segment, ""));
        let fields: std::collections::BTreeMap<String, &RawValue> =
            match serde_json::from_str(value.get()) {
                Ok(fields) => fields,
                Err(_) => break,
            };
        let Some(&inner) = fields.get(key) else { break };
        value = inner;
        found = Some(value);
        for index in indexes.split('[').filter(|i| !i.is_empty()) {
            let (Ok(i), Ok(items)) = (
                index.trim_end_matches(']').parse::<usize>(),
                serde_json::from_str::<Vec<&RawValue>>(value.get()),
            ) else {
                break 'path;
            };
            let Some(&item) = items.get(i) else {
                break 'path;
            };
            value = item;
            found = Some(value);
        }
    }
    // The value is a slice of `text`: its offset is where it starts.
    let offset = (found?.get().as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    (offset <= text.len()).then(|| line_and_column(text, offset))
}

/// A field path without its notes: `teams[3] (SEA).venue` is
/// `teams[3].venue`.
fn field_path(at: &str) -> String {
    let mut path = String::with_capacity(at.len());
    let mut depth = 0usize;
    for c in at.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ' ' if depth == 0 => {}
            c if depth == 0 => path.push(c),
            _ => {}
        }
    }
    path
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The errors of one file an [`Error::Several`] names; past them it counts.
pub const SEVERAL_SHOWN: usize = 20;

fn several(errors: &[Error], more: usize) -> String {
    let mut text = errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    if more > 0 {
        text.push_str(&format!("\n... and {more} more"));
    }
    text
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The file the error is about, where in it when it says (a field
    /// path such as `games[3].home`, or `line:column` of a script), and the
    /// line and column of that field when known.
    pub fn location(
        &self,
    ) -> (
        Option<&std::path::Path>,
        Option<String>,
        Option<(usize, usize)>,
    ) {
        match self {
            Self::Read { path, .. }
            | Self::Write { path, .. }
            | Self::Parse { path, .. }
            | Self::DuplicateConstraint { path, .. }
            | Self::Plugin { path, .. }
            | Self::Build { path, .. }
            | Self::PluginDir { path, .. }
            | Self::Config { path, .. } => (Some(path), None, None),
            Self::Invalid {
                path, at, position, ..
            } => (Some(path), Some(at.clone()), *position),
            Self::Script {
                path, line, column, ..
            } => (
                Some(path),
                Some(format!("{line}:{column}")),
                Some((*line, *column)),
            ),
            Self::Cycle { .. } => (None, None, None),
            Self::Several { errors, .. } => {
                errors.first().map_or((None, None, None), Error::location)
            }
        }
    }

    /// `errors` as one error: none is `Ok`, one is itself, more are
    /// [`Error::Several`] (the first [`SEVERAL_SHOWN`]).
    pub fn all(mut errors: Vec<Error>) -> Result<()> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            n => {
                errors.truncate(SEVERAL_SHOWN);
                Err(Self::Several {
                    more: n - errors.len(),
                    errors,
                })
            }
        }
    }

    /// Each error this one holds, as text: itself, or the several, then a
    /// line counting those not shown.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Self::Several { errors, more } => {
                let mut lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                if *more > 0 {
                    lines.push(format!("... and {more} more"));
                }
                lines
            }
            e => vec![e.to_string()],
        }
    }

    /// An [`Error::Invalid`] (for the readers).
    #[doc(hidden)]
    pub fn invalid(
        path: impl Into<PathBuf>,
        at: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            path: path.into(),
            at: at.into(),
            message: message.into(),
            position: None,
        }
    }

    /// This error with the line and column of its field in the TOML
    /// `text` it was read from, when it is an [`Error::Invalid`] whose field
    /// path the text has (`teams[3] (SEA).venue`: a note in parentheses
    /// is no part of the path); each of [`Error::Several`] likewise.
    #[must_use]
    pub fn in_toml(self, text: &str) -> Self {
        self.placed(text, toml_position)
    }

    /// As [`in_toml`](Self::in_toml), for JSON `text`.
    #[must_use]
    pub fn in_json(self, text: &str) -> Self {
        self.placed(text, json_position)
    }

    /// This error placed in `text` by `find` (a field path to its line and
    /// column).
    fn placed(mut self, text: &str, find: fn(&str, &str) -> Option<(usize, usize)>) -> Self {
        match &mut self {
            Self::Several { errors, .. } => {
                *errors = std::mem::take(errors)
                    .into_iter()
                    .map(|e| e.placed(text, find))
                    .collect();
            }
            Self::Invalid { at, position, .. } if position.is_none() => {
                *position = find(text, at);
            }
            _ => {}
        }
        self
    }

    /// An [`Error::Parse`], its message trimmed (for the readers).
    #[doc(hidden)]
    pub fn parse(path: impl Into<PathBuf>, message: impl std::fmt::Display) -> Self {
        Self::Parse {
            path: path.into(),
            message: message.to_string().trim_end().to_owned(),
        }
    }
}

/// Reads a file to a string, naming the file on failure.
pub fn read_to_string(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|cause| Error::Read {
        path: path.to_owned(),
        cause,
    })
}

/// Parses TOML into `T`, naming the file, line, column and field on failure.
pub fn from_toml<T: serde::de::DeserializeOwned>(path: &std::path::Path, text: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| Error::parse(path, e))
}

/// Parses JSON into `T`, naming the file, the field path, line and column on failure.
pub fn from_json<T: serde::de::DeserializeOwned>(path: &std::path::Path, text: &str) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        if field == "." || field.is_empty() {
            Error::parse(path, inner)
        } else {
            Error::parse(path, format!("field `{field}`: {inner}"))
        }
    })?;
    // A second value after the first (two files pasted together) is an
    // error, not silently dropped.
    de.end().map_err(|e| Error::parse(path, e))?;
    Ok(value)
}

#[cfg(test)]
mod tests {

    const LEAGUE: &str = "name = \"L\"\n\n[[teams]]\nid = \"A\"\nvenue = \"x\"\n\n[[teams]]\nid = \"B\"\ndays = [\"sat\", \"sun\"]\n";

    #[test]
    fn a_field_path_finds_its_value_in_the_text() {
        let at = |path: &str| super::toml_position(LEAGUE, path);
        assert_eq!(at("name"), Some((1, 8)));
        assert_eq!(at("teams[0] (A).venue"), Some((5, 9)));
        assert_eq!(at("teams[1].days[1]"), Some((9, 16)));
        // The deepest part the text has: the second team, for a field it
        // does not have.
        let team = at("teams[1] (B).venue").expect("the team");
        assert!((7..=8).contains(&team.0), "{team:?}");
        assert_eq!(at("nowhere"), None);
        assert_eq!(super::toml_position("not = [toml", "not"), None);
    }

    #[test]
    fn a_field_path_finds_its_value_in_json_text() {
        let text = "{\"games\": [\n  {\"id\": \"G1\", \"home\": \"A\"},\n  {\"id\": \"G2\",\n   \"home\": \"Ä\", \"away\": \"B\"}\n]}\n";
        let at = |path: &str| super::json_position(text, path);
        assert_eq!(at("games[1] (G2).home"), Some((4, 12)));
        assert_eq!(at("games[0].id"), Some((2, 10)));
        // The deepest part the text has.
        assert_eq!(at("games[1] (G2).venue"), Some((3, 3)));
        assert_eq!(at("games[7].home"), Some((1, 11)));
        assert_eq!(at("teams"), None);
        assert_eq!(super::json_position("{not json", "games"), None);
    }

    use std::path::Path;

    use super::*;

    /// Regression (found by the `schedule_patch` fuzz target): text after
    /// the JSON value was ignored, so `{"games": []} {"games": [...]}` read
    /// as an empty schedule, and a PATCH body `{}tv` as an empty edit.
    #[test]
    fn text_after_the_json_value_is_an_error_naming_where() {
        let e =
            from_json::<serde_json::Value>(Path::new("s.json"), "{\"games\": []}\n{}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "s.json: trailing characters at line 2 column 1"
        );
        let v: serde_json::Value = from_json(Path::new("s.json"), " {} \n").unwrap();
        assert_eq!(v, serde_json::json!({}));
    }
}
