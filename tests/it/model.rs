//! Model-based property tests of one dialogue: `Dialogue::decide`/`apply` driven
//! directly (no server) by random command sequences, against a small reference
//! model of the rules in `docs/protocol.md`. After every step the two must agree,
//! and what the public encoding (`protocol::snapshot`, `protocol::public_event`,
//! `protocol::mine`) shows must be what the public may see.
//!
//! More cases: `PROPTEST_CASES=5000 cargo test --test it model`.

use dialoghub::domain::text::{DisplayName, QuestionText};
use dialoghub::domain::{
    Actor, Audience, Command, Context, Dialogue, DialogueInfo, Event, Phase, QuestionId,
    QuestionStatus, Recorded, Refusal, RejectReason, VoteChange, question::Origin,
};
use dialoghub::protocol::{
    EventBody, EventOut, LiveWire, Present, ServerMessage, mine, public_event, snapshot,
};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

mod ops;
mod public_client;
use ops::{Op, op};
use public_client::ClientState;

const PARTICIPANTS: usize = 4;
/// Question ids the commands name: some never exist.
const MAX_QUESTION: u64 = 10;

/// Who acts: 0 organizer, 1 moderator, 2 panelist, 3 screen, 4.. participants.
const ACTORS: usize = 4 + PARTICIPANTS;

/// How a refusal is told apart in the comparison: the rules about who and
/// who-not are checked exactly, the rest as "refused".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum No {
    Forbidden,
    Banned,
    Muted,
    Other,
}

fn category(r: &Refusal) -> No {
    match r {
        Refusal::Forbidden { .. } => No::Forbidden,
        Refusal::Banned => No::Banned,
        Refusal::Muted => No::Muted,
        _ => No::Other,
    }
}

#[derive(Debug, Clone)]
struct ModelQuestion {
    /// Participant index, or `None` for a floor question.
    author: Option<usize>,
    text: String,
    original: Option<String>,
    name: Option<String>,
    status: QuestionStatus,
}

/// The reference model: the rules as the protocol document states them, written plainly.
#[derive(Debug, Clone)]
struct Model {
    phase: Phase,
    questions: Vec<ModelQuestion>,
    votes: BTreeMap<u64, BTreeSet<usize>>,
    muted: BTreeSet<usize>,
    banned: BTreeSet<usize>,
    now_answering: Option<u64>,
    up_next: Vec<u64>,
}

fn public(s: QuestionStatus) -> bool {
    matches!(s, QuestionStatus::Approved | QuestionStatus::Answered)
}

impl Model {
    fn status(&self, q: u64) -> Option<QuestionStatus> {
        self.questions.get(q as usize - 1).map(|m| m.status)
    }

    fn leave_queue(&mut self, q: u64) {
        self.up_next.retain(|x| *x != q);
        if self.now_answering == Some(q) {
            self.now_answering = None;
        }
    }

    /// Who may do what, before anything else is looked at.
    fn authorize(&self, who: usize, roles: &[usize], moderation: bool) -> Result<(), No> {
        let role = who.min(4);
        if !roles.contains(&role) {
            return Err(No::Forbidden);
        }
        if who >= 4 {
            if self.banned.contains(&(who - 4)) {
                return Err(No::Banned);
            }
            if self.muted.contains(&(who - 4)) {
                return Err(No::Muted);
            }
        }
        if moderation && !matches!(self.phase, Phase::Open | Phase::Live) {
            return Err(No::Other);
        }
        Ok(())
    }

    /// `expected` must be the actual status, and the actual one of `from`.
    fn expect(&self, q: u64, expected: QuestionStatus, from: &[QuestionStatus]) -> Result<(), No> {
        match self.status(q) {
            Some(s) if s == expected && from.contains(&s) => Ok(()),
            _ => Err(No::Other),
        }
    }
}

/// The live dialogue under test, its log and what the public was sent.
struct Run {
    d: Dialogue,
    model: Model,
    actors: Vec<Actor>,
    log: Vec<Recorded>,
    /// Vote rows as the store keeps them: a row means "on".
    vote_rows: BTreeSet<(u64, Uuid)>,
    /// The public frame of each event, by seq - 1.
    public_frames: Vec<Value>,
    /// The public snapshot at each seq (index = seq).
    public_snapshots: Vec<Value>,
    asked: u64,
}

const AT: i64 = 1_800_000_000_000;

impl Run {
    fn new() -> Run {
        let d = Dialogue::new(Uuid::from_u128(7), "MODEL1".into(), 3);
        let mut actors = vec![
            Actor::Organizer(Uuid::from_u128(1)),
            Actor::Moderator(Uuid::from_u128(2)),
            Actor::Panelist(Uuid::from_u128(3)),
            Actor::Screen(Uuid::from_u128(4)),
        ];
        actors.extend(
            (0..PARTICIPANTS).map(|i| Actor::Participant(Uuid::from_u128(100 + i as u128))),
        );
        let first = json(&snapshot(&d, Audience::Public));
        let mut run = Run {
            d,
            model: Model {
                phase: Phase::Draft,
                questions: Vec::new(),
                votes: BTreeMap::new(),
                muted: BTreeSet::new(),
                banned: BTreeSet::new(),
                now_answering: None,
                up_next: Vec::new(),
            },
            actors,
            log: Vec::new(),
            vote_rows: BTreeSet::new(),
            public_frames: Vec::new(),
            public_snapshots: vec![first],
            asked: 0,
        };
        // As a dialogue is created: its description, with the purpose publishing needs.
        let info = DialogueInfo {
            title: "Modell".into(),
            purpose: "Frågor om tryggheten.".into(),
            ..DialogueInfo::default()
        };
        run.record(run.actors[0], AT, Event::InfoSet(info))
            .expect("the creation event is consistent");
        run
    }

    /// Turns an op into a command, the model's prediction and the model's next state.
    fn translate(&mut self, op: &Op) -> (usize, Command, Result<Model, No>) {
        use QuestionStatus as S;
        let m = &self.model;
        let actual = |q: u64| m.status(q).unwrap_or(S::Pending);
        let mut next = m.clone();
        let mod_roles = [0, 1];
        let q = QuestionId;
        match *op {
            Op::Ask { who, named } => {
                self.asked += 1;
                let n = self.asked;
                let text = format!("Fråga xq{n}z om parken");
                let name = named.then(|| format!("Namn xn{n}z"));
                let cmd = Command::Ask {
                    text: QuestionText::parse(&text, 500).unwrap(),
                    display_name: name.as_deref().map(|s| DisplayName::parse(s).unwrap()),
                    addressee: None,
                    origin: Origin::Remote,
                };
                let verdict = m.authorize(who, &[4], true).map(|()| {
                    next.questions.push(ModelQuestion {
                        author: Some(who - 4),
                        text,
                        original: None,
                        name,
                        status: S::Pending,
                    });
                    next
                });
                (who, cmd, verdict)
            }
            Op::Vote { who, q: id, on } => {
                let cmd = Command::Vote {
                    question: q(id),
                    on,
                };
                let verdict = m.authorize(who, &[4], true).and_then(|()| {
                    let s = m.status(id).ok_or(No::Other)?;
                    if !(s == S::Approved || (!on && s == S::Answered)) {
                        return Err(No::Other);
                    }
                    let voters = next.votes.entry(id).or_default();
                    if on {
                        voters.insert(who - 4);
                    } else {
                        voters.remove(&(who - 4));
                    }
                    Ok(next)
                });
                (who, cmd, verdict)
            }
            Op::Approve {
                who,
                q: id,
                expected,
                edit,
            } => {
                let expected = expected.unwrap_or(actual(id));
                self.asked += 1;
                let edited = edit.then(|| format!("Redigerad xq{}z", self.asked));
                let cmd = Command::Approve {
                    question: q(id),
                    expected,
                    edited: edited
                        .as_deref()
                        .map(|t| QuestionText::parse(t, 500).unwrap()),
                };
                let verdict = m
                    .authorize(who, &mod_roles, true)
                    .and_then(|()| m.expect(id, expected, &[S::Pending]))
                    .map(|()| {
                        let mq = &mut next.questions[id as usize - 1];
                        mq.status = S::Approved;
                        if let Some(t) = edited {
                            mq.original = Some(std::mem::replace(&mut mq.text, t));
                        }
                        next
                    });
                (who, cmd, verdict)
            }
            Op::Reject {
                who,
                q: id,
                expected,
            } => {
                let expected = expected.unwrap_or(actual(id));
                let cmd = Command::Reject {
                    question: q(id),
                    expected,
                    reason: RejectReason::OffTopic,
                };
                let verdict = m
                    .authorize(who, &mod_roles, true)
                    .and_then(|()| m.expect(id, expected, &[S::Pending]))
                    .map(|()| {
                        next.questions[id as usize - 1].status = S::Rejected;
                        next
                    });
                (who, cmd, verdict)
            }
            Op::Merge {
                who,
                q: id,
                into,
                expected,
            } => {
                let expected = expected.unwrap_or(actual(id));
                let cmd = Command::Merge {
                    question: q(id),
                    into: q(into),
                    expected,
                };
                let verdict = m
                    .authorize(who, &mod_roles, true)
                    .and_then(|()| m.expect(id, expected, &[S::Pending, S::Approved]))
                    .and_then(|()| match m.status(into) {
                        Some(s) if public(s) && into != id => Ok(()),
                        _ => Err(No::Other),
                    })
                    .map(|()| {
                        next.questions[id as usize - 1].status = S::Merged;
                        let voters = next.votes.get(&id).cloned().unwrap_or_default();
                        next.votes.entry(into).or_default().extend(voters);
                        next.leave_queue(id);
                        next
                    });
                (who, cmd, verdict)
            }
            Op::MarkAnswered {
                who,
                q: id,
                expected,
            } => {
                let expected = expected.unwrap_or(actual(id));
                let cmd = Command::MarkAnswered {
                    question: q(id),
                    expected,
                };
                let verdict = m
                    .authorize(who, &[0, 1, 2], true)
                    .and_then(|()| m.expect(id, expected, &[S::Approved]))
                    .map(|()| {
                        next.questions[id as usize - 1].status = S::Answered;
                        next.leave_queue(id);
                        next
                    });
                (who, cmd, verdict)
            }
            Op::Archive {
                who,
                q: id,
                expected,
            } => {
                let expected = expected.unwrap_or(actual(id));
                let cmd = Command::Archive {
                    question: q(id),
                    expected,
                };
                let verdict = m
                    .authorize(who, &mod_roles, true)
                    .and_then(|()| m.expect(id, expected, &[S::Approved, S::Answered]))
                    .map(|()| {
                        next.questions[id as usize - 1].status = S::Archived;
                        next.leave_queue(id);
                        next
                    });
                (who, cmd, verdict)
            }
            Op::Floor { who } => {
                self.asked += 1;
                let text = format!("Från golvet xq{}z", self.asked);
                let cmd = Command::FloorQuestion {
                    text: QuestionText::parse(&text, 500).unwrap(),
                    addressee: None,
                };
                let verdict = m.authorize(who, &mod_roles, true).map(|()| {
                    next.questions.push(ModelQuestion {
                        author: None,
                        text,
                        original: None,
                        name: None,
                        status: S::Approved,
                    });
                    next
                });
                (who, cmd, verdict)
            }
            Op::NowAnswering {
                who,
                q: id,
                expected_actual,
            } => {
                let expected = if expected_actual { m.now_answering } else { id };
                let cmd = Command::SetNowAnswering {
                    question: id.map(q),
                    expected: expected.map(q),
                };
                let verdict = m.authorize(who, &mod_roles, true).and_then(|()| {
                    if expected != m.now_answering {
                        return Err(No::Other);
                    }
                    if let Some(id) = id
                        && m.status(id) != Some(S::Approved)
                    {
                        return Err(No::Other);
                    }
                    next.now_answering = id;
                    if let Some(id) = id {
                        next.up_next.retain(|x| *x != id);
                    }
                    Ok(next)
                });
                (who, cmd, verdict)
            }
            Op::UpNext { who, ref qs } => {
                let cmd = Command::SetUpNext {
                    questions: qs.iter().copied().map(q).collect(),
                };
                let verdict = m.authorize(who, &mod_roles, true).and_then(|()| {
                    let unique: BTreeSet<u64> = qs.iter().copied().collect();
                    let all_approved = qs.iter().all(|id| m.status(*id) == Some(S::Approved));
                    if unique.len() != qs.len() || !all_approved {
                        return Err(No::Other);
                    }
                    next.up_next = qs.clone();
                    Ok(next)
                });
                (who, cmd, verdict)
            }
            Op::Mute { who, target } => {
                let cmd = Command::Mute {
                    participant: self.actors[4 + target].id(),
                };
                let verdict = m.authorize(who, &mod_roles, true).map(|()| {
                    next.muted.insert(target);
                    next
                });
                (who, cmd, verdict)
            }
            Op::Ban { who, target } => {
                let cmd = Command::Ban {
                    participant: self.actors[4 + target].id(),
                };
                let verdict = m.authorize(who, &mod_roles, true).map(|()| {
                    next.banned.insert(target);
                    next
                });
                (who, cmd, verdict)
            }
            Op::SetPhase {
                who,
                to,
                expected_actual,
            } => {
                let expected = if expected_actual { m.phase } else { to };
                let cmd = Command::SetPhase { to, expected };
                let verdict = m.authorize(who, &[0], false).and_then(|()| {
                    if expected != m.phase || !m.phase.may_become(to) {
                        return Err(No::Other);
                    }
                    next.phase = to;
                    if to == Phase::Closed {
                        next.now_answering = None;
                    }
                    Ok(next)
                });
                (who, cmd, verdict)
            }
        }
    }

    /// One step: decide and apply as the hub does, and check everything against the model.
    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let (who, cmd, predicted) = self.translate(op);
        let actor = self.actors[who];
        let at = AT + self.log.len() as i64;
        let ctx = Context {
            now: at,
            ..Context::default()
        };
        let decided = self.d.decide(&actor, cmd, ctx);
        match (&decided, &predicted) {
            (Ok(_), Ok(_)) => {}
            (Err(r), Err(no)) => prop_assert_eq!(category(r), *no, "{:?}: refused as {}", op, r),
            _ => prop_assert!(
                false,
                "{:?}: domain {:?}, model {:?}",
                op,
                decided,
                predicted.as_ref().map(|_| ())
            ),
        }
        let Ok(decision) = decided else {
            return self.check_state();
        };
        self.model = predicted.unwrap();
        for event in decision.events {
            self.record(actor, at, event)?;
        }
        for v in &decision.votes {
            self.d.apply_vote(v);
            self.store_vote(v);
        }
        self.check_state()
    }

    /// Applies one decided event as the hub does, checking its stored and public forms.
    fn record(&mut self, actor: Actor, at: i64, event: Event) -> Result<(), TestCaseError> {
        let rec = Recorded {
            seq: self.d.head_seq + 1,
            at,
            by: actor,
            event,
        };
        // The store keeps the staff encoding; what it reads back must be the same fact.
        let body = EventBody::from(&rec.event);
        let stored: EventBody =
            serde_json::from_str(&serde_json::to_string(&body).unwrap()).unwrap();
        prop_assert_eq!(Event::from(stored), rec.event.clone());
        if let Event::QuestionAsked { question, .. } = &rec.event {
            // An accepted submission maps to exactly one new question: the next number.
            prop_assert_eq!(question.0, self.model.questions.len() as u64);
            prop_assert!(!self.d.questions.contains_key(question));
        }
        self.d.apply(&rec);
        prop_assert_eq!(self.d.head_seq, rec.seq);
        let frame = ServerMessage::Event {
            epoch: self.d.epoch,
            seq: rec.seq,
            at: rec.at,
            by: None,
            event: EventOut::Public(public_event(&self.d, &body)),
        };
        let frame = json(&frame);
        self.check_public(&frame, "a public event")?;
        self.public_frames.push(frame);
        self.public_snapshots
            .push(json(&snapshot(&self.d, Audience::Public)));
        self.log.push(rec);
        Ok(())
    }

    fn store_vote(&mut self, v: &VoteChange) {
        if v.on {
            self.vote_rows.insert((v.question.0, v.participant));
        } else {
            self.vote_rows.remove(&(v.question.0, v.participant));
        }
    }

    /// Text of a question the public may not see, and originals replaced by an edit.
    fn private_markers(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, mq) in self.model.questions.iter().enumerate() {
            if !public(mq.status) {
                out.push(marker(&mq.text));
                out.extend(mq.name.as_deref().map(marker));
            }
            out.extend(mq.original.as_deref().map(marker));
            let _ = i;
        }
        out
    }

    fn check_public(&self, text: &Value, what: &str) -> Result<(), TestCaseError> {
        let text = text.to_string();
        for m in self.private_markers() {
            prop_assert!(!text.contains(&m), "{} shows private {}: {}", what, m, text);
        }
        Ok(())
    }

    fn check_state(&self) -> Result<(), TestCaseError> {
        let (d, m) = (&self.d, &self.model);
        prop_assert_eq!(d.phase, m.phase);
        prop_assert_eq!(d.now_answering.map(|q| q.0), m.now_answering);
        prop_assert_eq!(
            d.up_next.iter().map(|q| q.0).collect::<Vec<_>>(),
            m.up_next.clone()
        );
        prop_assert_eq!(d.questions.len(), m.questions.len());
        for (i, mq) in m.questions.iter().enumerate() {
            let q = &d.questions[&QuestionId(i as u64 + 1)];
            prop_assert_eq!(q.status, mq.status, "question {}", i + 1);
            prop_assert_eq!(q.text.expose(), mq.text.as_str());
            prop_assert_eq!(
                q.original.as_ref().map(|t| t.expose()),
                mq.original.as_deref()
            );
            // A tally is the number of participants whose vote is on.
            let voters = m.votes.get(&(i as u64 + 1)).map_or(0, BTreeSet::len);
            prop_assert_eq!(d.tally(q.id), voters, "tally of {}", i + 1);
        }
        for p in &m.banned {
            prop_assert!(d.banned.contains(&self.actors[4 + p].id()));
        }
        let live = LiveWire::new(d, 1, Present::default(), Audience::Public);
        for (id, n) in &live.votes {
            prop_assert!(public(m.status(*id).unwrap()));
            prop_assert_eq!(*n, m.votes.get(id).map_or(0, BTreeSet::len));
        }
        // Exactly the public questions with votes: one without has 0 and is left out.
        for (i, mq) in m.questions.iter().enumerate() {
            let id = i as u64 + 1;
            let voters = m.votes.get(&id).map_or(0, BTreeSet::len);
            prop_assert_eq!(
                live.votes.contains_key(&id),
                public(mq.status) && voters > 0,
                "question {} in live.votes",
                id
            );
        }
        // The public snapshot: every public question with its public text, nothing private.
        let public_snapshot = json(&snapshot(d, Audience::Public));
        self.check_public(&public_snapshot, "the public snapshot")?;
        for mq in m.questions.iter().filter(|q| public(q.status)) {
            prop_assert!(public_snapshot.to_string().contains(&marker(&mq.text)));
        }
        // Each participant's own list: their own words, and nobody else's.
        for p in 0..PARTICIPANTS {
            let (own, _) = mine(d, &self.actors[4 + p]);
            let own = serde_json::to_string(&own).unwrap();
            for mq in m
                .questions
                .iter()
                .filter(|q| q.author != Some(p) && !public(q.status))
            {
                prop_assert!(
                    !own.contains(&marker(&mq.text)),
                    "participant {} sees another's {}",
                    p,
                    own
                );
            }
            for mq in m.questions.iter().filter(|q| q.author == Some(p)) {
                let words = mq.original.as_ref().unwrap_or(&mq.text);
                prop_assert!(
                    own.contains(&marker(words)),
                    "participant {} misses their own question",
                    p
                );
            }
        }
        Ok(())
    }

    /// At the end: the log replays to the live state, and resuming from any position
    /// gives a public client the same state as a fresh snapshot at the head.
    fn check_log(&self) -> Result<(), TestCaseError> {
        let seqs: Vec<u64> = self.log.iter().map(|r| r.seq).collect();
        prop_assert_eq!(
            seqs,
            (1..=self.log.len() as u64).collect::<Vec<_>>(),
            "seq gap-free"
        );
        let mut replayed = Dialogue::new(self.d.id, self.d.code.clone(), self.d.epoch);
        for rec in &self.log {
            let body: EventBody =
                serde_json::from_str(&serde_json::to_string(&EventBody::from(&rec.event)).unwrap())
                    .unwrap();
            replayed.apply(&Recorded {
                event: body.into(),
                ..rec.clone()
            });
        }
        for (q, p) in &self.vote_rows {
            replayed.apply_vote(&VoteChange {
                question: QuestionId(*q),
                participant: *p,
                on: true,
                burst: false,
            });
        }
        for audience in [Audience::Staff, Audience::Public] {
            prop_assert_eq!(
                json(&snapshot(&replayed, audience)),
                json(&snapshot(&self.d, audience))
            );
        }
        prop_assert_eq!(
            json(&LiveWire::new(
                &replayed,
                1,
                Present::default(),
                Audience::Public
            )),
            json(&LiveWire::new(
                &self.d,
                1,
                Present::default(),
                Audience::Public
            ))
        );
        for p in &self.actors[4..] {
            let (a, b) = (mine(&replayed, p), mine(&self.d, p));
            prop_assert_eq!(
                serde_json::to_value(&a).unwrap(),
                serde_json::to_value(&b).unwrap()
            );
        }

        let head = self.log.len();
        let fresh = ClientState::from_snapshot(&self.public_snapshots[head]);
        for from in 0..=head {
            let mut client = ClientState::from_snapshot(&self.public_snapshots[from]);
            for frame in &self.public_frames[from..] {
                prop_assert_eq!(
                    frame["seq"].as_u64(),
                    Some(client.seq + 1),
                    "public seq is gap-free"
                );
                client.apply(frame);
            }
            prop_assert_eq!(
                &client.visible(),
                &fresh.visible(),
                "resumed from seq {}",
                from
            );
        }
        Ok(())
    }
}

fn json(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap()
}

/// The unique token in a generated text or name ("xq12z").
fn marker(text: &str) -> String {
    text.split(' ')
        .find(|w| w.starts_with('x') && w.ends_with('z'))
        .unwrap()
        .to_string()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_dialogue_agrees_with_the_model_and_shows_the_public_only_what_it_may(
        start_live in prop::bool::weighted(0.9),
        ops in prop::collection::vec(op(), 1..80)
    ) {
        let mut run = Run::new();
        // Most meetings go live first; some stay in draft to check that nothing is taken then.
        if start_live {
            run.step(&Op::SetPhase { who: 0, to: Phase::Live, expected_actual: true })?;
        }
        for op in &ops {
            run.step(op)?;
        }
        run.check_log()?;
    }
}
