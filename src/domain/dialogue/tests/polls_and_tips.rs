//! Polls and private tips, driven directly.

use super::*;

#[test]
fn a_poll_counts_the_latest_answer_of_each_participant_and_freezes_at_closing() {
    use crate::domain::{PollId, PollKind, PollState};
    let mut m = Meeting::live();
    let moderator = m.moderator;
    m.ok(
        &moderator,
        Command::CreatePoll {
            question: "Trygg?".into(),
            kind: PollKind::Multiple,
            options: vec!["Ja".into(), "Nej".into(), "Ibland".into()],
        },
    );
    let poll = PollId(1);
    let (anna, bo) = (participant(), participant());
    let answer = |choices: Vec<u16>| Command::AnswerPoll { poll, choices };
    assert_eq!(
        m.run(&anna, answer(vec![0])),
        Err(Refusal::PollNotOpen(poll)),
        "a prepared poll takes no answers"
    );
    let open = Command::OpenPoll {
        poll,
        expected: PollState::Prepared,
    };
    m.ok(&moderator, open.clone());
    assert!(matches!(
        m.run(&moderator, open),
        Err(Refusal::PollConflict { .. })
    ));
    m.ok(&anna, answer(vec![0, 2]));
    m.ok(&anna, answer(vec![2]));
    m.ok(&anna, answer(vec![2]));
    m.ok(&bo, answer(vec![1, 2]));
    assert_eq!(m.run(&bo, answer(vec![1, 1])), Err(Refusal::BadChoices));
    assert_eq!(m.run(&bo, answer(vec![3])), Err(Refusal::BadChoices));
    assert_eq!(m.d.poll_results(poll).counts, vec![0, 1, 2]);
    m.ok(
        &moderator,
        Command::ClosePoll {
            poll,
            expected: PollState::Open,
        },
    );
    // Answer rows may go (retention); the closed result stands.
    m.d.poll_answers.clear();
    let r = m.d.poll_results(poll);
    assert_eq!((r.counts, r.respondents), (vec![0, 1, 2], 2));
    assert_eq!(m.run(&bo, answer(vec![0])), Err(Refusal::PollNotOpen(poll)));
}

#[test]
fn closing_the_dialogue_closes_its_open_polls_and_makes_their_results_public() {
    use crate::domain::{PollId, PollKind, PollState};
    let mut m = Meeting::live();
    let (org, moderator) = (m.organizer, m.moderator);
    for _ in 0..2 {
        m.ok(
            &moderator,
            Command::CreatePoll {
                question: "Trygg?".into(),
                kind: PollKind::Scale,
                options: Vec::new(),
            },
        );
    }
    m.ok(
        &moderator,
        Command::OpenPoll {
            poll: PollId(1),
            expected: PollState::Prepared,
        },
    );
    m.ok(
        &participant(),
        Command::AnswerPoll {
            poll: PollId(1),
            choices: vec![4],
        },
    );
    assert!(!m.d.poll_results_public(&m.d.polls[&PollId(1)]));
    let decision = m.ok(
        &org,
        Command::SetPhase {
            to: Phase::Closed,
            expected: Phase::Live,
        },
    );
    assert_eq!(decision.events.len(), 2, "one poll was open");
    let open = &m.d.polls[&PollId(1)];
    assert_eq!(open.state, PollState::Closed);
    assert_eq!(
        open.closed_results.as_ref().unwrap().counts,
        vec![0, 0, 0, 0, 1]
    );
    assert!(m.d.poll_results_public(open));
    assert!(
        !m.d.poll_results_public(&m.d.polls[&PollId(2)]),
        "a poll never opened stays staff only"
    );
}

#[test]
fn a_moved_question_becomes_a_tip_only_staff_and_allowed_panelists_read() {
    use crate::domain::{PanelKind, TipId};
    let mut m = Meeting::live();
    let (org, moderator) = (m.organizer, m.moderator);
    let anna = participant();
    let q = m.ask(&anna, "Jag såg Kalle Svensson stjäla en cykel");
    assert!(!m.d.questions[&q].private_signals.is_empty());
    m.ok(
        &moderator,
        Command::MoveToPrivate {
            question: q,
            expected: QuestionStatus::Pending,
        },
    );
    assert_eq!(m.d.questions[&q].status, QuestionStatus::MovedToPrivate);
    assert_eq!(m.d.tips[&TipId(1)].from_question, Some(q));
    let police = Uuid::new_v4();
    m.d.panelists.push(Panelist {
        id: police,
        name: "P".into(),
        title: String::new(),
        organisation: String::new(),
        kind: PanelKind::Police,
    });
    assert!(!m.d.reads_tips(&Actor::Panelist(police)));
    m.ok(
        &org,
        Command::SetTipRecipients {
            kinds: vec![PanelKind::Police],
        },
    );
    assert!(m.d.reads_tips(&Actor::Panelist(police)));
    assert!(!m.d.reads_tips(&anna));
    assert!(!m.d.reads_tips(&Actor::Screen(Uuid::new_v4())));
}
