//! What a dialogue keeps bounded or in the store rather than in memory: acks
//! beyond the cache, and the attendance peak.

use super::*;

#[test]
fn a_retry_of_an_ack_the_bounded_cache_let_go_is_answered_from_the_store() {
    let log = Log::live();
    let mut small = settings(100);
    small.acks_cached = 2;
    let mut core = DialogueCore::new(log.loaded(), small).unwrap();
    let anna = participant();
    let mut first = submit(&mut core, vec![(anna, "q-1", ask())]);
    let mut log = log;
    let saved = core.staged().unwrap().saved.clone();
    log.records.extend(core.staged().unwrap().records.clone());
    commit(&mut core, 2);
    let ack = answered(&mut first[0]).unwrap();
    // Two more submissions push the first ack out of the cache.
    for key in ["q-2", "q-3"] {
        let _ = submit(&mut core, vec![(anna, key, ask())]);
        log.records.extend(core.staged().unwrap().records.clone());
        commit(&mut core, log.records.len() as u64 - 1);
    }
    assert!(core.acks.len() <= 2);
    assert!(!core.acks.contains(&(anna.id(), "q-1".into())));
    let mut retry = submit(&mut core, vec![(anna, "q-1", ask())]);
    assert_retry_answered_from_the_store(&mut core, &log, saved);
    assert_eq!(answered(&mut retry[0]), Ok(ack));
    assert_eq!(core.dialogue.questions.len(), 3, "no second question");
}

#[test]
fn the_attendance_peak_kept_in_the_store_is_written_on_closing_after_a_reload() {
    let log = Log::live();
    let mut loaded = log.loaded();
    loaded.peak = Attendance {
        in_room: 40,
        remote: 7,
        verified: 0,
    };
    let mut core = DialogueCore::new(loaded, settings(100)).unwrap();
    let _member = join(&mut core, 1, participant(), None);
    assert_eq!(
        core.peak(),
        Attendance {
            in_room: 40,
            remote: 7,
            verified: 0,
        }
    );
    let close = Command::SetPhase {
        to: Phase::Closed,
        expected: Phase::Live,
    };
    let _ = submit(&mut core, vec![(log.organizer, "c-1", close)]);
    let closed = &core.staged().unwrap().records[0].event;
    assert!(
        matches!(closed, Event::PhaseChanged { attendance: Some(a), .. } if a.in_room == 40 && a.remote == 7),
        "{closed:?}"
    );
}
