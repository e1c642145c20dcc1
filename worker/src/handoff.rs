//! An accepted delivery's execution: recorded, handed to the dispatch queue when its pipeline
//! has a `pipehook:dispatch` target, and started once per delivery.
//!
//! **Exactly once per delivery.** A delivery carrying `X-GitHub-Delivery` gets an execution id
//! derived from the webhook and that id (`pipehook::dispatch::execution_id_for_delivery`), and
//! its start time is kept under `execution-id/<pipeline>/<incarnation>/<id>` (`store.rs`). A
//! copy of the delivery (GitHub's *Redeliver*, a sender's retry) finds that time, then the
//! record at the key it names, and answers the same id, starting nothing new. Copies that
//! arrive while the first is still being stored wait for it in this isolate (`IN_FLIGHT`),
//! and copies this isolate has answered are known without a KV read (`ANSWERED`).
//!
//! **Record, then enqueue, then answer.** The record and the start-time key are written first,
//! then the start is sent to the queue; only then is the delivery answered 200. If a write
//! fails, or the queue refuses the message, the record is deleted again (a failed write may
//! still have been applied), the answer is 503, and the sender's retry completes the start with
//! the same id and start time: the retry never makes a second execution, and nothing starts for
//! a delivery answered 503. The one state this leaves for a retry to finish: a
//! queue refusal whose record could not be deleted either; the record is then `InProgress`
//! with no attempt made, and the next copy of the delivery sends the start again.
//!
//! Deliveries without `X-GitHub-Delivery` get a fresh time-ordered id, as before: each is
//! its own execution. The bookkeeping above is one KV read and one more write per delivery
//! that carries the header, whether or not its pipeline has a target: SPEC §2.5 promises at
//! most one execution per delivery, and a user who redelivers from GitHub's page expects the
//! same answer however the pipeline is set up. Under Miniflare that read and write nearly
//! double an accepted delivery's Worker CPU (`bench/RESULTS.md`, "Dispatch"); on Cloudflare
//! KV is not in the Worker's process.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures_util::future::join;
use pipehook::dispatch::message::MESSAGE_VERSION;
use pipehook::dispatch::outcome::summary;
use pipehook::dispatch::{execution_id_for_delivery, DispatchMessage, ExecutionRef, StartDetails};
use pipehook::PipelineVariable;
use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::Env;

use crate::dispatch::{self, HotDispatch};
use crate::ids;
use crate::ops::executions::{dispatch_attempts, NewExecution, Source, Target, Trigger};
use crate::store::{PipelineSnapshot, Store};

/// Bound on [`ANSWERED`]; reaching it empties it (it is only a shortcut past a KV read).
const ANSWERED_ENTRIES: usize = 4096;

/// How often a copy looks whether the first copy in this isolate is done, and for how long.
const WAIT_STEP_MS: u32 = 5;
const WAIT_STEPS: u32 = 2000;

/// The outcome of a delivery's first copy in this isolate, which later copies wait for.
#[derive(Default)]
struct FirstCopy {
    stored: Cell<Option<bool>>,
}

impl FirstCopy {
    /// Whether the first copy was stored, once it is known (`false` after 10 s without).
    ///
    /// By looking, on this request's own timer: workerd runs each request in its own I/O
    /// context and cancels a request woken from another one's (the first copy's), so the
    /// first copy cannot wake this one.
    async fn outcome(&self) -> bool {
        for _ in 0..WAIT_STEPS {
            if let Some(stored) = self.stored.get() {
                return stored;
            }
            dispatch::js::sleep(WAIT_STEP_MS).await;
        }
        false
    }
}

thread_local! {
    /// Deliveries being stored by this isolate, by `<pipeline>/<incarnation>/<id>`.
    static IN_FLIGHT: RefCell<HashMap<String, Rc<FirstCopy>>> = RefCell::new(HashMap::new());
    /// Deliveries this isolate has answered 200, by the same key.
    static ANSWERED: RefCell<HashMap<String, ()>> = RefCell::new(HashMap::new());
}

/// An accepted delivery, as the execution and its start need it.
pub struct Accepted<'a> {
    pub webhook_name: &'a str,
    pub webhook_arn: &'a str,
    /// The execution's `triggerDetail`: the webhook ARN, or what names a redelivery.
    pub trigger_detail: &'a str,
    pub token: &'a str,
    pub pipeline_name: &'a str,
    pub pipeline: &'a PipelineSnapshot,
    pub source_action: &'a str,
    pub revision: Option<&'a str>,
    pub delivery_id: Option<&'a str>,
    pub event: Option<&'a str>,
    /// The pipeline's compiled dispatch (or why its tags no longer compile), when it has one.
    pub dispatch: Option<&'a Result<HotDispatch, String>>,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub now_ms: u64,
}

/// Why an accepted delivery was not stored: it is answered 503 and the sender retries.
pub type Unavailable = &'static str;

/// Records (and hands off) the execution of an accepted delivery; its id.
pub async fn start(store: &Store, env: &Env, a: &Accepted<'_>) -> Result<String, Unavailable> {
    let Some(delivery) = a.delivery_id else {
        let id = ids::time_ordered(a.now_ms);
        return first(store, env, a, &id, false).await.map(|()| id);
    };
    let id = execution_id_for_delivery(a.webhook_arn, a.token, delivery);
    let key = format!("{}/{}/{id}", a.pipeline_name, a.pipeline.incarnation);
    if ANSWERED.with(|m| m.borrow().contains_key(&key)) {
        return Ok(id);
    }
    if let Some(first_copy) = IN_FLIGHT.with(|m| m.borrow().get(&key).cloned()) {
        return if first_copy.outcome().await { Ok(id) } else { Err("a copy of this delivery") };
    }
    let first_copy = Rc::new(FirstCopy::default());
    IN_FLIGHT.with(|m| m.borrow_mut().insert(key.clone(), first_copy.clone()));
    let result = first(store, env, a, &id, true).await;
    IN_FLIGHT.with(|m| m.borrow_mut().remove(&key));
    first_copy.stored.set(Some(result.is_ok()));
    if result.is_ok() {
        ANSWERED.with(|m| {
            let mut m = m.borrow_mut();
            if m.len() >= ANSWERED_ENTRIES {
                m.clear();
            }
            m.insert(key, ());
        });
    }
    result.map(|()| id)
}

/// The first copy of a delivery this isolate stores (`derived`: its id came from the delivery).
async fn first(store: &Store, env: &Env, a: &Accepted<'_>, id: &str, derived: bool) -> Result<(), Unavailable> {
    let (pipeline, incarnation) = (a.pipeline_name, a.pipeline.incarnation.as_str());
    // A dispatching pipeline needs its queue before anything is stored.
    let queue = match a.dispatch {
        Some(Ok(_)) => Some(dispatch::producer(env).ok_or("no DISPATCH queue binding")?),
        _ => None,
    };
    let mut started_ms = a.now_ms;
    let mut known_start = false;
    if derived {
        if let Some(ms) = store.execution_start(pipeline, incarnation, id).await.map_err(|_| "lookup")? {
            (started_ms, known_start) = (ms, true);
            if let Some((record, _)) = store.execution_at(pipeline, incarnation, ms, id).await.map_err(|_| "lookup")? {
                return redelivered(a, id, ms, &record, queue.as_ref()).await;
            }
            // (No record: an earlier copy stopped before it; this one completes it.)
        }
    }
    let start = Start::of(a);
    // A payload's revision is kept to 200 characters (the record's own bound, whatever the payload).
    let revision: Option<String> = a.revision.map(|r| r.chars().take(200).collect());
    let sources: Vec<Source> =
        revision.as_deref().map(|revision| Source { action: a.source_action, revision }).into_iter().collect();
    let trigger = Trigger { trigger_type: "Webhook", detail: a.trigger_detail };
    let status_summary = start.summary();
    let new = NewExecution {
        id,
        started_ms,
        pipeline: Target::of_snapshot(pipeline, a.pipeline),
        trigger,
        sources: &sources,
        variables: start.variables(),
        status: start.status(),
        status_summary: status_summary.as_deref(),
        dispatched: matches!(start, Start::Queued { .. }),
    };
    let record = new.put(store);
    let start_key = async {
        if derived && !known_start {
            store.put_execution_start(pipeline, incarnation, id, started_ms).await
        } else {
            Ok(())
        }
    };
    // Only a record whose write KV reported done is handed to the queue: nothing starts for a
    // delivery answered 503. A write that failed may still have been applied, so it is undone.
    let undo = || store.delete_execution(pipeline, incarnation, started_ms, id);
    match join(record, start_key).await {
        (Ok(()), Ok(())) => {}
        // (Without its start-time key a later copy could not find the record, and would record
        // a second one.)
        _ => {
            let _ = undo().await;
            return Err("execution");
        }
    }
    if let (Start::Queued { hot, variables }, Some(queue)) = (&start, &queue) {
        if dispatch::enqueue(queue, &message(a, id, started_ms, hot, variables.clone())).await.is_err() {
            let _ = undo().await;
            return Err("dispatch queue");
        }
    }
    Ok(())
}

/// A copy of a delivery whose execution is recorded: nothing new, unless the first copy's
/// hand-off failed and its record survived (no attempt made), which this copy completes.
async fn redelivered(a: &Accepted<'_>, id: &str, started_ms: u64, record: &Value, queue: Option<&JsValue>) -> Result<(), Unavailable> {
    let waiting = record.get("status").and_then(Value::as_str) == Some("InProgress") && dispatch_attempts(record) == Some(0);
    if let (true, Some(queue), Start::Queued { hot, variables }) = (waiting, queue, Start::of(a)) {
        let message = message(a, id, started_ms, hot, variables);
        dispatch::enqueue(queue, &message).await.map_err(|_| "dispatch queue")?;
    }
    Ok(())
}

/// What the execution's start is, before anything is stored.
enum Start<'h> {
    /// The pipeline has no target: the record is all.
    RecordOnly,
    /// Handed to the target with these variables.
    Queued { hot: &'h HotDispatch, variables: Vec<PipelineVariable> },
    /// Not started: the record says why (`Failed`).
    NotStarted(String),
}

impl<'h> Start<'h> {
    fn of(a: &Accepted<'h>) -> Self {
        match a.dispatch {
            None => Self::RecordOnly,
            Some(Err(why)) => Self::NotStarted(summary::not_started(None, why)),
            Some(Ok(hot)) => match hot.variables.select(a.headers, a.body) {
                Ok(variables) => Self::Queued { hot, variables },
                Err(e) => Self::NotStarted(summary::not_started(Some(&hot.target), &e.message())),
            },
        }
    }

    fn status(&self) -> &'static str {
        match self {
            Self::NotStarted(_) => "Failed",
            _ => "InProgress",
        }
    }

    fn summary(&self) -> Option<String> {
        match self {
            Self::RecordOnly => None,
            Self::Queued { hot, .. } => Some(summary::queued(&hot.target)),
            Self::NotStarted(text) => Some(text.clone()),
        }
    }

    fn variables(&self) -> &[PipelineVariable] {
        match self {
            Self::Queued { variables, .. } => variables,
            _ => &[],
        }
    }
}

fn message(a: &Accepted<'_>, id: &str, started_ms: u64, hot: &HotDispatch, variables: Vec<PipelineVariable>) -> DispatchMessage {
    DispatchMessage {
        version: MESSAGE_VERSION,
        execution: ExecutionRef {
            pipeline: a.pipeline_name.to_string(),
            incarnation: a.pipeline.incarnation.clone(),
            id: id.to_string(),
            started_ms,
        },
        target: hot.settings.target.clone(),
        start: StartDetails {
            webhook_name: a.webhook_name.to_string(),
            webhook_arn: a.webhook_arn.to_string(),
            trigger_detail: (a.trigger_detail != a.webhook_arn).then(|| a.trigger_detail.to_string()),
            delivery_id: a.delivery_id.map(str::to_string),
            event: a.event.map(str::to_string),
            source_action: a.source_action.to_string(),
            source_revision: a.revision.map(str::to_string),
            v2: a.pipeline.v2,
            variables,
        },
    }
}
