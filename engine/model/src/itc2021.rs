//! ITC2021 is one problem family of RobinX: its files are read by
//! [`crate::robinx`], whose names this module repeats.

pub use crate::robinx::*;
