//! What a constraint says about a game or a schedule.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// How a constraint call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The rule holds.
    Passed,
    /// The rule is broken; the verdict lists how.
    Violated,
    /// Not run: a hard constraint it depends on failed.
    Skipped,
    /// The rule itself failed (threw, broke a limit, returned nonsense).
    Error,
    /// The rule ran past its deadline.
    Timeout,
    /// The rule's circuit breaker is open; the manifest's fallback answered.
    Fallback,
}

impl Status {
    /// The lowercase name, as in manifests and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Violated => "violated",
            Self::Skipped => "skipped",
            Self::Error => "error",
            Self::Timeout => "timeout",
            Self::Fallback => "fallback",
        }
    }
}

/// How much a constraint matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Hardness {
    /// Must hold: one violation makes the game (and the schedule) invalid.
    Hard,
    /// Should hold: violations cost score.
    Soft,
    /// Nice to have: violations cost a little score.
    Preference,
}

impl Hardness {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hard => "hard",
            Self::Soft => "soft",
            Self::Preference => "preference",
        }
    }
}

/// How bad one violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The game cannot be played as scheduled.
    Critical,
    /// A real problem for a team, venue or broadcaster.
    Major,
    /// A blemish.
    Minor,
}

impl Severity {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Major => "major",
            Self::Minor => "minor",
        }
    }

    /// Parses `critical`, `major` or `minor`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "critical" => Some(Self::Critical),
            "major" => Some(Self::Major),
            "minor" => Some(Self::Minor),
            _ => None,
        }
    }
}

/// What kind of thing a violation touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A team id.
    Team,
    /// A venue id.
    Venue,
    /// A game id.
    Game,
    /// A round number.
    Round,
    /// A date.
    Date,
    /// A TV window id.
    TvWindow,
}

impl EntityKind {
    /// Every kind's name, for error messages.
    pub const NAMES: &'static str = "team, venue, game, round, date, tv_window";

    /// Parses a kind's name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "team" => Some(Self::Team),
            "venue" => Some(Self::Venue),
            "game" => Some(Self::Game),
            "round" => Some(Self::Round),
            "date" => Some(Self::Date),
            "tv_window" => Some(Self::TvWindow),
            _ => None,
        }
    }

    /// The kind's name.
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

/// One thing a violation touches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entity {
    /// What kind of thing.
    pub kind: EntityKind,
    /// Its id.
    pub id: String,
}

/// One way a rule is broken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Violation {
    /// What is wrong, for a person.
    pub message: String,
    /// How bad.
    pub severity: Severity,
    /// What it touches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<Entity>,
    /// How far off (e.g. days short); multiplied by the constraint's weight in totals.
    pub penalty: f64,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

impl Violation {
    /// A violation with penalty 1 and nothing attached.
    pub fn new(severity: Severity, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            severity,
            entities: Vec::new(),
            penalty: 1.0,
            suggestion: None,
        }
    }
}

/// What one constraint said about one game, or about the schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdict {
    /// The constraint's id.
    pub constraint: Arc<str>,
    /// The constraint's hardness.
    pub hardness: Hardness,
    /// The constraint's weight, 0..=100.
    pub weight: u8,
    /// How the call ended.
    pub status: Status,
    /// 1 when passed, 0 when violated unless the rule said otherwise.
    pub score: f64,
    /// How the rule is broken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    /// Why it was skipped, errored or timed out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Wall-clock time of the call, in microseconds.
    pub elapsed_us: u64,
}

impl Verdict {
    /// Whether two verdicts say the same: everything but the time the call
    /// took.
    pub fn same_ruling(&self, other: &Self) -> bool {
        self.constraint == other.constraint
            && self.hardness == other.hardness
            && self.weight == other.weight
            && self.status == other.status
            && self.score.to_bits() == other.score.to_bits()
            && self.violations == other.violations
            && self.message == other.message
    }

    /// Whether this verdict makes its game (or the schedule) invalid: a hard
    /// constraint with at least one violation.
    pub fn is_hard_violation(&self) -> bool {
        self.hardness == Hardness::Hard && !self.violations.is_empty()
    }

    /// Whether a dependent of this constraint must be skipped: it is hard and
    /// did not pass.
    pub fn blocks_dependents(&self) -> bool {
        self.hardness == Hardness::Hard && !matches!(self.status, Status::Passed)
    }

    /// The sum of this verdict's violation penalties times its weight.
    pub fn weighted_penalty(&self) -> f64 {
        f64::from(self.weight) * self.violations.iter().map(|v| v.penalty).sum::<f64>()
    }
}
