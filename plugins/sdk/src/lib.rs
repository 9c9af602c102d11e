//! Write [umpire] constraint plugins in Rust.
//!
//! A plugin is a WebAssembly component built for `wasm32-wasip2` that
//! implements the `constraint` world of `wit/umpire.wit`, which it carries. This crate
//! generates the bindings for that world and puts a small, typed API in front
//! of them: implement [`Rule`] on a unit struct, export it with
//! [`export_rule!`], and ask the host about the schedule and the league
//! through [`schedule`], [`league`], [`time`], [`params`], [`log`] and
//! [`data`].
//!
//! The records the host hands over ([`Game`], [`Venue`], [`TvWindow`], ...)
//! and the [`Outcome`] a rule returns are the generated WIT types themselves,
//! with builder and formatting methods added here, so nothing is copied or
//! converted on the way in or out. That matters: the host aims at about one
//! microsecond per game for a simple rule, so a rule should decide the common
//! case (the game is fine) with a few queries that return numbers and build
//! strings only when it reports a violation.
//!
//! The builders mirror the Rhai host's (`pass()`, `violation(..).team(..)`),
//! so a rule reads the same in either language.
//!
//! # Teams, venues and TV windows are refs
//!
//! A [`Game`] names its teams, venue and TV window by position in the
//! league's lists ([`league::ids`]), not by id, so the host sends it with no
//! strings but its id and tags. Read them through the accessors, which wrap the numbers
//! in [`TeamRef`], [`VenueRef`] and [`TvWindowRef`]:
//!
//! - `game.home()`, `game.away()`, `game.venue()`, `game.tv()`: refs. Passing
//!   one to a query (`schedule::rest_days(game.home(), game)`) or comparing
//!   two is free.
//! - `team.id()`, `{team}` in a `format!`, `team == "CHI"` and the violation
//!   builders (`.team(team)`) resolve the ref to its id: the first time in an
//!   instance that fetches the league's ids from the host, later it is a
//!   lookup.
//! - The fields themselves (`game.home`, `game.venue`, `game.tv`) are the raw
//!   numbers: `format!("{}", game.home)` prints `1`, not `CHI`.
//! - Queries also take an id (`schedule::games_of("CHI")`), and
//!   [`league::team_ref`] and its siblings look one up.
//!
//! Times come the same way: a [`Moment`] is the instant and its venue's UTC
//! offset, and [`Moment::local`] works out the venue-local date, clock and
//! weekday (no host call).
//!
//! # Example
//!
//! A game-scoped rule: no league games on a Monday, venue-local.
//!
//! ```no_run
//! use umpire_plugin::{Description, Game, Outcome, Rule, Severity, Violation, Weekday, params};
//!
//! struct NoMondayGames;
//!
//! impl Rule for NoMondayGames {
//!     fn describe() -> Description {
//!         Description::new("no-monday-games", "No games on a Monday")
//!     }
//!
//!     fn evaluate_game(game: &Game) -> Result<Outcome, String> {
//!         let local = game.start.local();
//!         if local.weekday != Weekday::Mon {
//!             return Ok(Outcome::pass());
//!         }
//!         // `[params] minor = true` in the manifest makes it minor.
//!         let minor: bool = params::get_or("minor", false)?;
//!         let severity = if minor { Severity::Minor } else { Severity::Major };
//!         let violation = Violation::new(
//!             severity,
//!             format!(
//!                 "{} kicks off at {} on Monday {} at {}",
//!                 game.id,
//!                 game.venue(),
//!                 local.date,
//!                 local.clock()
//!             ),
//!         )
//!         .game(game)
//!         .venue(game.venue())
//!         .date(&local.date)
//!         .suggest(format!("move {} to the weekend", game.id));
//!         Ok(Outcome::from(violation))
//!     }
//! }
//!
//! umpire_plugin::export_rule!(NoMondayGames);
//! # fn main() {}
//! ```
//!
//! With its manifest beside the plugin's crate:
//!
//! ```toml
//! id = "no-monday-games"
//! name = "No games on a Monday"
//! kind = "wasm"
//! source = "target/wasm32-wasip2/release/no_monday_games.wasm"
//! scope = "game"
//! hardness = "soft"
//! weight = 40
//! ```
//!
//! The crate is a `cdylib` built with `cargo build --release --target
//! wasm32-wasip2`; see `plugins/wasm` in the umpire repository for a workspace
//! set up that way.
//!
//! # Errors and panics
//!
//! A rule that cannot rule (a bad parameter, a missing venue) returns
//! `Err(message)`: the host records the verdict as an error with that message.
//! A panic traps the instance, which the host records the same way, quoting
//! the panic message (Rust prints it to stderr, which the host captures);
//! still, prefer `Err`: it leaves a reused instance standing, and the
//! worker's runtime too, where a trap makes the host replace both.
//!
//! [umpire]: https://example.invalid/umpire

mod model;
mod outcome;
mod refs;
mod rule;
mod words;

pub mod data;
pub mod league;
pub mod log;
pub mod params;
pub mod schedule;
pub mod time;

/// The raw bindings `wit_bindgen::generate!` makes for the `constraint`
/// world. [`export_rule!`] uses them; a rule should not need to.
#[doc(hidden)]
#[allow(
    missing_docs,
    unreachable_pub,
    unsafe_code,
    clippy::all,
    reason = "generated by wit-bindgen from wit/"
)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "constraint",
        pub_export_macro: true,
        default_bindings_module: "umpire_plugin::bindings",
    });
}

pub use bindings::umpire::plugin::types::{
    Blackout, Civil, Date, Entity, EntityKind, Game, IdLists, Moment, Outcome, Severity, Team,
    TvWindow, Venue, Violation, Weekday,
};
pub use refs::{IntoRef, Ref, TeamRef, TvWindowRef, VenueRef};
pub use rule::{Description, Rule};
pub use time::{days_between, hours_between};

/// What [`export_rule!`] expands to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::rule::describe;
}

/// Exports a type that implements [`Rule`] as the plugin's `rule` interface.
///
/// Use it once per plugin crate, at the top level:
///
/// ```no_run
/// # use umpire_plugin::{Description, Rule};
/// # struct MyRule;
/// # impl Rule for MyRule {
/// #     fn describe() -> Description { Description::new("my-rule", "My rule") }
/// # }
/// umpire_plugin::export_rule!(MyRule);
/// # fn main() {}
/// ```
///
/// The version the plugin reports is the plugin crate's own
/// `CARGO_PKG_VERSION`.
#[macro_export]
macro_rules! export_rule {
    ($rule:ty) => {
        #[allow(
            unsafe_code,
            reason = "the component ABI exports are unsafe extern fns"
        )]
        const _: () = {
            use $crate::bindings::exports::umpire::plugin::rule as wit;

            struct UmpireRuleExport;

            impl wit::Guest for UmpireRuleExport {
                fn describe() -> wit::Description {
                    $crate::__private::describe::<$rule>(::core::env!("CARGO_PKG_VERSION"))
                }

                fn evaluate_game(game: wit::Game) -> ::core::result::Result<wit::Outcome, ::std::string::String> {
                    <$rule as $crate::Rule>::evaluate_game(&game)
                }

                                fn evaluate_schedule() -> ::core::result::Result<wit::Outcome, ::std::string::String> {
                    <$rule as $crate::Rule>::evaluate_schedule()
                }

                fn evaluate_part(part: wit::Part) -> ::core::result::Result<wit::Outcome, ::std::string::String> {
                    match part {
                        wit::Part::Team(t) => <$rule as $crate::Rule>::evaluate_team($crate::TeamRef::new(t)),
                        wit::Part::Venue(v) => <$rule as $crate::Rule>::evaluate_venue($crate::VenueRef::new(v)),
                    }
                }
            }

            $crate::__export_guest!(UmpireRuleExport);
        };
    };
}

/// Hands the adapter [`export_rule!`] builds to wit-bindgen's `export!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_guest {
    ($adapter:ident) => {
        $crate::bindings::export!($adapter with_types_in $crate::bindings);
    };
}

/// The README's example compiles.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
