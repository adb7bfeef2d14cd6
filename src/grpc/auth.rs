//! Bearer tokens for the admin service: who may call, and what they may do.
//! Tokens are compared in constant time and never logged; only a token's
//! name reaches the logs and the audit trail.

use std::path::Path;
use std::sync::OnceLock;

use subtle::ConstantTimeEq;
use tonic::Status;
use tonic::metadata::MetadataMap;

use crate::telemetry::{Throttle, one_line};

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Assessment calls only (when the server requires a token for them).
    Assess,
    /// Assessment, and validating scripts.
    Validate,
    /// Everything: validate, put, delete and reload.
    Deploy,
}

impl Role {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "assess" => Some(Self::Assess),
            "validate" => Some(Self::Validate),
            "deploy" => Some(Self::Deploy),
            _ => None,
        }
    }
}

/// A named token and its role.
#[derive(Clone)]
struct Token {
    name: String,
    role: Role,
    secret: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// The admin tokens the server accepts.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    tokens: Vec<Token>,
}

/// Tokens shorter than this are refused at start-up: guessable.
const MIN_TOKEN_LEN: usize = 16;

impl Tokens {
    /// Reads a tokens file: one `name role token` per line (role `assess`,
    /// `validate` or `deploy`, each allowing what the one before does); a
    /// word starting with `#` starts a comment, so a `#` inside a token is
    /// part of it. Warns when others than its owner may read the file.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        warn_if_readable_by_others(path);
        let mut tokens = Self::default();
        for (number, line) in text.lines().enumerate() {
            let fields: Vec<&str> = line
                .split_whitespace()
                .take_while(|word| !word.starts_with('#'))
                .collect();
            if fields.is_empty() {
                continue;
            }
            let at = || format!("{}:{}", path.display(), number + 1);
            let [name, role, secret] = fields[..] else {
                return Err(format!("{}: expected `name role token`", at()));
            };
            let role = Role::parse(role).ok_or_else(|| {
                format!("{}: role '{role}' is not assess, validate or deploy", at())
            })?;
            tokens
                .add(name, role, secret)
                .map_err(|e| format!("{}: {e}", at()))?;
        }
        Ok(tokens)
    }

    /// Adds a token.
    pub fn add(&mut self, name: &str, role: Role, secret: &str) -> Result<(), String> {
        if secret.len() < MIN_TOKEN_LEN {
            return Err(format!(
                "token '{name}' is {} characters; use at least {MIN_TOKEN_LEN}",
                secret.len()
            ));
        }
        // One secret under two names would act with whichever role is
        // checked first, and log the wrong name: refuse it, as a repeated
        // name, which makes the audit log ambiguous.
        if let Some(other) = self.tokens.iter().find(|t| t.secret == secret) {
            return Err(format!(
                "token '{name}' has the same secret as token '{}'; give each its own",
                other.name
            ));
        }
        if self.tokens.iter().any(|t| t.name == name) {
            return Err(format!(
                "token name '{name}' is used twice; names must be unique"
            ));
        }
        self.tokens.push(Token {
            name: name.to_owned(),
            role,
            secret: secret.to_owned(),
        });
        Ok(())
    }

    /// Whether any token is configured.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The name of the caller whose bearer token allows `needed`:
    /// UNAUTHENTICATED without a known token, PERMISSION_DENIED when its
    /// role does not allow the call.
    pub fn authorize(&self, metadata: &MetadataMap, needed: Role) -> Result<String, Status> {
        let header = metadata
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                refused("no token");
                Status::unauthenticated("missing `authorization: Bearer <token>` header")
            })?;
        // Auth schemes are case-insensitive (RFC 7235).
        let presented = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token)
            .ok_or_else(|| {
                refused("not a bearer token");
                Status::unauthenticated("the authorization header must be `Bearer <token>`")
            })?
            .trim();
        // Compare against every token so timing says nothing about which
        // (or whether one) matched.
        let mut found: Option<&Token> = None;
        for token in &self.tokens {
            if bool::from(token.secret.as_bytes().ct_eq(presented.as_bytes())) {
                found = Some(token);
            }
        }
        let token = found.ok_or_else(|| {
            refused("unknown token");
            match self.tokens.is_empty() {
                true => Status::unauthenticated(
                    "this server has no tokens: start it with --admin-tokens FILE to allow this call",
                ),
                false => Status::unauthenticated("unknown token"),
            }
        })?;
        if token.role < needed {
            // Throttled too: any holder of a token can make such calls.
            static THROTTLE: OnceLock<Throttle> = OnceLock::new();
            if let Some(left_out) = THROTTLE.get_or_init(Throttle::new).allow(&token.name) {
                tracing::warn!(
                    who = %one_line(&token.name),
                    left_out,
                    "admin call refused: role too low (`left_out` more from this token since the last line)"
                );
            }
            return Err(Status::permission_denied(format!(
                "token '{}' has role {:?}; this call needs at least {needed:?}",
                token.name, token.role
            )));
        }
        Ok(token.name.clone())
    }
}

/// Logs a call refused for want of a valid token (never the token): a
/// line per reason every few seconds, with how many were refused meanwhile,
/// since anyone can make such calls.
fn refused(why: &'static str) {
    static THROTTLE: OnceLock<Throttle> = OnceLock::new();
    if let Some(left_out) = THROTTLE.get_or_init(Throttle::new).allow(why) {
        tracing::warn!(
            left_out,
            "call refused: {why} (`left_out` more since the last line)"
        );
    }
}

/// Warns when the tokens file may be read by others than its owner.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(path) {
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    file = %path.display(),
                    mode = %format!("{mode:o}"),
                    "the tokens file can be read by others than its owner: chmod 600 it"
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(tag: &str, text: &str) -> std::path::PathBuf {
        let name = format!("maturity-tokens-{tag}-{}", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn bearer(token: &str) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        metadata.insert("authorization", format!("Bearer {token}").parse().unwrap());
        metadata
    }

    #[test]
    fn a_hash_inside_a_token_is_part_of_it() {
        let path = file(
            "hash",
            "# ops tokens\nops deploy abcdefghij#klmnopqrstu # the CI's\n",
        );
        let tokens = Tokens::from_file(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let whole = tokens.authorize(&bearer("abcdefghij#klmnopqrstu"), Role::Deploy);
        assert_eq!(whole.unwrap(), "ops");
        assert!(
            tokens
                .authorize(&bearer("abcdefghij"), Role::Assess)
                .is_err()
        );
    }

    #[test]
    fn the_bearer_scheme_is_matched_whatever_its_case() {
        let secret = "abcdefghijklmnopqrstuvwxyz";
        let mut tokens = Tokens::default();
        tokens.add("ops", Role::Assess, secret).unwrap();
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let mut metadata = MetadataMap::new();
            let header = format!("{scheme} {secret}");
            metadata.insert("authorization", header.parse().unwrap());
            let who = tokens.authorize(&metadata, Role::Assess);
            assert_eq!(who.unwrap(), "ops", "{scheme}");
        }
        let mut basic = MetadataMap::new();
        basic.insert("authorization", format!("Basic {secret}").parse().unwrap());
        let refused = tokens.authorize(&basic, Role::Assess).unwrap_err();
        assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    }

    #[test]
    fn one_secret_or_one_name_twice_is_refused_naming_the_line() {
        let secret = "abcdefghijklmnopqrstuvwxyz";
        let same_secret = file(
            "secret",
            &format!("b validate {secret}\na deploy {secret}\n"),
        );
        let err = Tokens::from_file(&same_secret).unwrap_err();
        std::fs::remove_file(&same_secret).unwrap();
        assert!(
            err.ends_with(":2: token 'a' has the same secret as token 'b'; give each its own"),
            "{err}"
        );
        let same_name = file(
            "name",
            &format!("a validate {secret}\na deploy {secret}0\n"),
        );
        let err = Tokens::from_file(&same_name).unwrap_err();
        std::fs::remove_file(&same_name).unwrap();
        assert!(err.contains(":2: token name 'a' is used twice"), "{err}");
    }
}
