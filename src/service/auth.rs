//! Who may call what. Two roles: a client (one token per tenant) uploads
//! kernels and runs them; the admin may also change profiles and the
//! cache and watch every tenant's events. Each route's role is data
//! ([`super::ROUTES`]); [`TokenCheck`] is a tower-http
//! `ValidateRequestHeaderLayer` that reads it after routing and answers 401
//! (no or unknown token) or 403 (a client token where admin is needed)
//! before any handler runs, so a refused call changes nothing.

use super::error::ApiError;
use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::{Request, Response, StatusCode};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_http::validate_request::ValidateRequest;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// No token needed (`/healthz`, `/readyz`).
    Anyone,
    Client,
    Admin,
}

/// The caller, as a request extension for handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant: String,
    pub role: Role,
}

/// The tokens in force.
#[derive(Debug)]
pub struct Tokens {
    admin: String,
    /// Token → tenant.
    clients: BTreeMap<String, String>,
}

/// The tenant name an admin's own requests run under.
pub const ADMIN_TENANT: &str = "admin";

/// Compares in time independent of where the first difference is.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Tokens {
    pub fn new(admin: String, tenants: &BTreeMap<String, String>) -> Tokens {
        Tokens {
            admin,
            clients: tenants
                .iter()
                .map(|(name, token)| (token.clone(), name.clone()))
                .collect(),
        }
    }

    pub fn caller(&self, token: &str) -> Option<Caller> {
        if same(token, &self.admin) {
            return Some(Caller {
                tenant: ADMIN_TENANT.to_owned(),
                role: Role::Admin,
            });
        }
        self.clients
            .iter()
            .find(|(t, _)| same(t, token))
            .map(|(_, tenant)| Caller {
                tenant: tenant.clone(),
                role: Role::Client,
            })
    }
}

/// 32 random bytes from the kernel, as hex.
pub fn random_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The admin token: the configured one, else the one saved in
/// `state_dir/admin-token`, else a new one saved there (mode 0600). The
/// second value is true when it was made now (the caller prints it once).
pub fn admin_token(
    configured: Option<&str>,
    state_dir: &Path,
) -> Result<(String, Option<PathBuf>), String> {
    if let Some(t) = configured {
        return Ok((t.to_owned(), None));
    }
    let path = state_dir.join("admin-token");
    match std::fs::read_to_string(&path) {
        Ok(t) if t.trim().len() >= super::config::MIN_TOKEN => {
            return Ok((t.trim().to_owned(), None))
        }
        Ok(_) => {
            return Err(format!(
                "{} holds no usable token (at least {} characters); remove it to make a new one",
                path.display(),
                super::config::MIN_TOKEN
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    let token = random_token().map_err(|e| format!("cannot make a token: {e}"))?;
    std::fs::create_dir_all(state_dir)
        .map_err(|e| format!("cannot create {}: {e}", state_dir.display()))?;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    writeln!(f, "{token}").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok((token, Some(path)))
}

/// The route table's role for a matched route.
fn required(method: &axum::http::Method, path: &str) -> Role {
    super::ROUTES
        .iter()
        .find(|r| r.method == method.as_str() && r.path == path)
        .map_or(Role::Admin, |r| r.role)
}

/// The tower-http validator: bearer token → [`Caller`], checked against
/// the route's role.
#[derive(Clone)]
pub struct TokenCheck {
    pub tokens: Arc<Tokens>,
}

impl<B> ValidateRequest<B> for TokenCheck {
    type ResponseBody = Body;

    fn validate(&mut self, request: &mut Request<B>) -> Result<(), Response<Body>> {
        let path = request
            .extensions()
            .get::<MatchedPath>()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let role = required(request.method(), &path);
        if role == Role::Anyone {
            return Ok(());
        }
        let token = request
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = token else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "no token: send `Authorization: Bearer TOKEN`",
            )
            .into_response_body());
        };
        let Some(caller) = self.tokens.caller(token) else {
            return Err(
                ApiError::new(StatusCode::UNAUTHORIZED, "unknown token").into_response_body()
            );
        };
        if caller.role < role {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "{} {path} needs the admin token; tenant `{}` has a client token",
                    request.method(),
                    caller.tenant
                ),
            )
            .into_response_body());
        }
        request.extensions_mut().insert(caller);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_tenant_and_role() {
        let mut tenants = BTreeMap::new();
        tenants.insert("acme".to_owned(), "a".repeat(20));
        let t = Tokens::new("z".repeat(20), &tenants);
        assert_eq!(
            t.caller(&"a".repeat(20)).map(|c| c.role),
            Some(Role::Client)
        );
        assert_eq!(t.caller(&"z".repeat(20)).map(|c| c.role), Some(Role::Admin));
        assert_eq!(t.caller(&"a".repeat(19)), None);
        assert_eq!(t.caller(""), None);
    }

    #[test]
    fn a_generated_admin_token_is_private_and_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let (t1, made) = admin_token(None, dir.path()).expect("made");
        let path = made.expect("new token saved");
        let mode = std::fs::metadata(&path)
            .expect("saved")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let (t2, again) = admin_token(None, dir.path()).expect("read back");
        assert_eq!(
            (t1, again),
            (t2, None),
            "the second start reads it, prints nothing"
        );
    }
}
