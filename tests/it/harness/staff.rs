//! Staff as a browser holds them: a session cookie and its CSRF token, signed in
//! through a single-use link made the way `dialoghub admin` makes one.

use super::client::Client;
use super::server::{Endpoint, key};
use dialoghub::domain::access::{DistrictScope, Grant, StaffRole};
use dialoghub::store::Store;
use serde_json::Value;
use uuid::Uuid;

/// A signed-in staff member (or invitee).
#[derive(Clone, Debug)]
pub struct Staff {
    pub id: Uuid,
    /// The session cookie's value.
    pub cookie: String,
    pub csrf: String,
}

/// `role` in `district` (`"*"`: the whole municipality).
pub fn grant(district: &str, role: &str) -> Grant {
    Grant {
        district: DistrictScope::parse(district).unwrap(),
        role: StaffRole::parse(role).unwrap(),
    }
}

impl Staff {
    /// The harness's credential string for `Endpoint::post` and `Client::connect`
    /// (which fetches a ticket for `dialogue`).
    pub fn credential(&self, dialogue: Option<Uuid>) -> String {
        match dialogue {
            Some(d) => format!("session {} {} {d}", self.cookie, self.csrf),
            None => format!("session {} {}", self.cookie, self.csrf),
        }
    }
}

impl Endpoint {
    /// Makes a staff member with these grants, and signs them in by link.
    pub async fn sign_in(&self, store: &dyn Store, name: &str, grants: &[Grant]) -> Staff {
        let (id, link) = dialoghub::identity::admin::staff_link(
            store,
            &self.base,
            &format!("test:{}", Uuid::new_v4()),
            name,
            grants,
            15,
        )
        .await
        .expect("a sign-in link");
        let mut staff = self.use_link(&link).await.expect("the link signs in");
        staff.id = id;
        staff
    }

    /// Uses a single-use link (a full URL or a path) as its button does: the
    /// session, or the status it was refused with.
    pub async fn use_link(&self, link: &str) -> Result<Staff, u16> {
        let url = if link.starts_with("http") {
            link.to_string()
        } else {
            format!("{}{link}", self.base)
        };
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let resp = client.post(url).send().await.expect("HTTP request");
        if resp.status().as_u16() != 303 {
            return Err(resp.status().as_u16());
        }
        let set_cookie = resp
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("a session cookie")
            .to_string();
        let cookie = set_cookie
            .split(';')
            .next()
            .and_then(|c| c.strip_prefix("dialoghub_session="))
            .expect("the session cookie")
            .to_string();
        let mut staff = Staff {
            id: Uuid::nil(),
            cookie,
            csrf: String::new(),
        };
        let (status, session) = self.staff_get("/api/session", &staff).await;
        assert_eq!(status, 200, "{session}");
        staff.csrf = session["csrf"].as_str().unwrap().to_string();
        let id = session["staff"]["id"]
            .as_str()
            .or(session["invitee"]["id"].as_str())
            .unwrap();
        staff.id = id.parse().unwrap();
        Ok(staff)
    }

    fn with_session(&self, req: reqwest::RequestBuilder, staff: &Staff) -> reqwest::RequestBuilder {
        req.header("cookie", format!("dialoghub_session={}", staff.cookie))
            .header("x-csrf-token", &staff.csrf)
            .header("origin", &self.base)
            .header("idempotency-key", key())
    }

    pub async fn staff_get(&self, path: &str, staff: &Staff) -> (u16, Value) {
        let req = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", format!("dialoghub_session={}", staff.cookie));
        let resp = req.send().await.expect("HTTP request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// A request of a signed-in browser: cookie, CSRF token, our own origin.
    pub async fn staff_send(
        &self,
        method: &str,
        path: &str,
        staff: &Staff,
        body: Value,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "PUT" => self.http.put(url).json(&body),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let resp = self
            .with_session(req, staff)
            .send()
            .await
            .expect("HTTP request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn staff_post(&self, path: &str, staff: &Staff, body: Value) -> (u16, Value) {
        self.staff_send("POST", path, staff, body).await
    }

    /// The staff member behind a harness credential string (`session <cookie> <csrf> …`).
    pub fn staff_of(&self, credential: &str) -> Staff {
        let mut parts = credential.split(' ').skip(1);
        Staff {
            id: Uuid::nil(),
            cookie: parts.next().unwrap().to_string(),
            csrf: parts.next().unwrap().to_string(),
        }
    }

    /// A single-use WebSocket ticket for `dialogue`.
    pub async fn ticket(&self, staff: &Staff, dialogue: Uuid) -> Result<String, (u16, Value)> {
        let (status, body) = self
            .staff_post(
                "/api/ws-ticket",
                staff,
                serde_json::json!({"dialogue_id": dialogue}),
            )
            .await;
        match status {
            200 => Ok(body["ticket"].as_str().unwrap().to_string()),
            _ => Err((status, body)),
        }
    }

    /// The staff member's socket to `dialogue`, opened with a fresh ticket.
    pub async fn staff_socket(&self, staff: &Staff, dialogue: Uuid) -> Client {
        let ticket = self.ticket(staff, dialogue).await.expect("a ticket");
        Client::try_connect_ticket(&self.ws, &ticket)
            .await
            .expect("the ticket opens a socket")
    }
}

/// A ticket for a harness credential string (`session <cookie> <csrf> …`).
pub async fn ticket_of(endpoint: &Endpoint, credential: &str, dialogue: Uuid) -> String {
    let staff = endpoint.staff_of(credential);
    endpoint.ticket(&staff, dialogue).await.expect("a ticket")
}
