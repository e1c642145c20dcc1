//! The webhook endpoint: `POST /trigger?t=<token>&v=1` (SPEC §2).
//!
//! Look up the webhook by token, read the body (at most 25 MB), let the core
//! decide ([`pipehook::evaluate_delivery`]), and on acceptance store a pipeline
//! execution and `lastTriggered` before answering 200.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use pipehook::{Delivery, Outcome, ValidWebhook, WebhookAuthenticationType};
use serde_json::{json, Value};
use worker::{Env, Request, Response};

use crate::ops::executions::{record_execution, Source, Trigger};
use crate::store::{Store, WebhookRecord};
use crate::{config, read_body, Body, KV_BINDING};

/// GitHub's own maximum payload.
pub const MAX_DELIVERY_BYTES: usize = 25 * 1024 * 1024;

thread_local! {
    /// Compiled definitions per isolate, keyed by the record's `rev` (new on every write).
    static COMPILED: RefCell<HashMap<String, Rc<ValidWebhook>>> = RefCell::new(HashMap::new());
}

fn compiled(record: &WebhookRecord) -> Result<Rc<ValidWebhook>, Vec<pipehook::Problem>> {
    if let Some(hit) = COMPILED.with(|c| c.borrow().get(&record.rev).cloned()) {
        return Ok(hit);
    }
    let valid = Rc::new(pipehook::validate_webhook_definition(&record.definition, None)?);
    COMPILED.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 256 {
            c.clear();
        }
        c.insert(record.rev.clone(), valid.clone());
    });
    Ok(valid)
}

fn answer(status: u16, body: Value) -> Response {
    let mut body = body;
    pipehook::redact(&mut body);
    let headers = worker::Headers::new();
    let _ = headers.set("content-type", "application/json");
    Response::builder().with_status(status).with_headers(headers).fixed(body.to_string().into_bytes())
}

fn unknown() -> Response {
    answer(404, json!({"message": "No webhook is registered at this URL."}))
}

fn unavailable(what: &str) -> Response {
    // 503 makes the sender retry; nothing was started.
    answer(503, json!({"message": format!("Storage is unavailable ({what}); retry the delivery.")}))
}

pub async fn handle(mut req: Request, env: &Env) -> Response {
    // The body is read (at most 25 MB, refused early when larger) before any
    // answer: a server that answers without reading what was sent makes the
    // connection reset under the sender, who then sees no status at all.
    let body = match read_body(&mut req, MAX_DELIVERY_BYTES).await {
        Ok(Body::Complete(b)) => b,
        Ok(Body::TooLarge) => return too_large(),
        Err(_) => {
            return answer(
                400,
                json!({"outcome": "malformed", "message": "The request body could not be read."}),
            )
        }
    };
    let Ok(url) = req.url() else { return unknown() };
    let mut token = None;
    let mut version = None;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "t" => token = Some(v.into_owned()),
            "v" => version = Some(v.into_owned()),
            _ => {}
        }
    }
    let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 128 && version.as_deref() == Some("1"))
    else {
        return unknown();
    };
    let Ok(kv) = env.kv(KV_BINDING) else { return unavailable("binding") };
    let store = Store::new(kv);

    let record = match store.token_name(&token).await {
        Err(_) => return unavailable("lookup"),
        Ok(None) => return unknown(),
        Ok(Some(name)) => match store.webhook(&name).await {
            Err(_) => return unavailable("lookup"),
            // A token left by a delete or by a replaced create resolves to nothing.
            Ok(Some(record)) if record.token == token => record,
            Ok(_) => return unknown(),
        },
    };

    let Ok(webhook) = compiled(&record) else {
        return answer(500, json!({"message": "The stored webhook definition no longer validates."}));
    };
    let def = webhook.definition();
    let pipeline = match store.pipeline(&def.target_pipeline).await {
        Ok(p) => p,
        Err(_) => return unavailable("pipeline"),
    };
    let empty = BTreeMap::new();
    let declaration: Option<pipehook::PipelineDeclaration> =
        pipeline.as_ref().and_then(|p| serde_json::from_value(p.pipeline.clone()).ok());
    let configuration = declaration
        .as_ref()
        .and_then(|d| d.source_action(&def.target_action))
        .map(|a| &a.configuration)
        .unwrap_or(&empty);

    let headers: Vec<(String, String)> = req.headers().entries().collect();
    // The platform sets CF-Connecting-IP; client-controlled X-Forwarded-For is never read.
    let source_ip = req.headers().get("cf-connecting-ip").ok().flatten();
    let macs = match (&def.authentication_configuration.secret_token, def.authentication) {
        (Some(secret), WebhookAuthenticationType::GithubHmac)
            if body.len() >= crate::webcrypto::NATIVE_FROM_BYTES =>
        {
            crate::webcrypto::github_macs(secret.expose(), &headers, &body).await
        }
        _ => None,
    };
    let delivery =
        Delivery { headers: &headers, body: &body, source_ip: source_ip.as_deref(), macs: macs.as_ref() };
    let decision = pipehook::evaluate_delivery(&webhook, &delivery, configuration);

    match decision.outcome {
        // A failed authentication reveals nothing about the definition.
        Outcome::Unauthorized => answer(
            401,
            json!({"outcome": "unauthorized", "message": "The delivery's signature is missing or does not verify."}),
        ),
        Outcome::Forbidden => answer(
            403,
            json!({"outcome": "forbidden", "message": "The delivery's source address is not allowed."}),
        ),
        Outcome::Malformed => answer(400, json!({"outcome": "malformed", "message": decision.reason})),
        Outcome::Filtered => {
            answer(200, serde_json::to_value(&decision).unwrap_or_else(|_| json!({"outcome": "filtered"})))
        }
        Outcome::Accepted => {
            let Some(pipeline) = pipeline else {
                return answer(
                    404,
                    json!({"outcome": "accepted", "message": format!("Pipeline '{}' no longer exists; nothing was started.", def.target_pipeline)}),
                );
            };
            let cfg = config(env);
            let arn = format!("arn:aws:codepipeline:{}:{}:webhook:{}", cfg.region, cfg.account, def.name);
            let now_ms = js_sys::Date::now() as u64;
            let source =
                decision.revision.as_deref().map(|r| Source { action: &def.target_action, revision: r });
            let trigger = Trigger { trigger_type: "Webhook", detail: &arn };
            // lastTriggered first: its key is the one KV may refuse (one write per
            // second per key). Refused, nothing is recorded and the sender's retry is
            // clean; the execution keys are new for every delivery.
            if store.set_last_triggered(&token, now_ms as f64 / 1000.0).await.is_err() {
                return unavailable("lastTriggered");
            }
            let id = match record_execution(&store, now_ms, &def.target_pipeline, &pipeline, trigger, source)
                .await
            {
                Ok(id) => id,
                Err(_) => return unavailable("execution"),
            };
            let mut body = json!({"outcome": "accepted", "pipelineExecutionId": id});
            if let Some(r) = decision.revision {
                body["revision"] = json!(r);
            }
            answer(200, body)
        }
    }
}

fn too_large() -> Response {
    answer(413, json!({"message": format!("The delivery exceeds {MAX_DELIVERY_BYTES} bytes.")}))
}
