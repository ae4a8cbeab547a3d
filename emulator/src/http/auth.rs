//! HTTP Basic authentication as the servers parse it.
//!
//! Split the header on whitespace into exactly `Basic` and one token, base64-decode, split at
//! the first `:` (a password may contain `:`), and drop an `@cluster` suffix from the user.

use base64::Engine as _;
use http::HeaderMap;

/// Credentials from an `Authorization` header. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) user: String,
    pub(crate) password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Parses Basic auth; `None` when missing or malformed.
pub(crate) fn basic_auth(headers: &HeaderMap) -> Option<Credentials> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let mut parts = value.split_whitespace();
    let (scheme, token) = (parts.next()?, parts.next()?);
    if scheme != "Basic" || parts.next().is_some() {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    let user = user.split('@').next().unwrap_or(user).to_string();
    Some(Credentials {
        user,
        password: password.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn parses_user_password_with_colon_and_cluster() {
        let token = base64::engine::general_purpose::STANDARD.encode("root@c1:a:b");
        let c = basic_auth(&with_auth(&format!("Basic {token}"))).unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("root", "a:b"));
        assert!(!format!("{c:?}").contains("a:b"));
    }

    #[test]
    fn rejects_other_schemes_and_garbage() {
        assert!(basic_auth(&HeaderMap::new()).is_none());
        assert!(basic_auth(&with_auth("Bearer abc")).is_none());
        assert!(basic_auth(&with_auth("Basic !!!")).is_none());
    }
}
