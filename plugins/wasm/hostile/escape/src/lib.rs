//! Hostile: tries to leave the sandbox (read and write files, read the
//! environment and arguments, open a socket) and reports what it got in a
//! violation, so a test can assert that nothing was reachable:
//!
//! `file: denied (...); write: denied (...); env: 0 vars; args: 0; net: denied (...)`

use umpire_plugin::{Description, Game, Outcome, Rule, Severity, Violation};

struct Escape;

fn attempt<T>(result: std::io::Result<T>, got: impl FnOnce(T) -> String) -> String {
    match result {
        Ok(value) => got(value),
        Err(e) => format!("denied ({e})"),
    }
}

impl Rule for Escape {
    fn describe() -> Description {
        Description::new("escape", "Hostile: sandbox escape")
    }

    fn evaluate_game(_game: &Game) -> Result<Outcome, String> {
        let file = attempt(std::fs::read_to_string("/etc/passwd"), |text| {
            format!("READ {} bytes", text.len())
        });
        let write = attempt(std::fs::write("/tmp/umpire-escape", "escaped\n"), |()| {
            "WROTE /tmp/umpire-escape".to_owned()
        });
        let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
        let args = std::env::args().count();
        let net = attempt(std::net::TcpStream::connect("127.0.0.1:80"), |_| {
            "CONNECTED to 127.0.0.1:80".to_owned()
        });
        let env = if vars.is_empty() {
            "0 vars".to_owned()
        } else {
            format!("{} vars ({})", vars.len(), vars.join(", "))
        };
        let message = format!("file: {file}; write: {write}; env: {env}; args: {args}; net: {net}");
        Ok(Outcome::from(Violation::new(Severity::Critical, message)))
    }
}

umpire_plugin::export_rule!(Escape);
