//! Dispatch's I/O: the queue an accepted delivery's start is handed to (`DISPATCH`), the
//! consumer that makes the start ([`consume`]), and the dead-letter queue (`DISPATCH_DLQ`) of
//! starts given up. What to send, how to sign it and what an answer means is the core's
//! (`pipehook::dispatch`); the design (ids, keys, statuses, what KV leaves open) is in
//! worker/README.md, "Dispatch".

pub mod aws;
mod consume;
mod http;
pub mod js;

pub use consume::consume;

use pipehook::dispatch::outcome::{Answer, DEFAULT_RETRY_BASE_S};
use pipehook::dispatch::{CompiledVariables, DispatchMessage, DispatchSettings, DispatchTarget};
use wasm_bindgen::JsValue;
use worker::Env;

use aws::AwsCredentials;

/// The queue producer binding accepted deliveries send to (consumed by this Worker).
pub const QUEUE: &str = "DISPATCH";
/// The producer binding of the dead-letter queue, where given-up starts go.
pub const DEAD_LETTERS: &str = "DISPATCH_DLQ";
/// One attempt's time-out.
pub const TIMEOUT_MS: u32 = 10_000;
/// How much of a target's answer is read (and at most a little of it quoted).
const ANSWER_BYTES: u32 = 4096;

/// The deployment's dispatch settings: secrets and vars, read per batch, never logged.
pub struct DispatchConfig {
    pub aws: Option<AwsCredentials>,
    pub aws_endpoint: Option<String>,
    pub signing_secret: Option<String>,
    pub retry_base_s: u32,
}

impl DispatchConfig {
    pub fn of(env: &Env) -> Self {
        let get = |name: &str| crate::setting(env, name);
        let aws = match (get("DISPATCH_AWS_ACCESS_KEY_ID"), get("DISPATCH_AWS_SECRET_ACCESS_KEY")) {
            (Some(access_key_id), Some(secret_access_key)) => Some(AwsCredentials {
                access_key_id,
                secret_access_key,
                session_token: get("DISPATCH_AWS_SESSION_TOKEN"),
            }),
            _ => None,
        };
        Self {
            aws,
            aws_endpoint: get("DISPATCH_AWS_ENDPOINT"),
            signing_secret: get("DISPATCH_SIGNING_SECRET"),
            retry_base_s: get("DISPATCH_RETRY_BASE_S")
                .and_then(|b| b.trim().parse().ok())
                .unwrap_or(DEFAULT_RETRY_BASE_S),
        }
    }

    /// Every secret a target's answer must not carry back into a record or a log.
    pub fn secrets(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.signing_secret.iter().map(String::as_str).collect();
        if let Some(c) = &self.aws {
            out.extend([c.access_key_id.as_str(), c.secret_access_key.as_str()]);
            out.extend(c.session_token.as_deref());
        }
        out
    }
}

/// A pipeline's dispatch, compiled once per delivery view (`delivery.rs` keeps it beside the
/// compiled webhook).
pub struct HotDispatch {
    pub target: DispatchTarget,
    pub settings: DispatchSettings,
    pub variables: CompiledVariables,
}

impl HotDispatch {
    /// The settings were checked when the tags were set; a reason only for tags stored before.
    pub fn compile(settings: &DispatchSettings) -> Result<Self, String> {
        let target = DispatchTarget::parse(&settings.target).map_err(|e| format!("pipehook:dispatch: {e}"))?;
        let variables = CompiledVariables::compile(&settings.variables)?;
        Ok(Self { target, settings: settings.clone(), variables })
    }
}

/// The `DISPATCH` producer, when the Worker has one.
pub fn producer(env: &Env) -> Option<JsValue> {
    js::queue(env.as_ref(), QUEUE)
}

/// Hands a start to the queue.
pub async fn enqueue(queue: &JsValue, message: &DispatchMessage) -> Result<(), String> {
    let text = serde_json::to_string(message).map_err(|e| e.to_string())?;
    js::send(queue, &text).await
}

/// One attempt at the target: its answer (scrubbed of every secret), or why the start cannot be
/// made at all (the Worker lacks a secret the target needs).
pub async fn attempt(
    config: &DispatchConfig,
    target: &DispatchTarget,
    message: &DispatchMessage,
    now_ms: u64,
) -> Result<Answer, String> {
    let (url, headers, body) = match target {
        DispatchTarget::Aws(pipeline) => {
            let credentials = config.aws.as_ref().ok_or(
                "the Worker has no DISPATCH_AWS_ACCESS_KEY_ID and DISPATCH_AWS_SECRET_ACCESS_KEY secrets",
            )?;
            let start = aws::signed_start(credentials, config.aws_endpoint.as_deref(), pipeline, message, now_ms)?;
            (start.url.to_string(), start.headers, start.body)
        }
        DispatchTarget::Http(url) => {
            let secret = config.signing_secret.as_deref().ok_or("the Worker has no DISPATCH_SIGNING_SECRET secret")?;
            let (headers, body) = http::signed_post(secret, message, now_ms)?;
            (url.to_string(), headers, body)
        }
    };
    let secrets = config.secrets();
    let scrub = |text: &str| pipehook::dispatch::outcome::scrub(text, &secrets);
    Ok(match js::post(&url, &headers, &body, TIMEOUT_MS, ANSWER_BYTES).await {
        js::Posted::Answered { status, text } => Answer::Status { status, body: scrub(&text) },
        js::Posted::TimedOut => Answer::TimedOut,
        js::Posted::Failed(why) => Answer::Network(scrub(&why)),
    })
}
