use crate::bindings::exports::umpire::plugin::rule;
use crate::{Game, Outcome, TeamRef, VenueRef};

/// A constraint: who it is and how it rules.
///
/// Implement it on a unit struct and export that with
/// [`export_rule!`](crate::export_rule). A game-scoped rule overrides
/// [`evaluate_game`](Rule::evaluate_game), a schedule-scoped one
/// [`evaluate_schedule`](Rule::evaluate_schedule), and a schedule-scoped
/// one whose manifest sets `partition = "team"` (or `"venue"`)
/// [`evaluate_team`](Rule::evaluate_team) (or
/// [`evaluate_venue`](Rule::evaluate_venue)). The others answer with an
/// error that tells the operator to fix the manifest.
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
            "`{}` does not rule on the whole schedule at once; \
             check `scope` and `partition` in its manifest",
            Self::describe().id
        ))
    }

    /// Rules on one team's part of the schedule (`partition = "team"`): the
    /// host asks once per team, and after a change only about the teams
    /// whose games changed. The verdict is the teams' together: the
    /// violations in league order, the score the mean of theirs.
    fn evaluate_team(team: TeamRef) -> Result<Outcome, String> {
        let _ = team;
        Err(format!(
            "`{}` does not rule team by team; check `scope` and `partition` in its manifest",
            Self::describe().id
        ))
    }

    /// Rules on one venue's part of the schedule (`partition = "venue"`),
    /// as [`evaluate_team`](Rule::evaluate_team) does for teams.
    fn evaluate_venue(venue: VenueRef) -> Result<Outcome, String> {
        let _ = venue;
        Err(format!(
            "`{}` does not rule venue by venue; check `scope` and `partition` in its manifest",
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
