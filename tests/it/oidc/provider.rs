//! A real OpenID provider for the tests: `tests/oidc-provider/server.mjs` (the npm
//! `oidc-provider` package) run with node, and a browser-like HTTP client that
//! signs in through its login and consent pages.

use reqwest::Url;
use reqwest::header::{LOCATION, SET_COOKIE};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The secret of every client the provider knows (its script says so too).
pub const CLIENT_SECRET: &str = "test-secret-that-is-long-enough-0123456789";

/// One `npm ci` at a time, and none once the packages are there.
static INSTALL: Mutex<()> = Mutex::new(());

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider")
}

/// Installs the provider's packages (from its lock file) if they are missing.
fn install() {
    let _one = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if dir().join("node_modules/oidc-provider").is_dir() {
        return;
    }
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir())
        .stdout(Stdio::null())
        .status()
        .expect("npm runs (Node.js 20 or newer is needed for the OpenID provider)");
    assert!(status.success(), "npm ci in tests/oidc-provider failed");
}

pub struct Provider {
    pub issuer: String,
    _child: tokio::process::Child,
}

impl Provider {
    pub async fn start() -> Provider {
        install();
        let mut child = tokio::process::Command::new("node")
            .arg("server.mjs")
            .current_dir(dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("TEST_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the OpenID provider");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(super::super::harness::WAIT, lines.next_line())
            .await
            .expect("the provider starts in time")
            .expect("read the provider's output")
            .expect("the provider says where it listens");
        let said: serde_json::Value = serde_json::from_str(&first).expect("a JSON line");
        // The provider writes more as it works; a closed pipe would kill it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Provider {
            issuer: said["issuer"].as_str().expect("issuer").to_string(),
            _child: child,
        }
    }
}

/// A browser without JavaScript: keeps cookies, follows no redirect by itself.
pub struct Browser {
    pub http: reqwest::Client,
}

/// Where a sign-in ended: the server's answer to the provider's redirect back.
pub struct Landing {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
    /// The callback address the provider sent the browser to.
    pub callback: Url,
}

impl Browser {
    pub fn new() -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        }
    }

    /// `GET /auth/oidc/start`: the provider's authorization address.
    pub async fn start(&self, base: &str, next: &str) -> Url {
        let resp = self
            .http
            .get(format!("{base}/auth/oidc/start"))
            .query(&[("next", next)])
            .send()
            .await
            .expect("start");
        assert_eq!(
            resp.status().as_u16(),
            303,
            "start redirects to the provider"
        );
        let cookie = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("dialoghub_oidc="))
            .expect("the pending sign-in cookie");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        Url::parse(resp.headers()[LOCATION].to_str().unwrap()).expect("an absolute address")
    }

    /// Signs in at the provider as `login` (any password), consents, and follows
    /// the redirects back to the server's callback; returns the server's answer.
    pub async fn sign_in_at_provider(&self, authorize: Url, login: &str, base: &str) -> Landing {
        let mut url = authorize;
        for _ in 0..20 {
            if url
                .as_str()
                .starts_with(&format!("{base}/auth/oidc/callback"))
            {
                let resp = self.http.get(url.clone()).send().await.expect("callback");
                return Landing {
                    status: resp.status().as_u16(),
                    location: resp
                        .headers()
                        .get(LOCATION)
                        .map(|v| v.to_str().unwrap().to_string()),
                    set_cookies: resp
                        .headers()
                        .get_all(SET_COOKIE)
                        .iter()
                        .map(|v| v.to_str().unwrap().to_string())
                        .collect(),
                    body: resp.text().await.unwrap_or_default(),
                    callback: url,
                };
            }
            let resp = self.http.get(url.clone()).send().await.expect("provider");
            let status = resp.status().as_u16();
            if (300..400).contains(&status) {
                url = url
                    .join(resp.headers()[LOCATION].to_str().unwrap())
                    .unwrap();
                continue;
            }
            assert_eq!(status, 200, "the provider's page at {url}");
            let page = resp.text().await.unwrap();
            let (action, fields) = form(&page, login);
            let resp = self
                .http
                .post(url.join(&action).unwrap())
                .form(&fields)
                .send()
                .await
                .expect("submit");
            assert!(
                resp.status().is_redirection(),
                "the provider took the form: {}",
                resp.status()
            );
            url = url
                .join(resp.headers()[LOCATION].to_str().unwrap())
                .unwrap();
        }
        panic!("the provider never sent the browser back");
    }
}

/// The page's form: its action, its hidden fields, and the login filled in.
fn form(page: &str, login: &str) -> (String, Vec<(String, String)>) {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(tag[start..end].replace("&amp;", "&"))
    };
    let form_at = page.find("<form").expect("a form on the provider's page");
    let form_tag = &page[form_at..form_at + page[form_at..].find('>').unwrap()];
    let action = attr(form_tag, "action").expect("form action");
    let mut fields = Vec::new();
    for input in page[form_at..].split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap_or(input.len())];
        let Some(name) = attr(tag, "name") else {
            continue;
        };
        let value = match name.as_str() {
            "login" => login.to_string(),
            "password" => "any password".to_string(),
            _ => attr(tag, "value").unwrap_or_default(),
        };
        fields.push((name, value));
    }
    (action, fields)
}
