use crate::bindings::exports::umpire::plugin::rule;
use crate::{Game, Outcome};

/// A constraint: who it is and how it rules.
///
/// Implement it on a unit struct and export that with
/// [`export_rule!`](crate::export_rule). A game-scoped rule overrides
/// [`evaluate_game`](Rule::evaluate_game), a schedule-scoped one
/// [`evaluate_schedule`](Rule::evaluate_schedule); the other answers with an
/// error that tells the operator to fix the manifest's `scope`.
///
/// The methods take no `self`: the host may create a fresh instance for each
/// call (`isolation = "fresh"`, the default) or keep one per worker
/// (`isolation = "reuse"`), so a rule must not rely on state between calls.
pub trait Rule {
    /// Who the plugin says it is. The `id` must equal the manifest's `id`.
    fn describe() -> Description;

    /// Rules on one game, with the whole schedule readable through
    /// [`schedule`](crate::schedule).
    fn evaluate_game(game: &Game) -> Result<Outcome, String> {
        let _ = game;
        Err(format!(
            "`{}` rules on the whole schedule, not on single games; \
             set `scope = \"schedule\"` in its manifest",
            Self::describe().id
        ))
    }

    /// Rules on the whole schedule.
    fn evaluate_schedule() -> Result<Outcome, String> {
        Err(format!(
            "`{}` rules on single games, not on the whole schedule; \
             set `scope = \"game\"` in its manifest",
            Self::describe().id
        ))
    }
}

/// What [`Rule::describe`] returns. The version is filled in by
/// [`export_rule!`](crate::export_rule) from the plugin crate's
/// `Cargo.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// Must equal the manifest's `id`.
    pub id: String,
    /// A human-readable name.
    pub name: String,
}

impl Description {
    /// A description with this id and name.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
        }
    }
}

/// The WIT description of `R`, with the plugin's version.
pub fn describe<R: Rule + ?Sized>(version: &str) -> rule::Description {
    let Description { id, name } = R::describe();
    rule::Description {
        id,
        name,
        version: version.to_owned(),
    }
}
