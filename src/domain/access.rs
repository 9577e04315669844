//! Staff identity in the domain's words: districts, roles per district, and who a
//! credential speaks for. Pure values; the store keeps them, the transport asks.

use super::DialogueId;
use uuid::Uuid;

/// A district of the municipality (a *stadsdelsområde*), by its slug:
/// lower-case letters, digits and hyphens, 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DistrictId(String);

impl DistrictId {
    /// Where dialogues made before districts existed belong.
    pub fn default_district() -> DistrictId {
        DistrictId("default".into())
    }

    pub fn parse(raw: &str) -> Result<DistrictId, String> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(DistrictId(raw.to_string()))
        } else {
            Err(format!(
                "a district id is 1 to 64 of a-z, 0-9 and '-', not {raw:?}"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a grant holds: one district, or the whole municipality (`*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DistrictScope {
    All,
    One(DistrictId),
}

impl DistrictScope {
    pub fn parse(raw: &str) -> Result<DistrictScope, String> {
        if raw == "*" {
            Ok(DistrictScope::All)
        } else {
            DistrictId::parse(raw).map(DistrictScope::One)
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            DistrictScope::All => "*",
            DistrictScope::One(d) => d.as_str(),
        }
    }

    pub fn covers(&self, district: &DistrictId) -> bool {
        match self {
            DistrictScope::All => true,
            DistrictScope::One(d) => d == district,
        }
    }
}

/// A staff member's role in a district.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffRole {
    /// Manages the district's staff; acts as an organizer there too.
    Admin,
    /// Creates and runs the district's dialogues.
    Organizer,
    /// Moderates the dialogues whose moderator list names them.
    Moderator,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Admin => "admin",
            StaffRole::Organizer => "organizer",
            StaffRole::Moderator => "moderator",
        }
    }

    pub fn parse(raw: &str) -> Result<StaffRole, String> {
        match raw {
            "admin" => Ok(StaffRole::Admin),
            "organizer" => Ok(StaffRole::Organizer),
            "moderator" => Ok(StaffRole::Moderator),
            other => Err(format!(
                "a staff role is admin, organizer or moderator, not {other:?}"
            )),
        }
    }
}

/// One role in one district (or everywhere).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Grant {
    pub district: DistrictScope,
    pub role: StaffRole,
}

/// The role of someone invited to one dialogue from outside its district's staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InviteeRole {
    Panelist,
    Screen,
    Moderator,
}

impl InviteeRole {
    pub fn as_str(self) -> &'static str {
        match self {
            InviteeRole::Panelist => "panelist",
            InviteeRole::Screen => "screen",
            InviteeRole::Moderator => "moderator",
        }
    }

    pub fn parse(raw: &str) -> Result<InviteeRole, String> {
        match raw {
            "panelist" => Ok(InviteeRole::Panelist),
            "screen" => Ok(InviteeRole::Screen),
            "moderator" => Ok(InviteeRole::Moderator),
            other => Err(format!("not an invitee role: {other:?}")),
        }
    }
}

/// Who a credential speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credential.
    Anonymous,
    /// A participant's bearer token, bound to one dialogue.
    Participant { id: Uuid, dialogue: DialogueId },
    /// A signed-in staff member and their grants as the store holds them now.
    Staff { id: Uuid, grants: Vec<Grant> },
    /// Someone invited to one dialogue (a panelist, a venue screen, a moderator
    /// from outside the staff).
    Invitee {
        id: Uuid,
        dialogue: DialogueId,
        role: InviteeRole,
    },
}

impl Principal {
    /// The id audit rows name; nil for nobody.
    pub fn id(&self) -> Uuid {
        match self {
            Principal::Anonymous => Uuid::nil(),
            Principal::Participant { id, .. }
            | Principal::Staff { id, .. }
            | Principal::Invitee { id, .. } => *id,
        }
    }

    /// Whether the staff member holds `role` (or admin, which includes organizer)
    /// in `district`.
    pub fn holds(&self, role: StaffRole, district: &DistrictId) -> bool {
        let Principal::Staff { grants, .. } = self else {
            return false;
        };
        grants.iter().any(|g| {
            g.district.covers(district)
                && (g.role == role || (g.role == StaffRole::Admin && role == StaffRole::Organizer))
        })
    }

    pub fn is_municipality_admin(&self) -> bool {
        matches!(self, Principal::Staff { grants, .. }
            if grants.iter().any(|g| g.district == DistrictScope::All && g.role == StaffRole::Admin))
    }
}

/// What the facts of one dialogue say about who stands where in it.
#[derive(Debug, Clone, Copy)]
pub struct DialogueFacts<'a> {
    pub id: DialogueId,
    pub district: &'a DistrictId,
    /// Ids its moderator list names.
    pub moderators: &'a [Uuid],
    /// Ids its panel names.
    pub panelists: &'a [Uuid],
    pub closed_at: Option<super::Timestamp>,
}

/// What someone is to one dialogue: the rows of the authorization table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Standing {
    /// No credential, or one for something else.
    Stranger,
    Participant,
    Screen,
    Panelist,
    Moderator,
    Organizer,
    DistrictAdmin,
    MunicipalityAdmin,
    /// Whoever presents the secret a link names (a receipt code, a note's
    /// unsubscribe token), whatever else they are: a capability, checked by the
    /// handler against the store before it asks the table.
    Holder,
}

impl Standing {
    pub const ALL: [Standing; 9] = [
        Standing::Stranger,
        Standing::Participant,
        Standing::Screen,
        Standing::Panelist,
        Standing::Moderator,
        Standing::Organizer,
        Standing::DistrictAdmin,
        Standing::MunicipalityAdmin,
        Standing::Holder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Stranger => "stranger",
            Standing::Participant => "participant",
            Standing::Screen => "screen",
            Standing::Panelist => "panelist",
            Standing::Moderator => "moderator",
            Standing::Organizer => "organizer",
            Standing::DistrictAdmin => "district admin",
            Standing::MunicipalityAdmin => "municipality admin",
            Standing::Holder => "holder",
        }
    }

    /// The actor the dialogue's own rules (`rights`) see; none for a stranger.
    pub fn actor(self, id: Uuid) -> Option<super::Actor> {
        use super::Actor;
        match self {
            Standing::Stranger | Standing::Holder => None,
            Standing::Participant => Some(Actor::Participant(id)),
            Standing::Screen => Some(Actor::Screen(id)),
            Standing::Panelist => Some(Actor::Panelist(id)),
            Standing::Moderator => Some(Actor::Moderator(id)),
            Standing::Organizer | Standing::DistrictAdmin | Standing::MunicipalityAdmin => {
                Some(Actor::Organizer(id))
            }
        }
    }
}

/// What `who` is to the dialogue `d` at `now`. An invitee stands only in their
/// own dialogue, only while it names them, and only until `grace_ms` after it closed.
pub fn standing(
    who: &Principal,
    d: &DialogueFacts<'_>,
    now: super::Timestamp,
    grace_ms: i64,
) -> Standing {
    match who {
        Principal::Anonymous => Standing::Stranger,
        Principal::Participant { dialogue, .. } if *dialogue == d.id => Standing::Participant,
        Principal::Participant { .. } => Standing::Stranger,
        Principal::Staff { id, .. } => {
            if who.is_municipality_admin() {
                Standing::MunicipalityAdmin
            } else if who.holds(StaffRole::Admin, d.district) {
                Standing::DistrictAdmin
            } else if who.holds(StaffRole::Organizer, d.district) {
                Standing::Organizer
            } else if d.moderators.contains(id) {
                Standing::Moderator
            } else {
                Standing::Stranger
            }
        }
        Principal::Invitee { id, dialogue, role } => {
            let over = d
                .closed_at
                .is_some_and(|at| now >= at.saturating_add(grace_ms));
            if *dialogue != d.id || over {
                return Standing::Stranger;
            }
            match role {
                InviteeRole::Screen => Standing::Screen,
                InviteeRole::Panelist if d.panelists.contains(id) => Standing::Panelist,
                InviteeRole::Moderator if d.moderators.contains(id) => Standing::Moderator,
                InviteeRole::Panelist | InviteeRole::Moderator => Standing::Stranger,
            }
        }
    }
}

/// What `who` is to a district (for what concerns a district, not one dialogue:
/// creating dialogues, listing them, managing staff).
pub fn district_standing(who: &Principal, district: &DistrictId) -> Standing {
    if who.is_municipality_admin() {
        Standing::MunicipalityAdmin
    } else if who.holds(StaffRole::Admin, district) {
        Standing::DistrictAdmin
    } else if who.holds(StaffRole::Organizer, district) {
        Standing::Organizer
    } else if who.holds(StaffRole::Moderator, district) {
        Standing::Moderator
    } else {
        Standing::Stranger
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn district_ids_are_slugs() {
        assert!(DistrictId::parse("rinkeby-kista").is_ok());
        for bad in ["", "Rinkeby", "a b", "*", "å", &"x".repeat(65)] {
            assert!(DistrictId::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(DistrictScope::parse("*"), Ok(DistrictScope::All));
    }

    #[test]
    fn an_admin_organizes_in_its_district_only() {
        let kista = DistrictId::parse("rinkeby-kista").unwrap();
        let spanga = DistrictId::parse("spanga-tensta").unwrap();
        let admin = Principal::Staff {
            id: Uuid::nil(),
            grants: vec![Grant {
                district: DistrictScope::One(kista.clone()),
                role: StaffRole::Admin,
            }],
        };
        assert!(admin.holds(StaffRole::Organizer, &kista));
        assert!(!admin.holds(StaffRole::Organizer, &spanga));
        assert!(!admin.holds(StaffRole::Moderator, &kista));
        assert!(!admin.is_municipality_admin());
    }
}
