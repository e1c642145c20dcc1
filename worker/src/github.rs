//! GitHub's REST API, as far as RegisterWebhookWithThirdParty and
//! DeregisterWebhookWithThirdParty need it: a repository's webhooks, created,
//! updated, listed and deleted (`/repos/{owner}/{repo}/hooks`, API version
//! 2022-11-28), at `GITHUB_API_URL` (api.github.com, or a GitHub Enterprise
//! Server's `https://<host>/api/v3`).
//!
//! What this module promises its caller (`ops/third_party.rs`):
//! - Requests GitHub accepts: the shapes of GitHub's OpenAPI description (the
//!   Worker suite checks every request against it, `worker-tests/github.test.mjs`),
//!   `Accept: application/vnd.github+json`, `X-GitHub-Api-Version`, a User-Agent
//!   (GitHub refuses requests without one), the token as a Bearer credential.
//! - Owner and repository names are checked before they enter a URL path, and
//!   pagination links are followed only on the same API, so the OAuthToken is
//!   never sent anywhere but the configured API.
//! - Every failure is a [`Failure`]: the request it was, and a [`GithubError`]
//!   whose text is GitHub's own message, bounded and with the token masked.
//! - No wait without end: each request has [`TIMEOUT`], each answer is read up
//!   to [`MAX_ANSWER_BYTES`], a listing up to [`MAX_PAGES`] pages.
//!
//! Written on `fetch` rather than with a client crate: the Worker already has
//! the runtime's fetch, and four calls do not justify Octokit-sized code in wasm.

use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use serde_json::{json, Value};
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect, ResponseBody};

pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// The REST API version the requests are written for.
const API_VERSION: &str = "2022-11-28";
const USER_AGENT: &str = concat!("pipehook-worker/", env!("CARGO_PKG_VERSION"));
/// How long one request may take, answer included.
const TIMEOUT: Duration = Duration::from_secs(15);
/// A repository has at most a few dozen hooks: a page of 100 is well under this.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;
/// Pages of hooks read when looking for one by URL.
const MAX_PAGES: usize = 10;
/// How much of GitHub's message an error repeats.
const MAX_MESSAGE_CHARS: usize = 500;

/// A repository on a GitHub instance, with the token that manages its hooks.
pub struct Repository<'a> {
    /// The API's base URL, without a trailing slash.
    pub api: &'a str,
    pub owner: &'a str,
    pub repo: &'a str,
    pub token: &'a str,
}

/// What a pipehook webhook's hook on GitHub is: where it delivers, and the secret it signs with.
pub struct HookSpec<'a> {
    pub url: &'a str,
    /// The SecretToken (GITHUB_HMAC); `None` for a webhook that checks no signature.
    pub secret: Option<&'a str>,
}

/// Why GitHub did not do what was asked.
#[derive(Debug, PartialEq, Eq)]
pub enum GithubError {
    /// GitHub refused the request (a bad token, no such repository, validation failed, …).
    Refused { status: u16, message: String },
    /// A primary or secondary rate limit. `retry_after` (seconds) or `reset` (epoch
    /// seconds) say when to try again, when GitHub said.
    RateLimited { status: u16, message: String, retry_after: Option<u64>, reset: Option<u64> },
    /// No usable answer: unreachable, timed out, a server error, or not GitHub's.
    Unavailable(String),
}

/// A failed request: which one (method and URL, no credentials), and why.
#[derive(Debug)]
pub struct Failure {
    pub request: String,
    pub error: GithubError,
}

/// GitHub account names: alphanumerics and single hyphens, at most 39 characters.
pub fn valid_owner(owner: &str) -> bool {
    (1..=39).contains(&owner.len()) && owner.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// GitHub repository names: alphanumerics, `-`, `_` and `.`, at most 100 characters; not `.` or `..`.
pub fn valid_repo(repo: &str) -> bool {
    (1..=100).contains(&repo.len())
        && repo.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && repo != "."
        && repo != ".."
}

/// `GITHUB_API_URL` as a base URL: http(s), a host, no credentials (error messages
/// name the URL), no query or fragment.
pub fn valid_api_url(api: &str) -> bool {
    let rest = api.strip_prefix("https://").or_else(|| api.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let authority = r.split('/').next().unwrap_or_default();
        !authority.is_empty() && !authority.contains('@') && !r.contains(['?', '#', ' '])
    })
}

/// A token that can go in an `Authorization` header: visible ASCII, as GitHub's are.
pub fn valid_token(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic())
}

impl Repository<'_> {
    /// `…/repos/{owner}/{repo}/hooks[/{id}]`. The names are checked by the caller
    /// ([`valid_owner`], [`valid_repo`]), so they need no escaping.
    pub fn hooks_url(&self, id: Option<u64>) -> String {
        let base = format!("{}/repos/{}/{}/hooks", self.api, self.owner, self.repo);
        match id {
            Some(id) => format!("{base}/{id}"),
            None => base,
        }
    }

    /// Creates the hook; answers its id.
    pub async fn create_hook(&self, spec: &HookSpec<'_>) -> Result<u64, Failure> {
        let url = self.hooks_url(None);
        let answer = self.send(Method::Post, &url, Some(&hook_body(spec, true))).await?;
        match answer.status {
            201 => hook_id(&answer.body).ok_or_else(|| unreadable("POST", &url)),
            _ => Err(answer.failure("POST", &url, self.token)),
        }
    }

    /// Updates hook `id` to `spec`; `Ok(false)` when GitHub has no such hook.
    pub async fn update_hook(&self, id: u64, spec: &HookSpec<'_>) -> Result<bool, Failure> {
        let url = self.hooks_url(Some(id));
        let answer = self.send(Method::Patch, &url, Some(&hook_body(spec, false))).await?;
        match answer.status {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(answer.failure("PATCH", &url, self.token)),
        }
    }

    /// Deletes hook `id`; `Ok(false)` when it was already gone.
    pub async fn delete_hook(&self, id: u64) -> Result<bool, Failure> {
        let url = self.hooks_url(Some(id));
        let answer = self.send(Method::Delete, &url, None).await?;
        match answer.status {
            204 => Ok(true),
            404 => Ok(false),
            _ => Err(answer.failure("DELETE", &url, self.token)),
        }
    }

    /// The id of the repository's hook that delivers to `target`, if there is one.
    pub async fn find_hook(&self, target: &str) -> Result<Option<u64>, Failure> {
        let mut url = format!("{}?per_page=100", self.hooks_url(None));
        for _ in 0..MAX_PAGES {
            let answer = self.send(Method::Get, &url, None).await?;
            if answer.status != 200 {
                return Err(answer.failure("GET", &url, self.token));
            }
            let page: Value = serde_json::from_slice(&answer.body).map_err(|_| unreadable("GET", &url))?;
            if let Some(found) = hook_delivering_to(&page, target) {
                return Ok(Some(found));
            }
            match answer.link.as_deref().and_then(|l| next_link(l, self.api)) {
                Some(next) => url = next,
                None => return Ok(None),
            }
        }
        Ok(None)
    }

    async fn send(&self, method: Method, url: &str, body: Option<&Value>) -> Result<Answer, Failure> {
        let request = format!("{method} {url}");
        let failed = |why: String| Failure { request: request.clone(), error: GithubError::Unavailable(why) };
        let headers = Headers::new();
        let auth = format!("Bearer {}", self.token);
        for (name, value) in [
            ("accept", "application/vnd.github+json"),
            ("x-github-api-version", API_VERSION),
            ("user-agent", USER_AGENT),
            ("authorization", auth.as_str()),
        ] {
            headers.set(name, value).map_err(|_| failed(format!("the {name} header could not be set")))?;
        }
        let mut init = RequestInit::new();
        init.with_method(method).with_headers(headers).with_redirect(RequestRedirect::Manual);
        if let Some(body) = body {
            init.headers.set("content-type", "application/json").map_err(|_| failed("content-type".into()))?;
            init.with_body(Some(body.to_string().into()));
        }
        let req =
            Request::new_with_init(url, &init).map_err(|e| failed(format!("the request could not be made: {e}")))?;
        let controller = AbortController::default();
        let signal = controller.signal();
        let exchange = Box::pin(async move {
            let mut resp = Fetch::Request(req).send_with_signal(&signal).await.map_err(|e| e.to_string())?;
            let header = |name: &str| resp.headers().get(name).ok().flatten();
            let mut answer = Answer {
                status: resp.status_code(),
                link: header("link"),
                remaining: header("x-ratelimit-remaining"),
                reset: header("x-ratelimit-reset"),
                retry_after: header("retry-after"),
                location: header("location"),
                body: Vec::new(),
            };
            if matches!(resp.body(), ResponseBody::Empty) {
                return Ok(answer); // 204 No Content
            }
            let mut stream = resp.stream().map_err(|e| e.to_string())?;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| e.to_string())?;
                if answer.body.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(format!("the answer exceeds {MAX_ANSWER_BYTES} bytes"));
                }
                answer.body.extend_from_slice(&chunk);
            }
            Ok(answer)
        });
        match select(exchange, Delay::from(TIMEOUT)).await {
            Either::Left((Ok(answer), _)) => Ok(answer),
            // The runtime's text for a failed fetch names the URL at most, never a header.
            Either::Left((Err(why), _)) => Err(failed(mask(&why, self.token))),
            Either::Right(((), _)) => {
                controller.abort();
                Err(failed(format!("no answer within {} seconds", TIMEOUT.as_secs())))
            }
        }
    }
}

/// What GitHub answered: status, the headers that matter, the body (bounded).
struct Answer {
    status: u16,
    link: Option<String>,
    remaining: Option<String>,
    reset: Option<String>,
    retry_after: Option<String>,
    location: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn failure(&self, method: &str, url: &str, token: &str) -> Failure {
        let meta = AnswerHeaders {
            remaining: self.remaining.as_deref(),
            reset: self.reset.as_deref(),
            retry_after: self.retry_after.as_deref(),
            location: self.location.as_deref(),
        };
        Failure { request: format!("{method} {url}"), error: classify(self.status, &meta, &self.body, token) }
    }
}

fn unreadable(method: &str, url: &str) -> Failure {
    Failure {
        request: format!("{method} {url}"),
        error: GithubError::Unavailable("the answer is not the JSON GitHub's API sends".into()),
    }
}

/// The body of a hook: `POST` (create) names it `web`, as every repository webhook
/// is named; `PATCH` (update) sends what may change.
pub fn hook_body(spec: &HookSpec<'_>, create: bool) -> Value {
    let mut config = json!({"url": spec.url, "content_type": "json", "insecure_ssl": "0"});
    if let Some(secret) = spec.secret {
        config["secret"] = json!(secret);
    }
    let mut body = json!({"config": config, "events": ["push"], "active": true});
    if create {
        body["name"] = json!("web");
    }
    body
}

/// The `id` of a hook GitHub answered.
fn hook_id(body: &[u8]) -> Option<u64> {
    serde_json::from_slice::<Value>(body).ok()?.get("id")?.as_u64()
}

/// The id of the hook in a listing page whose `config.url` is `target`.
pub fn hook_delivering_to(page: &Value, target: &str) -> Option<u64> {
    page.as_array()?
        .iter()
        .find(|h| h.pointer("/config/url").and_then(Value::as_str) == Some(target))
        .and_then(|h| h.get("id")?.as_u64())
}

/// The `rel="next"` URL of a `Link` header, only if it is on `api`: the token goes
/// with every request, so a link elsewhere is not followed.
pub fn next_link(link: &str, api: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let is_next = params.split(';').any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next"));
        let url = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        (is_next && url.starts_with(&format!("{api}/"))).then(|| url.to_string())
    })
}

/// The headers of an error answer that say more than its body.
#[derive(Default)]
pub struct AnswerHeaders<'a> {
    pub remaining: Option<&'a str>,
    pub reset: Option<&'a str>,
    pub retry_after: Option<&'a str>,
    pub location: Option<&'a str>,
}

/// A GitHub error answer as a [`GithubError`]. GitHub signals its rate limits with
/// 429, or with 403 and `x-ratelimit-remaining: 0` (primary) or `retry-after`
/// (secondary); any other 403 is a refusal (e.g. a token without the right scope).
pub fn classify(status: u16, rate: &AnswerHeaders<'_>, body: &[u8], token: &str) -> GithubError {
    let message = mask(&github_message(status, body), token);
    let number = |v: Option<&str>| v.and_then(|v| v.trim().parse::<u64>().ok());
    let limited = status == 429
        || (status == 403
            && (rate.remaining.map(str::trim) == Some("0")
                || rate.retry_after.is_some()
                || message.to_ascii_lowercase().contains("rate limit")));
    if limited {
        return GithubError::RateLimited {
            status,
            message,
            retry_after: number(rate.retry_after),
            reset: number(rate.reset),
        };
    }
    match status {
        // Redirects are not followed (the token would go with them): GitHub
        // redirects requests for a renamed or transferred repository.
        300..=399 => GithubError::Refused {
            status,
            message: format!(
                "the repository has moved{}; set the source action's Owner and Repo to its new name",
                rate.location.map(|l| format!(" (to {})", cut(l))).unwrap_or_default()
            ),
        },
        400..=499 => GithubError::Refused { status, message },
        _ => GithubError::Unavailable(format!("HTTP {status}: {message}")),
    }
}

/// GitHub's own words for an error: `message`, and for a validation failure each
/// of `errors` (a message, or its code and field). Bounded.
pub fn github_message(status: u16, body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return format!("HTTP {status} with a body that is not GitHub's JSON");
    };
    let mut text = value.get("message").and_then(Value::as_str).unwrap_or("(no message)").to_string();
    let details: Vec<String> = value
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .take(5)
                .filter_map(|e| match e {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(_) => e.get("message").and_then(Value::as_str).map(str::to_string).or_else(|| {
                        let code = e.get("code").and_then(Value::as_str)?;
                        let field = e.get("field").and_then(Value::as_str).unwrap_or("?");
                        Some(format!("{field}: {code}"))
                    }),
                    _ => None,
                })
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if !details.is_empty() {
        text = format!("{text}: {}", details.join("; "));
    }
    cut(&text)
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// `text` with every occurrence of `secret` replaced by `****`.
pub fn mask(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_string()
    } else {
        text.replace(secret, pipehook::REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "ghp_notarealtoken0123456789";

    fn none() -> AnswerHeaders<'static> {
        AnswerHeaders::default()
    }

    #[test]
    fn names_that_may_enter_a_path() {
        for ok in ["Codertocat", "a", "my-org", "x1-2-3"] {
            assert!(valid_owner(ok), "{ok}");
        }
        for bad in ["", "a/b", "..", "a b", "a%2Fb", "a?b", &"a".repeat(40), "ö"] {
            assert!(!valid_owner(bad), "{bad}");
        }
        for ok in ["Hello-World", "a.b_c", ".github", "..x"] {
            assert!(valid_repo(ok), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "a#b", &"a".repeat(101)] {
            assert!(!valid_repo(bad), "{bad}");
        }
    }

    #[test]
    fn api_urls() {
        for ok in ["https://api.github.com", "https://ghe.example.com/api/v3", "http://127.0.0.1:4010"] {
            assert!(valid_api_url(ok), "{ok}");
        }
        for bad in [
            "api.github.com",
            "ftp://x",
            "https://",
            "https:///x",
            "https://x?y",
            "https://x#y",
            "https://u:p@ghe.example/api/v3",
        ] {
            assert!(!valid_api_url(bad), "{bad}");
        }
        assert!(valid_token("ghp_abc123") && valid_token("github_pat_11A_x"));
        for bad in ["", "a b", "a\nb", "tök"] {
            assert!(!valid_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn hook_urls_and_bodies() {
        let repo = Repository { api: "https://ghe.example.com/api/v3", owner: "o", repo: "r.s", token: TOKEN };
        assert_eq!(repo.hooks_url(None), "https://ghe.example.com/api/v3/repos/o/r.s/hooks");
        assert_eq!(repo.hooks_url(Some(42)), "https://ghe.example.com/api/v3/repos/o/r.s/hooks/42");
        let spec = HookSpec { url: "https://h.example/trigger?t=x&v=1", secret: Some("s3cret") };
        assert_eq!(
            hook_body(&spec, true),
            json!({"name": "web", "active": true, "events": ["push"],
                   "config": {"url": "https://h.example/trigger?t=x&v=1", "content_type": "json", "insecure_ssl": "0", "secret": "s3cret"}})
        );
        let open = HookSpec { url: "https://h.example/t", secret: None };
        let body = hook_body(&open, false);
        assert!(body.get("name").is_none());
        assert!(body["config"].get("secret").is_none());
    }

    #[test]
    fn finding_a_hook_by_its_url() {
        let page = json!([
            {"id": 1, "config": {"url": "https://elsewhere.example/"}},
            {"id": 7, "config": {"url": "https://h.example/trigger?t=x&v=1"}},
        ]);
        assert_eq!(hook_delivering_to(&page, "https://h.example/trigger?t=x&v=1"), Some(7));
        assert_eq!(hook_delivering_to(&page, "https://h.example/trigger?t=y&v=1"), None);
        assert_eq!(hook_delivering_to(&json!({"message": "x"}), "a"), None);
    }

    #[test]
    fn only_next_links_on_the_same_api_are_followed() {
        let api = "https://api.github.com";
        let link = r#"<https://api.github.com/repositories/1/hooks?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1/hooks?per_page=100&page=3>; rel="last""#;
        assert_eq!(
            next_link(link, api).as_deref(),
            Some("https://api.github.com/repositories/1/hooks?per_page=100&page=2")
        );
        assert_eq!(next_link(r#"<https://api.github.com/x?page=1>; rel="prev""#, api), None);
        assert_eq!(next_link(r#"<https://evil.example/x>; rel="next""#, api), None);
        assert_eq!(next_link(r#"<https://api.github.com.evil.example/x>; rel="next""#, api), None);
        assert_eq!(next_link("garbage", api), None);
    }

    #[test]
    fn errors_carry_githubs_message() {
        let bad_token =
            br#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}"#;
        assert_eq!(
            classify(401, &none(), bad_token, TOKEN),
            GithubError::Refused { status: 401, message: "Bad credentials".into() }
        );
        let validation = br#"{"message":"Validation Failed","errors":[{"resource":"Hook","code":"custom","message":"Hook already exists on this repository"},{"resource":"Hook","code":"invalid","field":"url"}],"documentation_url":"x","status":"422"}"#;
        assert_eq!(
            classify(422, &none(), validation, TOKEN),
            GithubError::Refused {
                status: 422,
                message: "Validation Failed: Hook already exists on this repository; url: invalid".into()
            }
        );
        let scope = br#"{"message":"Resource not accessible by personal access token","status":"403"}"#;
        assert!(matches!(classify(403, &none(), scope, TOKEN), GithubError::Refused { status: 403, .. }));
        assert!(matches!(classify(502, &none(), b"<html>", TOKEN), GithubError::Unavailable(_)));
        assert!(matches!(classify(404, &none(), b"not json", TOKEN), GithubError::Refused { status: 404, .. }));
        let moved = AnswerHeaders { location: Some("https://api.github.com/repositories/1/hooks"), ..none() };
        let GithubError::Refused { status: 307, message } = classify(307, &moved, b"", TOKEN) else { panic!() };
        assert!(message.contains("moved (to https://api.github.com/repositories/1/hooks)"), "{message}");
    }

    #[test]
    fn rate_limits_are_told_apart_from_refusals() {
        let primary = br#"{"message":"API rate limit exceeded for user ID 1.","status":"403"}"#;
        let headers = AnswerHeaders { remaining: Some("0"), reset: Some("1767225600"), ..none() };
        assert_eq!(
            classify(403, &headers, primary, TOKEN),
            GithubError::RateLimited {
                status: 403,
                message: "API rate limit exceeded for user ID 1.".into(),
                retry_after: None,
                reset: Some(1_767_225_600)
            }
        );
        let secondary = br#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#;
        let headers = AnswerHeaders { remaining: Some("4000"), retry_after: Some("60"), ..none() };
        assert!(matches!(
            classify(403, &headers, secondary, TOKEN),
            GithubError::RateLimited { retry_after: Some(60), .. }
        ));
        assert!(matches!(classify(429, &none(), secondary, TOKEN), GithubError::RateLimited { .. }));
    }

    #[test]
    fn the_token_never_shows_and_messages_are_bounded() {
        let echo = format!(r#"{{"message":"token {TOKEN} is bad","errors":["{TOKEN}"]}}"#);
        let GithubError::Refused { message, .. } = classify(401, &none(), echo.as_bytes(), TOKEN) else { panic!() };
        assert!(!message.contains(TOKEN), "{message}");
        assert!(message.contains("****"), "{message}");
        let long = format!(r#"{{"message":"{}"}}"#, "x".repeat(10_000));
        let GithubError::Refused { message, .. } = classify(422, &none(), long.as_bytes(), TOKEN) else { panic!() };
        assert!(message.chars().count() <= MAX_MESSAGE_CHARS + 1, "{}", message.len());
    }
}
