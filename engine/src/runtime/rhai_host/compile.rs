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
            .map_err(|e| Error::Script {
                path: m.source.clone(),
                line: e.1.line().unwrap_or(0),
                column: e.1.position().unwrap_or(0),
                message: e.0.to_string(),
            })?;
        ast.set_source(m.source.display().to_string());
        Ok(ast)
    }
}
