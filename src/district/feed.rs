//! The district's news, dated: a record published, a promise kept, closed or
//! overdue, an information post. What the Atom feed carries and what dates the
//! page's "last updated". Pure: `now` comes in as a value.

use super::promises::{self, PromiseKind, PromiseStatus};
use super::{DistrictData, overdue_from, today};
use crate::domain::{Phase, Timestamp};
use uuid::Uuid;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewsKind {
    RecordPublished,
    PromiseDone,
    PromiseWillNotBeDone,
    PromiseOverdue,
    InfoPosted,
}

impl NewsKind {
    pub fn code(self) -> &'static str {
        match self {
            NewsKind::RecordPublished => "record_published",
            NewsKind::PromiseDone => "promise_done",
            NewsKind::PromiseWillNotBeDone => "promise_will_not_be_done",
            NewsKind::PromiseOverdue => "promise_overdue",
            NewsKind::InfoPosted => "info_posted",
        }
    }
}

/// One dated change. `id` is stable: the same change keeps its id in every
/// reading of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct News {
    pub id: Uuid,
    pub kind: NewsKind,
    pub at: Timestamp,
    /// The dialogue's title, or the district post's title.
    pub title: String,
    /// The promise, the post's text, or empty.
    pub text: String,
    /// Path on this server (`/d/CODE#q3`, `/o/DISTRICT#post-…`).
    pub path: String,
}

fn stable_id(parts: &str) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, parts.as_bytes())
}

/// Every change up to `now`, newest first.
pub fn news(data: &DistrictData, now: Timestamp, zone: chrono_tz::Tz) -> Vec<News> {
    let day = today(now, zone);
    let mut out = Vec::new();
    for s in &data.dialogues {
        let d = &s.dialogue;
        if let (Phase::Closed, Some(at)) = (d.phase, d.closed_at) {
            out.push(News {
                id: stable_id(&format!("dialoghub:{}:record", d.id)),
                kind: NewsKind::RecordPublished,
                at,
                title: d.info.title.clone(),
                text: String::new(),
                path: format!("/d/{}", d.code),
            });
        }
        for p in promises::of(s, day) {
            let (key, anchor) = match p.kind {
                PromiseKind::FollowUp(q) => (format!("follow-up:{}", q.0), format!("#q{}", q.0)),
                PromiseKind::Action(a) => (format!("action:{a}"), String::new()),
            };
            let (kind, at) = match (p.status, p.closed) {
                (PromiseStatus::Done, Some((at, _))) => (NewsKind::PromiseDone, at),
                (PromiseStatus::WillNotBeDone, Some((at, _))) => {
                    (NewsKind::PromiseWillNotBeDone, at)
                }
                (PromiseStatus::Overdue, _) => {
                    (NewsKind::PromiseOverdue, overdue_from(p.due, zone))
                }
                _ => continue,
            };
            let text = match p.outcome {
                Some(o) => format!("{} — {o}", p.what),
                None => p.what.to_string(),
            };
            out.push(News {
                id: stable_id(&format!("dialoghub:{}:{key}:{}", d.id, kind.code())),
                kind,
                at,
                title: d.info.title.clone(),
                text,
                path: format!("/d/{}{anchor}", d.code),
            });
        }
        for post in d.posts.values() {
            out.push(News {
                id: stable_id(&format!("dialoghub:{}:post:{}", d.id, post.id.0)),
                kind: NewsKind::InfoPosted,
                at: post.edited_at.unwrap_or(post.posted_at),
                title: d.info.title.clone(),
                text: post.text.clone(),
                path: format!("/d/{}", d.code),
            });
        }
    }
    for post in &data.posts {
        out.push(News {
            id: post.id,
            kind: NewsKind::InfoPosted,
            at: post.posted_at,
            title: post.title.clone(),
            text: post.text.clone(),
            path: format!("/o/{}#post-{}", data.id.as_str(), post.id),
        });
    }
    out.retain(|n| n.at <= now);
    out.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id)));
    out
}

/// When anything on the district's page last changed, up to `now`: the newest
/// news, a new or changed meeting, or a new promise.
pub fn last_updated(data: &DistrictData, now: Timestamp, zone: chrono_tz::Tz) -> Timestamp {
    let news = news(data, now, zone).first().map_or(0, |n| n.at);
    let schedules = data
        .dialogues
        .iter()
        .map(|s| s.public_change_at)
        .max()
        .unwrap_or(0);
    let posts = data.posts.first().map_or(0, |p| p.posted_at);
    news.max(schedules.min(now)).max(posts)
}
