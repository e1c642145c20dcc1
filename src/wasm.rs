//! The JavaScript surface: decode, call the core, encode. Nothing more.
//!
//! Values cross as JSON text and bytes rather than as JS objects: serde_json
//! keeps key order (object comparison depends on it) and gives line/column
//! errors, and `&[u8]` bodies are one memcpy. The friendly API (objects,
//! case-insensitive headers, host crypto) is `js/api.js`, over these.

use std::collections::BTreeMap;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::auth::PrecomputedMacs;
use crate::model::{PipelineDeclaration, WebhookAuthenticationType};
use crate::problem::{Problem, ProblemKind};
use crate::delivery::evaluate_delivery_with_plan;
use crate::scan::ScanPlan;
use crate::{validate_text, Delivery, ValidWebhook};

#[derive(Serialize)]
struct ValidationReport<'a> {
    valid: bool,
    problems: &'a [Problem],
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Our own types always serialise; an empty object is a safe fallback.
    serde_json::to_string(value).unwrap_or_else(|_| "{}".to_string())
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

/// The request headers a decision reads (lower-case): the host passes only these.
#[wasm_bindgen(js_name = headersRead)]
pub fn headers_read() -> Vec<String> {
    crate::delivery::HEADERS_READ.iter().map(|h| h.to_string()).collect()
}

/// A definition validated and compiled once, to decide many deliveries.
#[wasm_bindgen]
pub struct CompiledWebhook {
    inner: ValidWebhook,
}

#[wasm_bindgen]
impl CompiledWebhook {
    /// Compiles a WebhookDefinition (or PutWebhook input) given as JSON text.
    /// Throws an Error whose message is the problems' JSON array.
    pub fn compile(definition_json: &str) -> Result<CompiledWebhook, JsError> {
        match validate_text(definition_json, None) {
            Ok(valid) => Ok(CompiledWebhook { inner: valid.webhook }),
            Err(problems) => Err(JsError::new(&to_json(&problems))),
        }
    }

    /// "GITHUB_HMAC", "IP" or "UNAUTHENTICATED": lets the host decide whether to hash.
    #[wasm_bindgen(getter)]
    pub fn authentication(&self) -> String {
        let kind: WebhookAuthenticationType = self.inner.definition().authentication;
        kind.as_str().to_string()
    }

    /// Decides one delivery; the Decision as JSON text. `headers_json` is a flat
    /// `["name", "value", "name", "value", …]` JSON array (one string crosses into wasm rather
    /// than one per header). `sha256`/`sha1` are the body's
    /// HMACs if the host computed them.
    #[allow(clippy::too_many_arguments)]
    pub fn evaluate(
        &self,
        headers_json: &str,
        body: &[u8],
        source_ip: Option<String>,
        action_configuration_json: Option<String>,
        sha256: Option<Vec<u8>>,
        sha1: Option<Vec<u8>>,
    ) -> Result<String, JsError> {
        self.decide(self.inner.plan(), headers_json, body, source_ip, action_configuration_json, sha256, sha1)
    }

    /// [`Self::evaluate`] on the whole parsed document, never the single-pass scan: the
    /// reference the fast path is checked against (tests, benchmarks).
    #[wasm_bindgen(js_name = evaluateReference)]
    #[allow(clippy::too_many_arguments)]
    pub fn evaluate_reference(
        &self,
        headers_json: &str,
        body: &[u8],
        source_ip: Option<String>,
        action_configuration_json: Option<String>,
        sha256: Option<Vec<u8>>,
        sha1: Option<Vec<u8>>,
    ) -> Result<String, JsError> {
        self.decide(None, headers_json, body, source_ip, action_configuration_json, sha256, sha1)
    }
}

impl CompiledWebhook {
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &self,
        plan: Option<&ScanPlan>,
        headers_json: &str,
        body: &[u8],
        source_ip: Option<String>,
        action_configuration_json: Option<String>,
        sha256: Option<Vec<u8>>,
        sha1: Option<Vec<u8>>,
    ) -> Result<String, JsError> {
        let flat: Vec<String> = serde_json::from_str(headers_json)
            .map_err(|e| JsError::new(&format!("headers must be a JSON array of strings: {e}")))?;
        let mut pairs: Vec<(String, String)> = Vec::with_capacity(flat.len() / 2);
        let mut flat = flat.into_iter();
        while let (Some(name), Some(value)) = (flat.next(), flat.next()) {
            pairs.push((name, value));
        }
        let configuration: BTreeMap<String, String> = match action_configuration_json {
            Some(text) => serde_json::from_str(&text).map_err(|e| {
                JsError::new(&format!("actionConfiguration must be an object of strings: {e}"))
            })?,
            None => BTreeMap::new(),
        };
        let macs = PrecomputedMacs { sha256, sha1 };
        let has_macs = macs.sha256.is_some() || macs.sha1.is_some();
        let delivery = Delivery {
            headers: &pairs,
            body,
            source_ip: source_ip.as_deref(),
            macs: has_macs.then_some(&macs),
        };
        Ok(to_json(&evaluate_delivery_with_plan(&self.inner, plan, &delivery, &configuration)))
    }
}
