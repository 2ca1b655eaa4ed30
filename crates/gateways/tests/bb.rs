//! Banco do Brasil's boleto client against the local fake BB.

use gateways::boleto::bb::BancoDoBrasil;
use gateways::boleto::{
    BoletoBank, BoletoRequest, BoletoStatus, Error, Fine, FineValue, Interest, Payer,
};
use gateways::fake::bb::{self as fake, FakeBb};
use gateways::http;
use jiff::civil::{Date, date};

fn request(number: u64) -> BoletoRequest {
    BoletoRequest {
        reference: format!("INV-{number}"),
        number,
        amount: 12_990,
        issue_date: date(2026, 12, 1),
        due_date: date(2026, 12, 10),
        payer: Payer {
            name: "Maria da Silva".into(),
            document: "529.982.247-25".into(),
            address: "Rua das Flores, 10".into(),
            district: "Centro".into(),
            cep: "01310-100".into(),
            city: "São Paulo".into(),
            uf: "SP".into(),
        },
        fine: Some(Fine {
            value: FineValue::Percent(200),
            from: date(2026, 12, 11),
        }),
        interest: Some(Interest { monthly_bps: 100 }),
        discount: None,
        messages: vec!["Internet 300 Mb".into()],
        with_pix: false,
    }
}

fn bank(fake: &FakeBb) -> BancoDoBrasil {
    BancoDoBrasil::new(fake.config()).expect("client")
}

fn token_requests(fake: &FakeBb) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.path == "/oauth/token")
        .count()
}

#[tokio::test]
async fn the_token_is_asked_once_and_reused_until_it_expires() {
    let fake = FakeBb::start().await;
    let bb = bank(&fake);
    let r1 = bb.register(&request(1)).await.expect("register 1");
    bb.register(&request(2)).await.expect("register 2");
    bb.get(&r1.nosso_numero).await.expect("get");
    assert_eq!(fake.tokens_issued(), 1);
    assert_eq!(token_requests(&fake), 1);
    // Every API call carried the app key.
    for r in fake.requests().iter().filter(|r| r.path != "/oauth/token") {
        assert!(
            r.query
                .iter()
                .any(|(k, v)| k == "gw-dev-app-key" && v == fake::APP_KEY),
            "{r:?}"
        );
    }
    // A token the bank revoked early is renewed once, transparently.
    fake.revoke_tokens();
    bb.get(&r1.nosso_numero)
        .await
        .expect("get after revocation");
    assert_eq!(fake.tokens_issued(), 2);
}

#[tokio::test]
async fn wrong_client_credentials_are_the_banks_oauth_error() {
    let fake = FakeBb::start().await;
    let mut config = fake.config();
    config.client_secret = "wrong".into();
    let bb = BancoDoBrasil::new(config).expect("client");
    let err = bb.get("00031285570000000001").await.expect_err("refused");
    match err {
        Error::Bank { status, code, .. } => {
            assert_eq!(status, 401);
            assert_eq!(code, "invalid_client");
        }
        other => panic!("expected the bank's error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_app_key_is_required() {
    let fake = FakeBb::start().await;
    // A client with the wrong key is refused with the gateway's message.
    let mut config = fake.config();
    config.app_key = "not-the-key".into();
    let bb = BancoDoBrasil::new(config).expect("client");
    let err = bb.register(&request(1)).await.expect_err("refused");
    assert!(
        matches!(&err, Error::Bank { status: 401, message, .. } if message.contains("gw-dev-app-key")),
        "{err:?}"
    );
    // A raw call with a valid token but no key is refused too.
    let token = raw_token(&fake).await;
    let token = token.as_str();
    let api = http::Client::new(&http::Config::new(fake.base_url())).expect("api client");
    let err = api
        .send(
            http::Request::get("boletos/00031285570000000001")
                .query("numeroConvenio", fake::CONVENIO)
                .bearer(token),
        )
        .await
        .expect_err("no app key");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err}");
    // And a key without a token.
    let err = api
        .send(
            http::Request::get("boletos/00031285570000000001")
                .query("numeroConvenio", fake::CONVENIO)
                .query("gw-dev-app-key", fake::APP_KEY),
        )
        .await
        .expect_err("no token");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err}");
}

/// A token asked for by hand, for raw calls.
async fn raw_token(fake: &FakeBb) -> String {
    let oauth = http::Client::new(&http::Config::new(fake.oauth_url())).expect("oauth client");
    let token: serde_json::Value = oauth
        .send(
            http::Request::post("oauth/token")
                .header(
                    "authorization",
                    format!(
                        "Basic {}",
                        base64_credentials(fake::CLIENT_ID, fake::CLIENT_SECRET)
                    ),
                )
                .form(&[("grant_type", "client_credentials")]),
        )
        .await
        .expect("token")
        .json()
        .expect("token JSON");
    token["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

fn base64_credentials(id: &str, secret: &str) -> String {
    // RFC 4648 base64, written here so the test does not share the client's encoder.
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{id}:{secret}").into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn a_normal_boleto_is_registered_with_codes_brpay_agrees_with() {
    let fake = FakeBb::start().await;
    let bb = bank(&fake);
    let r = request(42);
    let reg = bb.register(&r).await.expect("register");
    assert_eq!(reg.nosso_numero, "00031285570000000042");
    assert_eq!(reg.linha_digitavel.len(), 47);
    assert!(reg.pix.is_none());
    let Ok(brpay::boleto::Decoded::Bank(decoded)) =
        brpay::boleto::decode_at(&reg.linha_digitavel, r.due_date)
    else {
        panic!("the linha digitável decodes as a bank boleto");
    };
    assert_eq!(decoded.barcode, reg.barcode);
    assert_eq!(decoded.bank_code, "001");
    assert_eq!(decoded.amount, 12_990);
    assert_eq!(decoded.due_date, Some(r.due_date));
    // Convênio of 7 digits: 000000 + convênio + sequence + carteira.
    assert_eq!(decoded.free_field, "0000003128557000000004217");
    assert_eq!(fake.state_of(&reg.nosso_numero), Some(1));
    // Registering the same request again (a retry after a lost answer)
    // gives the boleto already registered.
    assert_eq!(bb.register(&r).await.expect("retry"), reg);
    // Another boleto under the same number is the bank's error, with its message.
    let mut other = r.clone();
    other.amount += 1;
    let err = bb.register(&other).await.expect_err("duplicate");
    assert!(
        matches!(&err, Error::Bank { status: 400, code, message } if code == "4874915" && message.contains("numeroTituloCliente")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_hybrid_boleto_carries_a_pix_qr_code() {
    let fake = FakeBb::start().await;
    let bb = bank(&fake);
    let mut r = request(7);
    r.with_pix = true;
    let reg = bb.register(&r).await.expect("register");
    let pix = reg.pix.expect("a Pix QR code");
    assert!(!pix.txid.is_empty());
    assert!(pix.txid.len() <= 35);
    let parsed = brpay::pix::parse(&pix.emv).expect("a valid BR Code");
    assert!(parsed.is_dynamic());
    assert_eq!(parsed.location.as_deref(), pix.url.as_deref());
}

#[tokio::test]
async fn status_follows_payment_and_reports_fees() {
    let fake = FakeBb::start().await;
    let bb = bank(&fake);
    let reg = bb.register(&request(3)).await.expect("register");
    assert_eq!(
        bb.get(&reg.nosso_numero).await.expect("get"),
        BoletoStatus::Open
    );
    assert!(fake.pay(&reg.nosso_numero, 13_250, date(2026, 12, 12)));
    match bb.get(&reg.nosso_numero).await.expect("get") {
        BoletoStatus::Paid(p) => {
            assert_eq!(p.amount, 13_250);
            assert_eq!(p.paid_on, Some(date(2026, 12, 12)));
            assert_eq!(p.credited_on, Some(date(2026, 12, 13)));
            assert_eq!(p.fees, Some(fake::PAYMENT_FEE));
        }
        other => panic!("expected paid, got {other:?}"),
    }
    let err = bb.get("00031285570000009999").await.expect_err("unknown");
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    let err = bb.get("../boletos").await.expect_err("not a number");
    assert!(
        matches!(
            err,
            Error::Invalid {
                field: "nosso_numero",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn paid_boletos_are_listed_across_pages() {
    let fake = FakeBb::start().await;
    fake.set_page_size(2);
    let bb = bank(&fake);
    let mut paid = Vec::new();
    for n in 1..=7 {
        let reg = bb.register(&request(n)).await.expect("register");
        // Five paid inside the period, one outside, one left open.
        let day: Option<Date> = match n {
            1..=5 => Some(date(2026, 12, 10 + n as i8)),
            6 => Some(date(2026, 11, 30)),
            _ => None,
        };
        if let Some(d) = day {
            assert!(fake.pay(&reg.nosso_numero, 12_990 + n as i64, d));
            if n <= 5 {
                paid.push(reg.nosso_numero.clone());
            }
        }
    }
    let list = bb
        .list_paid(date(2026, 12, 1), date(2026, 12, 31))
        .await
        .expect("list");
    let mut got: Vec<String> = list.iter().map(|p| p.nosso_numero.clone()).collect();
    got.sort();
    assert_eq!(got, paid);
    let first = list
        .iter()
        .find(|p| p.nosso_numero.ends_with("0001"))
        .expect("boleto 1");
    assert_eq!(first.amount, 12_991);
    assert_eq!(first.paid_on, Some(date(2026, 12, 11)));
    // Three pages of two, following proximoIndice.
    let pages: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/cobrancas/v2/boletos")
        .collect();
    assert_eq!(pages.len(), 3);
    assert!(
        pages[0]
            .query
            .iter()
            .any(|(k, v)| k == "indicadorSituacao" && v == "B")
    );
    assert!(
        pages[0]
            .query
            .iter()
            .any(|(k, v)| k == "dataInicioMovimento" && v == "01.12.2026")
    );
    assert!(
        pages[2]
            .query
            .iter()
            .any(|(k, v)| k == "indice" && v == "4")
    );
    // A period with nothing paid is an empty list (BB answers 404).
    let none = bb
        .list_paid(date(2025, 1, 1), date(2025, 1, 31))
        .await
        .expect("empty");
    assert!(none.is_empty());
}

#[tokio::test]
async fn an_open_boleto_is_cancelled_and_a_paid_one_is_not() {
    let fake = FakeBb::start().await;
    let bb = bank(&fake);
    let open = bb.register(&request(1)).await.expect("register");
    bb.cancel(&open.nosso_numero).await.expect("baixa");
    assert_eq!(fake.state_of(&open.nosso_numero), Some(7));
    assert_eq!(
        bb.get(&open.nosso_numero).await.expect("get"),
        BoletoStatus::Canceled
    );
    let paid = bb.register(&request(2)).await.expect("register");
    assert!(fake.pay(&paid.nosso_numero, 12_990, date(2026, 12, 9)));
    let err = bb
        .cancel(&paid.nosso_numero)
        .await
        .expect_err("already paid");
    assert!(
        matches!(&err, Error::Bank { status: 400, message, .. } if message.contains("LIQUIDADO")),
        "{err:?}"
    );
    let err = bb
        .cancel("00031285570000009999")
        .await
        .expect_err("unknown");
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn validation_errors_name_the_field_and_send_nothing() {
    let fake = FakeBb::start().await;
    let bb = bank(&fake);
    let mut r = request(1);
    r.payer.cep = "123".into();
    let err = bb.register(&r).await.expect_err("invalid");
    assert!(
        matches!(
            err,
            Error::Invalid {
                field: "payer.cep",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("payer.cep"), "{err}");
    let mut r = request(1);
    r.payer.document = "111.111.111-11".into();
    let err = bb.register(&r).await.expect_err("invalid");
    assert!(
        matches!(
            err,
            Error::Invalid {
                field: "payer.document",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(fake.requests().is_empty(), "nothing reached the bank");

    // The fake validates like BB: a request the client would not send is
    // refused with the field in BB's message.
    let mut config = fake.config();
    config.convenio = "1234567".into();
    let other = BancoDoBrasil::new(config).expect("client");
    let err = other.register(&request(1)).await.expect_err("refused");
    assert!(
        matches!(&err, Error::Bank { status: 400, message, .. } if message.starts_with("numeroConvenio")),
        "{err:?}"
    );
    // The client refuses a convênio that is not 7 digits before any call.
    let mut config = fake.config();
    config.convenio = "12345".into();
    let err = BancoDoBrasil::new(config).expect_err("bad convênio");
    assert!(
        matches!(
            err,
            Error::Invalid {
                field: "convenio",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_bank_behind_the_trait_is_interchangeable() {
    let fake = FakeBb::start().await;
    let bank: Box<dyn BoletoBank> = Box::new(bank(&fake));
    let reg = bank.register(&request(9)).await.expect("register");
    assert_eq!(
        bank.get(&reg.nosso_numero).await.expect("get"),
        BoletoStatus::Open
    );
}

#[tokio::test]
async fn the_fake_refuses_missing_fields_in_bbs_error_shape() {
    let fake = FakeBb::start().await;
    let token = raw_token(&fake).await;
    let api = http::Client::new(&http::Config::new(fake.base_url())).expect("api client");
    let body = serde_json::json!({
        "numeroConvenio": 3128557,
        "numeroCarteira": 17,
        "numeroVariacaoCarteira": 35,
        "codigoModalidade": 1,
        "dataEmissao": "01.12.2026",
        "dataVencimento": "10.12.2026",
        "valorOriginal": 129.9,
        "codigoAceite": "N",
        "codigoTipoTitulo": 2,
        "numeroTituloCliente": "00031285570000000001",
        "pagador": { "tipoInscricao": 1, "numeroInscricao": 52_998_224_725u64, "nome": "Maria",
                     "endereco": "Rua A, 1", "cidade": "Sao Paulo", "uf": "SP" },
    });
    let err = api
        .send(
            http::Request::post("boletos")
                .query("gw-dev-app-key", fake::APP_KEY)
                .bearer(&token)
                .json(&body),
        )
        .await
        .expect_err("no CEP");
    let http::Error::Status { status, body, .. } = err else {
        panic!("expected an HTTP status error");
    };
    assert_eq!(status.as_u16(), 400);
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON error");
    let message = v["erros"][0]["mensagem"]
        .as_str()
        .expect("erros[0].mensagem");
    assert!(message.starts_with("pagador.cep"), "{message}");
    assert!(v["erros"][0]["codigo"].is_string());
}
