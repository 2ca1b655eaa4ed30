//! The Pix API client against the fake PSP (mutual TLS, OAuth, every resource).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::routing::post;
use axum::{Extension, Router};
use gateways::fake::pix::{Certs, FakePix, PeerCertificate, serve_mtls};
use gateways::pix::*;

fn cob(amount: i64, chave: &str) -> CobRequest {
    CobRequest {
        calendario: CalendarioCob { expiracao: 3600 },
        devedor: Some(Pessoa::with_document("123.456.789-09", "Fulano de Tal").expect("cpf")),
        valor: ValorCob {
            original: Amount(amount),
        },
        chave: chave.to_owned(),
        solicitacao_pagador: Some("Fatura 2026-01".into()),
        info_adicionais: vec![InfoAdicional {
            nome: "Contrato".into(),
            valor: "42".into(),
        }],
    }
}

fn cobv(amount: i64, chave: &str) -> CobvRequest {
    CobvRequest {
        calendario: CalendarioCobv {
            data_de_vencimento: "2026-02-10".into(),
            validade_apos_vencimento: Some(30),
        },
        devedor: Pessoa::with_document("12.345.678/0001-95", "Empresa Cliente Ltda").expect("cnpj"),
        valor: ValorCobv {
            original: Amount(amount),
            multa: Some(Modalidade {
                modalidade: 2,
                valor_perc: Amount(200),
            }),
            juros: Some(Modalidade {
                modalidade: 2,
                valor_perc: Amount(100),
            }),
        },
        chave: chave.to_owned(),
        solicitacao_pagador: None,
        info_adicionais: Vec::new(),
    }
}

fn token_requests(f: &FakePix) -> usize {
    f.requests()
        .iter()
        .filter(|r| r.uri == "/oauth/token")
        .count()
}

#[tokio::test]
async fn tokens_are_cached_and_renewed_once_on_401() {
    let fake = FakePix::start().await;
    let client = PixClient::new(fake.config()).expect("client");
    let txid = Txid::derive("INV-1");
    client
        .put_cob(&txid, &cob(1050, &fake.chave))
        .await
        .expect("cob");
    client.get_cob(&txid).await.expect("get");
    assert_eq!(token_requests(&fake), 1, "the token is reused");

    fake.expire_tokens();
    let got = client.get_cob(&txid).await.expect("renewed after 401");
    assert_eq!(got.valor.original, Amount(1050));
    assert_eq!(token_requests(&fake), 2);
    let log = fake.requests();
    let gets = log.iter().filter(|r| r.method == "GET").count();
    assert_eq!(gets, 3, "the refused GET was repeated once: {log:?}");

    // A token that lives 1 s is renewed before use rather than sent stale.
    fake.set_token_ttl(Duration::from_secs(1));
    fake.expire_tokens();
    client.get_cob(&txid).await.expect("renewed");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.get_cob(&txid).await.expect("renewed again");
    assert_eq!(token_requests(&fake), 4);
}

#[tokio::test]
async fn wrong_credentials_and_missing_client_certificates_are_refused() {
    let fake = FakePix::start().await;
    let mut config = fake.config();
    config.client_secret = "wrong".into();
    let err = PixClient::new(config)
        .expect("client")
        .get_cob(&Txid::derive("x"))
        .await
        .expect_err("refused");
    assert!(matches!(err, PixError::Token(_)), "{err}");

    let mut config = fake.config();
    config.identity_pem = None;
    let err = PixClient::new(config)
        .expect("client")
        .get_cob(&Txid::derive("x"))
        .await
        .expect_err("refused");
    assert!(
        matches!(err, PixError::Http(gateways::http::Error::Transport { .. })),
        "{err}"
    );

    // A certificate from another CA is refused too.
    let other = Certs::generate();
    let mut config = fake.config();
    config.identity_pem = Some((other.client_cert_pem.clone(), other.client_key_pem.clone()));
    let err = PixClient::new(config)
        .expect("client")
        .get_cob(&Txid::derive("x"))
        .await
        .expect_err("refused");
    assert!(matches!(err, PixError::Http(_)), "{err}");
    assert_eq!(
        token_requests(&fake),
        1,
        "only the wrong secret got an answer"
    );
}

#[tokio::test]
async fn immediate_charges_are_created_read_and_cancelled() {
    let fake = FakePix::start().await;
    let client = PixClient::new(fake.config()).expect("client");
    let txid = Txid::derive("INV-2026-000123");
    let c = client
        .put_cob(&txid, &cob(12345, &fake.chave))
        .await
        .expect("created");
    assert_eq!(c.status, CobStatus::Ativa);
    assert_eq!(c.txid, txid);
    assert_eq!(c.valor.original, Amount(12345));
    let code = c.pix_copia_e_cola.clone().expect("BR Code");
    let parsed = brpay::pix::parse(&code).expect("a valid BR Code");
    assert_eq!(parsed.amount, Some(12345));
    assert_eq!(parsed.location, c.location);

    // The same invoice maps to the same txid: a repeated PUT is the same charge.
    let again = client
        .put_cob(&Txid::derive("INV-2026-000123"), &cob(12345, &fake.chave))
        .await
        .expect("same");
    assert_eq!(again.loc, c.loc);

    let cancelled = client.cancel_cob(&txid).await.expect("cancelled");
    assert_eq!(cancelled.status, CobStatus::RemovidaPeloUsuarioRecebedor);
    assert_eq!(
        client.get_cob(&txid).await.expect("get").status,
        CobStatus::RemovidaPeloUsuarioRecebedor
    );
    let err = fake
        .pay(txid.as_str(), 12345)
        .await
        .expect_err("cancelled charges are not paid");
    assert!(err.contains("not ATIVA"), "{err}");

    let missing = client
        .get_cob(&Txid::derive("nope"))
        .await
        .expect_err("404");
    assert_eq!(missing.status(), Some(404));
    assert!(matches!(missing, PixError::Api { .. }), "{missing}");
}

#[tokio::test]
async fn charges_with_due_dates_are_created_paid_and_read() {
    let fake = FakePix::start().await;
    let client = PixClient::new(fake.config()).expect("client");
    let txid = Txid::derive("INV-2026-000200");
    let c = client
        .put_cobv(&txid, &cobv(9990, &fake.chave))
        .await
        .expect("created");
    assert_eq!(
        c.calendario.data_de_vencimento.as_deref(),
        Some("2026-02-10")
    );
    assert_eq!(
        c.valor.multa,
        Some(Modalidade {
            modalidade: 2,
            valor_perc: Amount(200)
        })
    );
    assert_eq!(
        c.devedor.as_ref().and_then(|d| d.cnpj.as_deref()),
        Some("12345678000195")
    );

    let paid = fake.pay(txid.as_str(), 9990).await.expect("paid");
    let c = client.get_cobv(&txid).await.expect("read");
    assert_eq!(c.status, CobStatus::Concluida);
    assert_eq!(c.pix.len(), 1);
    assert_eq!(c.pix[0].end_to_end_id, paid.end_to_end_id);
    let e2e = &paid.end_to_end_id;
    assert_eq!(e2e.len(), 32, "{e2e}");
    assert!(
        e2e.starts_with("E99999008") && e2e.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{e2e}"
    );

    let other = Txid::derive("INV-2026-000201");
    client
        .put_cobv(&other, &cobv(500, &fake.chave))
        .await
        .expect("created");
    let c = client.cancel_cobv(&other).await.expect("cancelled");
    assert_eq!(c.status, CobStatus::RemovidaPeloUsuarioRecebedor);

    // A debtor without a document never leaves the client.
    let mut bad = cobv(100, &fake.chave);
    bad.devedor.cpf = None;
    bad.devedor.cnpj = None;
    let err = client
        .put_cobv(&Txid::derive("x"), &bad)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("devedor.cpf"), "{err}");
}

#[tokio::test]
async fn the_psp_validation_errors_name_the_violation() {
    let fake = FakePix::start().await;
    let client = PixClient::new(fake.config()).expect("client");
    // Past the client's own checks: an empty key only the PSP refuses.
    let err = client
        .put_cob(&Txid::derive("k"), &cob(100, ""))
        .await
        .expect_err("refused");
    assert_eq!(err.status(), Some(400));
    assert!(
        err.violations()
            .iter()
            .any(|v| v.propriedade == "cob.chave"),
        "{err}"
    );
    assert!(err.to_string().contains("cob.chave"), "{err}");

    // Strict amounts and txids on our side.
    let err = client
        .put_cob(&Txid::derive("z"), &cob(0, &fake.chave))
        .await
        .expect_err("zero");
    assert!(err.to_string().contains("valor.original"), "{err}");
    let err = Txid::new("abc-123").expect_err("bad txid");
    assert!(err.to_string().contains("abc-123"), "{err}");
    assert!(Amount::parse("valor", "10.5").is_err());
}

#[tokio::test]
async fn the_sweep_reads_every_page_and_refunds_settle() {
    let fake = FakePix::start().await;
    fake.set_page_size(2);
    let client = PixClient::new(fake.config()).expect("client");
    let start = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(60);
    fake.drop_webhooks(true);
    let mut e2es = Vec::new();
    for i in 0..5 {
        let txid = Txid::derive(&format!("INV-{i}"));
        client
            .put_cob(&txid, &cob(1000 + i, &fake.chave))
            .await
            .expect("cob");
        let paid = fake.pay(txid.as_str(), 1000 + i).await.expect("paid");
        e2es.push(paid.end_to_end_id);
    }
    let end = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(60);
    let all = client.list_pix(start, end).await.expect("swept");
    let found: Vec<_> = all.iter().map(|p| p.end_to_end_id.clone()).collect();
    assert_eq!(found, e2es);
    let pages = fake
        .requests()
        .iter()
        .filter(|r| r.uri.starts_with("/api/v2/pix?"))
        .count();
    assert_eq!(pages, 3);
    assert!(fake.deliveries().is_empty(), "webhooks were dropped");

    let one = client.get_pix(&e2es[0]).await.expect("one");
    assert_eq!(one.valor, Amount(1000));
    let req = DevolucaoRequest {
        valor: Amount(400),
        natureza: None,
        descricao: Some("Cobrança em duplicidade".into()),
    };
    let d = client
        .put_devolucao(&e2es[0], "D1", &req)
        .await
        .expect("refund");
    assert_eq!(d.status, DevolucaoStatus::EmProcessamento);
    let d = client
        .get_devolucao(&e2es[0], "D1")
        .await
        .expect("refund read");
    assert_eq!(d.status, DevolucaoStatus::Devolvido);
    assert!(d.horario.liquidacao.is_some());
    let too_much = DevolucaoRequest {
        valor: Amount(700),
        natureza: None,
        descricao: None,
    };
    let err = client
        .put_devolucao(&e2es[0], "D2", &too_much)
        .await
        .expect_err("more than left");
    assert!(
        err.violations().iter().any(|v| v.propriedade == "valor"),
        "{err}"
    );
    assert_eq!(
        client
            .get_pix(&e2es[0])
            .await
            .expect("pix")
            .devolucoes
            .len(),
        1
    );
}

type Received = Arc<Mutex<Vec<(String, Option<Vec<u8>>, Bytes)>>>;

/// A tiny webhook receiver that, like the application must, requires a
/// client certificate from the PSP's CA.
async fn receiver(certs: &Certs) -> (gateways::fake::pix::TlsServer, Received) {
    let got: Received = Arc::default();
    let record = |path: &'static str| {
        let got = got.clone();
        post(
            move |Extension(peer): Extension<PeerCertificate>, body: Bytes| async move {
                got.lock()
                    .expect("lock")
                    .push((path.to_owned(), peer.0, body));
                "ok"
            },
        )
    };
    let app = Router::new()
        .route("/hook/pix", record("pix"))
        .route("/hook/rec", record("rec"))
        .route("/hook/cobr", record("cobr"));
    let (cert, key) = certs.issue_server(&["127.0.0.1"]);
    let server = serve_mtls(app, &cert, &key, &certs.ca_pem)
        .await
        .expect("receiver");
    (server, got)
}

#[tokio::test]
async fn webhooks_arrive_over_mutual_tls_with_the_psp_certificate() {
    let fake = FakePix::start().await;
    let client = PixClient::new(fake.config()).expect("client");
    let (server, got) = receiver(&fake.certs).await;
    let url = format!("{}/hook", server.url());
    client
        .put_webhook(&fake.chave, &url)
        .await
        .expect("registered");
    assert_eq!(
        client
            .get_webhook(&fake.chave)
            .await
            .expect("read")
            .webhook_url,
        url
    );
    let err = client
        .put_webhook(&fake.chave, "http://plain.example/hook")
        .await
        .expect_err("https only");
    assert!(
        err.violations()
            .iter()
            .any(|v| v.propriedade == "webhookUrl"),
        "{err}"
    );

    let txid = Txid::derive("INV-W");
    client
        .put_cob(&txid, &cob(2500, &fake.chave))
        .await
        .expect("cob");
    let paid = fake.pay(txid.as_str(), 2500).await.expect("paid");
    let results: Vec<_> = fake.deliveries().into_iter().map(|d| d.result).collect();
    assert_eq!(results, vec![Ok(200)]);
    let got = got.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    let (path, peer, body) = &got[0];
    assert_eq!(path, "pix");
    assert_eq!(
        peer.as_deref(),
        Certs::der(&fake.certs.psp_cert_pem).as_deref(),
        "the PSP's certificate"
    );
    let hook = parse_webhook(body).expect("payload");
    assert_eq!(hook.pix, vec![paid]);

    // Dropped notifications are not delivered; the sweep finds the Pix.
    fake.drop_webhooks(true);
    let txid = Txid::derive("INV-W2");
    client
        .put_cob(&txid, &cob(100, &fake.chave))
        .await
        .expect("cob");
    fake.pay(txid.as_str(), 100).await.expect("paid");
    assert_eq!(fake.deliveries().len(), 1);
}

#[tokio::test]
async fn pix_automatico_from_authorisation_to_a_paid_recurring_charge() {
    let fake = FakePix::start().await;
    let client = PixClient::new(fake.config()).expect("client");
    let (server, got) = receiver(&fake.certs).await;
    let hook = format!("{}/hook", server.url());
    client.put_webhook_rec(&hook).await.expect("rec hook");
    client.put_webhook_cobr(&hook).await.expect("cobr hook");

    let rec_request = RecRequest {
        vinculo: Vinculo {
            objeto: Some("Internet 300 Mb".into()),
            contrato: "CT-2026-0042".into(),
            devedor: Pessoa::with_document("12345678909", "Fulano de Tal").expect("cpf"),
        },
        calendario: CalendarioRec {
            data_inicial: "2026-02-10".into(),
            data_final: None,
            periodicidade: Periodicidade::Mensal,
        },
        valor: Some(ValorRec {
            valor_rec: Some(Amount(9990)),
            valor_minimo_recebedor: None,
        }),
        politica_retentativa: PoliticaRetentativa::Permite3r7d,
        loc: Some(1),
        ativacao: None,
    };
    let rec = client.post_rec(&rec_request).await.expect("rec");
    assert_eq!(rec.status, RecStatus::Criada);
    assert!(
        rec.id_rec.starts_with("RR") && rec.id_rec.len() == 29,
        "{}",
        rec.id_rec
    );
    // The journey-2 QR code decodes as a Pix Automático code.
    let qr = rec.dados_qr.clone().expect("QR data");
    let decoded = brpay::pix::parse(&qr.pix_copia_e_cola).expect("BR Code");
    assert_eq!(
        decoded.recurrence_location,
        rec.loc.as_ref().map(|l| l.location.clone())
    );

    // A charge before approval is refused.
    let cobr_request = CobrRequest {
        id_rec: rec.id_rec.clone(),
        info_adicional: Some("Fatura de fevereiro".into()),
        calendario: CalendarioCobr {
            criacao: None,
            data_de_vencimento: "2026-02-10".into(),
        },
        valor: ValorCob {
            original: Amount(9990),
        },
        ajuste_dia_util: true,
    };
    let txid = Txid::derive("INV-REC-1");
    let err = client
        .put_cobr(&txid, &cobr_request)
        .await
        .expect_err("not approved yet");
    assert!(
        err.violations()
            .iter()
            .any(|v| v.propriedade == "cobr.idRec"),
        "{err}"
    );

    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);
    let solic = client
        .post_solicrec(&SolicRecRequest {
            id_rec: rec.id_rec.clone(),
            calendario: CalendarioSolicRec {
                data_expiracao_solicitacao: expires.to_string(),
            },
            destinatario: Destinatario {
                cpf: Some("12345678909".into()),
                cnpj: None,
                conta: "123456".into(),
                agencia: Some("0001".into()),
                ispb_participante: "00000000".into(),
            },
        })
        .await
        .expect("solicrec");
    assert_eq!(solic.status, SolicRecStatus::Enviada);

    fake.approve_rec(&rec.id_rec).await.expect("approved");
    assert_eq!(
        client.get_rec(&rec.id_rec).await.expect("rec").status,
        RecStatus::Aprovada
    );
    assert_eq!(
        client
            .get_solicrec(&solic.id_solic_rec)
            .await
            .expect("solicrec")
            .status,
        SolicRecStatus::Aceita
    );

    let mut wrong = cobr_request.clone();
    wrong.valor.original = Amount(5000);
    let err = client
        .put_cobr(&Txid::derive("INV-REC-X"), &wrong)
        .await
        .expect_err("fixed amount");
    assert!(
        err.violations()
            .iter()
            .any(|v| v.propriedade == "cobr.valor.original"),
        "{err}"
    );

    let cobr = client.put_cobr(&txid, &cobr_request).await.expect("cobr");
    assert_eq!(cobr.status, CobrStatus::Ativa);
    fake.pay(txid.as_str(), 9990).await.expect("paid");
    let cobr = client.get_cobr(&txid).await.expect("cobr");
    assert_eq!(cobr.status, CobrStatus::Concluida);
    assert_eq!(cobr.pix.len(), 1);

    let got = got.lock().expect("lock").clone();
    let paths: Vec<&str> = got.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(paths, ["rec", "cobr"]);
    let recs = parse_rec_webhook(&got[0].2).expect("rec payload");
    assert_eq!(recs.recs[0].status, RecStatus::Aprovada);
    let cobsr = parse_cobr_webhook(&got[1].2).expect("cobr payload");
    assert_eq!(cobsr.cobsr[0].status, CobrStatus::Concluida);

    let cancelled = client.cancel_rec(&rec.id_rec).await.expect("cancelled");
    assert_eq!(cancelled.status, RecStatus::Cancelada);
    assert!(cancelled.encerramento.is_some());
}
