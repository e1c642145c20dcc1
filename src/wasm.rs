//! The JavaScript surface: decode, call the core, encode. Nothing more.
//!
//! Values cross as JSON text and bytes rather than as JS objects: serde_json
//! keeps key order (object comparison depends on it) and gives line/column
//! errors, and `&[u8]` bodies are one memcpy. A delivery's decision, the hot
//! path's answer, crosses as [`crate::wire`] text, which the host reads without
//! a JSON parse. The friendly API (objects, case-insensitive headers, host
//! crypto) is `js/api.js`, over these.

use std::collections::BTreeMap;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::auth::{PrecomputedMacs, PreviousSecret};
use crate::model::{PipelineDeclaration, SecretToken, WebhookAuthenticationType};
use crate::problem::{Problem, ProblemKind};
use crate::delivery::{evaluate_delivery_with_plan, HEADERS_READ};
use crate::scan::ScanPlan;
use crate::{validate_text, Delivery, ValidWebhook};

#[derive(Serialize)]
struct ValidationReport<'a> {
    valid: bool,
    problems: &'a [Problem],
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Our own types always serialise; an empty object is a safe fallback. A decision is a few
    // hundred bytes: one buffer that fits it, rather than growing from serde_json's 128.
    let mut out = Vec::with_capacity(1024);
    match serde_json::to_writer(&mut out, value) {
        // serde_json writes only valid UTF-8.
        Ok(()) => String::from_utf8(out).unwrap_or_else(|_| "{}".to_string()),
        Err(_) => "{}".to_string(),
    }
}

fn report(result: Result<crate::ValidPutWebhook, Vec<Problem>>) -> String {
    match result {
        Ok(_) => to_json(&ValidationReport { valid: true, problems: &[] }),
        Err(problems) => to_json(&ValidationReport { valid: false, problems: &problems }),
    }
}

/// Parses the optional pipeline, or says why it cannot be used.
fn parse_pipeline(pipeline_json: Option<String>) -> Result<Option<PipelineDeclaration>, Problem> {
    let Some(text) = pipeline_json else { return Ok(None) };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Problem::new(ProblemKind::Validation, "pipeline", format!("The pipeline declaration cannot be read: {e}"))
    })
}

/// `validateWebhook` over JSON text: `{"valid": bool, "problems": [...]}` as JSON.
#[wasm_bindgen(js_name = validateText)]
pub fn validate_text_js(input_json: &str, pipeline_json: Option<String>) -> String {
    match parse_pipeline(pipeline_json) {
        Ok(pipeline) => report(validate_text(input_json, pipeline.as_ref())),
        Err(problem) => to_json(&ValidationReport { valid: false, problems: &[problem] }),
    }
}

/// Every SecretToken in the JSON text replaced by `****`; the text back.
#[wasm_bindgen(js_name = redactText)]
pub fn redact_text_js(json: &str) -> Result<String, JsError> {
    let mut value: serde_json::Value = serde_json::from_str(json).map_err(|e| JsError::new(&e.to_string()))?;
    crate::redact(&mut value);
    Ok(to_json(&value))
}

/// The request headers a decision reads (lower-case), in the order `evaluate` takes their values.
#[wasm_bindgen(js_name = headersRead)]
pub fn headers_read() -> Vec<String> {
    HEADERS_READ.iter().map(|h| h.to_string()).collect()
}

/// A definition validated and compiled once, to decide many deliveries.
#[wasm_bindgen]
pub struct CompiledWebhook {
    inner: ValidWebhook,
    /// The last action configuration's text and what it reads as: a receiver passes the same
    /// configuration with every delivery, so it is read once.
    configuration: std::cell::RefCell<Option<(String, BTreeMap<String, String>)>>,
}

#[wasm_bindgen]
impl CompiledWebhook {
    /// Compiles a WebhookDefinition (or PutWebhook input) given as JSON text.
    /// Throws an Error whose message is the problems' JSON array.
    pub fn compile(definition_json: &str) -> Result<CompiledWebhook, JsError> {
        match validate_text(definition_json, None) {
            Ok(valid) => Ok(CompiledWebhook { inner: valid.webhook, configuration: Default::default() }),
            Err(problems) => Err(JsError::new(&to_json(&problems))),
        }
    }

    /// "GITHUB_HMAC", "IP" or "UNAUTHENTICATED": lets the host decide whether to hash.
    #[wasm_bindgen(getter)]
    pub fn authentication(&self) -> String {
        let kind: WebhookAuthenticationType = self.inner.definition().authentication;
        kind.as_str().to_string()
    }

    /// Decides one delivery; the Decision as wire text ([`crate::wire`]). The header arguments
    /// are the values of [`headers_read`]'s headers, in its order (the only headers a decision
    /// reads). `sha256`/`sha1` are the body's HMACs if the host computed them.
    /// `previous_secret` is a GITHUB_HMAC webhook's SecretToken before a rotation, passed
    /// only while the caller still honours it; its MAC is computed here, and only when the
    /// current secret fails.
    #[allow(clippy::too_many_arguments)]
    pub fn evaluate(
        &self,
        body: &[u8],
        signature_256: Option<String>,
        signature_sha1: Option<String>,
        content_type: Option<String>,
        source_ip: Option<String>,
        action_configuration_json: Option<String>,
        sha256: Option<Vec<u8>>,
        sha1: Option<Vec<u8>>,
        previous_secret: Option<String>,
    ) -> Result<String, JsError> {
        let headers = [signature_256, signature_sha1, content_type];
        let host = HostInput { source_ip, action_configuration_json, sha256, sha1, previous_secret };
        self.decide(self.inner.plan(), body, headers, host)
    }

    /// [`Self::evaluate`] on the whole parsed document, never the single-pass scan: the
    /// reference the fast path is checked against (tests, benchmarks).
    #[wasm_bindgen(js_name = evaluateReference)]
    #[allow(clippy::too_many_arguments)]
    pub fn evaluate_reference(
        &self,
        body: &[u8],
        signature_256: Option<String>,
        signature_sha1: Option<String>,
        content_type: Option<String>,
        source_ip: Option<String>,
        action_configuration_json: Option<String>,
        sha256: Option<Vec<u8>>,
        sha1: Option<Vec<u8>>,
        previous_secret: Option<String>,
    ) -> Result<String, JsError> {
        let headers = [signature_256, signature_sha1, content_type];
        let host = HostInput { source_ip, action_configuration_json, sha256, sha1, previous_secret };
        self.decide(None, body, headers, host)
    }
}

/// What the host passes beside the body and the headers.
struct HostInput {
    source_ip: Option<String>,
    action_configuration_json: Option<String>,
    sha256: Option<Vec<u8>>,
    sha1: Option<Vec<u8>>,
    previous_secret: Option<String>,
}

impl CompiledWebhook {
    /// `headers` holds the value (if sent) of each of [`HEADERS_READ`], in order: its length is
    /// checked against that list at compile time.
    fn decide(
        &self,
        plan: Option<&ScanPlan>,
        body: &[u8],
        headers: [Option<String>; HEADERS_READ.len()],
        host: HostInput,
    ) -> Result<String, JsError> {
        let HostInput { source_ip, action_configuration_json, sha256, sha1, previous_secret } = host;
        let pairs: Vec<(String, String)> = HEADERS_READ
            .iter()
            .zip(headers)
            .filter_map(|(name, value)| Some((name.to_string(), value?)))
            .collect();
        let mut cached = self.configuration.borrow_mut();
        let empty = BTreeMap::new();
        let configuration: &BTreeMap<String, String> = match action_configuration_json {
            Some(text) => {
                if cached.as_ref().is_none_or(|(last, _)| *last != text) {
                    let read = serde_json::from_str(&text).map_err(|e| {
                        JsError::new(&format!("actionConfiguration must be an object of strings: {e}"))
                    })?;
                    *cached = Some((text, read));
                }
                &cached.as_ref().expect("just set").1
            }
            None => &empty,
        };
        let macs = PrecomputedMacs { sha256, sha1 };
        let has_macs = macs.sha256.is_some() || macs.sha1.is_some();
        let previous = previous_secret.map(SecretToken);
        let delivery = Delivery {
            headers: &pairs,
            body,
            source_ip: source_ip.as_deref(),
            macs: has_macs.then_some(&macs),
            previous_secret: previous.as_ref().map(|secret| PreviousSecret { secret, macs: None }),
        };
        Ok(crate::wire::decision(&evaluate_delivery_with_plan(&self.inner, plan, &delivery, configuration)))
    }
}
