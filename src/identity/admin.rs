//! Staff made without an identity provider: the first admin from the command
//! line (`dialoghub admin`), colleagues invited by an admin. Each gets a
//! single-use sign-in link; no long-lived token is ever printed.

use super::{create_link, now_ms};
use crate::domain::access::{DistrictId, DistrictScope, Grant, StaffRole};
use crate::store::{SessionPrincipal, Store, StoreError};
use uuid::Uuid;

/// The issuer of staff who sign in by link rather than through a provider.
pub const LINK_ISSUER: &str = "dialoghub";

/// Creates the staff member (or finds them by `subject`), gives them `grants`
/// and returns their id and a single-use sign-in link (the full URL).
pub async fn staff_link(
    store: &dyn Store,
    public_url: &str,
    subject: &str,
    name: &str,
    grants: &[Grant],
    ttl_minutes: i64,
) -> Result<(Uuid, String), StoreError> {
    let now = now_ms();
    for g in grants {
        if let DistrictScope::One(d) = &g.district {
            ensure_district(store, d).await?;
        }
    }
    let id = store.upsert_staff(LINK_ISSUER, subject, name, now).await?;
    store.set_grants(id, grants).await?;
    let path = create_link(
        store,
        &SessionPrincipal::Staff(id),
        now,
        ttl_minutes * 60_000,
    )
    .await?;
    Ok((id, format!("{}{path}", public_url.trim_end_matches('/'))))
}

/// A district named in a grant exists afterwards (named after its id if new).
async fn ensure_district(store: &dyn Store, id: &DistrictId) -> Result<(), StoreError> {
    if !store.districts().await?.iter().any(|(d, _)| d == id) {
        store.put_district(id, id.as_str()).await?;
    }
    Ok(())
}

/// What `dialoghub admin` does: the district (created or renamed if a name is
/// given), then an admin of it (`None`: of the whole municipality), and their link.
pub async fn first_admin(
    store: &dyn Store,
    public_url: &str,
    name: &str,
    district: Option<(&DistrictId, Option<&str>)>,
    ttl_minutes: i64,
) -> Result<(Uuid, String), StoreError> {
    let scope = match district {
        None => DistrictScope::All,
        Some((id, display)) => {
            if let Some(display) = display {
                store.put_district(id, display).await?;
            }
            DistrictScope::One(id.clone())
        }
    };
    let grant = Grant {
        district: scope,
        role: StaffRole::Admin,
    };
    // Running the command again for the same name gives the same person a new link.
    staff_link(
        store,
        public_url,
        &format!("cli:{name}"),
        name,
        &[grant],
        ttl_minutes,
    )
    .await
}
