//! A safety walk driven through the domain: plan, move, observe, act.

use super::*;
use crate::domain::walk::{
    ActionId, ActionStatus, FeltSafety, Group, GroupId, Place, Position, Stop, StopId, WalkPlan,
};

fn plan() -> WalkPlan {
    let stop = |id: u32, name: &str| Stop {
        id: StopId(id),
        name: name.into(),
        address: format!("Parkvägen {id}"),
        position: Some(Position::exact(59.33 + f64::from(id) / 1000.0, 18.06).unwrap()),
    };
    let group = |id: u32, route: Vec<u32>| Group {
        id: GroupId(id),
        name: format!("Grupp {id}"),
        leader: "Lena".into(),
        leader_id: None,
        route: route.into_iter().map(StopId).collect(),
        at: None,
    };
    WalkPlan {
        stops: (1..=4).map(|i| stop(i, "Stopp")).collect(),
        groups: vec![group(1, vec![1, 2, 3, 4]), group(2, vec![4, 3, 2, 1])],
        before: None,
        after: None,
    }
}

fn walk() -> Meeting {
    let mut m = Meeting::live();
    let org = m.organizer;
    m.ok(&org, Command::PlanWalk(plan()));
    m
}

fn observe(m: &mut Meeting, who: &Actor, place: Option<Place>) -> Result<Decision, Refusal> {
    m.run(
        who,
        Command::Observe {
            text: QuestionText::parse("Trasig lampa i tunneln", 500).unwrap(),
            display_name: None,
            group: Some(GroupId(1)),
            place,
            category: "lighting".into(),
            felt_safety: FeltSafety::new(2).unwrap(),
            origin: crate::domain::Origin::InRoom,
            photo: None,
        },
    )
}

fn move_to(m: &mut Meeting, to: u32, expected: Option<u32>) -> Result<Decision, Refusal> {
    let lead = m.moderator;
    m.run(
        &lead,
        Command::MoveGroup {
            group: GroupId(1),
            to: Some(StopId(to)),
            expected: expected.map(StopId),
        },
    )
}

#[test]
fn a_plan_makes_the_dialogue_a_walk_and_leaders_move_groups_on() {
    let mut m = walk();
    assert_eq!(m.d.walk.as_ref().unwrap().stops.len(), 4);
    move_to(&mut m, 1, None).unwrap();
    move_to(&mut m, 2, Some(1)).unwrap();
    assert_eq!(
        m.d.walk.as_ref().unwrap().groups[&GroupId(1)].at,
        Some(StopId(2))
    );
    // A second leader who still believes the group is at stop 1 gets a conflict.
    assert_eq!(
        move_to(&mut m, 3, Some(1)),
        Err(Refusal::GroupConflict {
            expected: Some(1),
            actual: Some(2)
        })
    );
    // Participants do not move groups.
    let anna = participant();
    let r = m.run(
        &anna,
        Command::MoveGroup {
            group: GroupId(1),
            to: None,
            expected: Some(StopId(2)),
        },
    );
    assert_eq!(
        r,
        Err(Refusal::Forbidden {
            role: Role::Participant
        })
    );
}

#[test]
fn an_observation_is_a_question_at_the_groups_stop_moderated_like_one() {
    let mut m = walk();
    let anna = participant();
    // Not at a stop yet and no place given: refused.
    assert!(matches!(
        observe(&mut m, &anna, None),
        Err(Refusal::BadWalk(_))
    ));
    move_to(&mut m, 3, None).unwrap();
    let d = observe(&mut m, &anna, None).unwrap();
    assert!(matches!(
        d.events[0],
        Event::QuestionAsked {
            approved: false,
            ..
        }
    ));
    let q = QuestionId(1);
    let o = &m.d.walk.as_ref().unwrap().observations[&q];
    assert_eq!(o.place, Place::Stop(StopId(3)));
    assert_eq!(m.d.questions[&q].status, QuestionStatus::Pending);
    m.approve(q);
    assert!(m.d.questions[&q].status.is_public());
    // At a phone's coarse position, and a stop the walk lacks.
    let near = Place::Near(Position::coarsened(59.3345, 18.0632, 100).unwrap());
    observe(&mut m, &anna, Some(near)).unwrap();
    assert_eq!(
        observe(&mut m, &anna, Some(Place::Stop(StopId(9)))),
        Err(Refusal::NoSuchWalkPart("stop"))
    );
}

#[test]
fn a_meeting_takes_no_observations_and_unknown_categories_are_refused() {
    let mut m = Meeting::live();
    let anna = participant();
    assert_eq!(
        observe(&mut m, &anna, Some(Place::Stop(StopId(1)))),
        Err(Refusal::NotAWalk)
    );
    let mut m = walk();
    let r = m.run(
        &anna,
        Command::Observe {
            text: QuestionText::parse("Något", 500).unwrap(),
            display_name: None,
            group: None,
            place: Some(Place::Stop(StopId(1))),
            category: "weather".into(),
            felt_safety: FeltSafety::new(4).unwrap(),
            origin: crate::domain::Origin::Remote,
            photo: None,
        },
    );
    assert_eq!(r, Err(Refusal::NoSuchWalkPart("category")));
}

#[test]
fn actions_come_of_approved_observations_and_keep_a_dated_history() {
    let mut m = walk();
    let anna = participant();
    observe(&mut m, &anna, Some(Place::Stop(StopId(1)))).unwrap();
    let staff = m.moderator;
    let create = |obs: Vec<u64>| Command::CreateAction {
        title: "Byt armaturer".into(),
        observations: obs.into_iter().map(QuestionId).collect(),
        responsible: "Trafikkontoret".into(),
        due: chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
    };
    // Pending observations cannot be acted on in public yet.
    assert_eq!(
        m.run(&staff, create(vec![1])),
        Err(Refusal::NoSuchWalkPart("approved observation"))
    );
    m.approve(QuestionId(1));
    m.ok(&staff, create(vec![1]));
    let set = |status, note: &str, expected| Command::SetActionStatus {
        action: ActionId(1),
        status,
        note: note.into(),
        expected,
    };
    m.ok(
        &staff,
        set(ActionStatus::Planned, "", ActionStatus::Reported),
    );
    assert!(matches!(
        m.run(
            &staff,
            set(ActionStatus::WillNotBeDone, " ", ActionStatus::Planned)
        ),
        Err(Refusal::BadWalk(_))
    ));
    assert!(matches!(
        m.run(&staff, set(ActionStatus::Done, "", ActionStatus::Reported)),
        Err(Refusal::ActionConflict { .. })
    ));
    m.ok(
        &staff,
        set(ActionStatus::Done, "Klart", ActionStatus::Planned),
    );
    let a = &m.d.walk.as_ref().unwrap().actions[&ActionId(1)];
    let statuses: Vec<_> = a.history.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            ActionStatus::Reported,
            ActionStatus::Planned,
            ActionStatus::Done
        ]
    );
    assert!(!a.overdue(chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
}

#[test]
fn a_plan_that_would_orphan_observations_is_refused() {
    let mut m = walk();
    let anna = participant();
    observe(&mut m, &anna, Some(Place::Stop(StopId(4)))).unwrap();
    let mut smaller = plan();
    smaller.stops.truncate(3);
    for g in &mut smaller.groups {
        g.route.retain(|s| s.0 <= 3);
    }
    let org = m.organizer;
    assert!(matches!(
        m.run(&org, Command::PlanWalk(smaller)),
        Err(Refusal::BadWalk(_))
    ));
    let mut bad = plan();
    bad.groups[0].route.push(StopId(7));
    assert!(matches!(
        m.run(&org, Command::PlanWalk(bad)),
        Err(Refusal::BadWalk(_))
    ));
}
