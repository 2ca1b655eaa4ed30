//! The REST API end to end: tokens, permissions, problem documents,
//! pagination, audit, OpenAPI, and random input never causing a 5xx.
//! Every test runs on SQLite and on PostgreSQL.

use crate::common::{app, assert_problem, call, console, send, send_json};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use store::testing::each_engine;

#[tokio::test]
async fn authentication_and_permissions() {
    each_engine(|db| async move {
        let app = app(db).await;
        // No token, a bad scheme, an unknown token: 401 problem.
        let r = call(&app, Method::GET, "/api/v1/users", None, None).await;
        assert_problem(&r, 401);
        assert!(r.headers.contains_key("www-authenticate"));
        let r = send_json(
            &app.router,
            Request::get("/api/v1/me")
                .header("authorization", "Basic YTpi")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_problem(&r, 401);
        let r = call(&app, Method::GET, "/api/v1/me", Some("lm_nope"), None).await;
        assert_problem(&r, 401);
        // A session cookie is not an API credential.
        let r = send_json(
            &app.router,
            Request::get("/api/v1/me")
                .header("cookie", "lm_session=whatever")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_problem(&r, 401);

        // A token scoped to audit.view: /me shows it, users are refused naming the permission.
        let (_, narrow) = services::staff::tokens::create(
            &app.svc,
            &console(),
            app.admin_id,
            "narrow",
            "audit.view",
        )
        .await
        .unwrap();
        let r = call(&app, Method::GET, "/api/v1/me", Some(&narrow), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["permissions"], json!(["audit.view"]));
        assert_eq!(r.body["user"]["username"], "admin");
        let r = call(&app, Method::GET, "/api/v1/users", Some(&narrow), None).await;
        assert_problem(&r, 403);
        assert_eq!(r.body["permission"], "users.view");
        assert!(r.body["detail"].as_str().unwrap().contains("users.view"));
        let r = call(
            &app,
            Method::POST,
            "/api/v1/users",
            Some(&narrow),
            Some(json!({"username": "x"})),
        )
        .await;
        assert_problem(&r, 403);
        assert_eq!(r.body["permission"], "users.manage");
        // A narrow token cannot mint a broader one.
        let r = call(
            &app,
            Method::POST,
            "/api/v1/tokens",
            Some(&narrow),
            Some(json!({"name": "wider", "scopes": ["users.manage"]})),
        )
        .await;
        assert_problem(&r, 403);
        assert_eq!(r.body["permission"], "users.manage");
        let r = call(&app, Method::GET, "/api/v1/audit", Some(&narrow), None).await;
        assert_eq!(r.status, StatusCode::OK);

        // Unknown routes and methods are problems too.
        let r = call(&app, Method::GET, "/api/v1/nope", Some(&app.token), None).await;
        assert_problem(&r, 404);
        let r = call(&app, Method::PUT, "/api/v1/users", Some(&app.token), None).await;
        assert_problem(&r, 405);
    })
    .await;
}

#[tokio::test]
async fn users_create_validate_paginate_and_audit() {
    each_engine(|db| async move {
        let app = app(db).await;
        let t = Some(app.token.as_str());
        let new = json!({
            "username": "maria", "email": "maria@example.net", "display_name": "Maria",
            "role": "finance", "password": "a long enough password",
            "ip_allowlist": ["10.0.0.0/8"]
        });
        let r = call(&app, Method::POST, "/api/v1/users", t, Some(new.clone())).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["id"].as_i64().unwrap();
        assert_eq!(r.body["role"], "finance");
        assert_eq!(r.body["ip_allowlist"], json!(["10.0.0.0/8"]));
        assert!(r.body.get("password_hash").is_none());
        assert_eq!(
            r.headers["location"].to_str().unwrap(),
            format!("/api/v1/users/{id}")
        );

        // The audit log names the token's user as the actor.
        let r = call(
            &app,
            Method::GET,
            &format!("/api/v1/audit?action=user.create&entity_id={id}"),
            t,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let entry = &r.body["data"][0];
        assert_eq!(entry["actor"]["kind"], "token");
        assert_eq!(entry["actor"]["name"], "admin");
        assert_eq!(entry["after"]["username"], "maria");
        let entry_id = entry["id"].as_i64().unwrap();
        let r = call(&app, Method::GET, &format!("/api/v1/audit/{entry_id}"), t, None).await;
        assert_eq!(r.body["action"], "user.create");

        // Same username again: 409 naming the field.
        let r = call(&app, Method::POST, "/api/v1/users", t, Some(new)).await;
        assert_problem(&r, 409);
        assert_eq!(r.field(), "username");

        // Validation errors name the field.
        let cases = [
            (json!({"username": "Bad Name", "email": "b@example.net", "role": "finance", "password": "long enough pw"}), 422, "username"),
            (json!({"username": "bob", "email": "nope", "role": "finance", "password": "long enough pw"}), 422, "email"),
            (json!({"username": "bob", "email": "b@example.net", "role": "finance", "password": "short"}), 422, "password"),
            (json!({"username": "bob", "email": "b@example.net", "role": "nobody", "password": "long enough pw"}), 422, "role"),
            (json!({"username": "bob", "email": "b@example.net", "role": "finance"}), 422, "password"),
            (json!({"username": "bob", "email": "b@example.net", "role": "finance", "password": 5}), 422, "password"),
            (json!({"username": "bob", "email": "b@example.net", "role": "finance", "password": "long enough pw", "admin": true}), 422, "admin"),
            (json!({"username": "bob", "email": "b@example.net", "role": "finance", "password": "long enough pw", "ip_allowlist": ["not-a-net"]}), 422, "ip_allowlist"),
        ];
        for (body, status, field) in cases {
            let r = call(&app, Method::POST, "/api/v1/users", t, Some(body.clone())).await;
            assert_problem(&r, status);
            assert_eq!(r.field(), field, "{body} → {}", r.body);
            assert!(r.body["errors"][0]["code"].is_string());
            assert!(r.body["errors"][0]["message"].is_string());
        }
        // Malformed JSON and the wrong content type.
        let r = send_json(
            &app.router,
            Request::post("/api/v1/users")
                .header("authorization", format!("Bearer {}", app.token))
                .header("content-type", "application/json")
                .body(Body::from("{\"username\": "))
                .unwrap(),
        )
        .await;
        assert_problem(&r, 400);
        assert_eq!(r.field(), "username");
        let r = send_json(
            &app.router,
            Request::post("/api/v1/users")
                .header("authorization", format!("Bearer {}", app.token))
                .header("content-type", "text/plain")
                .body(Body::from("username=x"))
                .unwrap(),
        )
        .await;
        assert_problem(&r, 415);
        // Bad path and query parameters.
        let r = call(&app, Method::GET, "/api/v1/users/abc", t, None).await;
        assert_problem(&r, 400);
        assert_eq!(r.field(), "id");
        let r = call(&app, Method::GET, "/api/v1/users/999999", t, None).await;
        assert_problem(&r, 404);
        let r = call(&app, Method::GET, "/api/v1/users?limit=abc", t, None).await;
        assert_problem(&r, 400);
        assert_eq!(r.field(), "limit");
        let r = call(&app, Method::GET, "/api/v1/users?limit=500", t, None).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "limit");
        // A cursor is any string to the document; one this API did not
        // return is a value refused (422), not a malformed request.
        let r = call(&app, Method::GET, "/api/v1/users?cursor=zzz", t, None).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "cursor");
        let r = call(&app, Method::GET, "/api/v1/users?status=weird", t, None).await;
        assert_eq!(r.field(), "status");
        let r = call(&app, Method::GET, "/api/v1/audit?from=yesterday", t, None).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "from");

        // PATCH: change the role, refuse demoting the last admin.
        let r = call(&app, Method::PATCH, &format!("/api/v1/users/{id}"), t, Some(json!({"role": "support", "display_name": "Maria S."}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["role"], "support");
        assert_eq!(r.body["email"], "maria@example.net");
        let r = call(&app, Method::PATCH, &format!("/api/v1/users/{}", app.admin_id), t, Some(json!({"disabled": true}))).await;
        assert_problem(&r, 409);
        assert_eq!(r.body["code"], "last-admin");
        let r = call(&app, Method::PATCH, &format!("/api/v1/users/{id}"), t, Some(json!({"email": ""}))).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "email");

        // Cursor pagination over more users than the limit.
        for i in 0..4 {
            let r = call(&app, Method::POST, "/api/v1/users", t, Some(json!({
                "username": format!("tech{i}"), "email": format!("tech{i}@example.net"),
                "role": "technician", "password": "a long enough password"
            }))).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        let mut seen = Vec::new();
        let mut uri = "/api/v1/users?limit=2".to_owned();
        let mut pages = 0;
        loop {
            let r = call(&app, Method::GET, &uri, t, None).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let data = r.body["data"].as_array().unwrap();
            assert!(data.len() <= 2);
            seen.extend(data.iter().map(|u| u["username"].as_str().unwrap().to_owned()));
            pages += 1;
            match r.body["next_cursor"].as_str() {
                Some(c) => uri = format!("/api/v1/users?limit=2&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 6, "{seen:?}");
        assert_eq!(pages, 3);
        let mut dedup = seen.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), 6);
        // Filters.
        let r = call(&app, Method::GET, "/api/v1/users?role=technician&q=tech1", t, None).await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
        assert_eq!(r.body["data"][0]["username"], "tech1");
    })
    .await;
}

#[tokio::test]
async fn roles_settings_and_tokens() {
    each_engine(|db| async move {
        let app = app(db).await;
        let t = Some(app.token.as_str());
        // Roles.
        let r = call(
            &app,
            Method::POST,
            "/api/v1/roles",
            t,
            Some(json!({"name": "billing-clerk", "permissions": ["users.view", "audit.view"]})),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let role = r.body["id"].as_i64().unwrap();
        let r = call(
            &app,
            Method::POST,
            "/api/v1/roles",
            t,
            Some(json!({"name": "x2", "permissions": ["nope.nope"]})),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "permissions");
        let r = call(
            &app,
            Method::PATCH,
            &format!("/api/v1/roles/{role}"),
            t,
            Some(json!({"permissions": ["users.view"]})),
        )
        .await;
        assert_eq!(r.body["permissions"], json!(["users.view"]));
        let r = call(&app, Method::GET, "/api/v1/roles?limit=2", t, None).await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 2);
        let cursor = r.body["next_cursor"].as_str().unwrap().to_owned();
        let r = call(
            &app,
            Method::GET,
            &format!("/api/v1/roles?limit=200&cursor={cursor}"),
            t,
            None,
        )
        .await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 3);
        let r = call(
            &app,
            Method::DELETE,
            &format!("/api/v1/roles/{role}"),
            t,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = call(&app, Method::GET, &format!("/api/v1/roles/{role}"), t, None).await;
        assert_problem(&r, 404);

        // Settings: secrets masked, validation names the key.
        let r = call(
            &app,
            Method::PATCH,
            "/api/v1/settings",
            t,
            Some(json!({
                "security.session_idle_minutes": 60, "email.smtp_password": "hunter2hunter2"
            })),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let value = |body: &Value, key: &str| {
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["key"] == key)
                .unwrap()["value"]
                .clone()
        };
        assert_eq!(value(&r.body, "security.session_idle_minutes"), "60");
        assert_eq!(value(&r.body, "email.smtp_password"), "********");
        let r = call(&app, Method::GET, "/api/v1/settings", t, None).await;
        assert_eq!(value(&r.body, "email.smtp_password"), "********");
        assert!(!r.body.to_string().contains("hunter2"));
        for (body, field) in [
            (
                json!({"security.session_idle_minutes": 1}),
                "security.session_idle_minutes",
            ),
            (json!({"email.smtp_port": "abc"}), "email.smtp_port"),
            (json!({"no.such": "1"}), "no.such"),
            (json!({"backup.enabled": [1]}), "backup.enabled"),
        ] {
            let r = call(&app, Method::PATCH, "/api/v1/settings", t, Some(body)).await;
            assert_problem(&r, 422);
            assert_eq!(r.field(), field, "{}", r.body);
        }
        let r = call(
            &app,
            Method::PATCH,
            "/api/v1/settings",
            t,
            Some(json!(["x"])),
        )
        .await;
        assert_problem(&r, 422);

        // Tokens: create via the API, see it listed, revoke it, then it is refused.
        let r = call(
            &app,
            Method::POST,
            "/api/v1/tokens",
            t,
            Some(json!({"name": "ci", "scopes": ["users.view"]})),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let new_token = r.body["token"].as_str().unwrap().to_owned();
        let new_id = r.body["id"].as_i64().unwrap();
        assert!(new_token.starts_with("lm_"));
        let r = call(&app, Method::GET, "/api/v1/users", Some(&new_token), None).await;
        assert_eq!(r.status, StatusCode::OK);
        let r = call(&app, Method::GET, "/api/v1/tokens", t, None).await;
        assert!(
            r.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["id"] == new_id)
        );
        assert!(!r.body.to_string().contains(&new_token));
        let r = call(
            &app,
            Method::POST,
            "/api/v1/tokens",
            t,
            Some(json!({"name": "", "scopes": ["users.view"]})),
        )
        .await;
        assert_eq!(r.field(), "name");
        let r = call(
            &app,
            Method::POST,
            "/api/v1/tokens",
            t,
            Some(json!({"name": "x", "scopes": ["bogus"]})),
        )
        .await;
        assert_eq!(r.field(), "scopes");
        let r = call(
            &app,
            Method::DELETE,
            &format!("/api/v1/tokens/{new_id}"),
            t,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = call(&app, Method::GET, "/api/v1/users", Some(&new_token), None).await;
        assert_problem(&r, 401);
        let r = call(
            &app,
            Method::DELETE,
            &format!("/api/v1/tokens/{new_id}"),
            t,
            None,
        )
        .await;
        assert_problem(&r, 409);
        let r = call(
            &app,
            Method::GET,
            "/api/v1/audit?action=token.revoke",
            t,
            None,
        )
        .await;
        assert_eq!(r.body["data"][0]["entity_id"], new_id.to_string());
    })
    .await;
}

#[tokio::test]
async fn openapi_document_and_docs_page() {
    each_engine(|db| async move {
        let app = app(db).await;
        let r = call(&app, Method::GET, "/api/v1/openapi.json", None, None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = r.body["paths"].as_object().unwrap();
        for p in [
            "/api/v1/me",
            "/api/v1/users",
            "/api/v1/users/{id}",
            "/api/v1/roles",
            "/api/v1/roles/{id}",
            "/api/v1/tokens",
            "/api/v1/tokens/{id}",
            "/api/v1/settings",
            "/api/v1/audit",
            "/api/v1/audit/{id}",
        ] {
            assert!(paths.contains_key(p), "missing {p}");
        }
        assert_eq!(
            r.body["paths"]["/api/v1/users"]["post"]["security"][0]["bearer"],
            json!(["users.manage"])
        );
        assert_eq!(
            r.body["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        // Every operation in the document answers (no route left undocumented or vice versa).
        for (path, item) in paths {
            for method in item.as_object().unwrap().keys() {
                let uri = path.replace("{id}", "1");
                let m: Method = method.to_uppercase().parse().unwrap();
                let body = matches!(m, Method::POST | Method::PATCH).then(|| json!({}));
                let r = call(&app, m, &uri, Some(&app.token), body).await;
                assert!(
                    ![404u16, 405].contains(&r.status.as_u16())
                        || r.body["type"] == "/api/docs#problem-not-found" && uri.contains("/1"),
                    "{method} {uri}: {}",
                    r.status
                );
            }
        }

        let docs = send(
            &app.router,
            Request::get("/api/docs")
                .header("accept-language", "pt-BR")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(docs.status, StatusCode::OK);
        let csp = docs.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"));
        let html = &docs.body;
        assert!(html.contains("Referência da API"));
        assert!(html.contains("/api/v1/users/{id}"));
        assert!(html.contains("users.manage"));
        assert!(html.contains("CreateUser"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("style="));
    })
    .await;
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};

    const PATHS: &[&str] = &[
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/1",
        "/api/v1/roles",
        "/api/v1/roles/1",
        "/api/v1/tokens",
        "/api/v1/tokens/1",
        "/api/v1/settings",
        "/api/v1/audit",
        "/api/v1/audit/1",
        "/api/v1/openapi.json",
        "/api/docs",
        "/api/v1/customers",
        "/api/v1/customers/1",
        "/api/v1/customers/1/addresses",
        "/api/v1/customers/1/addresses/1",
        "/api/v1/customers/1/notes",
        "/api/v1/customers/1/timeline",
        "/api/v1/plans",
        "/api/v1/plans/1",
        "/api/v1/plans/1/repricing",
        "/api/v1/plans/1/repricing/preview",
        "/api/v1/service-items",
        "/api/v1/service-items/1",
        "/api/v1/contracts",
        "/api/v1/contracts/1",
        "/api/v1/contracts/1/transitions",
        "/api/v1/contracts/1/plan-changes",
        "/api/v1/contracts/1/credentials",
    ];

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            ".{0,40}".prop_map(Value::String),
            prop::sample::select(vec![
                "admin",
                "finance",
                "all",
                "users.view",
                "10.0.0.0/8",
                "",
                "a@b.c",
                "pt-BR",
                "true"
            ])
            .prop_map(|s| Value::String(s.into())),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        prop::sample::select(vec![
                            "username",
                            "email",
                            "display_name",
                            "role",
                            "password",
                            "locale",
                            "disabled",
                            "ip_allowlist",
                            "name",
                            "permissions",
                            "scopes",
                            "security.session_idle_minutes",
                            "email.smtp_port",
                            "backup.enabled",
                            "kind",
                            "document",
                            "phones",
                            "custom_fields",
                            "price",
                            "technology",
                            "download_kbps",
                            "customer_id",
                            "plan_id",
                            "billing_day",
                            "to",
                            "reason",
                            "fingerprint",
                            "service_address_id",
                        ])
                        .prop_map(str::to_owned),
                        ".{0,12}",
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    #[derive(Debug, Clone)]
    struct Case {
        method: Method,
        path: String,
        query: String,
        body: Vec<u8>,
        content_type: Option<&'static str>,
        auth: u8,
    }

    fn case() -> impl Strategy<Value = Case> {
        let method = prop::sample::select(vec![
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::PUT,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
        ]);
        let path = prop_oneof![
            prop::sample::select(PATHS.to_vec()).prop_map(str::to_owned),
            (
                prop::sample::select(vec![
                    "/api/v1/users/",
                    "/api/v1/roles/",
                    "/api/v1/tokens/",
                    "/api/v1/audit/",
                    "/api/v1/customers/",
                    "/api/v1/customers/1/addresses/",
                    "/api/v1/plans/",
                    "/api/v1/service-items/",
                    "/api/v1/contracts/",
                    "/api/v1/",
                    "/api/"
                ]),
                "[a-zA-Z0-9%._~-]{0,24}"
            )
                .prop_map(|(p, s)| format!("{p}{s}")),
        ];
        let query = prop_oneof![
            Just(String::new()),
            "[a-z_]{1,8}=[a-zA-Z0-9%+=_-]{0,16}(&[a-z_]{1,8}=[a-zA-Z0-9%+_-]{0,16}){0,3}",
            (
                prop::sample::select(vec![
                    "limit",
                    "cursor",
                    "q",
                    "role",
                    "status",
                    "from",
                    "to",
                    "actor",
                    "action",
                    "user_id",
                    "entity_id",
                    "sort",
                    "plan_id",
                    "customer_id",
                    "active",
                    "technology",
                    "kind",
                    "tag",
                    "city"
                ]),
                "[a-zA-Z0-9%+=_.:-]{0,24}"
            )
                .prop_map(|(k, v)| format!("{k}={v}")),
        ];
        let body = prop_oneof![
            json_value().prop_map(|v| v.to_string().into_bytes()),
            prop::collection::vec(any::<u8>(), 0..64),
            Just(Vec::new()),
        ];
        let ct = prop::sample::select(vec![
            Some("application/json"),
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("application/merge-patch+json"),
            None,
        ]);
        (method, path, query, body, ct, 0u8..3).prop_map(
            |(method, path, query, body, content_type, auth)| Case {
                method,
                path,
                query,
                body,
                content_type,
                auth,
            },
        )
    }

    /// Random methods, paths, query strings, bodies and content types
    /// against the API: never a 5xx, and every error is a problem document.
    #[tokio::test]
    async fn random_requests_never_cause_a_5xx() {
        each_engine(|db| async move {
            let app = app(db).await;
            let (_, narrow) = services::staff::tokens::create(
                &app.svc,
                &console(),
                app.admin_id,
                "narrow",
                "users.view",
            )
            .await
            .unwrap();
            let cases: u32 = std::env::var("API_FUZZ_CASES")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(150);
            let mut runner = TestRunner::new(Config {
                cases,
                failure_persistence: None,
                ..Config::default()
            });
            let strategy = case();
            // The runner is synchronous: generate the cases, then send each.
            let generated: Vec<Case> = (0..cases)
                .map(|_| strategy.new_tree(&mut runner).unwrap().current())
                .collect();
            for c in generated {
                let uri = if c.query.is_empty() {
                    c.path.clone()
                } else {
                    format!("{}?{}", c.path, c.query)
                };
                let Ok(mut req) = Request::builder()
                    .method(c.method.clone())
                    .uri(&uri)
                    .body(Body::from(c.body.clone()))
                else {
                    continue;
                };
                if let Some(ct) = c.content_type {
                    req.headers_mut()
                        .insert("content-type", ct.parse().unwrap());
                }
                let token = match c.auth {
                    0 => None,
                    1 => Some(app.token.as_str()),
                    _ => Some(narrow.as_str()),
                };
                if let Some(t) = token {
                    req.headers_mut()
                        .insert("authorization", format!("Bearer {t}").parse().unwrap());
                }
                let r = send_json(&app.router, req).await;
                assert!(r.status.as_u16() < 500, "{c:?} → {} {}", r.status, r.body);
                if r.status.is_client_error() && c.method != Method::HEAD {
                    assert_eq!(
                        r.content_type(),
                        "application/problem+json",
                        "{c:?} → {}",
                        r.status
                    );
                }
            }
        })
        .await;
    }
}

#[tokio::test]
async fn jobs_list_show_and_retry() {
    store::testing::each_engine(|db| async move {
        let app = app(db.clone()).await;
        let t = Some(app.token.as_str());
        let id = services::system::jobs::enqueue(
            &app.svc,
            &console(),
            "backup",
            &json!({"why": "test"}),
            None,
            3,
        )
        .await
        .unwrap();
        let r = call(&app, Method::GET, "/api/v1/jobs?status=queued", t, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let first = &r.body["data"][0];
        assert_eq!(first["id"], id);
        assert_eq!(first["kind"], "backup");
        assert_eq!(first["payload"]["why"], "test");

        let r = call(&app, Method::GET, "/api/v1/jobs?status=exploded", t, None).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "status");

        // A queued job is not retried; a dead one is, and the retry is audited.
        let r = call(
            &app,
            Method::POST,
            &format!("/api/v1/jobs/{id}/retry"),
            t,
            None,
        )
        .await;
        assert_problem(&r, 409);
        sqlx::query("UPDATE jobs SET status = 'dead', last_error = 'disk full' WHERE id = $1")
            .bind(id)
            .execute(db.pool())
            .await
            .unwrap();
        let r = call(&app, Method::GET, &format!("/api/v1/jobs/{id}"), t, None).await;
        assert_eq!(
            (r.body["status"].as_str(), r.body["last_error"].as_str()),
            (Some("dead"), Some("disk full"))
        );
        let r = call(
            &app,
            Method::POST,
            &format!("/api/v1/jobs/{id}/retry"),
            t,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "queued");
        let r = call(&app, Method::GET, "/api/v1/audit?action=job.retry", t, None).await;
        assert_eq!(r.body["data"][0]["entity_id"], id.to_string());
        let r = call(&app, Method::GET, "/api/v1/jobs/999999", t, None).await;
        assert_problem(&r, 404);
    })
    .await;
}

/// Browser routes: CSRF on every state-changing request, strict headers.
#[tokio::test]
async fn csrf_and_security_headers_on_pages() {
    each_engine(|db| async move {
        let app = app(db).await;
        let get = send_json(
            &app.router,
            Request::get("/login").body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(get.status, StatusCode::OK);
        let csp = get.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(get.headers["x-frame-options"], "DENY");
        let cookie = get.headers["set-cookie"].to_str().unwrap();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let csrf = cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("lm_csrf=")
            .to_owned();

        let form = |cookie: Option<&str>, body: String, origin: Option<&str>| {
            let mut r =
                Request::post("/login").header("content-type", "application/x-www-form-urlencoded");
            if let Some(c) = cookie {
                r = r.header("cookie", c);
            }
            if let Some(o) = origin {
                r = r.header("origin", o);
            }
            r.body(Body::from(body)).unwrap()
        };
        let creds = "username=admin&password=correct+horse+battery";
        // No token, a wrong token, or another site's Origin: refused.
        for req in [
            form(Some(&format!("lm_csrf={csrf}")), creds.into(), None),
            form(
                Some(&format!("lm_csrf={csrf}")),
                format!("{creds}&_csrf=forged{csrf}"),
                None,
            ),
            form(None, format!("{creds}&_csrf={csrf}"), None),
            form(
                Some(&format!("lm_csrf={csrf}")),
                format!("{creds}&_csrf={csrf}"),
                Some("https://evil.example"),
            ),
        ] {
            let r = send_json(&app.router, req).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);
        }
        // The real form signs in.
        let r = send_json(
            &app.router,
            form(
                Some(&format!("lm_csrf={csrf}")),
                format!("{creds}&_csrf={csrf}"),
                None,
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let session = r.headers["set-cookie"].to_str().unwrap();
        assert!(
            session.starts_with("lm_session=") && session.contains("HttpOnly"),
            "{session}"
        );
        // Over plain HTTP (no trusted proxy saying otherwise) there is no HSTS.
        assert!(r.headers.get("strict-transport-security").is_none());
    })
    .await;
}

/// The rules the document keeps, beyond what openapi-spec-validator and
/// schemathesis judge in `scripts/api-check`: operation ids named by area
/// and verb, the shared error answers on every operation that can give
/// them, list items that share the detail schema, no schema left unused,
/// enums, formats and bounds where the server enforces them.
#[tokio::test]
async fn openapi_document_keeps_its_contract() {
    each_engine(|db| async move {
        let app = app(db).await;
        let doc = call(&app, Method::GET, "/api/v1/openapi.json", None, None)
            .await
            .body;
        let text = doc.to_string();
        let mut ids = std::collections::BTreeSet::new();
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                operations += 1;
                let id = op["operationId"].as_str().unwrap();
                assert!(ids.insert(id.to_owned()), "{id} is not unique");
                let parts: Vec<&str> = id.split('.').collect();
                assert!(
                    parts.len() >= 2
                        && parts
                            .iter()
                            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_')),
                    "{id}: area.verb"
                );
                let shared = |status: &str, name: &str| {
                    assert_eq!(
                        op["responses"][status]["$ref"],
                        format!("#/components/responses/{name}"),
                        "{method} {path} {status}"
                    );
                };
                shared("401", "Unauthorized");
                shared("403", "Forbidden");
                if path.contains('{') {
                    shared("400", "BadRequest");
                    shared("404", "NotFound");
                }
                if op["requestBody"]["content"].get("application/json").is_some() {
                    shared("400", "BadRequest");
                    shared("415", "UnsupportedMediaType");
                    shared("422", "ValidationFailed");
                }
                for (status, r) in op["responses"].as_object().unwrap() {
                    if status.starts_with('4') {
                        assert!(r.get("$ref").is_some(), "{method} {path} {status} inline");
                    }
                }
            }
        }
        // 66 before billing: 14 for invoices, credit notes, runs and tax
        // rates, 10 for discounts and promo codes, 3 for PDFs, balance and
        // statement; 8 for payments (list, record, show, refund, reverse,
        // receipt, an invoice's payments, a customer's credit).
        // 7 for collections (policy show and update, overdue,
        // trust unlock, cancellation list, a contract's outlook, the pass).
        // 2 webhooks (Stripe, PayPal); 9 for reconciliation (files: list,
        // upload, show, CSV; remittances: generate, download; unmatched
        // payments: list, assign, dismiss).
        // 29 for the network (sites, devices, links, prefixes and pools: list,
        // create, show, update, delete each; assignments: a pool's list,
        // create, show, release).
        // 7 for gateway charges and Pix Automático (see payments/charges.rs).
        assert_eq!(operations, 155);
        for id in ["customers.list", "customers.show", "contracts.transition", "radius.sessions.list"] {
            assert!(ids.contains(id), "{id}");
        }
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for name in schemas.keys() {
            assert!(
                text.contains(&format!("\"#/components/schemas/{name}\"")),
                "{name} is unused"
            );
        }
        for (name, item) in [("Paged_CustomerView", "CustomerView"), ("List_TransitionView", "TransitionView")] {
            assert_eq!(
                schemas[name]["properties"]["data"]["items"]["$ref"],
                format!("#/components/schemas/{item}")
            );
        }
        // Views carry their id where their body forbids extra fields.
        for view in ["PlanView", "ServiceItemView"] {
            assert!(schemas[view].get("allOf").is_none(), "{view}");
            assert!(schemas[view]["properties"].get("id").is_some(), "{view}");
        }
        // PATCH bodies require nothing.
        let body = &doc["paths"]["/api/v1/plans/{id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"];
        let name = body.as_str().unwrap().rsplit('/').next().unwrap();
        assert!(schemas[name].get("required").is_none(), "{name}");
        let contract = &schemas["ContractView"]["properties"];
        assert_eq!(contract["status"]["$ref"], "#/components/schemas/ContractStatus");
        assert_eq!(contract["created_at"]["format"], "date-time");
        assert_eq!(contract["start_date"]["format"], "date");
        assert_eq!(contract["billing_day"]["minimum"], 1);
        assert_eq!(contract["billing_day"]["maximum"], 28);
        assert_eq!(schemas["ContractStatus"]["enum"], json!(["pending_installation", "active", "suspended", "canceled"]));
        assert_eq!(schemas["NasView"]["properties"]["kind"]["$ref"], "#/components/schemas/NasKind");
        assert_eq!(schemas["CustomerView"]["properties"]["kind"]["$ref"], "#/components/schemas/CustomerKind");
        assert_eq!(schemas["UserView"]["properties"]["email"]["format"], "email");
        let limit = doc["paths"]["/api/v1/customers"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "limit")
            .unwrap();
        assert_eq!((limit["schema"]["minimum"].clone(), limit["schema"]["maximum"].clone()), (json!(1), json!(200)));
    })
    .await;
}

/// Regression: serde reads a struct from a JSON array, so `[null, null]`
/// was a PATCH that changed nothing and was answered 200.
#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused() {
    each_engine(|db| async move {
        let app = app(db).await;
        let uri = format!("/api/v1/users/{}", app.admin_id);
        for body in [json!([null, null]), json!([]), json!("x"), json!(5)] {
            let r = call(
                &app,
                Method::PATCH,
                &uri,
                Some(&app.token),
                Some(body.clone()),
            )
            .await;
            assert_problem(&r, 422);
            assert_eq!(r.field(), "body", "{body}");
        }
    })
    .await;
}

/// Regression: PostgreSQL cannot store NUL in text, so a note or a search
/// holding one was a 500 there (schemathesis found it); now a 422 naming
/// the field on both engines.
#[tokio::test]
async fn nul_characters_are_refused_not_a_server_error() {
    each_engine(|db| async move {
        let app = app(db).await;
        let uri = format!("/api/v1/users/{}", app.admin_id);
        let r = call(
            &app,
            Method::PATCH,
            &uri,
            Some(&app.token),
            Some(json!({"display_name": "a\u{0}b"})),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "display_name");
        let r = call(
            &app,
            Method::GET,
            "/api/v1/users?q=a%00",
            Some(&app.token),
            None,
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "q");
        let r = call(
            &app,
            Method::GET,
            "/api/v1/users/me",
            Some(&app.token),
            None,
        )
        .await;
        assert_problem(&r, 400);
    })
    .await;
}

/// The audit list's dates are the company's days (São Paulo, UTC−3, here)
/// on the page and in the API, read by the service for both; a date that
/// is not one is named, never dropped.
#[tokio::test]
async fn audit_dates_are_company_days_on_page_and_api() {
    each_engine(|db| async move {
        let app = app(db.clone()).await;
        // 01:30 UTC on 2 March 2026 is still 1 March in São Paulo.
        let at = 1_772_415_000;
        let mut tx = db.begin().await.unwrap();
        let change = store::system::audit::Change {
            action: "test.late",
            entity_kind: "test",
            entity_id: "1",
            before: None,
            after: None,
        };
        store::system::audit::append(&mut tx, db.engine(), &console().actor(), &change, at)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let t = Some(app.token.as_str());
        let listed = |day: &'static str| {
            let app = &app;
            async move {
                let uri = format!("/api/v1/audit?action=test.&from={day}&to={day}");
                let r = call(app, Method::GET, &uri, t, None).await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                r.body["data"].as_array().unwrap().len()
            }
        };
        assert_eq!(listed("2026-03-01").await, 1);
        // Cut in UTC, 2 March would hold it.
        assert_eq!(listed("2026-03-02").await, 0);
        let r = call(&app, Method::GET, "/api/v1/audit?to=2026-02-30", t, None).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "to");

        let admin = app.browser("admin").await;
        let p = admin
            .get("/audit?action=test.&from=2026-03-01&to=2026-03-01")
            .await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("test.late"), "{}", p.body);
        let p = admin
            .get("/audit?action=test.&from=2026-03-02&to=2026-03-02")
            .await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(!p.body.contains("test.late"));
        // A bad date is shown by its field, with the filters kept.
        let p = admin.get("/audit?action=test.&from=2026-13-01").await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Enter a date as YYYY-MM-DD."), "{}", p.body);
        assert!(p.body.contains("value=\"2026-13-01\""));
        assert!(!p.body.contains("test.late"));
    })
    .await;
}
