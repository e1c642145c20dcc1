//! The CodePipeline JSON 1.1 API on `POST /`: authentication, `X-Amz-Target`
//! dispatch, and the only place AWS errors are encoded.

use serde_json::{json, Value};
use worker::{Env, Request, Response};

use crate::ops::{deliveries, executions, pipelines, tags, third_party, webhooks};
use crate::sigv4::{self, AuthError, Credential, SignedRequest};
use crate::store::{Store, StoreError};
use crate::{config, ids, read_body, Body};

const TARGET_PREFIX: &str = "CodePipeline_20150709.";
/// pipehook's own operations, beside AWS's, on the same endpoint ([`dispatch_pipehook`]).
const PIPEHOOK_TARGET_PREFIX: &str = "Pipehook_20261201.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// Management requests are small; this bounds what is buffered before the signature check.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

macro_rules! aws_errors {
    ($($variant:ident => $status:literal),* $(,)?) => {
        /// Every error the API answers, named after the AWS exception it is.
        #[derive(Debug)]
        #[allow(clippy::enum_variant_names)]
        pub enum ApiError { $($variant(String)),* }

        impl ApiError {
            pub fn aws_type(&self) -> &'static str {
                match self { $(Self::$variant(_) => stringify!($variant)),* }
            }
            pub fn status(&self) -> u16 {
                match self { $(Self::$variant(_) => $status),* }
            }
            pub fn message(&self) -> &str {
                match self { $(Self::$variant(m) => m),* }
            }
        }
    };
}

aws_errors! {
    ValidationException => 400,
    SerializationException => 400,
    UnknownOperationException => 400,
    MissingAuthenticationTokenException => 403,
    IncompleteSignatureException => 400,
    InvalidSignatureException => 400,
    UnrecognizedClientException => 400,
    RequestEntityTooLargeException => 413,
    PipelineNotFoundException => 400,
    PipelineNameInUseException => 400,
    PipelineVersionNotFoundException => 400,
    PipelineExecutionNotFoundException => 400,
    InvalidStructureException => 400,
    InvalidStageDeclarationException => 400,
    InvalidActionDeclarationException => 400,
    InvalidBlockerDeclarationException => 400,
    InvalidWebhookFilterPatternException => 400,
    InvalidWebhookAuthenticationParametersException => 400,
    InvalidNextTokenException => 400,
    InvalidArnException => 400,
    InvalidTagsException => 400,
    TooManyTagsException => 400,
    LimitExceededException => 400,
    ConcurrentModificationException => 400,
    WebhookNotFoundException => 400,
    // pipehook's own: a delivery the webhook's log does not hold (`ops/deliveries.rs`).
    WebhookDeliveryNotFoundException => 400,
    ResourceNotFoundException => 400,
    // AWS's common errors, for a third party (GitHub) that limits or fails: SDKs retry both.
    ThrottlingException => 400,
    ServiceUnavailable => 503,
    InternalFailure => 500,
}

impl ApiError {
    /// The AWS answer for a list of core validation problems.
    pub fn from_problems(problems: &[pipehook::Problem]) -> Self {
        use pipehook::ProblemKind as K;
        let Some((kind, message)) = pipehook::aws_error(problems) else {
            return Self::InternalFailure("validation failed without a problem".into());
        };
        match kind {
            K::Serialization => Self::SerializationException(message),
            K::Validation => Self::ValidationException(message),
            K::InvalidWebhookFilterPattern => Self::InvalidWebhookFilterPatternException(message),
            K::InvalidWebhookAuthenticationParameters => {
                Self::InvalidWebhookAuthenticationParametersException(message)
            }
            K::TooManyTags => Self::TooManyTagsException(message),
            K::InvalidTags => Self::InvalidTagsException(message),
            K::PipelineNotFound => Self::PipelineNotFoundException(message),
            K::LimitExceeded => Self::LimitExceededException(message),
        }
    }

    /// The AWS answer for pipeline-declaration or tag-list problems.
    pub fn from_pipeline_problems(problems: &[pipehook::pipeline::PipelineProblem]) -> Self {
        use pipehook::pipeline::PipelineProblemKind as K;
        let Some((kind, message)) = pipehook::pipeline::pipeline_error(problems) else {
            return Self::InternalFailure("validation failed without a problem".into());
        };
        match kind {
            K::Validation => Self::ValidationException(message),
            K::InvalidStructure => Self::InvalidStructureException(message),
            K::InvalidStageDeclaration => Self::InvalidStageDeclarationException(message),
            K::InvalidActionDeclaration => Self::InvalidActionDeclarationException(message),
            K::InvalidBlockerDeclaration => Self::InvalidBlockerDeclarationException(message),
            K::TooManyTags => Self::TooManyTagsException(message),
            K::InvalidTags => Self::InvalidTagsException(message),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::BadCursor => Self::InvalidNextTokenException("The nextToken is not valid.".into()),
            // The KV error text names keys, never values, so it cannot carry a SecretToken.
            StoreError::Failed(m) => Self::InternalFailure(format!("storage failed: {m}")),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::MissingAuthenticationToken => {
                Self::MissingAuthenticationTokenException("Missing Authentication Token".into())
            }
            AuthError::IncompleteSignature(m) => Self::IncompleteSignatureException(m),
            AuthError::InvalidSignature(m) => Self::InvalidSignatureException(m),
            AuthError::UnrecognizedClient => Self::UnrecognizedClientException(
                "The security token included in the request is invalid.".into(),
            ),
        }
    }
}

pub type OpResult = Result<Value, ApiError>;

/// What every operation gets: storage, the deployment's identity, the clock.
pub struct Ctx {
    pub store: Store,
    pub region: String,
    pub account: String,
    /// Where webhook URLs point: `PUBLIC_URL`, or the request's origin.
    pub origin: String,
    pub now_ms: u64,
    /// The access key id that signed the request.
    pub caller: String,
    /// GitHub's REST API (`GITHUB_API_URL`): api.github.com, or a GitHub Enterprise Server's.
    pub github_api_url: String,
    /// How long a replaced SecretToken stays valid (`SECRET_ROTATION_GRACE_S`; 0: off).
    pub secret_rotation_grace_s: u64,
    /// The bindings, for what starts an execution (the dispatch queue).
    pub env: Env,
}

impl Ctx {
    /// Epoch seconds, as AWS JSON 1.1 encodes timestamps.
    pub fn now(&self) -> f64 {
        self.now_ms as f64 / 1000.0
    }

    pub fn webhook_arn(&self, name: &str) -> String {
        format!("arn:aws:codepipeline:{}:{}:webhook:{name}", self.region, self.account)
    }

    pub fn pipeline_arn(&self, name: &str) -> String {
        format!("arn:aws:codepipeline:{}:{}:{name}", self.region, self.account)
    }
}

/// Answers `POST /`. Never fails: every problem becomes an AWS error response.
pub async fn handle(mut req: Request, env: &Env) -> Response {
    let request_id = ids::uuid();
    let result = async {
        let body = match read_body(&mut req, MAX_REQUEST_BYTES).await {
            Ok(Body::Complete(b)) => b,
            Ok(Body::TooLarge) => {
                return Err(ApiError::RequestEntityTooLargeException(format!(
                    "Request body exceeds {MAX_REQUEST_BYTES} bytes"
                )))
            }
            Err(e) => {
                return Err(ApiError::SerializationException(format!("Could not read the request body: {e}")))
            }
        };
        let cfg = config(env);
        let url = req.url().map_err(|_| ApiError::SerializationException("Bad request URL".into()))?;
        let headers: Vec<(String, String)> = req.headers().entries().collect();
        let credentials: Vec<Credential> = cfg.credentials.into_iter().collect();
        let now_ms = js_sys::Date::now() as u64;
        let signed = SignedRequest {
            method: "POST",
            path: url.path(),
            query: url.query().unwrap_or(""),
            headers: &headers,
            body: &body,
        };
        let caller = sigv4::verify(&signed, &credentials, &cfg.region, "codepipeline", now_ms as i64)?;

        let target = req.headers().get("x-amz-target").ok().flatten().unwrap_or_default();
        let (service, operation) = if let Some(op) = target.strip_prefix(TARGET_PREFIX) {
            (Service::CodePipeline, op)
        } else if let Some(op) = target.strip_prefix(PIPEHOOK_TARGET_PREFIX) {
            (Service::Pipehook, op)
        } else {
            return Err(unknown_operation(&target));
        };
        let input: Value = if body.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            serde_json::from_slice(&body).map_err(|e| {
                ApiError::SerializationException(format!("The request body is not valid JSON: {e}"))
            })?
        };
        if !input.is_object() {
            return Err(ApiError::SerializationException("The request body must be a JSON object".into()));
        }
        let kv =
            env.kv(crate::KV_BINDING).map_err(|e| ApiError::InternalFailure(format!("KV binding: {e}")))?;
        let origin = cfg.public_url.unwrap_or_else(|| url.origin().ascii_serialization());
        let ctx = Ctx {
            store: Store::new(kv),
            region: cfg.region,
            account: cfg.account,
            origin,
            now_ms,
            caller,
            github_api_url: cfg.github_api_url,
            secret_rotation_grace_s: cfg.secret_rotation_grace_s,
            env: env.clone(),
        };
        // Deliveries in this isolate read afresh what this request may change
        // (delivery.rs): views read before or during it are forgotten after it.
        crate::delivery::forget_views();
        let result = match service {
            Service::CodePipeline => dispatch(&ctx, operation, input).await,
            Service::Pipehook => dispatch_pipehook(&ctx, operation, input).await,
        };
        crate::delivery::forget_views();
        result
    }
    .await;

    match result {
        Ok(mut body) => {
            // Belt and braces: no response ever carries a SecretToken.
            pipehook::redact(&mut body);
            respond(200, &body, &request_id, None)
        }
        Err(e) => error_response(&e, &request_id),
    }
}

/// The router table: one line per operation.
async fn dispatch(ctx: &Ctx, operation: &str, input: Value) -> OpResult {
    match operation {
        "PutWebhook" => webhooks::put_webhook(ctx, input).await,
        "ListWebhooks" => webhooks::list_webhooks(ctx, input).await,
        "DeleteWebhook" => webhooks::delete_webhook(ctx, input).await,
        "RegisterWebhookWithThirdParty" => third_party::register_webhook_with_third_party(ctx, input).await,
        "DeregisterWebhookWithThirdParty" => third_party::deregister_webhook_with_third_party(ctx, input).await,
        "CreatePipeline" => pipelines::create_pipeline(ctx, input).await,
        "GetPipeline" => pipelines::get_pipeline(ctx, input).await,
        "UpdatePipeline" => pipelines::update_pipeline(ctx, input).await,
        "DeletePipeline" => pipelines::delete_pipeline(ctx, input).await,
        "ListPipelines" => pipelines::list_pipelines(ctx, input).await,
        "StartPipelineExecution" => executions::start_pipeline_execution(ctx, input).await,
        "GetPipelineExecution" => executions::get_pipeline_execution(ctx, input).await,
        "ListPipelineExecutions" => executions::list_pipeline_executions(ctx, input).await,
        "TagResource" => tags::tag_resource(ctx, input).await,
        "UntagResource" => tags::untag_resource(ctx, input).await,
        "ListTagsForResource" => tags::list_tags_for_resource(ctx, input).await,
        other => Err(unknown_operation(other)),
    }
}

/// Which `X-Amz-Target` family a request names.
enum Service {
    CodePipeline,
    Pipehook,
}

/// The router table of pipehook's own operations (`Pipehook_20261201.<Operation>`,
/// SPEC §3): signed and answered like AWS's, beside them.
async fn dispatch_pipehook(ctx: &Ctx, operation: &str, input: Value) -> OpResult {
    match operation {
        "ListWebhookDeliveries" => deliveries::list_webhook_deliveries(ctx, input).await,
        "GetWebhookDelivery" => deliveries::get_webhook_delivery(ctx, input).await,
        "RedeliverWebhookDelivery" => deliveries::redeliver_webhook_delivery(ctx, input).await,
        other => Err(unknown_operation(&format!("{PIPEHOOK_TARGET_PREFIX}{other}"))),
    }
}

/// The answer for an `X-Amz-Target` naming no operation; the name is cut to 100 characters.
fn unknown_operation(target: &str) -> ApiError {
    let shown: String = target.chars().take(100).collect();
    ApiError::UnknownOperationException(format!("Unknown operation '{shown}'"))
}

pub fn error_response(e: &ApiError, request_id: &str) -> Response {
    let mut body = json!({"__type": e.aws_type(), "message": e.message()});
    pipehook::redact(&mut body);
    respond(e.status(), &body, request_id, Some(e.aws_type()))
}

fn respond(status: u16, body: &Value, request_id: &str, error_type: Option<&str>) -> Response {
    let text = body.to_string();
    let headers = worker::Headers::new();
    let _ = headers.set("content-type", CONTENT_TYPE);
    let _ = headers.set("x-amzn-requestid", request_id);
    if let Some(t) = error_type {
        let _ = headers.set("x-amzn-errortype", t);
    }
    Response::builder().with_status(status).with_headers(headers).fixed(text.into_bytes())
}
