//! Staff sign-in through a real OpenID provider (the npm `oidc-provider`, run
//! with node by the test): the good path, and each check the server must make
//! of the provider's answer. Every refusal case would sign the person in if the
//! check it names were taken out.

#[path = "oidc/provider.rs"]
mod provider;

use crate::harness::TestApp;
use dialoghub::config::OidcGrantSetting;
use provider::{Browser, CLIENT_SECRET, Landing, Provider};

/// A server whose staff sign in at `provider` as client `client_id`.
async fn server(provider: &Provider, client_id: &str) -> TestApp {
    let issuer = provider.issuer.clone();
    let client_id = client_id.to_string();
    TestApp::spawn_with(move |s| {
        s.oidc.issuer_url = issuer;
        s.oidc.client_id = client_id;
        s.oidc.client_secret = CLIENT_SECRET.into();
        s.oidc.scopes = vec!["openid".into(), "profile".into(), "groups".into()];
        s.oidc.roles_claim = "groups".into();
        let grant = |claim_value: &str, district: &str, role: &str| OidcGrantSetting {
            claim_value: claim_value.into(),
            district: district.into(),
            role: role.into(),
        };
        s.oidc.grants = vec![
            grant("dh-rinkeby-organizers", "rinkeby-kista", "organizer"),
            grant("dh-rinkeby-moderators", "rinkeby-kista", "moderator"),
            grant("dh-admins", "*", "admin"),
        ];
    })
    .await
}

/// Signs in as `login` from the start page to the server's answer.
async fn sign_in(app: &TestApp, login: &str) -> (Browser, Landing) {
    let browser = Browser::new();
    let base = &app.endpoint.base;
    let authorize = browser.start(base, "/moderate?d=x").await;
    let landing = browser.sign_in_at_provider(authorize, login, base).await;
    (browser, landing)
}

/// The security events of refused sign-ins in the audit trail: their reasons.
async fn refusals(app: &TestApp) -> Vec<String> {
    let store = dialoghub::store::open(&app.store_url).await.expect("store");
    store
        .audit_entries(uuid::Uuid::nil())
        .await
        .expect("audit")
        .into_iter()
        .filter(|r| r.entry.action == "sign_in_refused")
        .map(|r| r.entry.detail.unwrap_or_default())
        .collect()
}

fn refused(landing: &Landing, status: u16, reason: &str) {
    assert_eq!(landing.status, status, "{}", landing.body);
    assert!(
        landing.body.contains(&format!("data-reason=\"{reason}\"")),
        "expected {reason}: {}",
        landing.body
    );
    assert!(landing.body.contains("lang=\"sv\""), "Swedish first");
    assert!(landing.body.contains("lang=\"en\""), "English too");
    assert!(
        !landing
            .set_cookies
            .iter()
            .any(|c| c.starts_with("dialoghub_session=") && !c.contains("Max-Age=0")),
        "no session is started: {:?}",
        landing.set_cookies
    );
}

#[tokio::test]
async fn staff_sign_in_through_the_provider_starts_a_session() {
    let provider = Provider::start().await;
    let app = server(&provider, "dialoghub").await;
    let (status, _, page) = app.endpoint.get_text("/signin?next=/moderate", None).await;
    assert_eq!(status, 200);
    assert!(page.contains("Logga in med kommunens konto"), "{page}");
    assert!(
        page.contains("href=\"/auth/oidc/start?next=/moderate\""),
        "{page}"
    );
    let (browser, landing) = sign_in(&app, "anna").await;
    assert_eq!(landing.status, 303, "{}", landing.body);
    assert_eq!(landing.location.as_deref(), Some("/moderate?d=x"));
    let session = landing
        .set_cookies
        .iter()
        .find(|c| c.starts_with("dialoghub_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    assert!(
        landing
            .set_cookies
            .iter()
            .any(|c| c.starts_with("dialoghub_oidc=;") && c.contains("Max-Age=0")),
        "the pending sign-in is cleared: {:?}",
        landing.set_cookies
    );

    // The session is Anna's, with the role her groups give her.
    let resp = browser
        .http
        .get(format!("{}/api/session", app.endpoint.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    let text = body.to_string();
    assert!(text.contains("Anna Andersson"), "{text}");
    assert!(
        text.contains("rinkeby-kista") && text.contains("organizer"),
        "{text}"
    );
    assert!(!text.contains("some-unrelated-group"), "{text}");

    // The provider's answer cannot be used again, in this browser or another.
    for again in [&browser, &Browser::new()] {
        let resp = again
            .http
            .get(landing.callback.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        assert!(resp.text().await.unwrap().contains("no_pending_sign_in"));
    }
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    let provider = Provider::start().await;
    let app = server(&provider, "dialoghub").await;
    let browser = Browser::new();
    let base = &app.endpoint.base;
    let mut authorize = browser.start(base, "/moderate").await;
    // Someone slips the provider a nonce of their own: state and PKCE still match.
    let params: Vec<(String, String)> = authorize
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "nonce" {
                "a-nonce-of-someone-else".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    authorize.query_pairs_mut().clear().extend_pairs(params);
    let landing = browser.sign_in_at_provider(authorize, "anna", base).await;
    refused(&landing, 401, "id_token_nonce");
    let events = refusals(&app).await;
    assert!(
        events.iter().any(|d| d.contains("id_token_nonce")),
        "the failed sign-in is in the audit trail: {events:?}"
    );
}

#[tokio::test]
async fn an_answer_with_another_state_is_refused() {
    let provider = Provider::start().await;
    let app = server(&provider, "dialoghub").await;
    let browser = Browser::new();
    let base = &app.endpoint.base;
    let mut authorize = browser.start(base, "/moderate").await;
    let params: Vec<(String, String)> = authorize
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                "forged-state".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    authorize.query_pairs_mut().clear().extend_pairs(params);
    let landing = browser.sign_in_at_provider(authorize, "anna", base).await;
    refused(&landing, 400, "state");
}

#[tokio::test]
async fn an_id_token_for_another_audience_is_refused() {
    let provider = Provider::start().await;
    let app = server(&provider, "dialoghub-wrong-aud").await;
    let (_, landing) = sign_in(&app, "anna").await;
    refused(&landing, 401, "id_token_audience");
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    let provider = Provider::start().await;
    let app = server(&provider, "dialoghub-expired").await;
    let (_, landing) = sign_in(&app, "anna").await;
    refused(&landing, 401, "id_token_expired");
}

#[tokio::test]
async fn someone_whose_claims_map_to_no_district_gets_a_refusal_page() {
    let provider = Provider::start().await;
    let app = server(&provider, "dialoghub").await;
    let (_, landing) = sign_in(&app, "nobody").await;
    refused(&landing, 403, "no_district");
    assert!(
        landing.body.contains("Du har ingen behörighet här"),
        "{}",
        landing.body
    );
    assert!(landing.body.contains("You have no access here"));
    let events = refusals(&app).await;
    assert_eq!(events.len(), 1, "recorded once: {events:?}");
    assert!(events[0].contains("no_district"), "{events:?}");
}

#[tokio::test]
async fn without_a_provider_the_sign_in_routes_say_so() {
    let app = TestApp::spawn().await;
    let browser = Browser::new();
    let resp = browser
        .http
        .get(format!("{}/auth/oidc/start", app.endpoint.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert!(resp.text().await.unwrap().contains("not_configured"));
    let (status, _, page) = app.endpoint.get_text("/signin", None).await;
    assert_eq!(status, 200);
    assert!(
        !page.contains("kommunens konto"),
        "no button without a provider"
    );
    assert!(page.contains("inloggningslänk"), "{page}");
}

/// The example in config/ is a valid settings file whose grants all parse.
#[test]
fn the_example_configuration_reads() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/oidc.example.toml");
    let settings = dialoghub::Settings::load(Some(&file)).expect("the example reads");
    assert_eq!(settings.oidc.grants.len(), 4);
    let oidc = dialoghub::identity::oidc::Oidc::from_settings(&settings, &[7u8; 32])
        .expect("its grants parse");
    assert!(oidc.is_some());
}
