//! The `live` stream: tallies and presence go out at most once per interval
//! to each member, and only when something they carry changed.

use super::*;

#[test]
fn many_votes_make_one_live_update_per_member_per_interval() {
    let mut log = Log::live();
    log.question(participant(), 1, true); // seq 3
    let mut core = log.core(100);
    // Connection 0 is in the slice that gets tallies on every tenth tick.
    let member = join(&mut core, 0, participant(), None);
    received(&member);
    let version_before = core.live.version;
    let mut lives = Vec::new();
    for tick in 0..LIVE_SLICES {
        let votes = (0..5)
            .map(|i| {
                let vote = Command::Vote {
                    question: QuestionId(1),
                    on: true,
                };
                (participant(), ["v0", "v1", "v2", "v3", "v4"][i], vote)
            })
            .collect();
        submit(&mut core, votes);
        commit(&mut core, 3);
        core.tick_live();
        assert_eq!(core.poll_io(), None, "tick {tick}: no store read needed");
        lives.extend(
            received(&member)
                .into_iter()
                .filter(|f| f["type"] == "live"),
        );
    }
    // Fifty votes, ten ticks: one `live` for this member, with every vote in it.
    assert_eq!(lives.len(), 1);
    assert_eq!(lives[0]["votes"]["1"], 50);
    assert!(core.live.version - version_before <= LIVE_SLICES);
}

#[test]
fn another_nodes_event_renews_live_only_when_it_changes_what_live_carries() {
    let mut log = Log::live();
    let moderator = Actor::Moderator(Uuid::new_v4());
    log.question(participant(), 1, false); // seq 3
    let mut core = log.core(100);
    let member = join(&mut core, 0, participant(), None);
    // Runs one live interval, and returns the `live` frames and event seqs the member got.
    let interval = |core: &mut DialogueCore| {
        for _ in 0..LIVE_SLICES {
            core.tick_live();
            assert_eq!(core.poll_io(), None);
        }
        let frames = received(&member);
        let lives = frames.iter().filter(|f| f["type"] == "live").count();
        (lives, seqs_of_events(&frames))
    };
    // The join itself changed presence.
    assert_eq!(interval(&mut core).0, 1);

    // Another node approves question 1: the event, and no new `live`.
    let approved = log.push(
        moderator,
        Event::QuestionApproved {
            question: QuestionId(1),
            edited: None,
        },
    );
    core.wake(approved, 0);
    assert_eq!(core.poll_io(), Some(Io::EventsAfter(3)));
    core.handle(Input::EventsAfter(Ok(log.records[3..].to_vec())), 5_000);
    assert_eq!(interval(&mut core), (0, vec![4]));

    // Another node archives it: it leaves the tallies, so a new `live` goes out.
    let archived = log.push(
        moderator,
        Event::QuestionArchived {
            question: QuestionId(1),
        },
    );
    core.wake(archived, 0);
    assert_eq!(core.poll_io(), Some(Io::EventsAfter(4)));
    core.handle(Input::EventsAfter(Ok(log.records[4..].to_vec())), 5_000);
    assert_eq!(interval(&mut core), (1, vec![5]));
}
