//! The AWS start: `StartPipelineExecution` (AWS JSON 1.1) signed with SigV4 by the `aws-sigv4`
//! crate (service `codepipeline`, the ARN's region, the time passed in), POSTed to the region's
//! endpoint or `DISPATCH_AWS_ENDPOINT`.

use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use pipehook::dispatch::{AwsPipeline, DispatchMessage};
use url::Url;

pub const TARGET: &str = "CodePipeline_20150709.StartPipelineExecution";
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
const SERVICE: &str = "codepipeline";

/// `DISPATCH_AWS_ACCESS_KEY_ID`, `DISPATCH_AWS_SECRET_ACCESS_KEY`, `DISPATCH_AWS_SESSION_TOKEN`.
/// Never shown by `Debug`.
#[derive(Clone)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AwsCredentials(****)")
    }
}

/// The start's URL, body and headers (signature included), for the time `now_ms`.
pub struct SignedStart {
    pub url: Url,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

/// Builds and signs the start of `message` at `pipeline`. The error (an endpoint or a request
/// the signer refuses) names no secret.
pub fn signed_start(
    credentials: &AwsCredentials,
    endpoint: Option<&str>,
    pipeline: &AwsPipeline,
    message: &DispatchMessage,
    now_ms: u64,
) -> Result<SignedStart, String> {
    let url = pipeline.endpoint(endpoint).map_err(|e| e.0)?;
    let body = message.aws_start_input(pipeline).to_string();
    let headers = sign_request(credentials, &pipeline.region, &url, &body, now_ms)?;
    Ok(SignedStart { url, body, headers })
}

/// The headers of a signed `StartPipelineExecution` POST of `body` to `url`: content type,
/// target, and what SigV4 adds (`x-amz-date`, `authorization`, `x-amz-security-token`).
pub fn sign_request(
    credentials: &AwsCredentials,
    region: &str,
    url: &Url,
    body: &str,
    now_ms: u64,
) -> Result<Vec<(String, String)>, String> {
    let mut headers = vec![
        ("content-type".to_string(), CONTENT_TYPE.to_string()),
        ("x-amz-target".to_string(), TARGET.to_string()),
    ];
    let identity = Credentials::new(
        &credentials.access_key_id,
        &credentials.secret_access_key,
        credentials.session_token.clone(),
        None,
        "pipehook-dispatch",
    )
    .into();
    let time = UNIX_EPOCH + Duration::from_millis(now_ms);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("the request could not be signed: {e}"))?
        .into();
    let request = SignableRequest::new(
        "POST",
        url.as_str(),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| format!("the request could not be signed: {e}"))?;
    let (instructions, _signature) =
        sign(request, &params).map_err(|e| format!("the request could not be signed: {e}"))?.into_parts();
    headers.extend(instructions.headers().map(|(n, v)| (n.to_string(), v.to_string())));
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use pipehook::dispatch::{DispatchTarget, ExecutionRef, StartDetails};

    use super::*;
    use crate::sigv4::{self, Credential, SignedRequest};

    fn creds(token: Option<&str>) -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: token.map(str::to_string),
        }
    }

    fn message() -> DispatchMessage {
        DispatchMessage {
            version: 1,
            execution: ExecutionRef { pipeline: "app".into(), incarnation: "i".into(), id: "0b5c7d1e-8f2a-8b3c-9d4e-5f6a7b8c9d0e".into(), started_ms: 0 },
            target: "arn:aws:codepipeline:eu-west-1:111122223333:real".into(),
            start: StartDetails {
                webhook_name: "w".into(),
                webhook_arn: "arn:aws:codepipeline:us-east-1:123456789012:webhook:w".into(),
                trigger_detail: None,
                delivery_id: None,
                event: None,
                source_action: "Source".into(),
                source_revision: None,
                v2: false,
                variables: vec![],
            },
        }
    }

    fn pipeline() -> AwsPipeline {
        let DispatchTarget::Aws(p) = DispatchTarget::parse(&message().target).unwrap() else { panic!() };
        p
    }

    const NOW_MS: u64 = 1_763_830_000_000;

    /// pipehook's own SigV4 verifier (an independent implementation, tested against AWS's
    /// published suite) accepts what the aws-sigv4 crate signs.
    #[test]
    fn the_workers_verifier_accepts_the_signed_start() {
        for token in [None, Some("session-token")] {
            let start = signed_start(&creds(token), Some("http://127.0.0.1:8787"), &pipeline(), &message(), NOW_MS).unwrap();
            let mut headers = start.headers.clone();
            headers.push(("host".into(), "127.0.0.1:8787".into()));
            let signed = SignedRequest { method: "POST", path: "/", query: "", headers: &headers, body: start.body.as_bytes() };
            let c = creds(token);
            let credentials = [Credential { access_key_id: c.access_key_id, secret_access_key: c.secret_access_key }];
            let caller = sigv4::verify(&signed, &credentials, "eu-west-1", "codepipeline", NOW_MS as i64);
            assert_eq!(caller.ok().as_deref(), Some("AKIDEXAMPLE"));
            let auth = &headers.iter().find(|(n, _)| n == "authorization").unwrap().1;
            assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251122/eu-west-1/codepipeline/aws4_request"), "{auth}");
            assert!(!auth.contains("wJalrXUtnFEMI"));
            assert_eq!(headers.iter().any(|(n, v)| n == "x-amz-security-token" && v == "session-token"), token.is_some());
        }
    }

    #[test]
    fn the_default_endpoint_is_the_arns_region_and_the_body_is_the_start_input() {
        let start = signed_start(&creds(None), None, &pipeline(), &message(), NOW_MS).unwrap();
        assert_eq!(start.url.as_str(), "https://codepipeline.eu-west-1.amazonaws.com/");
        assert_eq!(start.body, r#"{"name":"real","clientRequestToken":"0b5c7d1e-8f2a-8b3c-9d4e-5f6a7b8c9d0e"}"#);
        assert!(start.headers.contains(&("x-amz-target".into(), TARGET.into())));
        assert!(start.headers.contains(&("x-amz-date".into(), "20251122T164640Z".into())));
        assert!(signed_start(&creds(None), Some("ftp://nope"), &pipeline(), &message(), NOW_MS).is_err());
    }

    #[test]
    fn credentials_never_show_in_debug() {
        assert_eq!(format!("{:?}", creds(Some("t"))), "AwsCredentials(****)");
    }
}
