//! Builders for what a rule returns, mirroring the Rhai host's `pass()`,
//! `violation(..)` and `verdict(..)`.

use crate::{Date, Entity, EntityKind, Game, Outcome, Severity, Violation};

impl Outcome {
    /// No violations: the rule is satisfied. Allocates nothing.
    pub fn pass() -> Self {
        Self {
            violations: Vec::new(),
            score: None,
        }
    }

    /// Sets the score, in 0..=1. Without one the host scores 1 when there are
    /// no violations and 0 otherwise.
    #[must_use]
    pub fn with_score(mut self, score: f64) -> Self {
        self.score = Some(score);
        self
    }

    /// Adds a violation.
    pub fn push(&mut self, violation: Violation) {
        self.violations.push(violation);
    }

    /// Whether there are no violations.
    pub fn is_pass(&self) -> bool {
        self.violations.is_empty()
    }
}

impl Default for Outcome {
    fn default() -> Self {
        Self::pass()
    }
}

impl From<Vec<Violation>> for Outcome {
    fn from(violations: Vec<Violation>) -> Self {
        Self {
            violations,
            score: None,
        }
    }
}

impl From<Violation> for Outcome {
    fn from(violation: Violation) -> Self {
        Self::from(vec![violation])
    }
}

impl FromIterator<Violation> for Outcome {
    fn from_iter<I: IntoIterator<Item = Violation>>(iter: I) -> Self {
        Self::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl Violation {
    /// A violation with a penalty of 1, no entities and no suggestion.
    pub fn new(severity: Severity, message: impl Into<String>) -> Self {
        Self {
            severity,
            message: message.into(),
            entities: Vec::new(),
            penalty: 1.0,
            suggestion: None,
        }
    }

    /// Adds an entity the violation touches; the same entity twice is kept
    /// once.
    #[must_use]
    pub fn entity(mut self, kind: EntityKind, id: impl AsRef<str>) -> Self {
        let id = id.as_ref();
        if !self.entities.iter().any(|e| e.kind == kind && e.id == id) {
            self.entities.push(Entity {
                kind,
                id: id.to_owned(),
            });
        }
        self
    }

    /// Adds a team: a [`TeamRef`](crate::TeamRef) (`game.home()`) or an id.
    #[must_use]
    pub fn team(self, id: impl AsRef<str>) -> Self {
        self.entity(EntityKind::Team, id)
    }

    /// Adds a venue: a [`VenueRef`](crate::VenueRef) (`game.venue()`) or an
    /// id.
    #[must_use]
    pub fn venue(self, id: impl AsRef<str>) -> Self {
        self.entity(EntityKind::Venue, id)
    }

    /// Adds a game, by its id (as the Rhai host's `.game(game)` does).
    #[must_use]
    pub fn game(self, game: &Game) -> Self {
        self.entity(EntityKind::Game, &game.id)
    }

    /// Adds a date, written `2026-03-14`.
    #[must_use]
    pub fn date(self, date: &Date) -> Self {
        self.entity(EntityKind::Date, date.to_string())
    }

    /// Adds a TV window: a [`TvWindowRef`](crate::TvWindowRef) or an id.
    #[must_use]
    pub fn tv_window(self, id: impl AsRef<str>) -> Self {
        self.entity(EntityKind::TvWindow, id)
    }

    /// Sets how far off the schedule is; finite and >= 0 (the default is 1).
    #[must_use]
    pub fn penalty(mut self, penalty: impl Into<f64>) -> Self {
        self.penalty = penalty.into();
        self
    }

    /// Says how to fix it.
    #[must_use]
    pub fn suggest(mut self, text: impl Into<String>) -> Self {
        self.suggestion = Some(text.into());
        self
    }
}

impl Severity {
    /// `critical`, `major` or `minor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Major => "major",
            Self::Minor => "minor",
        }
    }
}

impl EntityKind {
    /// The kind as the host's reports write it: `team`, `venue`, `game`,
    /// `round`, `date` or `tv_window`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Team => "team",
            Self::Venue => "venue",
            Self::Game => "game",
            Self::Round => "round",
            Self::Date => "date",
            Self::TvWindow => "tv_window",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_are_kept_once() {
        let v = Violation::new(Severity::Major, "m")
            .team("CHI")
            .venue("CHI")
            .team("CHI")
            .penalty(3);
        let kinds: Vec<_> = v.entities.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["team", "venue"]);
        assert_eq!(v.penalty, 3.0);
    }

    #[test]
    fn refs_are_written_as_their_ids() {
        let v = Violation::new(Severity::Major, "m")
            .team(crate::TeamRef::new(1))
            .team("CHI")
            .venue(crate::VenueRef::new(0))
            .tv_window(crate::TvWindowRef::new(0));
        let ids: Vec<_> = v.entities.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["CHI", "bos-garden", "sat-night"]);
    }

    #[test]
    fn outcome_builders() {
        assert!(Outcome::pass().is_pass());
        let o = Outcome::from(Violation::new(Severity::Minor, "m")).with_score(0.5);
        assert_eq!((o.violations.len(), o.score), (1, Some(0.5)));
    }
}
