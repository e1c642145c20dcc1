//! RegisterWebhookWithThirdParty and DeregisterWebhookWithThirdParty: the
//! repository webhook on GitHub that delivers to a pipehook webhook's URL, as AWS
//! CodePipeline makes it for a webhook whose target action is a GitHub (version 1)
//! source action, with that action's `OAuthToken` (`github.rs` is the client).
//!
//! - Register creates the hook (`name: web`, the webhook's URL, JSON, the
//!   SecretToken as its secret for GITHUB_HMAC, TLS verified, `push`, active)
//!   and keeps its id (`registration/<name>`, `store.rs`). Registering again
//!   updates that hook. Without a usable id (never registered here, the record
//!   lost, or the hook deleted on GitHub) it first looks for a hook already
//!   delivering to the URL, so a retry after a failure halfway never adds a
//!   second hook. A webhook whose action now names another repository (or
//!   another `GITHUB_API_URL`) has its old hook deleted first: it would go on
//!   delivering pushes of the old repository to the same URL.
//! - Deregister deletes the hook (already gone on GitHub: success) and forgets
//!   its id; without an id, it deletes the hook that delivers to the URL, if any.
//! - GitHub's errors become AWS errors carrying GitHub's message (never the
//!   token): a refusal (bad token, no such repository, validation failed, a
//!   token without the scope) is `ValidationException`, as AWS answers it ("Webhook
//!   could not be registered with GitHub. Error cause: Not found [StatusCode: 404,
//!   …]"), and the only error besides WebhookNotFoundException the service model
//!   gives these operations; a rate limit is `ThrottlingException`, the error
//!   every AWS SDK backs off and retries on; GitHub unreachable or failing (5xx,
//!   timeout) is `ServiceUnavailable` (503), which the SDKs retry as well.

use serde_json::{json, Value};

use super::webhooks::{existing_webhook, target_pipeline, webhook_url};
use super::Checks;
use crate::api::{ApiError, Ctx, OpResult};
use crate::github::{self, Failure, GithubError, HookSpec, Repository};
use crate::store::{Registration, WebhookRecord};

/// The action type Register supports, as the service model's ActionTypeId spells it.
const GITHUB_SOURCE: [(&str, &str); 4] =
    [("category", "Source"), ("owner", "ThirdParty"), ("provider", "GitHub"), ("version", "1")];

pub async fn register_webhook_with_third_party(ctx: &Ctx, input: Value) -> OpResult {
    let (name, record) = existing_webhook(ctx, &input, Checks::default()).await?;
    let target = Target::of(ctx, &name, &record).await?;
    let failed = |f: Failure| target.error(Verb::Register, f);
    let repo = target.repository(ctx);
    let spec = HookSpec { url: &target.url, secret: target.secret.as_deref() };
    let known = ctx.store.registration(&name).await?;

    let mut hook_id = None;
    if let Some(old) = &known {
        if target.is_where(ctx, old) {
            hook_id = repo.update_hook(old.hook_id, &spec).await.map_err(failed)?.then_some(old.hook_id);
        } else {
            // Registered for another repository: that hook goes first (see the module docs).
            let elsewhere = Repository { api: &old.api_url, owner: &old.owner, repo: &old.repo, token: &target.token };
            elsewhere.delete_hook(old.hook_id).await.map_err(|f| target.error(Verb::Unregister, f))?;
            ctx.store.delete_registration(&name).await?;
        }
    }
    let hook_id = match hook_id {
        Some(id) => id,
        None => match repo.find_hook(&target.url).await.map_err(failed)? {
            Some(id) if repo.update_hook(id, &spec).await.map_err(failed)? => id,
            _ => repo.create_hook(&spec).await.map_err(failed)?,
        },
    };
    let registration = Registration {
        api_url: ctx.github_api_url.clone(),
        owner: target.owner.clone(),
        repo: target.repo.clone(),
        hook_id,
        url: target.url.clone(),
        registered: ctx.now(),
    };
    ctx.store.put_registration(&name, &registration).await?;
    Ok(json!({}))
}

pub async fn deregister_webhook_with_third_party(ctx: &Ctx, input: Value) -> OpResult {
    let (name, record) = existing_webhook(ctx, &input, Checks::default()).await?;
    let target = Target::of(ctx, &name, &record).await?;
    let failed = |f: Failure| target.error(Verb::Deregister, f);
    match ctx.store.registration(&name).await? {
        Some(old) => {
            let repo = Repository { api: &old.api_url, owner: &old.owner, repo: &old.repo, token: &target.token };
            repo.delete_hook(old.hook_id).await.map_err(failed)?;
            ctx.store.delete_registration(&name).await?;
        }
        None => {
            let repo = target.repository(ctx);
            if let Some(id) = repo.find_hook(&target.url).await.map_err(failed)? {
                repo.delete_hook(id).await.map_err(failed)?;
            }
        }
    }
    Ok(json!({}))
}


#[derive(Clone, Copy)]
enum Verb {
    Register,
    Deregister,
    /// Removing the hook of a repository the webhook no longer targets, before registering.
    Unregister,
}

/// The webhook's hook as it should be on GitHub, and what manages it.
struct Target {
    webhook: String,
    pipeline: String,
    action: String,
    owner: String,
    repo: String,
    token: String,
    url: String,
    secret: Option<String>,
}

impl Target {
    /// The GitHub source action webhook `name` targets, or a ValidationException saying why there is none.
    async fn of(ctx: &Ctx, name: &str, record: &WebhookRecord) -> Result<Target, ApiError> {
        if !github::valid_api_url(&ctx.github_api_url) {
            return Err(ApiError::InternalFailure(format!(
                "GITHUB_API_URL '{}' is not an http(s) URL of GitHub's REST API",
                ctx.github_api_url
            )));
        }
        let (pipeline, action) = (record.target_pipeline(), record.target_action());
        let invalid = |why: String| {
            ApiError::ValidationException(format!("Webhook '{name}' cannot be registered with a third party: {why}"))
        };
        let Some((_, declaration)) = target_pipeline(ctx, Some(pipeline)).await? else {
            return Err(invalid(format!("its target pipeline '{pipeline}' does not exist")));
        };
        let Some(declared) = declaration.source_action(action) else {
            return Err(invalid(format!("pipeline '{pipeline}' has no action '{action}' in its first stage")));
        };
        let type_id = declared.other.get("actionTypeId").cloned().unwrap_or(Value::Null);
        if !GITHUB_SOURCE.iter().all(|(k, v)| type_id.get(k).and_then(Value::as_str) == Some(v)) {
            return Err(invalid(format!(
                "RegisterWebhookWithThirdParty supports webhooks whose target action is a GitHub source action \
                 (actionTypeId category Source, owner ThirdParty, provider GitHub, version 1, with Owner, Repo and \
                 OAuthToken in its configuration); action '{action}' of pipeline '{pipeline}' is {}",
                describe_type(&type_id)
            )));
        }
        let config = &declared.configuration;
        let setting = |key: &str| config.get(key).map(String::as_str).filter(|v| !v.is_empty());
        let missing = |key: &str| {
            invalid(format!("action '{action}' of pipeline '{pipeline}' has no {key} in its configuration"))
        };
        let owner = setting("Owner").ok_or_else(|| missing("Owner"))?;
        let repo = setting("Repo").ok_or_else(|| missing("Repo"))?;
        let token = setting("OAuthToken").ok_or_else(|| missing("OAuthToken"))?;
        if token == pipehook::REDACTED {
            return Err(invalid(format!(
                "the OAuthToken of action '{action}' in pipeline '{pipeline}' is '****', as GetPipeline shows it; \
                 set the token itself with UpdatePipeline"
            )));
        }
        if !github::valid_token(token) {
            return Err(invalid(format!(
                "the OAuthToken of action '{action}' in pipeline '{pipeline}' has characters no GitHub token has \
                 (spaces, line breaks, non-ASCII)"
            )));
        }
        if !github::valid_owner(owner) {
            return Err(invalid(format!("Owner '{owner}' of action '{action}' is not a GitHub account name")));
        }
        if !github::valid_repo(repo) {
            return Err(invalid(format!("Repo '{repo}' of action '{action}' is not a GitHub repository name")));
        }
        let secret = match record.definition.get("authentication").and_then(Value::as_str) {
            Some("GITHUB_HMAC") => {
                record.definition.pointer("/authenticationConfiguration/SecretToken").and_then(Value::as_str)
            }
            _ => None,
        };
        Ok(Target {
            webhook: name.to_string(),
            pipeline: pipeline.to_string(),
            action: action.to_string(),
            owner: owner.to_string(),
            repo: repo.to_string(),
            token: token.to_string(),
            url: webhook_url(&ctx.origin, &record.token),
            secret: secret.map(str::to_string),
        })
    }

    fn repository<'a>(&'a self, ctx: &'a Ctx) -> Repository<'a> {
        Repository { api: &ctx.github_api_url, owner: &self.owner, repo: &self.repo, token: &self.token }
    }

    /// Whether `registration` is on this target's repository (GitHub's names ignore case).
    fn is_where(&self, ctx: &Ctx, registration: &Registration) -> bool {
        registration.api_url == ctx.github_api_url
            && registration.owner.eq_ignore_ascii_case(&self.owner)
            && registration.repo.eq_ignore_ascii_case(&self.repo)
    }

    /// The AWS error for a failed GitHub request (the module docs say why these).
    fn error(&self, verb: Verb, failure: Failure) -> ApiError {
        let Failure { request, error } = failure;
        let (what, repo) = match verb {
            Verb::Register => ("registered with", format!("{}/{}", self.owner, self.repo)),
            Verb::Deregister => ("deregistered from", format!("{}/{}", self.owner, self.repo)),
            Verb::Unregister => ("moved to another repository on", "the repository it was registered with".to_string()),
        };
        let lead = format!("Webhook '{}' could not be {what} GitHub", self.webhook);
        let token_of = format!("the OAuthToken of action '{}' in pipeline '{}'", self.action, self.pipeline);
        let message = match error {
            GithubError::Refused { status, message } => {
                let hint = match status {
                    401 => format!(" GitHub does not accept {token_of} (expired or revoked?)."),
                    403 => format!(
                        " {token_of} may not manage the webhooks of {repo}: it needs the admin:repo_hook scope \
                         (a fine-grained token: Webhooks read and write) and admin rights on the repository."
                    ),
                    404 => format!(
                        " GitHub answers 404 both for a repository that does not exist and for one {token_of} \
                         cannot see or whose webhooks it may not manage (admin:repo_hook scope, admin rights): check {repo}."
                    ),
                    _ => String::new(),
                };
                return ApiError::ValidationException(format!(
                    "{lead}. Error cause: {message} [StatusCode: {status}, {request}].{hint}"
                ));
            }
            GithubError::RateLimited { status, message, retry_after, reset } => {
                let when = match (retry_after, reset) {
                    (Some(s), _) => format!(" Retry after {s} seconds."),
                    (None, Some(t)) => format!(" The limit resets at {}.", crate::iso8601(t as f64)),
                    (None, None) => String::new(),
                };
                return ApiError::ThrottlingException(format!(
                    "{lead}: GitHub's rate limit. Error cause: {message} [StatusCode: {status}, {request}].{when}"
                ));
            }
            GithubError::Unavailable(why) => why,
        };
        ApiError::ServiceUnavailable(format!(
            "{lead}: GitHub's API did not answer usably ({message}) [{request}]. Retry later."
        ))
    }
}

/// An actionTypeId as `category/owner/provider/version`, for the error saying it is not supported.
fn describe_type(type_id: &Value) -> String {
    let part = |k: &str| type_id.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
    if type_id.is_null() {
        "an action without an actionTypeId".into()
    } else {
        format!(
            "{}/{}/{}/{} (category/owner/provider/version)",
            part("category"),
            part("owner"),
            part("provider"),
            part("version")
        )
    }
}
