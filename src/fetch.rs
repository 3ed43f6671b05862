//! Fetching a web page for `add`: the program's one outgoing request on a user's behalf, and so
//! an attack surface (server-side request forgery). The rules:
//! - `http` and `https` only, no proxy from the environment;
//! - every address a name resolves to is checked before connecting (the connection is made only
//!   to checked addresses), an address written in the URL too, and every redirect hop again (at
//!   most [`MAX_REDIRECTS`]);
//! - loopback, private, link-local (cloud metadata), shared, multicast, broadcast and unspecified
//!   addresses, IPv4 and IPv6, mapped and translated forms included, are refused unless the
//!   policy allows loopback or private networks;
//! - caps on the body (streamed, cut at the cap), on the time to the response's headers and on
//!   the total time; HTML content types only.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Redirect hops followed at most.
pub const MAX_REDIRECTS: usize = 5;

/// What the fetcher allows and how long it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Allow loopback addresses (127.0.0.0/8, ::1). Off except in tests.
    pub allow_loopback: bool,
    /// Allow private, shared and link-local networks (a bot on an intranet). Off by default.
    pub allow_private: bool,
    /// Largest body read, in bytes; a longer body is refused.
    pub max_bytes: usize,
    /// Longest wait for the response's headers.
    pub first_byte_timeout: Duration,
    /// Longest wait for the whole fetch, redirects included.
    pub total_timeout: Duration,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            allow_loopback: false,
            allow_private: false,
            max_bytes: crate::add::MAX_INPUT_BYTES,
            first_byte_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
        }
    }
}

/// Why a page was not fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Not a URL, or not `http`/`https`, or credentials in it.
    #[error("not an http(s) address: {0}")]
    BadUrl(String),
    /// The address (or one the name resolves to) is in a refused network.
    #[error("refused address {address} ({network})")]
    RefusedAddress {
        /// The address.
        address: IpAddr,
        /// Which kind of network.
        network: &'static str,
    },
    /// The name did not resolve.
    #[error("{host} does not resolve")]
    NoAddress {
        /// The host name.
        host: String,
    },
    /// More than [`MAX_REDIRECTS`] redirects, or a redirect without a usable target.
    #[error("too many redirects, or a redirect without a target")]
    Redirects,
    /// The server answered with an error status.
    #[error("the server answered {0}")]
    Status(u16),
    /// Not an HTML page.
    #[error("not an HTML page ({0})")]
    NotHtml(String),
    /// The body is larger than the cap.
    #[error("the page is larger than {max} bytes")]
    TooLarge {
        /// The cap.
        max: usize,
    },
    /// No answer in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The connection failed.
    #[error("connection failed: {0}")]
    Connection(String),
}

/// A fetched page.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The final URL, after redirects.
    pub url: String,
    /// The body.
    pub bytes: Vec<u8>,
    /// The charset of the `Content-Type` header, if any.
    pub charset: Option<String>,
}

/// The kind of network `ip` is in, when the policy refuses it; `None` for a public address.
pub fn refused_network(ip: IpAddr, policy: &FetchPolicy) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4, policy),
        IpAddr::V6(v6) => {
            // An IPv4 address carried in IPv6 (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d,
            // NAT64 64:ff9b::/96) is judged as that IPv4 address.
            let segments = v6.segments();
            let embedded = v6.to_ipv4_mapped().or_else(|| {
                let compatible =
                    segments[..6] == [0; 6] && !matches!(segments[6..], [0, 0] | [0, 1]);
                let nat64 = segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
                (compatible || nat64).then(|| {
                    let [a, b] = segments[6].to_be_bytes();
                    let [c, d] = segments[7].to_be_bytes();
                    Ipv4Addr::new(a, b, c, d)
                })
            });
            match embedded {
                Some(v4) => refused_v4(v4, policy),
                None => refused_v6(v6, policy),
            }
        }
    }
}

fn refused_v4(ip: Ipv4Addr, policy: &FetchPolicy) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        return (!policy.allow_loopback).then_some("loopback");
    }
    if ip.is_unspecified() || a == 0 {
        return Some("unspecified");
    }
    if ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        return Some("multicast or reserved");
    }
    let private = ip.is_private()
        || ip.is_link_local()
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0);
    (private && !policy.allow_private).then_some(if ip.is_link_local() {
        "link-local (cloud metadata)"
    } else {
        "private"
    })
}

fn refused_v6(ip: Ipv6Addr, policy: &FetchPolicy) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        return (!policy.allow_loopback).then_some("loopback");
    }
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_multicast() {
        return Some("multicast");
    }
    let link_local = first & 0xffc0 == 0xfe80;
    let unique_local = first & 0xfe00 == 0xfc00;
    let site_local = first & 0xffc0 == 0xfec0;
    ((link_local || unique_local || site_local) && !policy.allow_private).then_some(if link_local {
        "link-local"
    } else {
        "private"
    })
}

/// Checks a URL's scheme and form; returns it parsed.
pub fn check_url(text: &str) -> Result<reqwest::Url, FetchError> {
    let url = reqwest::Url::parse(text.trim()).map_err(|e| FetchError::BadUrl(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::BadUrl(format!("scheme {}", url.scheme())));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::BadUrl("credentials in the address".into()));
    }
    if url.host().is_none() {
        return Err(FetchError::BadUrl("no host".into()));
    }
    Ok(url)
}

/// Checks an address written in the URL itself (no resolution happens for those).
fn check_literal_host(url: &reqwest::Url, policy: &FetchPolicy) -> Result<(), FetchError> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    match refused_network(ip, policy) {
        Some(network) => Err(FetchError::RefusedAddress {
            address: ip,
            network,
        }),
        None => Ok(()),
    }
}

/// Resolves names and hands the connector only the addresses the policy allows; a name whose
/// addresses are all refused fails with the reason.
struct CheckedResolver {
    policy: FetchPolicy,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| Box::new(FetchError::NoAddress { host: host.clone() }))?
                .collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match refused_network(addr.ip(), &policy) {
                    Some(network) => {
                        refused = Some(FetchError::RefusedAddress {
                            address: addr.ip(),
                            network,
                        });
                        false
                    }
                    None => true,
                })
                .collect();
            if allowed.is_empty() {
                let error = refused.unwrap_or(FetchError::NoAddress { host });
                return Err(Box::new(error) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The fetch error inside a reqwest error (our resolver's refusal), else a connection error.
fn connection_error(error: reqwest::Error, policy: &FetchPolicy) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(current) = source {
        if let Some(ours) = current.downcast_ref::<FetchError>() {
            return ours.clone();
        }
        source = current.source();
    }
    if error.is_timeout() {
        return FetchError::Timeout(policy.first_byte_timeout);
    }
    FetchError::Connection(crate::error::chain(&error))
}

/// What a fetch accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    /// An HTML page (`text/html` or `application/xhtml+xml`).
    Page,
    /// A file of any type (a Discord attachment: its name's extension says what it is).
    File,
}

/// Fetches an HTML page under `policy`.
pub async fn fetch(address: &str, policy: &FetchPolicy) -> Result<Fetched, FetchError> {
    fetch_wanted(address, policy, Wanted::Page).await
}

/// Fetches a file of any content type under `policy`: every check of [`fetch`] but the HTML one.
/// For attachments, whose type the caller decides from the file name.
pub async fn fetch_file(address: &str, policy: &FetchPolicy) -> Result<Fetched, FetchError> {
    fetch_wanted(address, policy, Wanted::File).await
}

async fn fetch_wanted(
    address: &str,
    policy: &FetchPolicy,
    wanted: Wanted,
) -> Result<Fetched, FetchError> {
    let url = check_url(address)?;
    let fetched = fetch_following(url, policy, wanted);
    match tokio::time::timeout(policy.total_timeout, fetched).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Timeout(policy.total_timeout)),
    }
}

async fn fetch_following(
    mut url: reqwest::Url,
    policy: &FetchPolicy,
    wanted: Wanted,
) -> Result<Fetched, FetchError> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(CheckedResolver {
            policy: policy.clone(),
        }))
        .connect_timeout(policy.first_byte_timeout)
        .user_agent(concat!("coverage-bot/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| FetchError::Connection(e.to_string()))?;
    for _ in 0..=MAX_REDIRECTS {
        check_literal_host(&url, policy)?;
        let accept = match wanted {
            Wanted::Page => "text/html,application/xhtml+xml",
            Wanted::File => "*/*",
        };
        let request = client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, accept);
        let response = tokio::time::timeout(policy.first_byte_timeout, request.send())
            .await
            .map_err(|_| FetchError::Timeout(policy.first_byte_timeout))?
            .map_err(|e| connection_error(e, policy))?;
        let status = response.status();
        if status.is_redirection() {
            let target = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .ok_or(FetchError::Redirects)?;
            url = check_url(target.as_str())?;
            continue;
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        return read_body(url, response, policy, wanted).await;
    }
    Err(FetchError::Redirects)
}

async fn read_body(
    url: reqwest::Url,
    mut response: reqwest::Response,
    policy: &FetchPolicy,
    wanted: Wanted,
) -> Result<Fetched, FetchError> {
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if wanted == Wanted::Page && !matches!(mime.as_str(), "text/html" | "application/xhtml+xml") {
        return Err(FetchError::NotHtml(if mime.is_empty() {
            "no content type".into()
        } else {
            mime
        }));
    }
    let charset = content_type
        .split(';')
        .filter_map(|part| part.trim().strip_prefix("charset="))
        .map(|c| c.trim_matches(['"', '\'']).to_string())
        .next();
    if response
        .content_length()
        .is_some_and(|n| n > policy.max_bytes as u64)
    {
        return Err(FetchError::TooLarge {
            max: policy.max_bytes,
        });
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| connection_error(e, policy))?
    {
        if bytes.len() + chunk.len() > policy.max_bytes {
            return Err(FetchError::TooLarge {
                max: policy.max_bytes,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        url: url.to_string(),
        bytes,
        charset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(address: &str) -> Option<&'static str> {
        refused_network(address.parse().unwrap(), &FetchPolicy::default())
    }

    #[test]
    fn private_loopback_metadata_and_special_addresses_are_refused_in_every_form() {
        for address in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.0.8",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "fec0::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::7f00:1",
        ] {
            assert!(refused(address).is_some(), "{address} must be refused");
        }
        assert_eq!(
            refused("169.254.169.254"),
            Some("link-local (cloud metadata)")
        );
    }

    #[test]
    fn public_addresses_pass_and_the_policy_opens_only_what_it_says() {
        for address in [
            "93.184.216.34",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert_eq!(refused(address), None, "{address} is public");
        }
        let loopback = FetchPolicy {
            allow_loopback: true,
            ..FetchPolicy::default()
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(refused_network(ip("127.0.0.1"), &loopback), None);
        assert_eq!(refused_network(ip("::1"), &loopback), None);
        assert_eq!(refused_network(ip("::ffff:127.0.0.1"), &loopback), None);
        assert!(
            refused_network(ip("10.0.0.1"), &loopback).is_some(),
            "loopback only"
        );
        assert!(refused_network(ip("169.254.169.254"), &loopback).is_some());
        assert!(refused_network(ip("0.0.0.0"), &loopback).is_some());
    }

    #[test]
    fn only_plain_http_and_https_urls_are_accepted() {
        for bad in [
            "file:///etc/passwd",
            "ftp://example.org/",
            "gopher://x",
            "javascript:alert(1)",
            "not a url",
            "http://user:pw@example.org/",
            "//example.org",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(check_url(" https://example.org/a?b=1 ").is_ok());
        let literal = check_url("http://[::ffff:169.254.169.254]/latest/meta-data").unwrap();
        assert!(matches!(
            check_literal_host(&literal, &FetchPolicy::default()),
            Err(FetchError::RefusedAddress { .. })
        ));
        let decimal = check_url("http://2130706433/").unwrap();
        assert!(
            check_literal_host(&decimal, &FetchPolicy::default()).is_err(),
            "127.0.0.1 as one number"
        );
    }
}
