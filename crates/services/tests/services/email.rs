//! The outbox drained over SMTP into a sink written here.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use services::system::jobs::{self, Registry, RunnerConfig};
use services::{Error, Services};
use store::system::jobs::Status;
use store::testing::each_engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::{admin_caller, audited, svc};

/// What the sink received.
#[derive(Debug, Clone, Default)]
pub(crate) struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

/// An SMTP server that speaks just enough to take messages (or refuse every
/// recipient with a 550).
pub(crate) async fn smtp_sink(refuse_rcpt: bool) -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = Arc::new(Mutex::new(Vec::new()));
    let sink = inbox.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let inbox = sink.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                let mut msg = Received::default();
                w.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 sink.test\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        msg = Received {
                            from: line[10..].trim().to_owned(),
                            ..Received::default()
                        };
                        b"250 OK\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        if refuse_rcpt {
                            b"550 5.1.1 no such mailbox\r\n"
                        } else {
                            msg.to.push(line[8..].trim().to_owned());
                            b"250 OK\r\n"
                        }
                    } else if upper == "DATA" {
                        w.write_all(b"354 go ahead\r\n").await.unwrap();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            msg.data.push_str(&l);
                            msg.data.push('\n');
                        }
                        inbox.lock().unwrap().push(std::mem::take(&mut msg));
                        b"250 queued\r\n"
                    } else if upper == "QUIT" {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else if upper == "RSET" || upper == "NOOP" {
                        b"250 OK\r\n"
                    } else {
                        b"502 not implemented\r\n"
                    };
                    if w.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, inbox)
}

pub(crate) async fn configure_smtp(svc: &Services, port: u16) {
    let mut v = BTreeMap::new();
    v.insert("email.smtp_host".to_owned(), "127.0.0.1".to_owned());
    v.insert("email.smtp_port".to_owned(), port.to_string());
    v.insert("email.smtp_security".to_owned(), "none".to_owned());
    v.insert(
        "email.from_address".to_owned(),
        "noc@isp.example".to_owned(),
    );
    services::system::settings::update(svc, &admin_caller(), &v)
        .await
        .unwrap();
}

/// Claims and runs jobs in the foreground until none is due.
pub(crate) async fn run_due_jobs(svc: &Services) -> Vec<store::system::jobs::Job> {
    let cfg = RunnerConfig::new("fg");
    let registry = Registry::with_builtins();
    let mut ran = Vec::new();
    while let Some(job) = jobs::runner::claim(svc, &cfg).await.unwrap() {
        let id = job.id;
        jobs::runner::execute_claimed(svc, &registry, &cfg, job).await;
        ran.push(jobs::get(svc, &admin_caller(), id).await.unwrap());
    }
    ran
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_email_goes_through_the_outbox_to_smtp() {
    each_engine(|db| async move {
        let svc = svc(&db);
        // Not configured yet: refused with a clear code.
        assert!(matches!(
            services::system::email::send_test_email(&svc, &admin_caller(), "ops@isp.example")
                .await,
            Err(Error::Refused("email-not-configured"))
        ));
        let (port, inbox) = smtp_sink(false).await;
        configure_smtp(&svc, port).await;
        assert!(matches!(
            services::system::email::send_test_email(&svc, &admin_caller(), "not an address").await,
            Err(Error::Invalid { field: "to", .. })
        ));

        let id = services::system::email::send_test_email(&svc, &admin_caller(), "ops@isp.example")
            .await
            .unwrap();
        assert_eq!(audited(&svc, "email.test").await.len(), 1);
        let ran = run_due_jobs(&svc).await;
        assert_eq!(ran.len(), 1);
        assert_eq!(ran[0].kind, jobs::EMAIL_OUTBOX);
        assert_eq!(ran[0].status, Status::Succeeded, "{:?}", ran[0]);

        let got = inbox.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].from, "<noc@isp.example>");
        assert_eq!(got[0].to, vec!["<ops@isp.example>".to_owned()]);
        assert!(
            got[0]
                .data
                .contains("Subject: Lastmile test e-mail / E-mail de teste"),
            "{}",
            got[0].data
        );
        assert!(got[0].data.contains("To: ops@isp.example"));
        let m = services::system::email::message(&svc, &admin_caller(), id)
            .await
            .unwrap();
        assert_eq!(m.status, "sent");
        assert!(m.sent_at.is_some());

        // Messages queued by other services go out with the next drain.
        let mut tx = svc.db.begin().await.unwrap();
        for n in 0..3 {
            store::system::outbox::enqueue(
                &mut tx,
                &format!("user{n}@isp.example"),
                "Hello",
                "Body",
                store::now(),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let r = services::system::email::drain(&svc, &admin_caller(), None)
            .await
            .unwrap();
        assert_eq!((r.sent, r.failed), (3, 0));
        assert_eq!(inbox.lock().unwrap().len(), 4);
        assert!(
            services::system::email::drain(&svc, &admin_caller(), None)
                .await
                .unwrap()
                == Default::default()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_unreachable_sends_are_recorded() {
    each_engine(|db| async move {
        let svc = svc(&db);
        // A server that refuses the recipient: a permanent failure.
        let (port, inbox) = smtp_sink(true).await;
        configure_smtp(&svc, port).await;
        let id =
            services::system::email::send_test_email(&svc, &admin_caller(), "ghost@isp.example")
                .await
                .unwrap();
        let ran = run_due_jobs(&svc).await;
        assert_eq!(ran.len(), 1);
        assert_eq!(
            ran[0].status,
            Status::Failed,
            "every send failed: the job fails"
        );
        assert!(ran[0].last_error.as_deref().unwrap().contains("550"));
        let m = services::system::email::message(&svc, &admin_caller(), id)
            .await
            .unwrap();
        assert_eq!(m.status, "failed");
        assert_eq!(m.attempts, 1);
        assert!(m.last_error.unwrap().contains("no such mailbox"));
        assert!(inbox.lock().unwrap().is_empty());

        // Nobody listening: a transient failure, retried later.
        let closed = {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap().port()
        };
        configure_smtp(&svc, closed).await;
        let id = services::system::email::send_test_email(&svc, &admin_caller(), "ops@isp.example")
            .await
            .unwrap();
        let r = services::system::email::drain(&svc, &admin_caller(), None)
            .await
            .unwrap();
        assert_eq!((r.sent, r.failed), (0, 1));
        let m = services::system::email::message(&svc, &admin_caller(), id)
            .await
            .unwrap();
        assert_eq!(m.status, "pending");
        assert_eq!(m.attempts, 1);
        assert!(m.next_attempt_at > store::now());
        // Not due again yet.
        assert_eq!(
            services::system::email::drain(&svc, &admin_caller(), None)
                .await
                .unwrap(),
            Default::default()
        );
    })
    .await;
}
