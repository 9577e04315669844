//! Settings: `config/default.toml` (built in), an optional file, then `DIALOGHUB_*`
//! environment variables; `DATABASE_URL` picks the store unless `DIALOGHUB_STORE__URL` does.
//!
//! A leaf: plain structs that import nothing else of the crate, so every layer may
//! read them and none is pulled in by them. Each layer turns its share into the
//! types it works with (`hub::HubSettings::from_settings`).

use serde::Deserialize;
use std::path::PathBuf;

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub store: StoreSettings,
    pub auth: AuthSettings,
    pub limits: Limits,
    pub hub: HubConfig,
    pub meetings: MeetingSettings,
    pub safety: SafetySettings,
    pub stuffing: StuffingSettings,
    pub retention: RetentionSettings,
    pub metrics: MetricsSettings,
    /// Districts declared here are created (or renamed) at start.
    #[serde(default)]
    pub districts: Vec<DistrictSettings>,
    pub oidc: OidcSettings,
    pub mail: MailSettings,
    pub walks: WalkSettings,
}

/// The map of a walk (the walk page and the moderator's view): where its tiles come from.
#[derive(Debug, Clone, Deserialize)]
pub struct WalkSettings {
    /// A tile server's URL template (`{z}`, `{x}`, `{y}`, optionally `{s}` and `{r}`),
    /// `http://` or `https://`; empty: no map, the list alone.
    pub tile_url: String,
    /// The attribution its licence asks for, shown on the map (plain text).
    pub tile_attribution: String,
    /// The observation categories, in the order the walk page offers them; none
    /// given: the built-in list (`domain::walk::Categories::default`).
    #[serde(default)]
    pub categories: Vec<CategorySetting>,
}

/// One observation category: a stable code (kept in the log and the exports,
/// Open311's `service_code`) and its Swedish and English names.
#[derive(Debug, Clone, Deserialize)]
pub struct CategorySetting {
    pub code: String,
    pub sv: String,
    pub en: String,
}

/// Opt-in e-mail notes to participants on their question's fate. Off while
/// `smtp_host` is empty.
#[derive(Debug, Clone, Deserialize)]
pub struct MailSettings {
    pub smtp_host: String,
    pub smtp_port: u16,
    /// `none` (plain, for a relay on the same host), `starttls` or `tls`.
    pub security: String,
    pub username: String,
    pub password: String,
    /// The sender, e.g. `Trygghetsdialog <noreply@example.se>`.
    pub from: String,
    /// How often the subscribed questions are checked for a change.
    pub scan_ms: u64,
    /// How often the outbox is checked for notes due.
    pub send_ms: u64,
    /// The wait after a first failed delivery, doubled after each further one.
    pub retry_initial_ms: u64,
    /// The longest wait between two attempts.
    pub retry_max_secs: u64,
    /// How long one SMTP exchange may take.
    pub timeout_secs: u64,
    /// How long an address may wait for its confirmation before the
    /// retention run deletes it.
    pub confirm_within_hours: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DistrictSettings {
    /// A slug: lower-case letters, digits and '-'.
    pub id: String,
    pub name: String,
}

/// Staff sign-in with the municipality's OpenID provider (Entra ID, Keycloak, ...).
/// Off while `issuer_url` is empty.
#[derive(Clone, Deserialize)]
pub struct OidcSettings {
    /// The provider's issuer; discovery reads `<issuer_url>/.well-known/openid-configuration`.
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
    /// The ID-token claim whose values (a string or a list of strings) name groups or roles.
    pub roles_claim: String,
    /// Seconds a started sign-in may take before it must start over.
    pub login_timeout_secs: u64,
    /// Which claim values give which role in which district.
    #[serde(default)]
    pub grants: Vec<OidcGrantSetting>,
}

/// One line of the claim mapping: whoever's `roles_claim` holds `claim_value`
/// is `role` (admin, organizer or moderator) in `district` ("*": every district).
#[derive(Debug, Clone, Deserialize)]
pub struct OidcGrantSetting {
    pub claim_value: String,
    pub district: String,
    pub role: String,
}

impl std::fmt::Debug for OidcSettings {
    // The client secret never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer_url", &self.issuer_url)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("roles_claim", &self.roles_claim)
            .field("grants", &self.grants)
            .finish_non_exhaustive()
    }
}

/// Prometheus metrics (`/metrics`) on a listener of their own.
#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    /// `host:port` to serve `/metrics` on; empty (the default) serves none.
    pub listen: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MeetingSettings {
    /// An invitation published fewer days than this before the meeting is late.
    pub invitation_lead_days: i64,
    /// The IANA time zone every page shows times in (`Europe/Stockholm`).
    #[serde(default = "stockholm")]
    pub time_zone: String,
}

fn stockholm() -> String {
    "Europe/Stockholm".to_string()
}

/// What the participant page tells people about reporting crimes, and the phrases
/// that raise a danger alert to moderators. Per deployment.
#[derive(Debug, Clone, Deserialize)]
pub struct SafetySettings {
    /// Emergencies (Sweden: 112).
    pub emergency_number: String,
    /// The police's non-urgent line (Sweden: 114 14).
    pub police_number: String,
    /// Case-insensitive, matched as whole words on normalised text.
    pub danger_phrases: Vec<String>,
}

/// Making stuffing visible and bounded: the venue's room code, and flags on
/// identities made in a burst from one address (`docs/operations.md`).
#[derive(Debug, Clone, Deserialize)]
pub struct StuffingSettings {
    /// How long the venue screen shows one room code.
    pub room_code_secs: u64,
    /// How long the code before stays accepted after it changed.
    pub room_code_grace_secs: u64,
    /// Wrong room codes an address may send in a minute before it must wait.
    pub room_code_misses_per_ip_per_minute: u32,
    /// Identities an address may create within `burst_window_secs` before the
    /// next ones are burst identities.
    pub burst_joins: u32,
    pub burst_window_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub public_url: String,
    pub allowed_origins: Vec<String>,
    /// Reverse proxies (addresses or CIDR networks) whose `Forwarded` or
    /// `X-Forwarded-For` header names the client. Empty: every peer is the client.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    pub data_dir: PathBuf,
    pub socket_send_buffer_bytes: usize,
    pub shutdown_grace_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreSettings {
    pub url: String,
}

#[derive(Clone, Deserialize)]
pub struct AuthSettings {
    pub secret: String,
    pub issuer: String,
    pub audience: String,
    pub participant_token_days: i64,
    /// Days an invitation link (panelist, screen, moderator) stays usable, once.
    pub invite_token_days: i64,
    /// Minutes a staff sign-in link stays usable, once.
    pub signin_link_minutes: i64,
    /// A staff session ends after this long unused.
    pub session_idle_secs: i64,
    /// A session ends this long after sign-in, however much it is used.
    pub session_absolute_secs: i64,
    /// An invitee's session ends this long after their dialogue closed.
    pub invitee_grace_secs: i64,
    /// Seconds a WebSocket ticket stays usable, once.
    pub ticket_secs: i64,
    /// How often each node checks that the sessions behind its open sockets
    /// still hold (the fallback when a revocation notice is lost).
    pub revocation_poll_ms: u64,
}

impl std::fmt::Debug for AuthSettings {
    // The secret never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Limits {
    pub max_question_chars: usize,
    pub max_message_bytes: usize,
    pub messages_burst: u32,
    pub messages_per_sec: u32,
    pub flood_close_after: u32,
    /// Submissions of one connection that may wait for their answer at once.
    pub in_flight_per_connection: usize,
    pub connections_per_ip: usize,
    /// Sockets following dialogues without joining (`hello.follow`) per address.
    pub followers_per_ip: usize,
    pub joins_per_ip_per_minute: u32,
    /// Receipt lookups that find nothing, per address and minute, before lookups are refused.
    pub receipt_misses_per_ip_per_minute: u32,
    /// Join-code lookups that find nothing, per address and minute, before they are refused.
    pub code_misses_per_ip_per_minute: u32,
    /// Seconds a request's whole body may take to arrive.
    pub request_body_timeout_secs: u64,
    /// Questions one participant may have waiting for a moderator at once.
    pub pending_questions_per_participant: usize,
    /// Questions a dialogue may have waiting for a moderator at once.
    pub pending_questions_per_dialogue: usize,
    /// The share of `pending_questions_per_dialogue`, in percent, that burst
    /// identities together may hold.
    pub pending_burst_share_percent: u8,
    pub handshake_timeout_secs: u64,
    pub hello_timeout_secs: u64,
    pub idle_timeout_secs: u64,
    pub outbox_max_bytes: usize,
    /// A phone's position on a walk is snapped to the centre of a grid cell of
    /// this many metres before it is kept.
    pub position_cell_m: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HubConfig {
    /// Seconds a dialogue with no connections stays in memory.
    pub idle_unload_secs: u64,
    pub live_interval_ms: u64,
    pub ping_interval_secs: u64,
    pub replay_window: usize,
    pub inbox_capacity: usize,
    /// Acks of recent submissions kept in memory per dialogue; an older retry
    /// is answered from the store.
    pub acks_cached: usize,
    /// Hub threads the dialogues are spread over (each with its staff
    /// connections); 0: one per core the process may use.
    pub threads: usize,
}

/// Retention periods per class of data, in days after the dialogue closed
/// (`docs/operations.md` gives the defaults and why). A dialogue that never closed
/// keeps its data: close dialogues when they end.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct RetentionSettings {
    /// How often the job runs.
    pub interval_secs: u64,
    /// Participant ids (pseudonymised), display names, idempotency records, poll answers.
    pub participant_identities_days: i64,
    pub rejected_text_days: i64,
    /// A question's own words when a moderator published an edit instead.
    pub redacted_originals_days: i64,
    pub private_tips_days: i64,
    /// Audit rows, counted from when they were written.
    pub audit_days: i64,
}

impl Settings {
    /// Reads the settings: built-in defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&std::path::Path>) -> Result<Settings, config::ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("DIALOGHUB")
                .prefix_separator("_")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("server.allowed_origins")
                .with_list_parse_key("server.trusted_proxies")
                .with_list_parse_key("safety.danger_phrases")
                .with_list_parse_key("oidc.scopes")
                .try_parsing(true),
        );
        // The conventional DATABASE_URL picks the store, unless DIALOGHUB_STORE__URL names one.
        if let (Ok(url), Err(_)) = (
            std::env::var("DATABASE_URL"),
            std::env::var("DIALOGHUB_STORE__URL"),
        ) {
            builder = builder.set_override("store.url", url)?;
        }
        builder.build()?.try_deserialize()
    }

    /// The built-in defaults alone, ignoring the environment (for tests).
    pub fn defaults() -> Settings {
        config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .build()
            .and_then(|c| c.try_deserialize())
            .expect("the built-in defaults are valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_defaults_parse() {
        let s = Settings::defaults();
        assert_eq!(s.limits.max_question_chars, 500);
        assert!(s.store.url.starts_with("sqlite:"));
    }
}
