//! Compiling scripts: each file once per registry load, with the variables
//! a rule may use declared so that a misspelt one is a compile error.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rhai::{AST, Dynamic, Engine, Map, Scope};

use super::engine::new_engine;
use super::limits::RhaiLimits;
use super::types::RParams;
use crate::error::{Error, Result};
use crate::manifests::{Manifest, Partition, Scope as RuleScope};

/// A compiled script with its manifest's params, ready to share across threads.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    pub(super) ast: Arc<AST>,
    pub(super) params: RParams,
    pub(super) path: Arc<Path>,
}

/// A script file and the variables declared for it.
type ScriptKey = (PathBuf, RuleScope, Option<Partition>);

/// Compiles scripts. One per registry load.
pub(crate) struct RhaiCompiler {
    /// Made on first use: a runtime that only runs WebAssembly never
    /// pays for it.
    engine: std::cell::OnceCell<Engine>,
    limits: RhaiLimits,
    max_script_bytes: usize,
    /// Scripts compiled so far, by file and the variables declared for them.
    compiled: RefCell<HashMap<ScriptKey, Arc<AST>>>,
}

impl RhaiCompiler {
    /// The engine, made on first use.
    fn engine(&self) -> &Engine {
        self.engine.get_or_init(|| new_engine(&self.limits))
    }

    pub(crate) fn new(limits: &RhaiLimits) -> Self {
        Self {
            engine: std::cell::OnceCell::new(),
            limits: limits.clone(),
            max_script_bytes: limits.max_script_bytes,
            compiled: Default::default(),
        }
    }

    /// Compiles a manifest's script (each file once); variables it may use
    /// are declared so a misspelt one is a compile error with its position.
    pub(crate) fn compile(&self, m: &Manifest) -> Result<Script> {
        let key = (m.source.clone(), m.scope, m.partition);
        let known = self.compiled.borrow().get(&key).cloned();
        let ast = match known {
            Some(ast) => ast,
            None => {
                let ast = Arc::new(self.compile_file(m)?);
                self.compiled.borrow_mut().insert(key, ast.clone());
                ast
            }
        };
        let params = rhai::serde::to_dynamic(&m.params)
            .ok()
            .and_then(|d| d.try_cast::<Map>())
            .unwrap_or_default();
        Ok(Script {
            ast,
            params: RParams(Dynamic::from_map(params)),
            path: m.source.clone().into(),
        })
    }

    fn compile_file(&self, m: &Manifest) -> Result<AST> {
        let bytes =
            crate::runtime::read_source(&m.source, self.max_script_bytes, "plugins.max_script_kb")?;
        // Not text: said with the position only, never the bytes (the file
        // may be anything).
        let text = String::from_utf8(bytes).map_err(|e| Error::Script {
            path: m.source.clone(),
            line: 0,
            column: 0,
            message: format!(
                "not a Rhai script: it is not UTF-8 text (byte {} is not)",
                e.utf8_error().valid_up_to()
            ),
        })?;
        let mut scope = Scope::new();
        if m.scope == RuleScope::Game {
            scope.push("game", ());
        }
        if let Some(p) = m.partition {
            scope.push(p.as_str(), ());
        }
        scope.push("schedule", ());
        scope.push("league", ());
        scope.push("params", ());
        let mut ast = self
            .engine()
            .compile_with_scope(&scope, &text)
            .map_err(|e| {
                let (line, column, message) = explain(&text, &e);
                Error::Script {
                    path: m.source.clone(),
                    line,
                    column,
                    message,
                }
            })?;
        ast.set_source(m.source.display().to_string());
        Ok(ast)
    }
}

/// Where a compile error is, and what it says, put as an author would
/// want it: with a bracket never closed, Rhai reports the end of the file;
/// this shows where the bracket opens.
fn explain(text: &str, e: &rhai::ParseError) -> (usize, usize, String) {
    let (line, column) = (e.1.line().unwrap_or(0), e.1.position().unwrap_or(0));
    let last = text.trim_end().lines().count();
    match unclosed(text) {
        Some((open, l, c)) if line == 0 || line >= last => (
            l,
            c,
            format!(
                "this `{open}` is never closed (Rhai stopped at {line}:{column}: {})",
                e.0
            ),
        ),
        _ => (line, column, e.0.to_string()),
    }
}

/// What a Rhai text leaves open (outside strings and `//` comments): its
/// brackets, innermost last, each with its 1-based line and column, and
/// whether a backtick string (which may span lines) is still open.
#[derive(Debug, Default)]
pub(crate) struct Open {
    pub(crate) brackets: Vec<(char, usize, usize)>,
    pub(crate) backtick: bool,
}

/// What `text` leaves open. A closing bracket too many is the engine's to
/// report, and is passed over.
pub(crate) fn open_in(text: &str) -> Open {
    let mut brackets: Vec<(char, usize, usize)> = Vec::new();
    let mut quote: Option<char> = None;
    let (mut line, mut column) = (1, 0);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
            column = 0;
            if quote.is_some_and(|q| q != '`') {
                quote = None;
            }
            continue;
        }
        column += 1;
        match quote {
            Some(q) => {
                if c == '\\' {
                    chars.next();
                    column += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '/' if chars.peek() == Some(&'/') => {
                    while chars.next_if(|&n| n != '\n').is_some() {}
                }
                '(' | '[' | '{' => brackets.push((c, line, column)),
                ')' | ']' | '}' => {
                    brackets.pop();
                }
                _ => {}
            },
        }
    }
    Open {
        brackets,
        backtick: quote == Some('`'),
    }
}

/// The last bracket of `text` left open, with its line and column.
fn unclosed(text: &str) -> Option<(char, usize, usize)> {
    open_in(text).brackets.pop()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(script: &str) -> (usize, usize, String) {
        let engine = Engine::new_raw();
        let mut scope = Scope::new();
        for name in ["schedule", "league", "params", "game"] {
            scope.push(name, ());
        }
        let mut engine = engine;
        engine.set_strict_variables(true);
        let e = engine
            .compile_with_scope(&scope, script)
            .expect_err("does not compile");
        explain(script, &e)
    }

    #[test]
    fn a_brace_never_closed_is_shown_where_it_opens() {
        let script = "let a = 1;\nif a > 0 {\n  let b = \"}\";\n  a\n\n\n";
        let (line, column, message) = error_of(script);
        assert_eq!((line, column), (2, 10), "{message}");
        assert!(message.starts_with("this `{` is never closed"), "{message}");
        // A closed one is not blamed.
        let (line, _, message) = error_of("let a = (1 +;\n");
        assert_eq!(line, 1, "{message}");
    }
}
