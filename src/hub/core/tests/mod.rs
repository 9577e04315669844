//! The single writer's promises, driven directly: no runtime, no sockets, no
//! store. The test plays the shell, answering each `Io` by hand, and reads what
//! members got from their outboxes.

// The `live` stream: coalesced per interval, renewed only when it changes.
mod live;
// The bounded ack cache and what a dialogue keeps while out of memory.
mod memory;

use super::*;
use crate::domain::text::QuestionText;
use crate::domain::{DialogueInfo, Event, Phase, QuestionStatus, question::Origin};
use crate::hub::outbox::Drained;
use crate::protocol::{AckWire, ErrorCode, ErrorWire};
use serde_json::Value;
use std::time::Duration;

const EPOCH: u64 = 7;

fn settings(replay_window: usize) -> HubSettings {
    HubSettings {
        idle_unload: Duration::from_secs(600),
        live_interval: Duration::from_millis(250),
        ping_interval: Duration::from_secs(20),
        replay_window,
        inbox_capacity: 64,
        max_question_chars: 500,
        danger_phrases: Default::default(),
        pending_caps: Default::default(),
        acks_cached: 4096,
        threads: 1,
        room_codes: crate::hub::room_code::RoomCodes::new(b"test", 180, 60),
        categories: Default::default(),
    }
}

/// A dialogue's log as the store holds it, built the way the writer builds it.
struct Log {
    id: Uuid,
    organizer: Actor,
    records: Vec<Recorded>,
}

impl Log {
    /// A live meeting: its description (seq 1), then `Live` (seq 2).
    fn live() -> Log {
        let organizer = Actor::Organizer(Uuid::new_v4());
        let mut log = Log {
            id: Uuid::new_v4(),
            organizer,
            records: Vec::new(),
        };
        log.push(
            organizer,
            Event::InfoSet(DialogueInfo {
                title: "Trygghetsdialog".into(),
                purpose: "Frågor om tryggheten i området.".into(),
                ..DialogueInfo::default()
            }),
        );
        log.push(
            organizer,
            Event::PhaseChanged {
                to: Phase::Live,
                attendance: None,
            },
        );
        log
    }

    fn push(&mut self, by: Actor, event: Event) -> u64 {
        let seq = self.records.len() as u64 + 1;
        self.records.push(Recorded {
            seq,
            at: 1_000 + seq as i64,
            by,
            event,
        });
        seq
    }

    /// Question `n`, asked by `by` (approved if `approved`).
    fn question(&mut self, by: Actor, n: u64, approved: bool) -> u64 {
        self.push(
            by,
            Event::QuestionAsked {
                question: QuestionId(n),
                text: text("Varför är det så mörkt i parken?"),
                display_name: None,
                addressee: None,
                origin: Origin::Remote,
                approved,
                receipt: None,
                burst: false,
            },
        )
    }

    fn loaded(&self) -> Loaded {
        let mut dialogue = Dialogue::new(self.id, "ABC123".into(), EPOCH);
        for rec in &self.records {
            dialogue.apply(rec);
        }
        Loaded {
            dialogue,
            log: self.records.clone(),
            peak: Attendance::default(),
            votes_version: 0,
        }
    }

    fn core(&self, replay_window: usize) -> DialogueCore {
        DialogueCore::new(self.loaded(), settings(replay_window)).unwrap()
    }
}

fn text(s: &str) -> QuestionText {
    QuestionText::parse(s, 500).unwrap()
}

fn participant() -> Actor {
    Actor::Participant(Uuid::new_v4())
}

fn ask() -> Command {
    Command::Ask {
        text: text("Kan belysningen vid skolan lagas?"),
        display_name: None,
        addressee: None,
        origin: Origin::Remote,
    }
}

fn approve(n: u64) -> Command {
    Command::Approve {
        question: QuestionId(n),
        expected: QuestionStatus::Pending,
        edited: None,
    }
}

type Answer = oneshot::Receiver<Result<AckWire, ErrorWire>>;

fn submission(actor: Actor, key: &str, command: Command) -> (Submission, Answer) {
    let (tx, rx) = oneshot::channel();
    let key = ClientMsgId::try_from(key.to_string()).unwrap();
    let sub = Submission {
        actor,
        burst: false,
        key,
        command,
        reply: Reply::Direct(tx),
    };
    (sub, rx)
}

/// Submits one batch; each new question gets the secret `S<n>` of its place.
fn submit(core: &mut DialogueCore, batch: Vec<(Actor, &str, Command)>) -> Vec<Answer> {
    let secrets = (0..batch.len())
        .map(|i| Some(format!("SECRET{i:02}")))
        .collect();
    let (subs, answers) = batch
        .into_iter()
        .map(|(actor, key, cmd)| submission(actor, key, cmd))
        .unzip();
    core.submit(subs, secrets, 5_000);
    answers
}

fn answered(answer: &mut Answer) -> Result<AckWire, ErrorWire> {
    answer.try_recv().expect("answered by now")
}

/// Plays a store that commits the staged batch: the append must be on `head`.
fn commit(core: &mut DialogueCore, head: u64) {
    assert_eq!(core.poll_io(), Some(Io::Append { head }));
    core.handle(Input::Appended(Ok(1)), 5_000);
    assert!(matches!(core.poll_io(), Some(Io::Publish(w)) if w.head == core.dialogue.head_seq));
    assert_eq!(core.poll_io(), None);
}

/// A member following the dialogue on connection `conn`.
fn join(core: &mut DialogueCore, conn: ConnId, actor: Actor, resume: Option<u64>) -> Arc<Outbox> {
    let outbox = Arc::new(Outbox::new(1 << 20));
    let (reply, mut joined) = oneshot::channel();
    core.join(Join {
        conn,
        actor,
        location: Location::Remote,
        resume: resume.map(|seq| Position { epoch: EPOCH, seq }),
        outbox: outbox.clone(),
        reply,
    });
    if let Some(Io::EventsAfter(head)) = core.poll_io() {
        // A position ahead of this node's head: nothing more is in the store.
        assert_eq!(head, core.dialogue.head_seq);
        core.handle(Input::EventsAfter(Ok(Vec::new())), 5_000);
    }
    assert_eq!(joined.try_recv().unwrap(), Ok(()));
    outbox
}

/// Everything queued for a member since the last look, parsed.
fn received(outbox: &Outbox) -> Vec<Value> {
    let mut drained = Drained::default();
    match outbox.try_drain(&mut drained) {
        None => Vec::new(),
        Some(result) => {
            result.unwrap();
            drained
                .frames
                .iter()
                .map(|f| serde_json::from_str(f.as_str()).unwrap())
                .collect()
        }
    }
}

fn seqs_of_events(frames: &[Value]) -> Vec<u64> {
    frames
        .iter()
        .filter(|f| f["type"] == "event")
        .map(|f| f["seq"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_retried_submission_is_answered_from_its_saved_ack_without_a_second_event() {
    let log = Log::live();
    let mut core = log.core(100);
    let moderator = join(&mut core, 1, Actor::Moderator(Uuid::new_v4()), None);
    received(&moderator);
    let anna = participant();

    let mut first = submit(&mut core, vec![(anna, "q-1", ask())]);
    let (written, saved) = {
        let staged = core.staged().unwrap();
        (staged.records.clone(), staged.saved.clone())
    };
    commit(&mut core, 2);
    let ack = answered(&mut first[0]).unwrap();
    assert_eq!((ack.question_id, ack.seq), (Some(1), Some(3)));
    assert!(
        ack.receipt
            .as_deref()
            .is_some_and(|r| r.ends_with("SECRET00"))
    );
    assert_eq!(seqs_of_events(&received(&moderator)), [3]);

    // The same key again, in a later batch and twice within one: the same ack,
    // nothing to write, no second question.
    let mut again = submit(&mut core, vec![(anna, "q-1", ask()), (anna, "q-1", ask())]);
    assert_eq!(core.poll_io(), None);
    assert_eq!(answered(&mut again[0]), Ok(ack.clone()));
    assert_eq!(answered(&mut again[1]), Ok(ack.clone()));
    assert!(received(&moderator).is_empty());
    assert_eq!(core.dialogue.questions.len(), 1);

    // After a restart (nothing in memory), the store's unique key stops a second
    // question, and the ack comes from the store's saved acks.
    let mut log = log;
    log.records.extend(written);
    let mut restarted = DialogueCore::new(log.loaded(), settings(100)).unwrap();
    let mut retry = submit(&mut restarted, vec![(anna, "q-1", ask())]);
    assert_retry_answered_from_the_store(&mut restarted, &log, saved);
    assert_eq!(answered(&mut retry[0]), Ok(ack));
    assert_eq!(restarted.dialogue.questions.len(), 1);
}

/// Plays a store that holds the key of the staged batch already: the append
/// fails on it, the saved acks are read, and the batch is decided again on
/// fresh state, with nothing left to write.
fn assert_retry_answered_from_the_store(core: &mut DialogueCore, log: &Log, saved: Vec<SavedAck>) {
    let head = log.records.len() as u64;
    assert_eq!(core.poll_io(), Some(Io::Append { head }));
    core.handle(Input::Appended(Err(StoreError::Duplicate)), 5_001);
    assert_eq!(core.poll_io(), Some(Io::Backoff { max_ms: 1 }));
    core.handle(Input::Waited, 5_002);
    assert_eq!(core.poll_io(), Some(Io::Load));
    core.handle(Input::Loaded(Ok(Box::new(log.loaded()))), 5_003);
    let keys: Vec<_> = saved
        .iter()
        .map(|a| (a.actor_id, a.client_msg_id.clone()))
        .collect();
    assert_eq!(core.poll_io(), Some(Io::SavedAcks(keys)));
    core.handle(Input::SavedAcks(Ok(saved)), 5_004);
    assert_eq!(core.poll_io(), None);
}

#[test]
fn a_lost_compare_and_set_is_decided_again_on_fresh_state() {
    let mut log = Log::live();
    let bo = participant();
    log.question(bo, 1, false); // seq 3
    let mut core = log.core(100);
    let moderator = join(&mut core, 1, Actor::Moderator(Uuid::new_v4()), None);
    received(&moderator);
    let anna = participant();
    let mut answers = submit(
        &mut core,
        vec![
            (anna, "q-1", ask()),
            (Actor::Moderator(Uuid::new_v4()), "m-1", approve(1)),
        ],
    );
    assert_eq!(core.poll_io(), Some(Io::Append { head: 3 }));
    // Another node appended question 2 first.
    log.question(participant(), 2, false); // seq 4
    core.handle(
        Input::Appended(Err(StoreError::Conflict {
            expected: 3,
            actual: 4,
        })),
        5_001,
    );
    assert_eq!(core.poll_io(), Some(Io::Backoff { max_ms: 1 }));
    core.handle(Input::Waited, 5_002);
    assert_eq!(core.poll_io(), Some(Io::Load));
    core.handle(Input::Loaded(Ok(Box::new(log.loaded()))), 5_003);
    // Decided again on the store's head: Anna's question is number 3 now.
    let staged: Vec<u64> = core
        .staged()
        .unwrap()
        .records
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(staged, [5, 6]);
    commit(&mut core, 4);
    let ack = answered(&mut answers[0]).unwrap();
    assert_eq!((ack.question_id, ack.seq), (Some(3), Some(5)));
    assert_eq!(answered(&mut answers[1]).unwrap().seq, Some(6));
    // Members get the other node's event and then this batch, in order, nothing twice.
    assert_eq!(seqs_of_events(&received(&moderator)), [4, 5, 6]);
    assert_eq!(
        core.dialogue.questions[&QuestionId(1)].status,
        QuestionStatus::Approved
    );
}

#[test]
fn a_refusal_on_a_state_another_node_moved_past_is_decided_again() {
    let mut log = Log::live();
    log.question(participant(), 1, false); // seq 3
    let mut core = log.core(100);
    let other = Actor::Moderator(Uuid::new_v4());
    // Another node approved question 1; its wake has not come yet.
    log.push(
        other,
        Event::QuestionApproved {
            question: QuestionId(1),
            edited: None,
        },
    );
    let vote = Command::Vote {
        question: QuestionId(1),
        on: true,
    };
    let mut answers = submit(&mut core, vec![(participant(), "v-1", vote)]);
    // Refused here (question 1 is pending on this node): first, is it a retry?
    assert!(matches!(core.poll_io(), Some(Io::SavedAcks(keys)) if keys.len() == 1));
    core.handle(Input::SavedAcks(Ok(Vec::new())), 5_000);
    assert_eq!(core.poll_io(), Some(Io::Head));
    core.handle(Input::Head(Ok(Some(4))), 5_000);
    assert_eq!(core.poll_io(), Some(Io::Load));
    core.handle(Input::Loaded(Ok(Box::new(log.loaded()))), 5_000);
    commit(&mut core, 4);
    let ack = answered(&mut answers[0]).unwrap();
    assert_eq!(ack.seq, None, "a vote has no place in the log");
    assert_eq!(core.dialogue.tally(QuestionId(1)), 1);
}

#[test]
fn a_failed_commit_changes_nothing_and_fails_its_batch_as_unavailable() {
    let mut log = Log::live();
    log.question(participant(), 1, false); // seq 3
    let mut core = log.core(100);
    let moderator = join(&mut core, 1, Actor::Moderator(Uuid::new_v4()), None);
    received(&moderator);
    let mut answers = submit(&mut core, vec![(log.organizer, "m-1", approve(1))]);
    assert_eq!(core.poll_io(), Some(Io::Append { head: 3 }));
    core.handle(
        Input::Appended(Err(StoreError::Config("disk full".into()))),
        5_000,
    );
    // Nothing was saved: reload, and with the store still down, show nothing
    // from a state that may hold the uncommitted batch.
    assert_eq!(core.poll_io(), Some(Io::Load));
    core.handle(
        Input::Loaded(Err(ReadFailure::Store(StoreError::NotFound))),
        5_000,
    );
    let err = answered(&mut answers[0]).unwrap_err();
    assert_eq!((err.code, err.retryable), (ErrorCode::Unavailable, true));
    assert!(received(&moderator).is_empty());
    assert!(core.view(Audience::Staff).is_none());
    assert!(core.fresh_dialogue().is_none());
    core.tick_live();
    assert_eq!(core.poll_io(), None);

    // The next wake reloads; the state is the store's, the approval never happened.
    core.wake(3, 0);
    assert_eq!(core.poll_io(), Some(Io::Load));
    core.handle(Input::Loaded(Ok(Box::new(log.loaded()))), 5_000);
    let fresh = core.fresh_dialogue().expect("fresh again");
    assert_eq!(
        (fresh.head_seq, fresh.questions[&QuestionId(1)].status),
        (3, QuestionStatus::Pending)
    );
    assert!(received(&moderator).is_empty());
    // The retry is decided anew, on the same head.
    let mut retry = submit(&mut core, vec![(log.organizer, "m-1", approve(1))]);
    commit(&mut core, 3);
    assert_eq!(answered(&mut retry[0]).unwrap().seq, Some(4));
}

#[test]
fn the_events_of_a_batch_get_gap_free_seq_after_the_head() {
    let mut log = Log::live();
    log.question(participant(), 1, true); // seq 3
    let mut core = log.core(100);
    let screen = join(&mut core, 2, Actor::Screen(Uuid::new_v4()), None);
    received(&screen);
    let vote = Command::Vote {
        question: QuestionId(1),
        on: true,
    };
    let moderator = Actor::Moderator(Uuid::new_v4());
    let mut answers = submit(
        &mut core,
        vec![
            (participant(), "a", ask()),
            (participant(), "b", vote),
            (participant(), "c", ask()),
            (moderator, "d", approve(2)),
            (moderator, "e", approve(99)),
        ],
    );
    // The unknown question is refused; the store has no ack for it.
    assert!(matches!(core.poll_io(), Some(Io::SavedAcks(_))));
    core.handle(Input::SavedAcks(Ok(Vec::new())), 5_000);
    assert_eq!(core.poll_io(), Some(Io::Head));
    core.handle(Input::Head(Ok(Some(3))), 5_000);
    let staged = core.staged().unwrap();
    let seqs: Vec<u64> = staged.records.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [4, 5, 6]);
    assert_eq!(staged.votes.len(), 1);
    commit(&mut core, 3);
    let acked: Vec<Option<u64>> = answers
        .iter_mut()
        .take(4)
        .map(|a| answered(a).unwrap().seq)
        .collect();
    assert_eq!(acked, [Some(4), None, Some(5), Some(6)]);
    assert_eq!(
        answered(&mut answers[4]).unwrap_err().code,
        ErrorCode::NotFound
    );
    // The public sees each event in order (pending questions as placeholders).
    assert_eq!(seqs_of_events(&received(&screen)), [4, 5, 6]);
}

/// A dialogue with questions up to seq 8, keeping the last five events.
fn longer_meeting() -> DialogueCore {
    let mut log = Log::live();
    for n in 1..=6 {
        log.question(participant(), n, true); // seq 3..=8
    }
    log.core(5)
}

fn welcome_and_rest(frames: Vec<Value>) -> (Value, Vec<Value>) {
    let mut frames = frames.into_iter();
    let welcome = frames.next().unwrap();
    assert_eq!(welcome["type"], "welcome");
    (welcome, frames.collect())
}

#[test]
fn a_resume_inside_the_replay_window_gets_exactly_the_missed_events() {
    let mut core = longer_meeting();
    let outbox = join(&mut core, 3, participant(), Some(5));
    let (welcome, rest) = welcome_and_rest(received(&outbox));
    assert_eq!(
        (welcome["recovered"].as_bool(), welcome["seq"].as_u64()),
        (Some(true), Some(8))
    );
    assert_eq!(seqs_of_events(&rest), [6, 7, 8]);
    assert!(
        rest.iter()
            .all(|f| f["type"] == "event" || f["type"] == "live")
    );
    // Up to date: nothing to replay, still recovered.
    let outbox = join(&mut core, 4, participant(), Some(8));
    let (welcome, rest) = welcome_and_rest(received(&outbox));
    assert_eq!(welcome["recovered"], true);
    assert!(seqs_of_events(&rest).is_empty());
}

#[test]
fn a_resume_outside_the_window_or_epoch_or_from_the_future_gets_a_snapshot() {
    let mut core = longer_meeting();
    let positions = [
        Position {
            epoch: EPOCH,
            seq: 2,
        }, // before the window (it keeps 4..=8)
        Position {
            epoch: EPOCH + 1,
            seq: 6,
        }, // another epoch: the log was rebuilt
        Position {
            epoch: EPOCH,
            seq: 20,
        }, // ahead of the store
    ];
    for (conn, resume) in positions.into_iter().enumerate() {
        let outbox = Arc::new(Outbox::new(1 << 20));
        let (reply, mut joined) = oneshot::channel();
        core.join(Join {
            conn: conn as ConnId,
            actor: participant(),
            location: Location::InRoom,
            resume: Some(resume),
            outbox: outbox.clone(),
            reply,
        });
        if resume.seq > 8 && resume.epoch == EPOCH {
            // This node reads the store first, in case another node is ahead.
            assert_eq!(core.poll_io(), Some(Io::EventsAfter(8)));
            core.handle(Input::EventsAfter(Ok(Vec::new())), 5_000);
        }
        assert_eq!(core.poll_io(), None);
        assert_eq!(joined.try_recv().unwrap(), Ok(()));
        let (welcome, rest) = welcome_and_rest(received(&outbox));
        assert_eq!(welcome["recovered"], false, "{resume:?}");
        assert_eq!(rest[0]["type"], "snapshot", "{resume:?}");
        assert!(seqs_of_events(&rest).is_empty());
    }
}
