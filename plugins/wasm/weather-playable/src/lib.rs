//! `weather-playable`: the forecast at the venue on match day must be
//! playable: rain and wind under the limits in the params.
//!
//! The forecast comes from the host's `weather` data source (declared by the
//! operator in config, asked with `venue` and `date`); the plugin never
//! touches the network. When the source is down the fetch fails, the rule
//! fails with it, and the host answers with the manifest's `fallback`.

use serde::Deserialize;
use umpire_plugin::{Description, Game, Outcome, Rule, Severity, Violation, data, params};

struct WeatherPlayable;

/// What the source answers for a venue and a date.
#[derive(Deserialize)]
struct Forecast {
    /// Rain over the day, in millimetres.
    precip_mm: f64,
    /// Strongest gusts, in km/h.
    wind_kmh: f64,
    /// A word for people ("storm", "showers").
    #[serde(default)]
    summary: String,
}

impl Rule for WeatherPlayable {
    fn describe() -> Description {
        Description::new("weather-playable", "Playable weather")
    }

    fn evaluate_game(game: &Game) -> Result<Outcome, String> {
        let max_precip: f64 = params::get("max_precip_mm")?;
        let max_wind: f64 = params::get("max_wind_kmh")?;
        let venue = game.venue().id().to_owned();
        let date = game.start.local().date.to_string();
        let forecast: Forecast =
            data::fetch_json("weather", &[("venue", &venue), ("date", &date)])?;

        let mut problems = Vec::new();
        if forecast.precip_mm > max_precip {
            problems.push(format!(
                "{} mm of rain (limit {max_precip} mm)",
                forecast.precip_mm
            ));
        }
        if forecast.wind_kmh > max_wind {
            problems.push(format!(
                "gusts of {} km/h (limit {max_wind} km/h)",
                forecast.wind_kmh
            ));
        }
        if problems.is_empty() {
            return Ok(Outcome::pass());
        }
        let summary = if forecast.summary.is_empty() {
            String::new()
        } else {
            format!(" ({})", forecast.summary)
        };
        let mut outcome = Outcome::pass();
        outcome.push(
            Violation::new(
                Severity::Major,
                format!(
                    "{} at {venue} on {date}: forecast of {}{summary}",
                    game.id,
                    problems.join(" and ")
                ),
            )
            .game(game)
            .venue(&venue)
            .suggest("move the game to another date or an indoor venue"),
        );
        Ok(outcome)
    }
}

umpire_plugin::export_rule!(WeatherPlayable);
