//! A safety walk's commands and events: the plan, "now at stop N", observations
//! (questions with a place) and the actions that come of them.

use super::{Decision, Dialogue};
use crate::domain::event::{Event, Recorded};
use crate::domain::question::QuestionId;
use crate::domain::refusal::Refusal;
use crate::domain::walk::{
    Action, ActionId, ActionStatus, FeltSafety, GroupId, Observation, PhotoEntry, PhotoId,
    PhotoState, Place, StatusChange, StopId, Walk, WalkPlan,
};
use std::collections::HashSet;

impl Dialogue {
    fn walk(&self) -> Result<&Walk, Refusal> {
        self.walk.as_ref().ok_or(Refusal::NotAWalk)
    }

    pub(super) fn plan_walk(&self, plan: WalkPlan) -> Result<Decision, Refusal> {
        plan.check().map_err(Refusal::BadWalk)?;
        let stops: HashSet<StopId> = plan.stops.iter().map(|s| s.id).collect();
        let groups: HashSet<GroupId> = plan.groups.iter().map(|g| g.id).collect();
        // Observations already made keep their stop and group.
        if let Some(walk) = &self.walk {
            let kept = walk.observations.values().all(|o| {
                o.group.is_none_or(|g| groups.contains(&g))
                    && !matches!(o.place, Place::Stop(s) if !stops.contains(&s))
            });
            if !kept {
                return Err(Refusal::BadWalk(
                    "observations were made at a stop or in a group this plan removes",
                ));
            }
        }
        let mut plan = plan;
        for g in &mut plan.groups {
            g.at = None;
        }
        Ok(Decision::event(Event::WalkPlanned(plan)))
    }

    pub(super) fn move_group(
        &self,
        group: GroupId,
        to: Option<StopId>,
        expected: Option<StopId>,
    ) -> Result<Decision, Refusal> {
        let g = self
            .walk()?
            .groups
            .get(&group)
            .ok_or(Refusal::NoSuchWalkPart("group"))?;
        if g.at != expected {
            return Err(Refusal::GroupConflict {
                expected: expected.map(|s| s.0),
                actual: g.at.map(|s| s.0),
            });
        }
        if to.is_some_and(|s| !g.route.contains(&s)) {
            return Err(Refusal::NoSuchWalkPart("stop on this group's route"));
        }
        Ok(Decision::event(Event::GroupMoved { group, at: to }))
    }

    /// `asked` is the decision of the question the observation is.
    pub(super) fn observe(
        &self,
        asked: Decision,
        group: Option<GroupId>,
        place: Option<Place>,
        category: String,
        felt_safety: FeltSafety,
        photo: Option<PhotoId>,
    ) -> Result<Decision, Refusal> {
        let walk = self.walk()?;
        let g = match group {
            Some(id) => Some(
                walk.groups
                    .get(&id)
                    .ok_or(Refusal::NoSuchWalkPart("group"))?,
            ),
            None => None,
        };
        let place = match place {
            Some(Place::Stop(s)) if !walk.stops.contains_key(&s) => {
                return Err(Refusal::NoSuchWalkPart("stop"));
            }
            Some(p) => p,
            None => Place::Stop(g.and_then(|g| g.at).ok_or(Refusal::BadWalk(
                "say where: a stop, a position, or a group that is at a stop",
            ))?),
        };
        if self.categories.get(&category).is_none() {
            return Err(Refusal::NoSuchWalkPart("category"));
        }
        let question = match asked.events.first() {
            Some(Event::QuestionAsked { question, .. }) => *question,
            _ => return Err(Refusal::NotAWalk),
        };
        let mut decision = asked;
        decision.events.push(Event::ObservationPlaced(Observation {
            question,
            group,
            place,
            category,
            felt_safety,
            photo,
        }));
        Ok(decision)
    }

    pub(super) fn create_action(
        &self,
        title: String,
        observations: Vec<QuestionId>,
        responsible: String,
        due: chrono::NaiveDate,
    ) -> Result<Decision, Refusal> {
        let walk = self.walk()?;
        if observations.is_empty() {
            return Err(Refusal::BadWalk(
                "an action comes of at least one observation",
            ));
        }
        for q in &observations {
            let public = self.questions.get(q).is_some_and(|q| q.status.is_public());
            if !walk.observations.contains_key(q) || !public {
                return Err(Refusal::NoSuchWalkPart("approved observation"));
            }
        }
        let mut observations = observations;
        observations.sort();
        observations.dedup();
        let action = ActionId(walk.actions.keys().next_back().map_or(1, |a| a.0 + 1));
        Ok(Decision::event(Event::ActionCreated {
            action,
            title,
            observations,
            responsible,
            due,
        }))
    }

    pub(super) fn set_action_status(
        &self,
        action: ActionId,
        status: ActionStatus,
        note: String,
        expected: ActionStatus,
    ) -> Result<Decision, Refusal> {
        let a = self
            .walk()?
            .actions
            .get(&action)
            .ok_or(Refusal::NoSuchWalkPart("action"))?;
        if a.status() != expected {
            return Err(Refusal::ActionConflict {
                action: action.0,
                expected,
                actual: a.status(),
            });
        }
        if ActionStatus::needs_reason(status) && note.trim().is_empty() {
            return Err(Refusal::BadWalk(
                "an action that will not be done needs the reason",
            ));
        }
        Ok(Decision::event(Event::ActionStatusChanged {
            action,
            status,
            note,
        }))
    }

    /// The copy is stored before this is decided (the REST approve); the log
    /// then says it is public. Published already: nothing more to say, so a
    /// retry after a stop between the two steps, or a second moderator's
    /// approval, is acknowledged without a second event.
    pub(super) fn publish_photo(
        &self,
        photo: PhotoId,
        published: PhotoId,
    ) -> Result<Decision, Refusal> {
        let walk = self.walk()?;
        let question = walk
            .observations
            .values()
            .find(|o| o.photo.as_ref() == Some(&photo))
            .map(|o| o.question)
            .ok_or(Refusal::NoSuchWalkPart("observation with that photo"))?;
        if walk
            .photos
            .get(&photo)
            .is_some_and(|p| matches!(p.state, PhotoState::Published(_)))
        {
            return Ok(Decision::default());
        }
        Ok(Decision::event(Event::PhotoPublished {
            question,
            photo,
            published,
        }))
    }

    pub(super) fn apply_walk(&mut self, rec: &Recorded) {
        let walk = self.walk.get_or_insert_with(Walk::default);
        match &rec.event {
            Event::WalkPlanned(plan) => {
                let was: Vec<(GroupId, Option<StopId>)> =
                    walk.groups.values().map(|g| (g.id, g.at)).collect();
                walk.stops = plan.stops.iter().map(|s| (s.id, s.clone())).collect();
                walk.groups = plan.groups.iter().map(|g| (g.id, g.clone())).collect();
                // A plan changed on the day does not move a group that still has its stop.
                for (id, at) in was {
                    if let Some(g) = walk.groups.get_mut(&id) {
                        g.at = at.filter(|s| g.route.contains(s));
                    }
                }
                walk.before = plan.before.clone();
                walk.after = plan.after.clone();
            }
            Event::GroupMoved { group, at } => {
                if let Some(g) = walk.groups.get_mut(group) {
                    g.at = *at;
                }
            }
            Event::ObservationPlaced(o) => {
                walk.observations.insert(o.question, o.clone());
            }
            Event::PhotoPublished {
                question,
                photo,
                published,
            } => {
                walk.photos.insert(
                    photo.clone(),
                    PhotoEntry {
                        question: *question,
                        state: PhotoState::Published(published.clone()),
                    },
                );
            }
            Event::ActionCreated {
                action,
                title,
                observations,
                responsible,
                due,
            } => {
                walk.actions.insert(
                    *action,
                    Action {
                        id: *action,
                        title: title.clone(),
                        observations: observations.clone(),
                        responsible: responsible.clone(),
                        due: *due,
                        history: vec![StatusChange {
                            status: ActionStatus::Reported,
                            at: rec.at,
                            note: String::new(),
                        }],
                    },
                );
            }
            Event::ActionStatusChanged {
                action,
                status,
                note,
            } => {
                if let Some(a) = walk.actions.get_mut(action) {
                    a.history.push(StatusChange {
                        status: *status,
                        at: rec.at,
                        note: note.clone(),
                    });
                }
            }
            _ => {}
        }
    }
}
