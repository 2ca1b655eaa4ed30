//! The customer, plan and contract pages driven over HTTP as a browser
//! would (session cookie, CSRF field, form posts), on SQLite and PostgreSQL.

use crate::common::{App, Browser, PASSWORD, app, assert_redirect, cli_caller, console, send};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use services::Services;
use services::staff::UserInput;
use store::testing::each_engine;

/// A 2×2 RGB PNG, as a company logo.
const LOGO: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00\xfd\xd4\x9a\x73\x00\x00\x00\x0f\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\x00\x04\x10\x02\x08\x00\x20\xee\x05\xfb\xf5\x2b\xe9\xca\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

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
        ("locale", "pt-BR"),
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
        let App { router, svc, .. } = app(db).await;
        let b = Browser::login(&router, "admin", PASSWORD).await;

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
        let plans = services::catalog::list_plans(&svc, &cli_caller(), true, false)
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
        // The language chosen on the form, by its own name.
        assert!(page.body.contains("Português (Brasil)"), "{}", page.body);
        let form = b.get(&format!("/customers/{ana}/edit")).await;
        assert!(
            form.body
                .contains("<option value=\"pt-BR\" lang=\"pt-BR\" selected>"),
            "{}",
            form.body
        );

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
        // The contract PDF is linked; the company logo goes in its header.
        assert!(
            detail
                .body
                .contains(&format!("href=\"/contracts/{k}/contract.pdf\""))
        );
        let pdf = b.get(&format!("/contracts/{k}/contract.pdf")).await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert!(pdf.bytes.starts_with(b"%PDF-"));
        assert!(!String::from_utf8_lossy(&pdf.bytes).contains("/Subtype /Image"));
        let mut c = svc.db.conn().await.unwrap();
        store::system::company::set_logo(&mut c, LOGO, "image/png")
            .await
            .unwrap();
        drop(c);
        let pdf = b.get(&format!("/contracts/{k}/contract.pdf")).await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert!(String::from_utf8_lossy(&pdf.bytes).contains("/Subtype /Image"));
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
        let history = services::contracts::transitions(&svc, &cli_caller(), k)
            .await
            .unwrap();
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
        let number = services::contracts::get(&svc, &cli_caller(), k)
            .await
            .unwrap()
            .number;
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
        let App { router, svc, .. } = app(db).await;
        let b = Browser::login(&router, "admin", PASSWORD).await;
        assert_redirect(&b.post("/plans/new", PLAN).await, "/plans");
        let plan = services::catalog::list_plans(&svc, &cli_caller(), true, false)
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
        // The confirmation carries what was previewed.
        let fingerprint = |body: &str| {
            let at = body
                .find(r#"name="fingerprint" value=""#)
                .expect("fingerprint")
                + 26;
            body[at..at + 64].to_owned()
        };
        let previewed = fingerprint(&pv.body);

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
        let r = b
            .post(
                &url,
                &[("price", "139,90"), ("fingerprint", previewed.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("changed since the preview"), "{}", r.body);
        assert!(r.body.contains("3 contracts would change"));
        // Without the preview's fingerprint nothing changes either.
        let r = b.post(&url, &[("price", "139,90")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        for id in &ids {
            assert_eq!(
                services::contracts::get(&svc, &cli_caller(), *id)
                    .await
                    .unwrap()
                    .price,
                12990
            );
        }
        let fresh = fingerprint(&b.get(&format!("{url}?price=139,90")).await.body);
        let r = b
            .post(
                &url,
                &[("price", "139,90"), ("fingerprint", fresh.as_str())],
            )
            .await;
        assert_redirect(&r, &format!("/plans/{}?ok=repriced", plan.id));
        for id in &ids {
            assert_eq!(
                services::contracts::get(&svc, &cli_caller(), *id)
                    .await
                    .unwrap()
                    .price,
                13990
            );
        }
    })
    .await;
}

#[tokio::test]
async fn permissions_are_enforced_per_route() {
    each_engine(|db| async move {
        let App { router, svc, .. } = app(db).await;
        let admin = Browser::login(&router, "admin", PASSWORD).await;
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
        services::staff::create_user(&svc, &console(), &user, "another long password")
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
        // Custom fields and the contract template are for settings.manage.
        for uri in ["/settings/custom-fields", "/settings/contract-template"] {
            assert_eq!(tech.get(uri).await.status, StatusCode::FORBIDDEN, "{uri}");
        }
        let r = tech
            .post(
                "/settings/custom-fields",
                &[("key", "x"), ("label", "X"), ("kind", "text")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = tech
            .post(
                "/settings/contract-template/preview",
                &[("locale", "en"), ("body", "# X")],
            )
            .await;
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

fn def(
    key: &str,
    label: &str,
    kind: &str,
    choices: &[&str],
    required: bool,
    position: i64,
) -> services::crm::custom_fields::DefInput {
    services::crm::custom_fields::DefInput {
        key: key.into(),
        label: label.into(),
        kind: kind.into(),
        choices: choices.iter().map(|c| c.to_string()).collect(),
        required,
        position,
    }
}

#[tokio::test]
async fn custom_fields_on_the_customer_form_and_overview() {
    each_engine(|db| async move {
        let App { router, svc, .. } = app(db).await;
        for d in [
            def("rg", "RG", "text", &[], true, 1),
            def("renda", "Monthly income", "number", &[], false, 2),
            def("origem", "Found us through", "choice", &["site", "indicação"], false, 3),
            def("desde", "Customer since", "date", &[], false, 4),
        ] {
            services::crm::custom_fields::create(&svc, &cli_caller(), &d).await.unwrap();
        }
        let b = Browser::login(&router, "admin", PASSWORD).await;

        // One input per definition, in order, the required one marked.
        let form = b.get("/customers/new").await;
        assert_eq!(form.status, StatusCode::OK);
        let at = |n: &str| form.body.find(&format!("name=\"custom_{n}\"")).unwrap_or_else(|| panic!("{n} in {}", form.body));
        assert!(at("rg") < at("renda") && at("renda") < at("origem") && at("origem") < at("desde"));
        assert!(form.body.contains("<option value=\"indicação\">indicação</option>"));
        assert!(form.body.contains("id=\"f-custom_desde\" name=\"custom_desde\" value=\"\" autocomplete=\"off\" type=\"date\""), "{}", form.body);
        assert!(form.body.contains("inputmode=\"decimal\""));
        assert!(form.body.contains("aria-required=\"true\""));

        // The required value missing: named next to its input, typed values kept.
        let mut input = customer("Bruna Lima", "529.982.247-25");
        input.push(("custom_renda", "2500,75"));
        input.push(("custom_origem", "indicação"));
        let r = b.post("/customers/new", &input).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-custom_rg\""), "{}", r.body);
        assert!(r.body.contains("value=\"2500,75\""));
        assert!(r.body.contains("<option value=\"indicação\" selected>"));
        // A number that is not one.
        input.push(("custom_rg", "12.345.678-9"));
        input.retain(|(k, _)| *k != "custom_renda");
        input.push(("custom_renda", "lots"));
        let r = b.post("/customers/new", &input).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-custom_renda\""), "{}", r.body);
        assert!(r.body.contains("value=\"lots\""));
        assert!(r.body.contains("value=\"12.345.678-9\""));
        input.retain(|(k, _)| *k != "custom_renda");
        input.push(("custom_renda", "2500,75"));
        let r = b.post("/customers/new", &input).await;
        assert_redirect(&r, "/customers/");
        let id = r.id();
        let c = services::crm::get_customer(&svc, &cli_caller(), id).await.unwrap();
        assert_eq!(c.custom_fields["rg"], "12.345.678-9");
        assert_eq!(c.custom_fields["renda"], "2500.75");
        assert!(!c.custom_fields.contains_key("desde"));

        // The overview shows them with their labels; Documents is a tab.
        let page = b.get(&format!("/customers/{id}")).await;
        assert!(page.body.contains("<dt>RG</dt><dd>12.345.678-9</dd>"), "{}", page.body);
        assert!(page.body.contains("<dt>Found us through</dt><dd>indicação</dd>"));
        assert!(!page.body.contains("Customer since"));
        let docs = b.get(&format!("/customers/{id}/documents")).await;
        assert_eq!(docs.status, StatusCode::OK);
        assert!(docs.body.contains(&format!("<a href=\"/customers/{id}/documents\" class=\"active\" aria-current=\"page\">")), "{}", docs.body);
        assert!(docs.body.contains("Bruna Lima"));

        // Editing: stored values filled in; clearing an optional one drops it.
        let edit = b.get(&format!("/customers/{id}/edit")).await;
        assert!(edit.body.contains("value=\"12.345.678-9\""));
        assert!(edit.body.contains("value=\"2500.75\""));
        input.retain(|(k, _)| *k != "custom_renda");
        input.push(("custom_renda", ""));
        input.push(("custom_desde", "2020-05-01"));
        let r = b.post(&format!("/customers/{id}/edit"), &input).await;
        assert_redirect(&r, &format!("/customers/{id}"));
        let c = services::crm::get_customer(&svc, &cli_caller(), id).await.unwrap();
        assert!(!c.custom_fields.contains_key("renda"));
        assert_eq!(c.custom_fields["desde"], "2020-05-01");
        input.retain(|(k, _)| *k != "custom_rg");
        let r = b.post(&format!("/customers/{id}/edit"), &input).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-custom_rg\""));
    })
    .await;
}

#[tokio::test]
async fn custom_fields_settings_page() {
    each_engine(|db| async move {
        let App { router, svc, .. } = app(db).await;
        let b = Browser::login(&router, "admin", PASSWORD).await;
        let list = b.get("/settings/custom-fields").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(
            list.body
                .contains("href=\"/settings/custom-fields\" class=\"active\"")
        );
        assert!(list.body.contains("href=\"/settings/contract-template\""));
        assert!(list.body.contains("No custom fields yet."));

        // Field errors inline, typed values kept.
        let r = b
            .post(
                "/settings/custom-fields",
                &[("key", "1bad"), ("label", "Plano antigo"), ("kind", "text")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-key\""), "{}", r.body);
        assert!(r.body.contains("value=\"Plano antigo\""));
        let r = b
            .post(
                "/settings/custom-fields",
                &[
                    ("key", "origem"),
                    ("label", "Origem"),
                    ("kind", "choice"),
                    ("choices", " \n"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("<p class=\"field-error\">"), "{}", r.body);
        assert!(r.body.contains("<option value=\"choice\" selected>"));
        let r = b
            .post(
                "/settings/custom-fields",
                &[
                    ("key", "origem"),
                    ("label", "Origem"),
                    ("kind", "text"),
                    ("position", "soon"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-position\""), "{}", r.body);

        // Added, then a second one with the same key is named on the key.
        let ok = [
            ("key", "origem"),
            ("label", "Origem"),
            ("kind", "choice"),
            ("choices", "site\r\nindicação\r\n"),
            ("required", "1"),
            ("position", "2"),
        ];
        assert_redirect(
            &b.post("/settings/custom-fields", &ok).await,
            "/settings/custom-fields?ok=custom-field-saved",
        );
        let r = b.post("/settings/custom-fields", &ok).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("Another field already uses this key"),
            "{}",
            r.body
        );
        let spare = [("key", "spare"), ("label", "Spare"), ("kind", "date")];
        assert_redirect(
            &b.post("/settings/custom-fields", &spare).await,
            "/settings/custom-fields",
        );
        let list = b.get("/settings/custom-fields?ok=custom-field-saved").await;
        assert!(list.body.contains("Custom field saved."));
        assert!(list.body.contains("site · indicação"));
        assert!(list.body.find("Origem").unwrap() > list.body.find("Spare").unwrap());

        // Edit: the key stays, errors inline.
        let edit = b.get("/settings/custom-fields/origem").await;
        assert_eq!(edit.status, StatusCode::OK);
        assert!(edit.body.contains("readonly"));
        assert!(
            edit.body.contains("site\nindicação</textarea>"),
            "{}",
            edit.body
        );
        let r = b
            .post(
                "/settings/custom-fields/origem",
                &[("label", " "), ("kind", "choice"), ("choices", "site")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-label\""), "{}", r.body);
        let r = b
            .post(
                "/settings/custom-fields/origem",
                &[
                    ("label", "Como nos conheceu"),
                    ("kind", "choice"),
                    ("choices", "site\nindicação\nrádio"),
                    ("position", "0"),
                ],
            )
            .await;
        assert_redirect(&r, "/settings/custom-fields?ok=custom-field-saved");
        let defs = services::crm::custom_fields::definitions(&svc, &cli_caller())
            .await
            .unwrap();
        let origem = defs.iter().find(|d| d.key == "origem").unwrap();
        assert_eq!(origem.label, "Como nos conheceu");
        assert_eq!(origem.choices, ["site", "indicação", "rádio"]);
        assert!(!origem.required);
        assert_eq!(
            b.get("/settings/custom-fields/nope").await.status,
            StatusCode::NOT_FOUND
        );

        // In use: refused with the reason, translated.
        let mut input = customer("Carla Dias", "529.982.247-25");
        input.push(("custom_origem", "rádio"));
        assert_redirect(&b.post("/customers/new", &input).await, "/customers/");
        let r = b.post("/settings/custom-fields/origem/delete", &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("Customers have a value for this field"),
            "{}",
            r.body
        );
        assert!(
            r.body
                .contains("data-confirm=\"Delete this custom field?\"")
        );
        let r = b.post("/settings/custom-fields/spare/delete", &[]).await;
        assert_redirect(&r, "/settings/custom-fields?ok=custom-field-deleted");
        let keys: Vec<String> = services::crm::custom_fields::definitions(&svc, &cli_caller())
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.key)
            .collect();
        assert_eq!(keys, ["origem"]);
        let query = services::system::audit::Query {
            limit: 50,
            ..Default::default()
        };
        let (audit, _) = services::system::audit::list(&svc, &console(), &query)
            .await
            .unwrap();
        for action in [
            "custom_field.create",
            "custom_field.update",
            "custom_field.delete",
        ] {
            assert!(audit.iter().any(|e| e.action == action), "{action}");
        }
    })
    .await;
}

#[tokio::test]
async fn contract_template_settings_page() {
    each_engine(|db| async move {
        let App { router, svc, .. } = app(db).await;
        let b = Browser::login(&router, "admin", PASSWORD).await;
        let page = b.get("/settings/contract-template").await;
        assert_eq!(page.status, StatusCode::OK);
        // The staff member's language first, placeholders listed.
        assert!(
            page.body.contains("Internet Service Agreement"),
            "{}",
            page.body
        );
        assert!(page.body.contains("<code>{{customer.name}}</code>"));
        assert!(page.body.contains("early termination fee"));
        assert!(page.body.contains("This is the built-in template"));
        assert!(!page.body.contains("/settings/contract-template/reset"));
        let pt = b.get("/settings/contract-template?locale=pt-BR").await;
        assert!(pt.body.contains("name=\"locale\" value=\"pt-BR\""));
        assert!(pt.body.contains("fidelidade"));

        // An unknown placeholder is named next to the text, which is kept.
        let bad = "# Contrato\n\nCliente: {{cliente.nome}}";
        let r = b
            .post(
                "/settings/contract-template",
                &[("locale", "pt-BR"), ("body", bad)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-body\""), "{}", r.body);
        assert!(r.body.contains("cliente.nome"));
        assert!(r.body.contains("Cliente: {{cliente.nome}}</textarea>"));
        let r = b
            .post(
                "/settings/contract-template/preview",
                &[("locale", "pt-BR"), ("body", bad)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-body\""));

        // The preview is the unsaved text as a PDF.
        let text = "# Contrato {{contract.number}}\n\nCliente: **{{customer.name}}**.";
        let r = b
            .post(
                "/settings/contract-template/preview",
                &[("locale", "pt-BR"), ("body", text)],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["content-type"], "application/pdf");
        assert!(r.bytes.starts_with(b"%PDF-"));
        assert!(
            services::contracts::document::template(&svc, &cli_caller(), "pt-BR")
                .await
                .unwrap()
                .is_default
        );

        // Saved, shown with who edited it, then reset.
        let r = b
            .post(
                "/settings/contract-template",
                &[("locale", "pt-BR"), ("body", text)],
            )
            .await;
        assert_redirect(
            &r,
            "/settings/contract-template?locale=pt-BR&ok=contract-template-saved",
        );
        let pt = b
            .get("/settings/contract-template?locale=pt-BR&ok=contract-template-saved")
            .await;
        assert!(pt.body.contains("Contract template saved."));
        assert!(
            pt.body
                .contains("Cliente: **{{customer.name}}**.</textarea>"),
            "{}",
            pt.body
        );
        assert!(
            pt.body.contains("Edited by admin") || pt.body.contains("Edited by Admin"),
            "{}",
            pt.body
        );
        assert!(pt.body.contains("/settings/contract-template/reset"));
        let en = b.get("/settings/contract-template?locale=en").await;
        assert!(en.body.contains("This is the built-in template"));
        let r = b
            .post("/settings/contract-template/reset", &[("locale", "pt-BR")])
            .await;
        assert_redirect(
            &r,
            "/settings/contract-template?locale=pt-BR&ok=contract-template-reset",
        );
        assert!(
            services::contracts::document::template(&svc, &cli_caller(), "pt-BR")
                .await
                .unwrap()
                .is_default
        );
    })
    .await;
}

fn fiber_plan(name: &str, price: i64) -> domain::catalog::Plan {
    use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
    Plan {
        name: name.into(),
        description: String::new(),
        download_kbps: 300_000,
        upload_kbps: 150_000,
        burst_down: None,
        burst_up: None,
        quota: None,
        price: domain::Money(price),
        billing_mode: BillingMode::Postpaid,
        cycle: Cycle::Monthly,
        installation_fee: domain::Money(0),
        loyalty_months: 0,
        early_termination_fee: domain::Money(0),
        tax_category: String::new(),
        technology: Technology::Fiber,
        suspended_behavior: SuspendedBehavior::Reject,
        active: true,
        public: true,
    }
}

/// Every kind of entry the services write, for one customer; returns the
/// customer and another one brought by a CSV import.
async fn eventful_customers(svc: &Services) -> (i64, i64) {
    use domain::contracts::{Status, SuspendReason};
    use services::contracts::{self, ContractInput, TermsInput};
    use services::crm::documents::{self, Upload};
    use services::crm::import::{self, Kind};
    use services::crm::{self, Created, CustomerInput};

    let input = CustomerInput {
        kind: "person".into(),
        name: "Ana Lima".into(),
        document: "52998224725".into(),
        ..Default::default()
    };
    let Created::Customer(ana) = crm::create_customer(svc, &cli_caller(), &input)
        .await
        .unwrap()
    else {
        panic!("duplicates")
    };
    let ana = ana.id;
    let edited = CustomerInput {
        trade_name: "Ana".into(),
        ..input
    };
    crm::update_customer(svc, &cli_caller(), ana, &edited)
        .await
        .unwrap();
    crm::add_note(svc, &cli_caller(), ana, "Prefere contato à tarde")
        .await
        .unwrap();
    let fibra = services::catalog::create_plan(svc, &cli_caller(), &fiber_plan("Fibra 300", 9990))
        .await
        .unwrap()
        .id;
    let giga = services::catalog::create_plan(svc, &cli_caller(), &fiber_plan("Giga", 19990))
        .await
        .unwrap()
        .id;
    let k = contracts::create(
        svc,
        &cli_caller(),
        &ContractInput {
            customer_id: ana,
            plan_id: fibra,
            billing_day: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    let moves = [
        (Status::Active, None),
        (Status::Suspended, Some(SuspendReason::NonPayment)),
        (Status::Active, None),
    ];
    for (to, reason) in moves {
        contracts::transition(svc, &cli_caller(), k, to, reason, "")
            .await
            .unwrap();
    }
    contracts::change_plan(svc, &cli_caller(), k, giga, None, "")
        .await
        .unwrap();
    contracts::change_plan(svc, &cli_caller(), k, fibra, None, "2099-01-01")
        .await
        .unwrap();
    let terms = TermsInput {
        billing_day: Some(20),
        ..Default::default()
    };
    contracts::update_terms(svc, &cli_caller(), k, &terms)
        .await
        .unwrap();
    let preview =
        services::catalog::preview_repricing(svc, &cli_caller(), giga, domain::Money(21990), 0)
            .await
            .unwrap();
    services::catalog::apply_repricing(
        svc,
        &cli_caller(),
        giga,
        domain::Money(21990),
        &preview.fingerprint,
    )
    .await
    .unwrap();
    let upload = |kind, filename| Upload {
        customer_id: ana,
        kind,
        filename,
        data: b"%PDF-1.4 x",
    };
    let rg = documents::upload(svc, &cli_caller(), &upload("identity", "rg.pdf"))
        .await
        .unwrap()
        .id;
    documents::verify(svc, &cli_caller(), ana, rg)
        .await
        .unwrap();
    let bill = documents::upload(svc, &cli_caller(), &upload("proof_of_address", "luz.pdf"))
        .await
        .unwrap()
        .id;
    documents::reject(svc, &cli_caller(), ana, bill, "ilegível")
        .await
        .unwrap();
    documents::delete(svc, &cli_caller(), ana, bill)
        .await
        .unwrap();
    contracts::transition(svc, &cli_caller(), k, Status::Canceled, None, "")
        .await
        .unwrap();

    let people = b"nome;cpf\nBia Souza;111.444.777-35\n";
    assert_eq!(
        import::import(svc, &cli_caller(), Kind::Customers, people)
            .await
            .unwrap()
            .imported,
        1
    );
    let contracts_csv =
        b"customer_document;plan;billing_day;status\n11144477735;Fibra 300;5;active\n";
    assert_eq!(
        import::import(svc, &cli_caller(), Kind::Contracts, contracts_csv)
            .await
            .unwrap()
            .imported,
        1
    );
    let bia = crm::search(svc, &cli_caller(), "11144477735", 1)
        .await
        .unwrap()[0]
        .customer
        .id;
    (ana, bia)
}

#[tokio::test]
async fn timeline_in_the_readers_language() {
    each_engine(|db| async move {
        let App { router, svc, .. } = app(db).await;
        let (ana, bia) = eventful_customers(&svc).await;
        let user = UserInput {
            username: "joana".into(),
            email: "joana@example.net".into(),
            display_name: "Joana".into(),
            role: "admin".into(),
            locale: Some("pt-BR".into()),
            disabled: false,
            ip_allowlist: String::new(),
        };
        let joana = services::staff::create_user(&svc, &console(), &user, "another long password")
            .await
            .unwrap();
        // Her own language wins over the browser's `lm_lang=en` cookie.
        let b = Browser::login(&router, "joana", "another long password").await;

        let page = b.get(&format!("/customers/{ana}/timeline")).await;
        assert_eq!(page.status, StatusCode::OK);
        for line in [
            "Cliente Ana Lima cadastrado",
            "Dados do cliente alterados",
            "Prefere contato à tarde",
            "Contrato 000001 criado no plano Fibra 300",
            "Contrato 000001 ativado",
            "Contrato 000001 suspenso: Inadimplência",
            "Contrato 000001 reativado",
            "Contrato 000001 passou para o plano Giga em ",
            "Contrato 000001 passa para o plano Fibra 300 em 2099-01-01",
            "Contrato 000001: condições alteradas",
            "Contrato 000001 reajustado de 199,90 para 219,90",
            "Documento enviado: rg.pdf (Documento de identidade)",
            "Documento conferido: rg.pdf",
            "Documento recusado: luz.pdf (ilegível)",
            "Documento excluído: luz.pdf",
            "Contrato 000001 cancelado",
        ] {
            assert!(page.body.contains(line), "missing {line:?}");
        }
        let bias = b.get(&format!("/customers/{bia}/timeline")).await;
        for line in [
            "Cliente Bia Souza importado (linha 2)",
            "Contrato 000002 importado no plano Fibra 300 (Ativo)",
        ] {
            assert!(bias.body.contains(line), "missing {line:?}");
        }
        // No stored English line is left (a note is the staff's own words).
        for id in [ana, bia] {
            let (events, _) = services::crm::timeline(&svc, &cli_caller(), id, None, None, 100)
                .await
                .unwrap();
            assert!(events.len() >= 2);
            let page = b.get(&format!("/customers/{id}/timeline")).await;
            for e in events.iter().filter(|e| e.kind != "note.added") {
                assert!(!page.body.contains(&e.summary), "{}: {}", e.kind, e.summary);
            }
        }

        // The API: the request's Accept-Language, else the token owner's.
        let (_, token) = services::staff::tokens::create(&svc, &console(), joana, "t", "all")
            .await
            .unwrap();
        let api = |lang: Option<&'static str>| {
            let mut req = Request::get(format!(
                "/api/v1/customers/{ana}/timeline?kind=contract.suspended"
            ))
            .header("authorization", format!("Bearer {token}"));
            if let Some(l) = lang {
                req = req.header("accept-language", l);
            }
            req.body(Body::empty()).unwrap()
        };
        for (lang, want) in [
            (None, "Contrato 000001 suspenso: Inadimplência"),
            (
                Some("pt-BR,pt;q=0.9"),
                "Contrato 000001 suspenso: Inadimplência",
            ),
            (Some("en-US"), "Contract 000001 suspended: Non-payment"),
        ] {
            let r = send(&router, api(lang)).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(body["data"][0]["summary"], want, "{lang:?}");
            assert_eq!(body["data"][0]["data"]["reason"], "non_payment");
        }
    })
    .await;
}
