//! `umpire-harness` driven as an operator drives it: the real binary
//! against a real `umpire serve` on loopback, short plans, and the reports
//! read back.

mod runs;
mod support;
