//! The customer, plan and contract pages driven over HTTP as a browser
//! would (session cookie, CSRF field, form posts), on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use services::secrets::SecretBox;
use services::setup::SetupInput;
use services::staff::UserInput;
use services::{Actor, Services};
use store::testing::each_engine;
use tower::ServiceExt;
use web::{AppState, WebConfig};

const CSRF: &str = "csrf-token-for-tests-0123456789abcdef";

fn cli() -> Actor {
    Actor {
        kind: "cli",
        id: None,
        name: "test".into(),
        source_ip: None,
    }
}

async fn app(db: store::Db) -> (Router, Services) {
    let dir = std::env::temp_dir().join("lastmile-tests");
    let svc = Services::new(db, SecretBox::from_key(&[7; 32]), dir);
    let input = SetupInput {
        company: "Provedor Teste".into(),
        legal_document: "12.345.678/0001-90".into(),
        country: "BR".into(),
        currency: "BRL".into(),
        locale: "en".into(),
        timezone: "America/Sao_Paulo".into(),
        admin_username: "admin".into(),
        admin_email: "admin@example.net".into(),
        admin_name: "Admin".into(),
        admin_password: "correct horse battery".into(),
        logo: None,
    };
    services::setup::run(&svc, &input, None).await.unwrap();
    let router = web::router(AppState::new(svc.clone(), WebConfig::default()));
    (router, svc)
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
    bytes: Vec<u8>,
}

impl Reply {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    /// The id at the end of a redirect to `/things/{id}?ok=…`.
    fn id(&self) -> i64 {
        let path = self.location().split('?').next().unwrap();
        path.rsplit('/').next().unwrap().parse().unwrap()
    }
}

/// A signed-in browser.
struct Browser {
    router: Router,
    cookie: String,
}

async fn send(router: &Router, req: Request<Body>) -> Reply {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut all: Vec<(&str, &str)> = vec![("_csrf", CSRF)];
    all.extend_from_slice(pairs);
    serde_urlencoded::to_string(all).unwrap()
}

impl Browser {
    async fn login(router: &Router, username: &str, password: &str) -> Browser {
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

    async fn get(&self, uri: &str) -> Reply {
        let req = Request::get(uri)
            .header("cookie", &self.cookie)
            .body(Body::empty())
            .unwrap();
        send(&self.router, req).await
    }

    async fn post(&self, uri: &str, pairs: &[(&str, &str)]) -> Reply {
        let req = Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &self.cookie)
            .body(Body::from(form(pairs)))
            .unwrap();
        send(&self.router, req).await
    }
}

fn assert_redirect(r: &Reply, prefix: &str) {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.location().starts_with(prefix),
        "redirected to {} instead of {prefix}",
        r.location()
    );
}

const PLAN: &[(&str, &str)] = &[
    ("name", "Fibra 500"),
    ("technology", "fiber"),
    ("download_kbps", "500000"),
    ("upload_kbps", "250000"),
    ("burst_down_rate_kbps", "600000"),
    ("burst_down_threshold_kbps", "400000"),
    ("burst_down_time_secs", "30"),
    ("quota_mb", ""),
    ("quota_action", "throttle"),
    ("price", "129,90"),
    ("billing_mode", "postpaid"),
    ("cycle", "monthly"),
    ("installation_fee", "0"),
    ("loyalty_months", "12"),
    ("early_termination_fee", "300,00"),
    ("tax_category", "scm"),
    ("suspended_behavior", "restricted"),
    ("active", "1"),
    ("public", "1"),
];

fn customer<'a>(name: &'a str, document: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", "person"),
        ("name", name),
        ("document", document),
        ("emails", "ana@example.com"),
        ("phones", "(48) 99999-1234"),
        ("preferred_channel", "whatsapp"),
        ("tags", "vip, condomínio"),
        ("billing_postal_code", "88010-000"),
        ("billing_street", "Rua Felipe Schmidt"),
        ("billing_number", "100"),
        ("billing_city", "Florianópolis"),
        ("billing_state", "SC"),
    ]
}

#[tokio::test]
async fn customer_plan_contract_journey() {
    each_engine(|db| async move {
        let (router, svc) = app(db).await;
        let b = Browser::login(&router, "admin", "correct horse battery").await;

        // Navigation links the areas now.
        let home = b.get("/").await;
        assert!(home.body.contains("href=\"/customers\""));
        assert!(home.body.contains("href=\"/plans\""));

        // A plan, with a field error first.
        let mut bad: Vec<(&str, &str)> = PLAN.to_vec();
        bad.retain(|(k, _)| *k != "download_kbps");
        bad.push(("download_kbps", "fast"));
        let r = b.post("/plans/new", &bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-download_kbps\""), "{}", r.body);
        assert!(r.body.contains("value=\"Fibra 500\""));
        assert_redirect(&b.post("/plans/new", PLAN).await, "/plans?ok=plan-created");
        let plans = services::catalog::list_plans(&svc, true, false)
            .await
            .unwrap();
        let plan = plans.iter().find(|p| p.name == "Fibra 500").unwrap();
        assert_eq!(plan.price, 12990);
        assert_eq!(plan.burst_down_rate_kbps, Some(600_000));
        let list = b.get("/plans").await;
        assert!(list.body.contains("Fibra 500") && list.body.contains("129.90"));

        // A customer: a bad CPF is named next to the field, values kept.
        let mut input = customer("Ana Beatriz Souza", "529.982.247-24");
        let r = b.post("/customers/new", &input).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-document\""), "{}", r.body);
        assert!(r.body.contains("Enter a valid CPF"));
        assert!(r.body.contains("value=\"Ana Beatriz Souza\""));
        input[2] = ("document", "529.982.247-25");
        let r = b.post("/customers/new", &input).await;
        assert_redirect(&r, "/customers/");
        let ana = r.id();
        let page = b.get(&format!("/customers/{ana}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Rua Felipe Schmidt"));
        assert!(page.body.contains("condomínio"));

        // Same document: the existing customer is shown, nothing is saved
        // until "create anyway" is ticked.
        let twin = customer("Ana B. Souza", "529.982.247-25");
        let r = b.post("/customers/new", &twin).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains(&format!("href=\"/customers/{ana}\"")));
        assert!(r.body.contains("name=\"allow_duplicates\""));
        let mut anyway = twin.clone();
        anyway.push(("allow_duplicates", "1"));
        let r = b.post("/customers/new", &anyway).await;
        assert_redirect(&r, "/customers/");
        let twin_id = r.id();
        assert_ne!(twin_id, ana);

        // A note on the overview and the timeline.
        let r = b
            .post(
                &format!("/customers/{ana}/notes"),
                &[("body", "Prefers visits after 2 pm")],
            )
            .await;
        assert_redirect(&r, &format!("/customers/{ana}?ok=note-added"));

        // A contract from the customer's contracts tab.
        let tab = b.get(&format!("/customers/{ana}/contracts")).await;
        assert!(tab.body.contains(&format!("/contracts/new?customer={ana}")));
        assert!(tab.body.contains(&format!("/customers/{ana}/documents")));
        let form = b.get(&format!("/contracts/new?customer={ana}")).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("Ana Beatriz Souza"));
        let plan_id = plan.id.to_string();
        let ana_s = ana.to_string();
        let r = b
            .post(
                "/contracts/new",
                &[
                    ("customer_id", &ana_s),
                    ("plan_id", &plan_id),
                    ("billing_day", "31"),
                    ("ipv4", "100.64.0.10"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-billing_day\""), "{}", r.body);
        let r = b
            .post(
                "/contracts/new",
                &[
                    ("customer_id", &ana_s),
                    ("plan_id", &plan_id),
                    ("billing_day", "10"),
                    ("ipv4", "100.64.0.10"),
                    ("password", "s3cret-pw-1"),
                ],
            )
            .await;
        assert_redirect(&r, "/contracts/");
        let k = r.id();
        let detail = b.get(&format!("/contracts/{k}")).await;
        assert!(detail.body.contains("Pending installation"));
        assert!(detail.body.contains("ana.beatriz.souza") || detail.body.contains("ana.souza"));
        assert!(!detail.body.contains("s3cret-pw-1"));
        let shown = b.post(&format!("/contracts/{k}/password"), &[]).await;
        assert_eq!(shown.status, StatusCode::OK);
        assert!(shown.body.contains("s3cret-pw-1"));

        // Activate → suspend (needs a reason) → reactivate → cancel.
        let status = format!("/contracts/{k}/status");
        assert_redirect(&b.post(&status, &[("to", "active")]).await, "/contracts/");
        let r = b.post(&status, &[("to", "suspended")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = b
            .post(&status, &[("to", "suspended"), ("reason", "non_payment")])
            .await;
        assert_redirect(&r, &format!("/contracts/{k}?ok=status-changed"));
        let page = b.get(&format!("/contracts/{k}")).await;
        assert!(page.body.contains("Non-payment"));
        assert!(page.body.contains("Reactivate"));
        assert_redirect(&b.post(&status, &[("to", "active")]).await, "/contracts/");
        assert_redirect(
            &b.post(&status, &[("to", "canceled"), ("note", "moved away")])
                .await,
            "/contracts/",
        );
        // A stale page asking to reactivate a canceled contract.
        let r = b.post(&status, &[("to", "active")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains("A contract cannot go from “Canceled” to “Active”"),
            "{}",
            r.body
        );
        let history = services::contracts::transitions(&svc, k).await.unwrap();
        assert_eq!(history.len(), 4);

        // Timeline, newest first, with the actor.
        let tl = b.get(&format!("/customers/{ana}/timeline")).await;
        let canceled = tl.body.find("Canceled").unwrap();
        let registered = tl.body.find("Registered").unwrap();
        assert!(canceled < registered);
        assert!(tl.body.contains("by admin"));

        // List filters and search by key.
        let canceled = b.get("/customers?status=canceled").await;
        assert!(canceled.body.contains("Ana Beatriz Souza"));
        assert!(!canceled.body.contains("Ana B. Souza"));
        let by_plan = b.get(&format!("/customers?plan={plan_id}&sort=name")).await;
        assert!(by_plan.body.contains("Ana Beatriz Souza"));
        let active = b.get("/customers?status=active").await;
        assert!(!active.body.contains("Ana Beatriz Souza"));
        let city = b.get("/customers?city=florianopolis&tag=vip").await;
        assert!(city.body.contains("Ana Beatriz Souza") && city.body.contains("Ana B. Souza"));
        let found = b.get("/customers?q=100.64.0.10").await;
        assert!(found.body.contains("Ana Beatriz Souza"));
        assert!(found.body.contains("IP address"));
        let number = services::contracts::get(&svc, k).await.unwrap().number;
        let by_number = b
            .get(&format!("/contracts?q={}", number.trim_start_matches('0')))
            .await;
        assert!(by_number.body.contains(&format!("/contracts/{k}\"")));
        let none = b.get("/contracts?status=active").await;
        assert!(!none.body.contains(&format!("/contracts/{k}\"")));

        // CSV exports: BOM, header, every matching row.
        let csv = b.get("/customers/export.csv?tag=vip").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(
            csv.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = &csv.body[3..];
        let mut lines = text.lines();
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("id,kind,name,trade_name,document,emails")
        );
        assert_eq!(lines.clone().count(), 2);
        assert!(text.contains("Florianópolis"));
        assert!(text.contains("canceled: 1"));
        assert!(text.contains("vip; condomínio"));
        let csv = b.get("/contracts/export.csv").await;
        assert!(csv.body.contains(&number));
        assert!(csv.body.contains("129.90,canceled"));

        // Re-pricing: preview lists nothing for a canceled contract.
        let pv = b
            .get(&format!("/plans/{plan_id}/reprice?price=139,90"))
            .await;
        assert!(pv.body.contains("No contract would change"));
    })
    .await;
}

#[tokio::test]
async fn repricing_preview_confirm_and_stale_preview() {
    each_engine(|db| async move {
        let (router, svc) = app(db).await;
        let b = Browser::login(&router, "admin", "correct horse battery").await;
        assert_redirect(&b.post("/plans/new", PLAN).await, "/plans");
        let plan = services::catalog::list_plans(&svc, true, false)
            .await
            .unwrap()[0]
            .clone();
        let mut ids = Vec::new();
        for (name, doc) in [
            ("Bruno Lima", "111.444.777-35"),
            ("Carla Dias", "390.533.447-05"),
        ] {
            let mut c = customer(name, doc);
            c[3] = ("emails", "");
            c[4] = ("phones", "");
            let r = b.post("/customers/new", &c).await;
            assert_redirect(&r, "/customers/");
            let customer_id = r.id().to_string();
            let r = b
                .post(
                    "/contracts/new",
                    &[
                        ("customer_id", customer_id.as_str()),
                        ("plan_id", plan.id.to_string().as_str()),
                        ("billing_day", "5"),
                    ],
                )
                .await;
            assert_redirect(&r, "/contracts/");
            ids.push(r.id());
        }
        let url = format!("/plans/{}/reprice", plan.id);
        let pv = b.get(&format!("{url}?price=139,90")).await;
        assert!(pv.body.contains("2 contracts would change"), "{}", pv.body);
        assert!(pv.body.contains("129.90") && pv.body.contains("139.90"));
        assert!(pv.body.contains("Bruno Lima"));

        // The preview said 2; a third contract appears before confirming.
        let mut c = customer("Davi Rocha", "935.411.347-80");
        c[3] = ("emails", "");
        c[4] = ("phones", "");
        let third = b.post("/customers/new", &c).await.id().to_string();
        let plan_id = plan.id.to_string();
        b.post(
            "/contracts/new",
            &[
                ("customer_id", &third),
                ("plan_id", &plan_id),
                ("billing_day", "5"),
            ],
        )
        .await;
        let r = b.post(&url, &[("price", "139,90"), ("count", "2")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("changed since the preview"), "{}", r.body);
        assert!(r.body.contains("3 contracts would change"));
        for id in &ids {
            assert_eq!(
                services::contracts::get(&svc, *id).await.unwrap().price,
                12990
            );
        }
        let r = b.post(&url, &[("price", "139,90"), ("count", "3")]).await;
        assert_redirect(&r, &format!("/plans/{}?ok=repriced", plan.id));
        for id in &ids {
            assert_eq!(
                services::contracts::get(&svc, *id).await.unwrap().price,
                13990
            );
        }
    })
    .await;
}

#[tokio::test]
async fn permissions_are_enforced_per_route() {
    each_engine(|db| async move {
        let (router, svc) = app(db).await;
        let admin = Browser::login(&router, "admin", "correct horse battery").await;
        assert_redirect(&admin.post("/plans/new", PLAN).await, "/plans");
        let user = UserInput {
            username: "tech".into(),
            email: "tech@example.net".into(),
            display_name: "Tech".into(),
            role: "technician".into(),
            locale: Some("en".into()),
            disabled: false,
            ip_allowlist: String::new(),
        };
        services::staff::create_user(&svc, &cli(), &user, "another long password")
            .await
            .unwrap();
        let tech = Browser::login(&router, "tech", "another long password").await;
        // Technicians see customers and plans but do not edit them.
        assert_eq!(tech.get("/customers").await.status, StatusCode::OK);
        assert_eq!(tech.get("/plans").await.status, StatusCode::OK);
        let list = tech.get("/customers").await;
        assert!(!list.body.contains("href=\"/customers/new\""));
        assert!(!list.body.contains("export.csv"));
        for uri in [
            "/customers/export.csv",
            "/contracts/export.csv",
            "/customers/new",
            "/plans/new",
        ] {
            let r = tech.get(uri).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}");
        }
        let r = tech.post("/plans/new", PLAN).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Create and edit plans"), "{}", r.body);
        let r = tech
            .post("/customers/new", &customer("X", "529.982.247-25"))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = tech.post("/contracts/1/status", &[("to", "active")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // A form without the CSRF field is refused before anything runs.
        let req = Request::post("/plans/new")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &admin.cookie)
            .body(Body::from("name=x"))
            .unwrap();
        assert_eq!(send(&router, req).await.status, StatusCode::FORBIDDEN);
    })
    .await;
}
