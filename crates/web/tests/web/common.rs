//! What the web tests share: an installation set up on the
//! database `store::testing::each_engine` hands each test (so every test
//! runs on SQLite and on PostgreSQL), its router, and requests as an API
//! client (bearer token, JSON) or as a signed-in browser (session cookie
//! and the CSRF double-submit token).

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use serde_json::Value;
use services::Services;
use services::secrets::SecretBox;
use services::system::setup::SetupInput;
use tower::ServiceExt;
use web::{AppState, WebConfig};

/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery";
/// The CSRF token test browsers send as cookie and form field.
pub const CSRF: &str = "csrf-token-for-tests-0123456789abcdef";

/// The caller of set-up calls made straight to the services: the console,
/// named `test`.
pub fn cli_caller() -> services::Caller {
    services::Caller::Cli {
        name: "test".into(),
    }
}

/// A set-up installation: company "Provedor Teste" (Brazil, BRL,
/// São Paulo time) and its first admin, `admin`.
pub struct App {
    pub router: Router,
    pub svc: Services,
    pub db: store::Db,
    pub admin_id: i64,
    /// The admin's API token with every scope.
    pub token: String,
}

/// [`App`] in English.
pub async fn app(db: store::Db) -> App {
    app_in(db, "en").await
}

/// [`App`] whose company and admin use `locale`.
pub async fn app_in(db: store::Db, locale: &str) -> App {
    let svc = Services::new(db.clone(), SecretBox::from_key(&[7; 32]), data_dir());
    let input = SetupInput {
        company: "Provedor Teste".into(),
        legal_document: "12.345.678/0001-90".into(),
        country: "BR".into(),
        currency: "BRL".into(),
        locale: locale.into(),
        timezone: "America/Sao_Paulo".into(),
        admin_username: "admin".into(),
        admin_email: "admin@example.net".into(),
        admin_name: "Admin".into(),
        admin_password: PASSWORD.into(),
        logo: None,
    };
    let admin_id = services::system::setup::run(&svc, &input, None)
        .await
        .unwrap();
    let (_, token) = services::staff::tokens::create(&svc, &console(), admin_id, "test", "all")
        .await
        .unwrap();
    let router = web::router(AppState::new(svc.clone(), WebConfig::default()));
    App {
        router,
        svc,
        db,
        admin_id,
        token,
    }
}

/// A data directory of its own (checked imports are kept there).
fn data_dir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "lastmile-web-tests/{}-{}-{}",
        std::process::id(),
        store::now(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

impl App {
    /// Adds a staff user with [`PASSWORD`]; returns its id.
    pub async fn user(&self, username: &str, role: &str, locale: Option<&str>) -> i64 {
        let u = services::staff::UserInput {
            username: username.into(),
            email: format!("{username}@example.net"),
            display_name: username.into(),
            role: role.into(),
            locale: locale.map(Into::into),
            ..Default::default()
        };
        services::staff::create_user(&self.svc, &console(), &u, PASSWORD)
            .await
            .unwrap()
    }

    /// A session token for `username` (signed in through the service).
    pub async fn session(&self, username: &str) -> String {
        let req = services::staff::auth::LoginRequest {
            username,
            password: PASSWORD,
            ip: "127.0.0.1".parse().unwrap(),
            user_agent: "test",
            device: None,
        };
        match services::staff::auth::login(&self.svc, &req).await.unwrap() {
            services::staff::auth::LoginOutcome::Done { session_token, .. } => session_token,
            other => panic!("{other:?}"),
        }
    }

    /// A browser signed in as `username` through the service.
    pub async fn browser(&self, username: &str) -> Browser {
        let session = self.session(username).await;
        Browser {
            router: self.router.clone(),
            cookie: format!("lm_session={session}; lm_csrf={CSRF}"),
        }
    }
}

/// An answer read as text (pages, files).
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The id at the end of a redirect to `/things/{id}?ok=…`.
    pub fn id(&self) -> i64 {
        let path = self.location().split('?').next().unwrap();
        path.rsplit('/').next().unwrap().parse().unwrap()
    }
}

/// An answer read as JSON (`Null` when it is not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The field the first error of a problem names.
    pub fn field(&self) -> &str {
        self.body["errors"][0]["field"].as_str().unwrap_or("")
    }
}

pub async fn send(router: &Router, req: Request<Body>) -> Page {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Page {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    }
}

pub async fn send_json(router: &Router, req: Request<Body>) -> Reply {
    let page = send(router, req).await;
    Reply {
        status: page.status,
        headers: page.headers,
        body: serde_json::from_slice(&page.bytes).unwrap_or(Value::Null),
    }
}

/// An API request with an optional bearer token and JSON body.
pub async fn call(
    app: &App,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    send_json(&app.router, req.body(body).unwrap()).await
}

/// An `application/problem+json` answer with `status`.
pub fn assert_problem(r: &Reply, status: u16) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.content_type(), "application/problem+json");
    assert_eq!(r.body["status"], status);
    assert!(r.body["title"].is_string() && r.body["detail"].is_string());
    assert!(
        r.body["type"]
            .as_str()
            .unwrap()
            .starts_with("/api/docs#problem-")
    );
}

/// A form body with the CSRF field first.
pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut all: Vec<(&str, &str)> = vec![("_csrf", CSRF)];
    all.extend_from_slice(pairs);
    serde_urlencoded::to_string(all).unwrap()
}

/// A signed-in browser.
pub struct Browser {
    pub router: Router,
    /// Session and CSRF cookies (and a language, when set).
    pub cookie: String,
}

impl Browser {
    /// Signs in through the login form, as a person would; the browser
    /// asks for English (`lm_lang`), which the user's own language beats.
    pub async fn login(router: &Router, username: &str, password: &str) -> Browser {
        let req = Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("lm_csrf={CSRF}"))
            .body(Body::from(form(&[
                ("username", username),
                ("password", password),
            ])))
            .unwrap();
        let r = send(router, req).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let session = r
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("lm_session="))
            .map(|c| c.split(';').next().unwrap().to_owned())
            .expect("a session cookie");
        Browser {
            router: router.clone(),
            cookie: format!("lm_csrf={CSRF}; lm_session={session}; lm_lang=en"),
        }
    }

    pub async fn get(&self, uri: &str) -> Page {
        self.request(Method::GET, uri, &[]).await
    }

    /// A form post (the CSRF field added).
    pub async fn post(&self, uri: &str, pairs: &[(&str, &str)]) -> Page {
        self.request(Method::POST, uri, pairs).await
    }

    /// `method` on `uri`; POSTs carry `pairs` as a form.
    pub async fn request(&self, method: Method, uri: &str, pairs: &[(&str, &str)]) -> Page {
        let mut req = Request::builder()
            .method(method.clone())
            .uri(uri)
            .header("cookie", &self.cookie);
        let body = if method == Method::POST {
            req = req.header("content-type", "application/x-www-form-urlencoded");
            Body::from(form(pairs))
        } else {
            Body::empty()
        };
        send(&self.router, req.body(body).unwrap()).await
    }
}

pub fn assert_redirect(r: &Page, prefix: &str) {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.location().starts_with(prefix),
        "redirected to {} instead of {prefix}",
        r.location()
    );
}

/// The console as the caller of set-up calls (the same as [`cli_caller`]).
pub fn console() -> services::Caller {
    cli_caller()
}
