//! The public record of a dialogue and a receipt's answer: what anyone may read
//! before, during and after the meeting. Built from the state, never from the
//! log, so a rejected text, a redacted original or an undisclosed name cannot
//! slip in: only approved text and names askers chose to show are read here.

use super::event_parts::{AddresseeWire, AttendanceWire};
use super::live::PollResultsWire;
use super::server::{DialogueWire, FateWire, FollowUpWire, PollWire, PostWire};
use super::{OriginWire, PhaseWire, ReasonWire};
use crate::domain::{Audience, Dialogue, Fate, Phase, Question, QuestionId, QuestionStatus};
use serde::Serialize;
use std::collections::BTreeMap;

/// A question as it stands in the record: approved text only.
#[derive(Debug, Clone, Serialize)]
pub struct RecordQuestion<'a> {
    pub id: u64,
    pub text: &'a str,
    /// Only when the asker chose to show a name.
    pub display_name: Option<&'a str>,
    pub addressee: Option<AddresseeWire>,
    pub origin: OriginWire,
    pub asked_at: i64,
    /// Every identity's vote, once each.
    pub votes: usize,
    /// Of `votes`, those from burst identities (`figures.counting`).
    pub burst_votes: usize,
    pub fate: FateWire,
    pub answer: Option<&'a str>,
    pub follow_up: Option<FollowUpWire<'a>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    /// Peak presence while the dialogue ran (known once it closed).
    pub attendance: Option<AttendanceWire>,
    pub questions_asked: u64,
    /// Approved at some point: everything but pending, rejected and merged duplicates.
    pub approved: u64,
    /// By reason code.
    pub rejected: BTreeMap<&'static str, u64>,
    pub merged: u64,
    pub answered_live: u64,
    pub answered_in_writing: u64,
    pub followed_up: u64,
    pub not_reached: u64,
    /// A walk's observations in its report (closed, approved, not answered).
    pub noted: u64,
    pub archived: u64,
    /// Sent on privately to the panel (never public).
    pub moved_to_private: u64,
    pub counting: Counting,
}

/// How votes and poll answers were counted, and how many came from burst identities.
#[derive(Debug, Clone, Serialize)]
pub struct Counting {
    /// Votes from burst identities on the questions in the record.
    pub burst_votes: u64,
    /// Poll answers from burst identities, over every poll in the record.
    pub burst_respondents: u64,
    pub note: &'static str,
}

/// The record's words on how it counted (`docs/operations.md`, stuffing).
pub const COUNTING_NOTE: &str = "One vote per question and one answer per poll for each \
anonymous identity. Identities created in a burst from one address (more than \
stuffing.burst_joins within stuffing.burst_window_secs) are counted in every total and \
shown apart beside it (burst_votes, burst), unless they entered the room code shown in the \
venue before the count was taken.";

impl Default for Counting {
    fn default() -> Counting {
        Counting {
            burst_votes: 0,
            burst_respondents: 0,
            note: COUNTING_NOTE,
        }
    }
}

/// The dialogue's public page as data: before the meeting its announcement,
/// after it the record (`final` once closed).
#[derive(Serialize)]
pub struct RecordWire<'a> {
    #[serde(rename = "final")]
    pub is_final: bool,
    pub closed_at: Option<i64>,
    pub dialogue: DialogueWire,
    pub posts: Vec<PostWire<'a>>,
    pub questions: Vec<RecordQuestion<'a>>,
    /// Every poll that was opened; `results` once closed and public (every one, once
    /// the dialogue is closed).
    pub polls: Vec<PollWire>,
    pub figures: Figures,
}

/// Whether a question's approved text belongs in the record.
fn listed(fate: Fate) -> bool {
    matches!(
        fate,
        Fate::Queued
            | Fate::AnsweredLive
            | Fate::AnsweredInWriting
            | Fate::FollowUp
            | Fate::NotReached
            | Fate::Noted
    )
}

fn record_question<'a>(d: &'a Dialogue, q: &'a Question) -> RecordQuestion<'a> {
    RecordQuestion {
        id: q.id.0,
        text: q.text.expose(),
        display_name: q.display_name.as_ref().map(|n| n.expose()),
        addressee: q.addressee.map(Into::into),
        origin: q.origin.into(),
        asked_at: q.asked_at,
        votes: d.tally(q.id),
        burst_votes: d.burst_tally(q.id),
        fate: d.fate(q).into(),
        answer: q.written_answer(),
        follow_up: q.follow_up.as_ref().map(Into::into),
    }
}

pub fn record(d: &Dialogue) -> RecordWire<'_> {
    let mut figures = Figures {
        attendance: d.attendance.map(AttendanceWire::from),
        ..Figures::default()
    };
    let mut questions = Vec::new();
    for q in d.questions.values() {
        figures.questions_asked += 1;
        let fate = d.fate(q);
        match fate {
            Fate::Pending => {}
            Fate::MovedToPrivate => figures.moved_to_private += 1,
            Fate::Rejected(reason) => {
                *figures
                    .rejected
                    .entry(ReasonWire::from(reason).code())
                    .or_default() += 1;
            }
            Fate::MergedInto(_) => figures.merged += 1,
            Fate::Archived => {
                figures.approved += 1;
                figures.archived += 1;
            }
            Fate::Queued => figures.approved += 1,
            Fate::AnsweredLive => {
                figures.approved += 1;
                figures.answered_live += 1;
            }
            Fate::AnsweredInWriting => {
                figures.approved += 1;
                figures.answered_in_writing += 1;
            }
            Fate::FollowUp => {
                figures.approved += 1;
                figures.followed_up += 1;
                if q.written_answer().is_some() {
                    figures.answered_in_writing += 1;
                }
            }
            Fate::NotReached => {
                figures.approved += 1;
                figures.not_reached += 1;
            }
            Fate::Noted => {
                figures.approved += 1;
                figures.noted += 1;
            }
        }
        // The fate names the newest word on a question; the figures count what
        // happened, so a question answered on stage and then in writing counts in both.
        if q.status == QuestionStatus::Answered && !matches!(fate, Fate::AnsweredLive) {
            figures.answered_live += 1;
        }
        if listed(fate) {
            let listed = record_question(d, q);
            figures.counting.burst_votes += listed.burst_votes as u64;
            questions.push(listed);
        }
    }
    let polls: Vec<PollWire> = d
        .polls
        .values()
        .filter(|p| p.state != crate::domain::PollState::Prepared)
        .map(|p| {
            let mut wire = PollWire::new(d, p, Audience::Public);
            if let Some(results) = &mut wire.results {
                let counted = d.poll_results(p.id);
                figures.counting.burst_respondents += counted.burst_respondents;
                *results = PollResultsWire::in_record(&counted);
            }
            wire
        })
        .collect();
    RecordWire {
        is_final: d.phase == Phase::Closed,
        closed_at: d.closed_at,
        dialogue: DialogueWire::new(d, Audience::Public),
        posts: d.posts.values().map(Into::into).collect(),
        questions,
        polls,
        figures,
    }
}

/// What a receipt shows: that one question's fate, and nothing of anyone else's.
#[derive(Debug, Serialize)]
pub struct ReceiptWire<'a> {
    pub dialogue_title: &'a str,
    pub code: &'a str,
    pub phase: PhaseWire,
    pub question_id: u64,
    pub fate: FateWire,
    /// The approved text; absent while pending and when rejected.
    pub text: Option<&'a str>,
    pub reason: Option<ReasonWire>,
    pub answer: Option<&'a str>,
    pub follow_up: Option<FollowUpWire<'a>>,
    /// For a merged question: the question it joined, as the record shows it.
    pub merged_into: Option<RecordQuestion<'a>>,
    /// For a question not reached: what the organizer said happens to such questions.
    pub unreached_plan: Option<&'a str>,
    /// On a walk: the observation this question is, and the actions that came of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observation: Option<super::walk_wire::ReceiptObservation<'a>>,
}

/// The question behind a receipt secret, if the secret is one of this dialogue's.
pub fn receipt<'a>(d: &'a Dialogue, secret: &str) -> Option<ReceiptWire<'a>> {
    let id = d.receipts.get(secret)?;
    let q = d.questions.get(id)?;
    let fate = d.fate(q);
    let merged_into = match fate {
        Fate::MergedInto(target) => d
            .questions
            .get(&final_target(d, target))
            .filter(|t| listed(d.fate(t)))
            .map(|t| record_question(d, t)),
        _ => None,
    };
    Some(ReceiptWire {
        dialogue_title: &d.info.title,
        code: &d.code,
        phase: d.phase.into(),
        question_id: q.id.0,
        fate: fate.into(),
        text: listed(fate).then(|| q.text.expose()),
        reason: match fate {
            Fate::Rejected(r) => Some(r.into()),
            _ => None,
        },
        answer: q.written_answer(),
        follow_up: q.follow_up.as_ref().map(Into::into),
        merged_into,
        unreached_plan: (fate == Fate::NotReached && !d.info.unreached_plan.is_empty())
            .then_some(d.info.unreached_plan.as_str()),
        observation: super::walk_wire::ReceiptObservation::of(d, q.id),
    })
}

/// A duplicate may have been merged into a question that was merged in turn.
fn final_target(d: &Dialogue, mut id: QuestionId) -> QuestionId {
    for _ in 0..d.questions.len() {
        match d.questions.get(&id).and_then(|q| q.merged_into) {
            Some(next) => id = next,
            None => break,
        }
    }
    id
}
