//! Sends the outbox's notes over SMTP (`lettre`), one claimed row at a time.

use super::notes::{self, Links};
use crate::config::Settings;
use crate::store::Store;
use crate::store::mail::ClaimedNote;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Notes claimed per round.
const CLAIM: i64 = 20;

/// Why a note did not go out. Carries no address and no server text (a
/// server's refusal often quotes the address).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("the note could not be built")]
    Build,
    #[error("the SMTP server refused the note for good (code {0})")]
    Permanent(String),
    #[error("the SMTP server could not be reached or refused for now")]
    Transient,
}

pub(super) struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
    every: Duration,
    retry_initial_ms: i64,
    retry_max_ms: i64,
    lease_ms: i64,
    /// This node's name on the rows it claims.
    owner: String,
}

impl Sender {
    pub(super) fn from_settings(settings: &Settings) -> Result<Sender, String> {
        let m = &settings.mail;
        let host = m.smtp_host.trim();
        let builder = match m.security.as_str() {
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| format!("mail.smtp_host: {e}"))?,
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| format!("mail.smtp_host: {e}"))?,
            other => {
                return Err(format!(
                    "mail.security: {other:?} is not none, starttls or tls"
                ));
            }
        };
        let timeout = Duration::from_secs(m.timeout_secs.max(1));
        let mut builder = builder.port(m.smtp_port).timeout(Some(timeout));
        if !m.username.is_empty() {
            builder = builder.credentials(Credentials::new(m.username.clone(), m.password.clone()));
        }
        let from: Mailbox = m
            .from
            .parse()
            .map_err(|e| format!("mail.from is not an address: {e}"))?;
        Ok(Sender {
            transport: builder.build(),
            from,
            public_url: settings.server.public_url.clone(),
            every: Duration::from_millis(m.send_ms.max(50)),
            retry_initial_ms: m.retry_initial_ms.max(10) as i64,
            retry_max_ms: (m.retry_max_secs.max(1) * 1000) as i64,
            // Long enough for one exchange per claimed note, with room to spare.
            lease_ms: (timeout.as_millis() as i64) * (CLAIM + 1) + 10_000,
            owner: uuid::Uuid::new_v4().to_string(),
        })
    }

    pub(super) async fn run(self, store: Arc<dyn Store>, wake: Arc<Notify>) {
        loop {
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(self.every) => {}
            }
            let now = chrono::Utc::now().timestamp_millis();
            let claimed = match store
                .mail_claim(&self.owner, now, now + self.lease_ms, CLAIM)
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "mail outbox unreadable; the next round retries");
                    continue;
                }
            };
            for note in claimed {
                if let Err(e) = self.deliver(store.as_ref(), &note).await {
                    tracing::warn!(note = %note.id, error = %e, "mail note: store failed");
                }
            }
        }
    }

    /// One note: a fresh unsubscribe token (and, in a confirmation, a fresh
    /// confirm token), the message, the outcome recorded.
    async fn deliver(
        &self,
        store: &dyn Store,
        note: &ClaimedNote,
    ) -> Result<(), crate::store::StoreError> {
        let token = crate::identity::new_secret();
        let confirm = (note.change == notes::CONFIRM).then(crate::identity::new_secret);
        store
            .mail_set_tokens(
                &note.id,
                &self.owner,
                &crate::identity::hash(&token),
                confirm.as_deref().map(crate::identity::hash).as_deref(),
            )
            .await?;
        let now = chrono::Utc::now().timestamp_millis();
        match self.send(note, &token, confirm.as_deref()).await {
            Ok(()) => {
                // After the last note a subscription can lead to, the address goes.
                let last = note.last;
                store.mail_sent(&note.id, now, last).await?;
                tracing::info!(note = %note.id, change = %note.change, last, "mail note sent");
            }
            Err(SendError::Permanent(code)) if note.attempts >= 2 => {
                // Refused three times for good (no such mailbox): give up on the address.
                store.mail_sent(&note.id, now, true).await?;
                tracing::warn!(note = %note.id, code = %code, "mail note refused for good; subscription ended");
            }
            Err(e) => {
                let wait = backoff(note.attempts, self.retry_initial_ms, self.retry_max_ms);
                store.mail_failed(&note.id, &self.owner, now + wait).await?;
                tracing::warn!(note = %note.id, attempts = note.attempts + 1, retry_in_ms = wait, error = %e, "mail note not delivered; will retry");
            }
        }
        Ok(())
    }

    async fn send(
        &self,
        note: &ClaimedNote,
        token: &str,
        confirm_token: Option<&str>,
    ) -> Result<(), SendError> {
        let links = Links {
            public_url: &self.public_url,
            receipt: &note.receipt,
            unsubscribe_token: token,
            confirm_token,
        };
        let words = notes::compose(
            &note.change,
            &note.fate,
            &note.title,
            &links,
            crate::transport::locale_text,
        );
        let to: Address = note
            .address
            .expose()
            .parse()
            .map_err(|_| SendError::Build)?;
        let stop = format!("{}/u/{token}", self.public_url.trim_end_matches('/'));
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(words.subject)
            .header(ContentType::TEXT_PLAIN)
            .header(ListUnsubscribe(format!("<{stop}>")))
            .header(ListUnsubscribePost)
            .body(words.body)
            .map_err(|_| SendError::Build)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(
                e.status().map(|c| c.to_string()).unwrap_or_default(),
            )),
            Err(_) => Err(SendError::Transient),
        }
    }
}

/// The wait before attempt `attempts + 2`: doubling from `initial`, at most `max`.
pub fn backoff(attempts: u32, initial: i64, max: i64) -> i64 {
    initial.saturating_mul(1i64 << attempts.min(30)).min(max)
}

/// `List-Unsubscribe` (RFC 2369): mail programs show their own "unsubscribe".
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post` (RFC 8058): the unsubscribe link takes a one-click POST.
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn the_wait_doubles_up_to_the_most() {
        let waits: Vec<i64> = (0..6).map(|a| backoff(a, 1000, 10_000)).collect();
        assert_eq!(waits, [1000, 2000, 4000, 8000, 10_000, 10_000]);
        assert_eq!(backoff(200, 1000, 10_000), 10_000, "no overflow");
    }
}
