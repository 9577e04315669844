//! Signed tokens: who someone is, in which role, for which dialogue.
//!
//! HS256 only (the algorithm is pinned, so a token cannot pick its own), with
//! `exp`, `aud` and `iss` always checked.

use crate::config::AuthSettings;
use crate::domain::{Actor, DialogueId, Role};
use crate::protocol::RoleWire;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::path::Path;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub role: RoleWire,
    /// The dialogue the token is for; absent on organizer tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dlg: Option<DialogueId>,
    pub iat: i64,
    /// Not valid before (checked when present; every token issued here has it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub exp: i64,
    /// A participant created in a burst from one address (`stuffing.burst_joins`):
    /// what it asks, votes and answers is flagged. Absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub burst: bool,
}

impl Claims {
    pub fn actor(&self) -> Actor {
        Actor::from_role(self.role.into(), self.sub)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no token")]
    Missing,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
}

#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl Tokens {
    pub fn new(secret: &[u8], issuer: &str, audience: &str) -> Tokens {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        validation.validate_nbf = true;
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
        }
    }

    /// Reads the secret from the settings, or from `<data_dir>/secret`, creating it once.
    pub fn from_settings(auth: &AuthSettings, data_dir: &Path) -> std::io::Result<Tokens> {
        let secret = secret(auth, data_dir)?;
        if secret.len() < 32 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "auth.secret must be at least 32 bytes",
            ));
        }
        Ok(Tokens::new(&secret, &auth.issuer, &auth.audience))
    }

    pub fn issue(
        &self,
        role: Role,
        sub: Uuid,
        dialogue: Option<DialogueId>,
        valid_for: chrono::Duration,
    ) -> String {
        self.sign(role, sub, dialogue, valid_for, false)
    }

    /// A participant's token for one dialogue, saying whether the identity was
    /// created in a burst from one address (`Claims::burst`).
    pub fn issue_participant(
        &self,
        sub: Uuid,
        dialogue: DialogueId,
        valid_for: chrono::Duration,
        burst: bool,
    ) -> String {
        self.sign(Role::Participant, sub, Some(dialogue), valid_for, burst)
    }

    fn sign(
        &self,
        role: Role,
        sub: Uuid,
        dialogue: Option<DialogueId>,
        valid_for: chrono::Duration,
        burst: bool,
    ) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub,
            role: role.into(),
            dlg: dialogue,
            iat: now,
            nbf: Some(now),
            exp: now + valid_for.num_seconds(),
            burst,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::Invalid,
            })
    }
}

/// The server's signing secret: `auth.secret`, or `<data_dir>/secret`, created once.
/// Other keys (the OpenID sign-in's) are derived from it, never equal to it.
pub fn secret(auth: &AuthSettings, data_dir: &Path) -> std::io::Result<Vec<u8>> {
    if auth.secret.is_empty() {
        load_or_create_secret(&data_dir.join("secret"))
    } else {
        Ok(auth.secret.clone().into_bytes())
    }
}

fn load_or_create_secret(path: &Path) -> std::io::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(secret) => Ok(secret),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                crate::private_files::create_dir(dir)?;
            }
            let mut bytes = [0u8; 32];
            rand::fill(&mut bytes);
            let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            write_private(path, secret.as_bytes())?;
            Ok(secret.into_bytes())
        }
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(&[7u8; 32], "dialoghub", "dialoghub")
    }

    #[test]
    fn a_token_round_trips() {
        let t = tokens();
        let sub = Uuid::new_v4();
        let claims = t
            .verify(&t.issue(Role::Moderator, sub, None, chrono::Duration::hours(1)))
            .unwrap();
        assert_eq!(claims.actor(), Actor::Moderator(sub));
    }

    #[test]
    fn expired_forged_and_foreign_tokens_are_refused() {
        let t = tokens();
        let expired = t.issue(
            Role::Participant,
            Uuid::new_v4(),
            None,
            chrono::Duration::hours(-1),
        );
        assert_eq!(t.verify(&expired).unwrap_err(), AuthError::Expired);
        let forged = Tokens::new(&[8u8; 32], "dialoghub", "dialoghub").issue(
            Role::Organizer,
            Uuid::new_v4(),
            None,
            chrono::Duration::hours(1),
        );
        assert_eq!(t.verify(&forged).unwrap_err(), AuthError::Invalid);
        let other_aud = Tokens::new(&[7u8; 32], "dialoghub", "elsewhere").issue(
            Role::Organizer,
            Uuid::new_v4(),
            None,
            chrono::Duration::hours(1),
        );
        assert_eq!(t.verify(&other_aud).unwrap_err(), AuthError::Invalid);
        assert_eq!(t.verify("").unwrap_err(), AuthError::Missing);
    }

    #[test]
    fn a_token_not_valid_yet_is_refused() {
        let t = tokens();
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: "dialoghub".into(),
            aud: "dialoghub".into(),
            sub: Uuid::new_v4(),
            role: Role::Participant.into(),
            dlg: Some(Uuid::new_v4()),
            iat: now,
            nbf: Some(now + 3600),
            exp: now + 7200,
            burst: false,
        };
        let early = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&[7u8; 32]),
        )
        .unwrap();
        assert_eq!(t.verify(&early).unwrap_err(), AuthError::Invalid);
    }

    #[test]
    fn a_token_that_names_another_algorithm_is_refused() {
        // {"alg":"none"} with the same claims: the pinned algorithm rejects it.
        let t = tokens();
        let good = t.issue(
            Role::Organizer,
            Uuid::new_v4(),
            None,
            chrono::Duration::hours(1),
        );
        let payload = good.split('.').nth(1).unwrap();
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert_eq!(t.verify(&none).unwrap_err(), AuthError::Invalid);
    }
}
