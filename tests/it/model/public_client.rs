//! A public client of the model tests: it applies public events to a snapshot as
//! `docs/protocol.md` §1.9 says, so resuming can be compared with a fresh snapshot.

use serde_json::Value;
use std::collections::BTreeMap;

/// A public client applying events as `docs/protocol.md` §1.9 says.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientState {
    pub seq: u64,
    phase: Value,
    info: Value,
    questions: BTreeMap<u64, Value>,
    up_next: Vec<u64>,
    now_answering: Option<u64>,
}

impl ClientState {
    pub fn from_snapshot(s: &Value) -> ClientState {
        let mut info = s["dialogue"].clone();
        let phase = info["phase"].take();
        ClientState {
            seq: s["seq"].as_u64().unwrap(),
            phase,
            info,
            questions: s["questions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| (q["id"].as_u64().unwrap(), q.clone()))
                .collect(),
            up_next: ids(&s["up_next"]),
            now_answering: s["now_answering"].as_u64(),
        }
    }

    fn leave_queue(&mut self, id: u64) {
        self.up_next.retain(|q| *q != id);
        if self.now_answering == Some(id) {
            self.now_answering = None;
        }
    }

    fn set_status(&mut self, id: u64, status: &str) {
        if let Some(q) = self.questions.get_mut(&id) {
            q["status"] = status.into();
        }
    }

    pub fn apply(&mut self, frame: &Value) {
        self.seq = frame["seq"].as_u64().unwrap();
        let e = &frame["event"];
        let id = e["question_id"].as_u64().unwrap_or(0);
        match e["kind"].as_str().unwrap() {
            "question_published" => {
                let q = e["question"].clone();
                self.questions.insert(q["id"].as_u64().unwrap(), q);
            }
            "question_rejected" => self.set_status(id, "rejected"),
            "question_merged" => {
                self.set_status(id, "merged");
                if let Some(q) = self.questions.get_mut(&id) {
                    q["merged_into"] = e["into"].clone();
                }
                self.leave_queue(id);
            }
            "question_answered" => {
                self.set_status(id, "answered");
                self.leave_queue(id);
            }
            "question_archived" => {
                self.set_status(id, "archived");
                self.leave_queue(id);
            }
            "up_next_set" => self.up_next = ids(&e["question_ids"]),
            "now_answering" => {
                self.now_answering = e["question_id"].as_u64();
                if let Some(id) = self.now_answering {
                    self.up_next.retain(|q| *q != id);
                }
            }
            "phase_changed" => {
                self.phase = e["phase"].clone();
                if self.phase == "closed" {
                    self.now_answering = None;
                }
            }
            "info_set" => {
                for (k, v) in e.as_object().unwrap() {
                    if k != "kind" {
                        self.info[k] = v.clone();
                    }
                }
            }
            "panelist_added" => unreachable!("not generated"),
            "question_received" | "internal" => {}
            other => panic!("a public client got {other}: {frame}"),
        }
    }

    /// What the client shows: public questions only, and the queue.
    pub fn visible(&self) -> ClientState {
        let mut v = self.clone();
        v.seq = 0;
        v.questions
            .retain(|_, q| q["status"] == "approved" || q["status"] == "answered");
        v
    }
}

fn ids(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}
