//! The `pipehook:dispatch` tag value: where a pipeline's executions are started.
//!
//! Two forms, told apart by their first characters:
//! - `arn:aws:codepipeline:<region>:<account>:<name>`: a real AWS CodePipeline, started with
//!   `StartPipelineExecution` at `https://codepipeline.<region>.amazonaws.com` (partitions
//!   `aws`, `aws-us-gov`, and `aws-cn` at `….amazonaws.com.cn`);
//! - `https://…`, or `http://…` to a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`): an
//!   HTTP receiver, POSTed a signed JSON body. No user name or password in the URL: receivers
//!   authenticate the sender by the signature, and a credential in the URL would be shown
//!   wherever the target is (tags, statusSummary).

use std::fmt;

use url::{Host, Url};

/// What the value is refused for, as a sentence completing "it must be …".
pub const ALLOWED_FORMS: &str = "a CodePipeline pipeline ARN (arn:aws:codepipeline:<region>:<account>:<pipeline>), \
an https:// URL, or an http:// URL to a loopback host (localhost, 127.0.0.1, [::1])";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DispatchTarget {
    Aws(AwsPipeline),
    Http(Url),
}

/// A pipeline ARN, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsPipeline {
    pub arn: String,
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
}

/// Why a tag value is not a target (said after the allowed forms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetError(pub String);

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl DispatchTarget {
    pub fn parse(value: &str) -> Result<Self, TargetError> {
        if value.starts_with("arn:") {
            return AwsPipeline::parse(value).map(Self::Aws);
        }
        let url = Url::parse(value).map_err(|e| TargetError(format!("it is not a URL ({e})")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(TargetError("the URL carries a user name or password; receivers authenticate pipehook by the signature".into()));
        }
        match (url.scheme(), url.host()) {
            (_, None) => Err(TargetError("the URL has no host".into())),
            ("https", Some(_)) => Ok(Self::Http(url)),
            ("http", Some(host)) if is_loopback(&host) => Ok(Self::Http(url)),
            ("http", Some(_)) => Err(TargetError("plain http:// is allowed only to a loopback host, for local use; use https://".into())),
            (scheme, _) => Err(TargetError(format!("the URL scheme '{scheme}' is not https"))),
        }
    }

    /// How the target is named in `statusSummary`, logs and errors: the ARN, or the URL's origin
    /// (a URL's path and query may hold a receiver's own token, and are left out).
    pub fn describe(&self) -> String {
        match self {
            Self::Aws(p) => p.arn.clone(),
            Self::Http(url) => {
                let origin = url.origin().ascii_serialization();
                let more = url.path() != "/" || url.query().is_some();
                format!("POST {origin}{}", if more { "/…" } else { "/" })
            }
        }
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

impl AwsPipeline {
    /// `arn:<partition>:codepipeline:<region>:<12 digits>:<pipeline name>`.
    pub fn parse(arn: &str) -> Result<Self, TargetError> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [_, partition, service, region, account, name] = parts[..] else {
            return Err(TargetError("the ARN does not have six ':'-separated parts".into()));
        };
        if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
            return Err(TargetError(format!("the ARN's partition '{partition}' is not aws, aws-cn or aws-us-gov")));
        }
        if service != "codepipeline" {
            return Err(TargetError(format!("the ARN names service '{service}', not codepipeline")));
        }
        if !is_region(region) {
            return Err(TargetError(format!("the ARN's region '{region}' is not a region name such as us-east-1")));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TargetError(format!("the ARN's account '{account}' is not 12 digits")));
        }
        let name_ok = (1..=100).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'@' | b'-' | b'_'));
        if !name_ok {
            return Err(TargetError(format!(
                "the ARN's pipeline name '{name}' is not 1 to 100 characters of [A-Za-z0-9.@\\-_]"
            )));
        }
        Ok(Self {
            arn: arn.to_string(),
            partition: partition.into(),
            region: region.into(),
            account: account.into(),
            name: name.into(),
        })
    }

    /// CodePipeline's endpoint in the ARN's region.
    pub fn default_endpoint(&self) -> String {
        let suffix = if self.partition == "aws-cn" { "amazonaws.com.cn" } else { "amazonaws.com" };
        format!("https://codepipeline.{}.{suffix}", self.region)
    }

    /// Where the start is sent: `endpoint` (`DISPATCH_AWS_ENDPOINT`, for tests and AWS-compatible
    /// services) when set, else [`Self::default_endpoint`]. An endpoint that is not an http(s)
    /// URL with a host is refused.
    pub fn endpoint(&self, endpoint: Option<&str>) -> Result<Url, TargetError> {
        let text = endpoint.map(str::to_string).unwrap_or_else(|| self.default_endpoint());
        match Url::parse(&text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
            _ => Err(TargetError("DISPATCH_AWS_ENDPOINT is not an http(s) URL".into())),
        }
    }
}

/// `[a-z]{2}(-[a-z]+)+-[0-9]+`: us-east-1, us-gov-west-1, ap-southeast-2, cn-north-1.
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts.last().is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}
