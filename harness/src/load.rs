//! The load itself: one Goose scenario whose transaction draws a request
//! kind by the profile's weights, sends a prepared body, checks the answer
//! and records it. 503s count as shed, not failed (the server is doing its
//! job), and a shed user waits what `Retry-After` says, as a client should.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use goose::config::GooseConfiguration;
use goose::prelude::*;

use crate::profile::{Mix, Plan, Profile};
use crate::record::{Kind, Outcome, Recorder};
use crate::target::{agent, rss_from_stats, rss_of};
use crate::workload::Bodies;

/// What every user shares.
struct Shared {
    bodies: Bodies,
    recorder: Arc<Recorder>,
    weights: Vec<(Kind, u32)>,
    max_requests: u64,
    honor_retry_after: bool,
}

impl Shared {
    fn draw(&self) -> Kind {
        let total: u32 = self.weights.iter().map(|(_, w)| w).sum();
        let mut pick = fastrand::u32(..total);
        for (kind, w) in &self.weights {
            if pick < *w {
                return *kind;
            }
            pick -= w;
        }
        self.weights[0].0
    }

    async fn once(&self, user: &mut GooseUser) -> TransactionResult {
        if self.recorder.issue() >= self.max_requests {
            // The profile's request budget is spent: idle till the plan ends.
            tokio::time::sleep(Duration::from_millis(100)).await;
            return Ok(());
        }
        let kind = self.draw();
        let prepared = self.bodies.pick(kind);
        let method = match (&prepared.body, prepared.patch) {
            (Some(_), true) => GooseMethod::Patch,
            (Some(_), false) => GooseMethod::Post,
            (None, _) => GooseMethod::Get,
        };
        let mut builder = user.get_request_builder(&method, &prepared.path)?;
        if let Some(body) = &prepared.body {
            let content_type = if kind == Kind::Stream {
                "application/x-ndjson"
            } else {
                "application/json"
            };
            builder = builder
                .header("content-type", content_type)
                .body(body.clone());
        }
        let request = GooseRequest::builder()
            .method(method)
            .path(prepared.path.as_str())
            .name(kind.name())
            .set_request_builder(builder)
            .build();
        let started = Instant::now();
        let mut goose = user.request(request).await?;
        let (outcome, wait) = match goose.response {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                match response.text().await {
                    Ok(text) => (check(kind, status, &text, prepared.lines), retry_after),
                    Err(e) => (Outcome::Failed(format!("body: {e}")), None),
                }
            }
            Err(e) => (Outcome::Failed(transport(&e)), None),
        };
        let elapsed = started.elapsed();
        let shed = outcome == Outcome::Shed;
        // Recorded first: Goose's `set_failure` always answers `Err` (the
        // failed request), and a `?` on it would leave the failure out of
        // our figures while Goose counts it.
        self.recorder.record(kind, elapsed, outcome.clone());
        match &outcome {
            Outcome::Shed => user.set_success(&mut goose.request)?,
            Outcome::Failed(reason) => {
                let _failed = user.set_failure(reason, &mut goose.request, None, None);
            }
            Outcome::Answered => {}
        }
        if shed && self.honor_retry_after {
            let secs = wait.unwrap_or(1).min(5);
            tokio::time::sleep(Duration::from_secs(secs)).await;
        }
        Ok(())
    }
}

/// A transport error in a few words (the reqwest message without URL).
fn transport(e: &impl std::fmt::Display) -> String {
    let text = e.to_string();
    let text = text.split(" for url").next().unwrap_or(&text);
    format!("transport: {text}")
}

/// Judges one answer: its status, and that its body is what the route
/// gives (a stream answers every line it was sent).
fn check(kind: Kind, status: u16, body: &str, lines: usize) -> Outcome {
    if status == 503 {
        return Outcome::Shed;
    }
    if !(200..300).contains(&status) {
        let code = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
            .unwrap_or_default();
        return Outcome::Failed(format!("status {status} {code}").trim_end().to_owned());
    }
    let expect = match kind {
        Kind::Evaluate | Kind::EvaluateInline => "\"report\"",
        Kind::Batch => "\"games\"",
        Kind::Stats => "\"leagues\"",
        Kind::Moves => "\"moves\"",
        Kind::Accept => "\"version\"",
        Kind::Stream => {
            let answered = body.lines().filter(|l| !l.trim().is_empty()).count();
            if answered != lines {
                return Outcome::Failed(format!("stream answered {answered} of {lines} lines"));
            }
            let error = |l: &str| {
                serde_json::from_str::<serde_json::Value>(l)
                    .map_or(true, |v| v.get("error").is_some())
            };
            if body.lines().filter(|l| !l.trim().is_empty()).any(error) {
                return Outcome::Failed("stream line with an error".into());
            }
            return Outcome::Answered;
        }
    };
    if body.contains(expect) {
        Outcome::Answered
    } else {
        Outcome::Failed(format!("answer without {expect}"))
    }
}

fn weights(mix: &Mix) -> Vec<(Kind, u32)> {
    [
        (Kind::Evaluate, mix.evaluate),
        (Kind::EvaluateInline, mix.evaluate_inline),
        (Kind::Batch, mix.batch),
        (Kind::Stream, mix.stream),
        (Kind::Stats, mix.stats),
        (Kind::Moves, mix.moves),
        (Kind::Accept, mix.accept),
    ]
    .into_iter()
    .filter(|(_, w)| *w > 0)
    .collect()
}

/// Where the server's memory is read from while the load runs.
pub(crate) enum Memory {
    /// `/proc/PID/status` of a spawned server.
    Process(u32),
    /// `rss_mb` of the target's `/v1/stats`.
    Stats(String),
}

/// Runs the profile's plan against `url` and returns Goose's metrics.
/// The recorder holds the harness's own figures.
pub(crate) async fn run(
    url: &str,
    profile: &Profile,
    plan: &Plan,
    bodies: Bodies,
    recorder: Arc<Recorder>,
    memory: Memory,
    out_dir: &Path,
) -> anyhow::Result<GooseMetrics> {
    let shared = Arc::new(Shared {
        bodies,
        recorder: recorder.clone(),
        weights: weights(&profile.mix),
        max_requests: profile.max_requests,
        honor_retry_after: profile.honor_retry_after,
    });
    let for_users = shared.clone();
    let transaction: TransactionFunction = Arc::new(move |user| {
        let shared = for_users.clone();
        Box::pin(async move { shared.once(user).await })
    });
    let mut scenario =
        scenario!("umpire").register_transaction(Transaction::new(transaction).set_name("request"));
    let [min, max] = profile.think_ms;
    if max > 0 {
        scenario =
            scenario.set_wait_time(Duration::from_millis(min), Duration::from_millis(max))?;
    }

    let goose_dir = out_dir.join("goose");
    let _ = std::fs::remove_dir_all(&goose_dir);
    std::fs::create_dir_all(&goose_dir)?;
    let mut config = GooseConfiguration::default();
    config.host = Some(url.to_owned());
    config.no_telnet = true;
    config.no_print_metrics = true;
    config.quiet = 1;
    config.timeout = Some(profile.timeout_s.to_string());
    config.report_file = ["report.html", "report.md", "report.json"]
        .iter()
        .map(|name| goose_dir.join(name).display().to_string())
        .collect();
    config.no_transaction_metrics = true;
    config.no_scenario_metrics = true;

    recorder.restart_clock();
    // Memory samples once a second, off the load's threads.
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        let recorder = recorder.clone();
        std::thread::spawn(move || {
            let agent = agent(Duration::from_secs(2));
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                let mb = match &memory {
                    Memory::Process(pid) => rss_of(*pid),
                    Memory::Stats(url) => rss_from_stats(&agent, url),
                };
                if let Some(mb) = mb {
                    recorder.sample_rss(mb);
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };

    let attack = GooseAttack::initialize_with_config(config)
        .and_then(|a| {
            a.register_scenario(scenario)
                .set_default(GooseDefault::TestPlan, plan.to_goose().as_str())
        })
        .map_err(|e| anyhow::anyhow!("goose: {e:?}"))?;
    // The plan bounds the run; this bounds a run that would not end.
    let limit = Duration::from_secs(plan.secs() + 60);
    let result = tokio::time::timeout(limit, attack.execute()).await;
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = sampler.join();
    drop(shared);
    match result {
        Ok(metrics) => metrics.map_err(|e| anyhow::anyhow!("goose: {e:?}")),
        Err(_) => anyhow::bail!(
            "the load did not end within {}s of its plan",
            limit.as_secs()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_judged_by_route() {
        assert_eq!(
            check(Kind::Evaluate, 200, r#"{"report":{}}"#, 0),
            Outcome::Answered
        );
        assert_eq!(check(Kind::Evaluate, 503, "", 0), Outcome::Shed);
        assert_eq!(
            check(
                Kind::Batch,
                422,
                r#"{"error":{"code":"invalid_request"}}"#,
                0
            ),
            Outcome::Failed("status 422 invalid_request".into())
        );
        assert_eq!(
            check(Kind::Stream, 200, "{}\n{}\n", 3),
            Outcome::Failed("stream answered 2 of 3 lines".into())
        );
        assert_eq!(check(Kind::Stream, 200, "{}\n{}\n", 2), Outcome::Answered);
        // Every line names the evaluation; one that carries an error fails.
        assert_eq!(
            check(
                Kind::Stream,
                200,
                "{\"id\":\"ev-1\",\"line\":1}\n{\"id\":\"ev-1\",\"line\":2,\"error\":{}}\n",
                2
            ),
            Outcome::Failed("stream line with an error".into())
        );
        assert!(matches!(
            check(Kind::Stats, 200, "{}", 0),
            Outcome::Failed(_)
        ));
    }
}
