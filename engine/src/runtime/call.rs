//! What a host function needs to know about the constraint call it serves:
//! the data sources and the call's deadline, and what went wrong with them.
//!
//! Both hosts run a call on the calling thread from start to end, so the
//! context lives in a thread-local set by [`Runtime`](super::Runtime) around
//! each call.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

use crate::data::DataSources;

struct Call {
    data: Arc<DataSources>,
    deadline: Instant,
    data_failure: Option<String>,
}

thread_local! {
    static CALL: RefCell<Option<Call>> = const { RefCell::new(None) };
}

/// Runs `f` as one constraint call with these data sources and deadline;
/// returns its result and the first data source failure it met, if any.
pub(crate) fn within<T>(
    data: &Arc<DataSources>,
    deadline: Instant,
    f: impl FnOnce() -> T,
) -> (T, Option<String>) {
    CALL.with(|c| {
        *c.borrow_mut() = Some(Call {
            data: data.clone(),
            deadline,
            data_failure: None,
        })
    });
    let out = f();
    let failure = CALL.with(|c| c.borrow_mut().take().and_then(|c| c.data_failure));
    (out, failure)
}

/// Asks a data source on behalf of the running call; the failure is kept so
/// that the call can be answered by its constraint's fallback.
pub(crate) fn fetch(source: &str, query: &[(String, String)]) -> Result<Arc<str>, String> {
    let (data, deadline) = CALL.with(|c| {
        c.borrow()
            .as_ref()
            .map(|c| (c.data.clone(), c.deadline))
            .ok_or_else(|| "data sources can only be asked during a constraint call".to_owned())
    })?;
    let answer = data.fetch(source, query, deadline).map_err(|e| e.0);
    if let Err(message) = &answer {
        CALL.with(|c| {
            if let Some(call) = c.borrow_mut().as_mut() {
                call.data_failure.get_or_insert_with(|| message.clone());
            }
        });
    }
    answer
}
