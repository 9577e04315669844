//! Staff identity in the store: districts, staff and grants, sessions, single-use
//! links and WebSocket tickets. Every secret is kept as its SHA-256 hash (the
//! caller hashes); consuming a link or ticket is one `DELETE … RETURNING`, so two
//! nodes racing for the same one cannot both win.

use super::StoreError;
use super::identity_statements::*;
use super::sql::{Dialect, SqlStore, parse_uuid};
use super::statements::Flavor;
use crate::domain::DialogueId;
use crate::domain::access::{DistrictId, DistrictScope, Grant, InviteeRole, StaffRole};
use async_trait::async_trait;
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};
use uuid::Uuid;

/// Whom a session or a link signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionPrincipal {
    Staff(Uuid),
    Invitee {
        id: Uuid,
        dialogue: DialogueId,
        role: InviteeRole,
    },
}

impl SessionPrincipal {
    pub fn id(&self) -> Uuid {
        match self {
            SessionPrincipal::Staff(id) | SessionPrincipal::Invitee { id, .. } => *id,
        }
    }
}

/// A server-side session. Times in ms since the epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub principal: SessionPrincipal,
    pub csrf: String,
    pub created: i64,
    pub last_seen: i64,
    /// Ends unless used again before this.
    pub idle_until: i64,
    /// Ends at this time whatever happens.
    pub expires: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    pub id: Uuid,
    pub name: String,
    pub grants: Vec<Grant>,
}

#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Creates the district, or renames it.
    async fn put_district(&self, id: &DistrictId, name: &str) -> Result<(), StoreError>;
    async fn districts(&self) -> Result<Vec<(DistrictId, String)>, StoreError>;
    /// The staff member known by (issuer, subject), created if new; their id.
    async fn upsert_staff(
        &self,
        issuer: &str,
        subject: &str,
        name: &str,
        now: i64,
    ) -> Result<Uuid, StoreError>;
    /// Replaces the staff member's grants.
    async fn set_grants(&self, staff: Uuid, grants: &[Grant]) -> Result<(), StoreError>;
    async fn staff(&self, id: Uuid) -> Result<Option<StaffRecord>, StoreError>;
    /// Every staff member and their grants.
    async fn staff_list(&self) -> Result<Vec<StaffRecord>, StoreError>;
    /// Whether any staff member is an admin anywhere.
    async fn has_admin(&self) -> Result<bool, StoreError>;
    async fn create_session(&self, s: &SessionRecord) -> Result<(), StoreError>;
    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError>;
    async fn touch_session(
        &self,
        id_hash: &str,
        last_seen: i64,
        idle_until: i64,
    ) -> Result<(), StoreError>;
    /// Ends one session; whether there was one.
    async fn end_session(&self, id_hash: &str) -> Result<bool, StoreError>;
    /// Ends every session and unused link of this person (in `dialogue` only, if
    /// given); how many sessions ended.
    async fn end_sessions_of(
        &self,
        principal: Uuid,
        dialogue: Option<DialogueId>,
    ) -> Result<u64, StoreError>;
    /// Of these sessions, those still valid at `now`.
    async fn live_sessions(&self, hashes: &[String], now: i64) -> Result<Vec<String>, StoreError>;
    async fn create_link(
        &self,
        hash: &str,
        principal: &SessionPrincipal,
        expires: i64,
    ) -> Result<(), StoreError>;
    /// Uses up the link if it is valid at `now`.
    async fn consume_link(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<Option<SessionPrincipal>, StoreError>;
    /// Whether the link exists and is valid at `now` (shown before it is used).
    async fn link_valid(&self, hash: &str, now: i64) -> Result<bool, StoreError>;
    async fn create_ticket(
        &self,
        hash: &str,
        session_hash: &str,
        dialogue: DialogueId,
        expires: i64,
    ) -> Result<(), StoreError>;
    /// Uses up the ticket if valid at `now`: (its session's hash, its dialogue).
    async fn consume_ticket(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<Option<(String, DialogueId)>, StoreError>;
    async fn dialogue_district(&self, id: DialogueId) -> Result<Option<DistrictId>, StoreError>;
    /// The dialogues of these districts, newest first.
    async fn dialogues_in(&self, scope: &[DistrictScope]) -> Result<Vec<DialogueId>, StoreError>;
    /// Deletes sessions, links and tickets past their end.
    async fn purge_expired(&self, now: i64) -> Result<(), StoreError>;
}

fn bad(e: String) -> StoreError {
    StoreError::Config(e)
}

fn principal_from_row<R: Row>(row: &R) -> Result<SessionPrincipal, StoreError>
where
    for<'a> &'a str: ColumnIndex<R>,
    String: Type<R::Database> + for<'r> Decode<'r, R::Database>,
    Option<String>: for<'r> Decode<'r, R::Database>,
{
    let kind: String = row.get("kind");
    let principal = parse_uuid(&row.get::<String, _>("principal"))?;
    match kind.as_str() {
        "staff" => Ok(SessionPrincipal::Staff(principal)),
        _ => {
            let dialogue = row
                .get::<Option<String>, _>("dialogue")
                .ok_or_else(|| bad("an invitee without a dialogue".into()))?;
            let role = row.get::<Option<String>, _>("role").unwrap_or_default();
            Ok(SessionPrincipal::Invitee {
                id: principal,
                dialogue: parse_uuid(&dialogue)?,
                role: InviteeRole::parse(&role).map_err(bad)?,
            })
        }
    }
}

/// (kind, principal, dialogue, role) as stored.
fn principal_columns(
    p: &SessionPrincipal,
) -> (&'static str, String, Option<String>, Option<String>) {
    match p {
        SessionPrincipal::Staff(id) => ("staff", id.to_string(), None, None),
        SessionPrincipal::Invitee { id, dialogue, role } => (
            "invitee",
            id.to_string(),
            Some(dialogue.to_string()),
            Some(role.as_str().to_string()),
        ),
    }
}

#[async_trait]
impl<D> IdentityStore for SqlStore<D>
where
    D: Dialect,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    i64: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    String: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    Option<i64>: for<'q> Encode<'q, D>,
    Option<String>: for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    for<'a> &'a str: ColumnIndex<D::Row>,
{
    async fn put_district(&self, id: &DistrictId, name: &str) -> Result<(), StoreError> {
        Self::q(&PUT_DISTRICT)
            .bind(id.as_str().to_string())
            .bind(name.to_string())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn districts(&self) -> Result<Vec<(DistrictId, String)>, StoreError> {
        Self::q(&DISTRICTS)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    DistrictId::parse(&r.get::<String, _>("id")).map_err(bad)?,
                    r.get("name"),
                ))
            })
            .collect()
    }

    async fn upsert_staff(
        &self,
        issuer: &str,
        subject: &str,
        name: &str,
        now: i64,
    ) -> Result<Uuid, StoreError> {
        let mut tx = self.write.begin().await?;
        Self::q(&INSERT_STAFF)
            .bind(Uuid::new_v4().to_string())
            .bind(issuer.to_string())
            .bind(subject.to_string())
            .bind(name.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let row = Self::q(&FIND_STAFF)
            .bind(issuer.to_string())
            .bind(subject.to_string())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        parse_uuid(&row.get::<String, _>("id"))
    }

    async fn set_grants(&self, staff: Uuid, grants: &[Grant]) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        Self::q(&DELETE_GRANTS)
            .bind(staff.to_string())
            .execute(&mut *tx)
            .await?;
        for g in grants {
            Self::q(&INSERT_GRANT)
                .bind(staff.to_string())
                .bind(g.district.as_str().to_string())
                .bind(g.role.as_str().to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn staff(&self, id: Uuid) -> Result<Option<StaffRecord>, StoreError> {
        let Some(row) = Self::q(&SELECT_STAFF)
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?
        else {
            return Ok(None);
        };
        let grants = self.grants_of(id).await?;
        Ok(Some(StaffRecord {
            id,
            name: row.get("name"),
            grants,
        }))
    }

    async fn staff_list(&self) -> Result<Vec<StaffRecord>, StoreError> {
        let rows = Self::q(&ALL_STAFF).fetch_all(&self.read).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id = parse_uuid(&r.get::<String, _>("id"))?;
            out.push(StaffRecord {
                id,
                name: r.get("name"),
                grants: self.grants_of(id).await?,
            });
        }
        Ok(out)
    }

    async fn has_admin(&self) -> Result<bool, StoreError> {
        let row = Self::q(&HAS_ADMIN).fetch_one(&self.read).await?;
        Ok(row.get::<i64, _>("n") > 0)
    }

    async fn create_session(&self, s: &SessionRecord) -> Result<(), StoreError> {
        let (kind, principal, dialogue, role) = principal_columns(&s.principal);
        Self::q(&INSERT_SESSION)
            .bind(s.id_hash.clone())
            .bind(kind.to_string())
            .bind(principal)
            .bind(dialogue)
            .bind(role)
            .bind(s.csrf.clone())
            .bind(s.created)
            .bind(s.last_seen)
            .bind(s.idle_until)
            .bind(s.expires)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let Some(r) = Self::q(&SELECT_SESSION)
            .bind(id_hash.to_string())
            .fetch_optional(&self.read)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(SessionRecord {
            id_hash: r.get("id_hash"),
            principal: principal_from_row(&r)?,
            csrf: r.get("csrf"),
            created: r.get("created"),
            last_seen: r.get("last_seen"),
            idle_until: r.get("idle_until"),
            expires: r.get("expires"),
        }))
    }

    async fn touch_session(
        &self,
        id_hash: &str,
        last_seen: i64,
        idle_until: i64,
    ) -> Result<(), StoreError> {
        Self::q(&TOUCH_SESSION)
            .bind(last_seen)
            .bind(idle_until)
            .bind(id_hash.to_string())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn end_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        let done = Self::q(&END_SESSION)
            .bind(id_hash.to_string())
            .execute(&self.write)
            .await?;
        Ok(D::rows_affected(&done) > 0)
    }

    async fn end_sessions_of(
        &self,
        principal: Uuid,
        dialogue: Option<DialogueId>,
    ) -> Result<u64, StoreError> {
        let dialogue = dialogue.map(|d| d.to_string());
        let mut tx = self.write.begin().await?;
        let ended = Self::q(&END_SESSIONS_OF)
            .bind(principal.to_string())
            .bind(dialogue.clone())
            .bind(dialogue.clone())
            .execute(&mut *tx)
            .await?;
        Self::q(&END_LINKS_OF)
            .bind(principal.to_string())
            .bind(dialogue.clone())
            .bind(dialogue)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(D::rows_affected(&ended))
    }

    async fn live_sessions(&self, hashes: &[String], now: i64) -> Result<Vec<String>, StoreError> {
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        // A node holds few staff sockets; chunks keep each statement small.
        for chunk in hashes.chunks(200) {
            let marks: Vec<String> = (0..chunk.len())
                .map(|i| match D::FLAVOR {
                    Flavor::Sqlite => "?".to_string(),
                    Flavor::Postgres => format!("${}", i + 3),
                })
                .collect();
            let (a, b) = match D::FLAVOR {
                Flavor::Sqlite => ("?", "?"),
                Flavor::Postgres => ("$1", "$2"),
            };
            let text = format!(
                "SELECT id_hash FROM sessions WHERE expires > {a} AND idle_until > {b} AND id_hash IN ({})",
                marks.join(", ")
            );
            let mut query = sqlx::query::<D>(&text).bind(now).bind(now);
            for h in chunk {
                query = query.bind(h.clone());
            }
            for row in query.fetch_all(&self.read).await? {
                out.push(row.get::<String, _>("id_hash"));
            }
        }
        Ok(out)
    }

    async fn create_link(
        &self,
        hash: &str,
        principal: &SessionPrincipal,
        expires: i64,
    ) -> Result<(), StoreError> {
        let (kind, principal, dialogue, role) = principal_columns(principal);
        Self::q(&INSERT_LINK)
            .bind(hash.to_string())
            .bind(kind.to_string())
            .bind(principal)
            .bind(dialogue)
            .bind(role)
            .bind(expires)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn consume_link(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<Option<SessionPrincipal>, StoreError> {
        let row = Self::q(&CONSUME_LINK)
            .bind(hash.to_string())
            .bind(now)
            .fetch_optional(&self.write)
            .await?;
        row.map(|r| principal_from_row(&r)).transpose()
    }

    async fn link_valid(&self, hash: &str, now: i64) -> Result<bool, StoreError> {
        let row = Self::q(&LINK_VALID)
            .bind(hash.to_string())
            .bind(now)
            .fetch_one(&self.read)
            .await?;
        Ok(row.get::<i64, _>("n") > 0)
    }

    async fn create_ticket(
        &self,
        hash: &str,
        session_hash: &str,
        dialogue: DialogueId,
        expires: i64,
    ) -> Result<(), StoreError> {
        Self::q(&INSERT_TICKET)
            .bind(hash.to_string())
            .bind(session_hash.to_string())
            .bind(dialogue.to_string())
            .bind(expires)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn consume_ticket(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<Option<(String, DialogueId)>, StoreError> {
        let Some(r) = Self::q(&CONSUME_TICKET)
            .bind(hash.to_string())
            .bind(now)
            .fetch_optional(&self.write)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some((
            r.get("session_hash"),
            parse_uuid(&r.get::<String, _>("dialogue"))?,
        )))
    }

    async fn dialogue_district(&self, id: DialogueId) -> Result<Option<DistrictId>, StoreError> {
        let row = Self::q(&DIALOGUE_DISTRICT)
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| DistrictId::parse(&r.get::<String, _>("district")).map_err(bad))
            .transpose()
    }

    async fn dialogues_in(&self, scope: &[DistrictScope]) -> Result<Vec<DialogueId>, StoreError> {
        let rows = Self::q(&ALL_DIALOGUES_NEWEST).fetch_all(&self.read).await?;
        let mut out = Vec::new();
        for r in rows {
            let district = DistrictId::parse(&r.get::<String, _>("district")).map_err(bad)?;
            if scope.iter().any(|s| s.covers(&district)) {
                out.push(parse_uuid(&r.get::<String, _>("id"))?);
            }
        }
        Ok(out)
    }

    async fn purge_expired(&self, now: i64) -> Result<(), StoreError> {
        Self::q(&PURGE_SESSIONS)
            .bind(now)
            .bind(now)
            .execute(&self.write)
            .await?;
        for statement in &PURGE_LINKS_AND_TICKETS {
            Self::q(statement).bind(now).execute(&self.write).await?;
        }
        Ok(())
    }
}

impl<D> SqlStore<D>
where
    D: Dialect,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    i64: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    String: Type<D> + for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    Option<i64>: for<'q> Encode<'q, D>,
    Option<String>: for<'q> Encode<'q, D> + for<'r> Decode<'r, D>,
    for<'a> &'a str: ColumnIndex<D::Row>,
{
    async fn grants_of(&self, id: Uuid) -> Result<Vec<Grant>, StoreError> {
        Self::q(&GRANTS_OF)
            .bind(id.to_string())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(Grant {
                    district: DistrictScope::parse(&r.get::<String, _>("district")).map_err(bad)?,
                    role: StaffRole::parse(&r.get::<String, _>("role")).map_err(bad)?,
                })
            })
            .collect()
    }
}
