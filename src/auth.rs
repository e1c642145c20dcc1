//! Delivery authentication: GITHUB_HMAC, IP ranges, UNAUTHENTICATED. (stub)

use ipnet::IpNet;

use crate::model::SecretToken;

#[derive(Clone, Debug)]
pub enum Authenticator {
    GithubHmac(SecretToken),
    Ip(IpNet),
    Unauthenticated,
}
