//! The dependency graph from `depends_on`: evaluation order, parallel levels,
//! depth and bottlenecks.

use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

use super::manifest::{Manifest, Scope};
use crate::error::{Error, Result};
use crate::model::{Hardness, suggest};

/// The analysed dependency graph over a set of manifests (indexed as given).
#[derive(Debug, Clone)]
pub struct DependencyGraph {
    ids: Vec<Arc<str>>,
    deps: Vec<Vec<usize>>,
    dependents: Vec<Vec<usize>>,
    level: Vec<usize>,
    order: Vec<usize>,
}

/// One constraint with many transitive dependents: if it fails, they skip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bottleneck {
    /// The constraint.
    pub id: Arc<str>,
    /// How many constraints depend on it, directly or not.
    pub transitive_dependents: usize,
}

impl DependencyGraph {
    /// Resolves `depends_on`, refuses unknown ids, cross-scope dependencies
    /// that cannot be honoured, and cycles (naming the cycle).
    pub fn build(manifests: &[Manifest]) -> Result<Self> {
        let ids: Vec<Arc<str>> = manifests.iter().map(|m| m.id.clone()).collect();
        let index: std::collections::HashMap<&str, usize> =
            ids.iter().enumerate().map(|(i, id)| (&**id, i)).collect();
        let mut deps = vec![Vec::new(); manifests.len()];
        let mut dependents = vec![Vec::new(); manifests.len()];
        for (i, m) in manifests.iter().enumerate() {
            for dep in &m.depends_on {
                let Some(&d) = index.get(&**dep) else {
                    return Err(Error::invalid(
                        &m.path,
                        "depends_on",
                        format!(
                            "unknown constraint `{dep}`{}",
                            suggest(dep, ids.iter().map(|s| &**s))
                        ),
                    ));
                };
                if m.scope == Scope::Schedule && manifests[d].scope == Scope::Game {
                    return Err(Error::invalid(
                        &m.path,
                        "depends_on",
                        format!(
                            "schedule-scoped `{}` cannot depend on game-scoped `{dep}`; \
                             a game-scoped rule may depend on a schedule-scoped one, not the reverse",
                            m.id
                        ),
                    ));
                }
                deps[i].push(d);
                dependents[d].push(i);
            }
        }
        if let Some(cycle) = find_cycle(&deps) {
            return Err(Error::Cycle {
                cycle: cycle.iter().map(|&i| ids[i].to_string()).collect(),
            });
        }
        // Kahn's algorithm, taking ready nodes in declaration order so the
        // evaluation order is stable.
        let mut indegree: Vec<usize> = deps.iter().map(Vec::len).collect();
        let mut level = vec![0; ids.len()];
        let mut order = Vec::with_capacity(ids.len());
        let mut ready: std::collections::BTreeSet<usize> =
            (0..ids.len()).filter(|&i| indegree[i] == 0).collect();
        while let Some(i) = ready.pop_first() {
            order.push(i);
            for &j in &dependents[i] {
                level[j] = level[j].max(level[i] + 1);
                indegree[j] -= 1;
                if indegree[j] == 0 {
                    ready.insert(j);
                }
            }
        }
        Ok(Self {
            ids,
            deps,
            dependents,
            level,
            order,
        })
    }

    /// Constraint positions in an order where every dependency comes first.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// The positions a constraint depends on directly.
    pub fn dependencies(&self, i: usize) -> &[usize] {
        &self.deps[i]
    }

    /// Groups of constraint ids that can run in parallel, level by level.
    pub fn levels(&self) -> Vec<Vec<Arc<str>>> {
        let mut levels = vec![Vec::new(); self.max_depth()];
        for &i in &self.order {
            levels[self.level[i]].push(self.ids[i].clone());
        }
        levels
    }

    /// How many levels: the longest chain of dependencies, counted in constraints.
    pub fn max_depth(&self) -> usize {
        self.level.iter().max().map_or(0, |&l| l + 1)
    }

    /// Constraints with transitive dependents, most first.
    pub fn bottlenecks(&self) -> Vec<Bottleneck> {
        let mut out: Vec<Bottleneck> = (0..self.ids.len())
            .map(|i| Bottleneck {
                id: self.ids[i].clone(),
                transitive_dependents: self.transitive_dependents(i),
            })
            .filter(|b| b.transitive_dependents > 0)
            .collect();
        out.sort_by(|a, b| {
            b.transitive_dependents
                .cmp(&a.transitive_dependents)
                .then_with(|| a.id.cmp(&b.id))
        });
        out
    }

    fn transitive_dependents(&self, i: usize) -> usize {
        let mut seen = vec![false; self.ids.len()];
        let mut stack = vec![i];
        let mut count = 0;
        while let Some(n) = stack.pop() {
            for &d in &self.dependents[n] {
                if !seen[d] {
                    seen[d] = true;
                    count += 1;
                    stack.push(d);
                }
            }
        }
        count
    }

    /// The graph in Graphviz dot: hard rules boxed, edges from dependency to dependent.
    pub fn to_dot(&self, manifests: &[&Manifest]) -> String {
        let mut out = String::from(
            "digraph constraints {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n",
        );
        for (i, m) in manifests.iter().enumerate() {
            let shape = match m.hardness {
                Hardness::Hard => "box",
                Hardness::Soft => "ellipse",
                Hardness::Preference => "note",
            };
            let style = if m.scope == Scope::Schedule {
                ", style=bold"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  \"{}\" [shape={shape}{style}, label=\"{}\\n{} · {} · level {}\"];",
                self.ids[i],
                self.ids[i],
                m.hardness.as_str(),
                if m.scope == Scope::Game {
                    "game"
                } else {
                    "schedule"
                },
                // Numbered from 1, as the text listing numbers them.
                self.level[i] + 1
            );
        }
        for &i in &self.order {
            for &d in &self.deps[i] {
                let _ = writeln!(out, "  \"{}\" -> \"{}\";", self.ids[d], self.ids[i]);
            }
        }
        out.push_str("}\n");
        out
    }
}

/// A cycle as a path whose first node is repeated at the end, if there is one.
fn find_cycle(deps: &[Vec<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    let mut mark = vec![Mark::New; deps.len()];
    for root in 0..deps.len() {
        if mark[root] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next edge to follow).
        let mut stack = vec![(root, 0)];
        mark[root] = Mark::OnStack;
        while let Some(&mut (node, ref mut edge)) = stack.last_mut() {
            if let Some(&next) = deps[node].get(*edge) {
                *edge += 1;
                match mark[next] {
                    Mark::New => {
                        mark[next] = Mark::OnStack;
                        stack.push((next, 0));
                    }
                    Mark::OnStack => {
                        let start = stack.iter().position(|&(n, _)| n == next).unwrap_or(0);
                        // Edges point from dependent to dependency; report the
                        // cycle in dependency order: a depends on b depends on ...
                        let mut cycle: Vec<usize> =
                            stack[start..].iter().map(|&(n, _)| n).collect();
                        cycle.push(next);
                        return Some(cycle);
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::{Fallback, Kind};

    fn m(id: &str, scope: Scope, deps: &[&str]) -> Manifest {
        Manifest {
            id: id.into(),
            name: id.into(),
            description: None,
            kind: Kind::Rhai,
            source: "x.rhai".into(),
            path: format!("{id}.toml").into(),
            scope,
            partition: None,
            hardness: Hardness::Hard,
            weight: 50,
            depends_on: deps.iter().map(|&d| d.into()).collect(),
            params: Default::default(),
            timeout: std::time::Duration::from_millis(10),
            fallback: Fallback::Skip,
            cacheable: true,
            rewards: false,
            wasm: None,
            build: None,
        }
    }

    #[test]
    fn levels_depth_and_bottlenecks() {
        let ms = [
            m("d", Scope::Game, &["b", "c"]),
            m("a", Scope::Game, &[]),
            m("b", Scope::Game, &["a"]),
            m("c", Scope::Game, &["a"]),
            m("e", Scope::Game, &[]),
        ];
        let g = DependencyGraph::build(&ms).unwrap();
        let levels: Vec<Vec<String>> = g
            .levels()
            .iter()
            .map(|l| l.iter().map(|s| s.to_string()).collect())
            .collect();
        assert_eq!(levels, [vec!["a", "e"], vec!["b", "c"], vec!["d"]]);
        assert_eq!(g.max_depth(), 3);
        let b = g.bottlenecks();
        assert_eq!(&*b[0].id, "a");
        assert_eq!(b[0].transitive_dependents, 3);
        // Order: every dependency before its dependents.
        let pos = |id: &str| g.order().iter().position(|&i| &*ms[i].id == id).unwrap();
        assert!(pos("a") < pos("b") && pos("b") < pos("d") && pos("c") < pos("d"));
        let dot = g.to_dot(&ms.iter().collect::<Vec<_>>());
        assert!(dot.contains("\"a\" -> \"b\";"));
        // Levels numbered from 1, as `umpire constraints` lists them.
        assert!(
            dot.contains("level 1\"") && !dot.contains("level 0"),
            "{dot}"
        );
    }

    #[test]
    fn a_cycle_is_named_in_full() {
        let ms = [
            m("a", Scope::Game, &["b"]),
            m("b", Scope::Game, &["c"]),
            m("c", Scope::Game, &["a"]),
            m("x", Scope::Game, &[]),
        ];
        let err = DependencyGraph::build(&ms).unwrap_err().to_string();
        assert_eq!(
            err,
            "dependency cycle: a -> b -> c -> a; remove one of these `depends_on` entries"
        );
    }

    #[test]
    fn unknown_dependency_suggests_a_close_id() {
        let ms = [
            m("rest", Scope::Game, &["blackuot"]),
            m("blackout", Scope::Game, &[]),
        ];
        let err = DependencyGraph::build(&ms).unwrap_err().to_string();
        assert!(
            err.contains(
                "rest.toml: depends_on: unknown constraint `blackuot`; did you mean `blackout`?"
            ),
            "{err}"
        );
    }

    #[test]
    fn schedule_rule_cannot_depend_on_game_rule() {
        let ms = [m("s", Scope::Schedule, &["g"]), m("g", Scope::Game, &[])];
        let err = DependencyGraph::build(&ms).unwrap_err().to_string();
        assert!(
            err.contains("schedule-scoped `s` cannot depend on game-scoped `g`"),
            "{err}"
        );
        let ok = [m("g", Scope::Game, &["s"]), m("s", Scope::Schedule, &[])];
        assert!(DependencyGraph::build(&ok).is_ok());
    }
}
