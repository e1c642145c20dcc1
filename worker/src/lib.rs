//! pipehook's Cloudflare Worker: the CodePipeline JSON API on `POST /`, the
//! webhook endpoint on `POST /trigger?t=<token>&v=1`, and the validator page
//! (Workers static assets from `../www`) on `GET`. All validation and delivery
//! evaluation comes from the `pipehook` core crate; this crate only routes,
//! stores (Workers KV) and answers.

use futures_util::StreamExt;
use worker::{event, Context, Env, Method, Request, Response, Result};

mod api;
mod delivery;
mod ops;
mod sigv4;
mod store;
mod webcrypto;

/// The KV namespace binding holding all state.
pub(crate) const KV_BINDING: &str = "PIPEHOOK";
/// The static-assets binding (`[assets] binding` in wrangler.toml).
const ASSETS_BINDING: &str = "ASSETS";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    Ok(match (req.method(), path.as_str()) {
        (Method::Post, "/") => api::handle(req, &env).await,
        (Method::Post, "/trigger") => delivery::handle(req, &env).await,
        (_, "/trigger") => plain(405, "Webhook deliveries are POSTed to this URL.\n"),
        (Method::Get | Method::Head, _) => assets(req, &env).await,
        _ => plain(405, "Method not allowed.\n"),
    })
}

/// The validator page and its files, from Workers static assets.
async fn assets(req: Request, env: &Env) -> Response {
    match env.assets(ASSETS_BINDING) {
        Ok(fetcher) => match fetcher.fetch_request(req).await {
            Ok(resp) => resp,
            Err(_) => plain(502, "Static assets are unavailable.\n"),
        },
        Err(_) => plain(404, "Not found. The API is POST / (AWS JSON 1.1); webhooks POST to /trigger.\n"),
    }
}

pub(crate) fn plain(status: u16, text: &str) -> Response {
    let headers = worker::Headers::new();
    let _ = headers.set("content-type", "text/plain; charset=utf-8");
    Response::builder().with_status(status).with_headers(headers).fixed(text.as_bytes().to_vec())
}

/// The deployment's settings (wrangler.toml `[vars]` and secrets).
pub(crate) struct Config {
    pub region: String,
    pub account: String,
    pub public_url: Option<String>,
    pub credentials: Vec<sigv4::Credential>,
}

pub(crate) fn config(env: &Env) -> Config {
    let get = |name: &str| -> Option<String> {
        env.var(name)
            .map(|v| v.to_string())
            .or_else(|_| env.secret(name).map(|s| s.to_string()))
            .ok()
            .filter(|s| !s.is_empty())
    };
    let mut credentials = Vec::new();
    // Fail closed: with no secret configured, no request is authenticated.
    if let (Some(id), Some(secret)) = (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
        credentials.push(sigv4::Credential { access_key_id: id, secret_access_key: secret });
    }
    Config {
        region: get("AWS_REGION").unwrap_or_else(|| "us-east-1".into()),
        account: get("AWS_ACCOUNT_ID").unwrap_or_else(|| "123456789012".into()),
        public_url: get("PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string()),
        credentials,
    }
}

pub(crate) enum Body {
    Complete(Vec<u8>),
    TooLarge,
}

/// Reads a request body, refusing it as soon as it is known to exceed `limit`:
/// from `Content-Length` before reading anything, else while streaming.
pub(crate) async fn read_body(req: &mut Request, limit: usize) -> Result<Body> {
    let declared =
        req.headers().get("content-length").ok().flatten().and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Ok(Body::TooLarge);
    }
    if req.inner().body().is_none() {
        return Ok(Body::Complete(Vec::new()));
    }
    let mut stream = req.stream()?;
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit as u64) as usize);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(Body::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Body::Complete(body))
}

/// Identifiers from the runtime's CSPRNG (Web Crypto `getRandomValues`).
pub(crate) mod ids {
    fn random<const N: usize>() -> [u8; N] {
        let mut bytes = [0u8; N];
        // getrandom's `js` backend is crypto.getRandomValues, which every
        // Worker has; its error case (no Web Crypto at all) cannot occur there.
        let _ = getrandom::getrandom(&mut bytes);
        bytes
    }

    /// An unguessable webhook URL token: 256 random bits, hex.
    pub fn token() -> String {
        hex::encode(random::<32>())
    }

    /// A random (version 4) UUID: execution and request ids.
    pub fn uuid() -> String {
        let mut b = random::<16>();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = hex::encode(b);
        format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }
}
