//! Outbound e-mail. Services queue messages in the outbox inside their own
//! transaction ([`store::system::outbox::enqueue`]); the `email-outbox` job sends
//! them over SMTP (lettre, rustls) with the settings of the e-mail page.
//!
//! A failed send is retried with backoff up to [`MAX_SEND_ATTEMPTS`] times;
//! a permanent refusal (5xx, bad address) fails the message at once. While
//! SMTP is not configured, messages wait.

use std::time::Duration;

use domain::Permission;
use domain::system::settings as keys;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message as Mail, Tokio1Executor};
use serde_json::json;
/// An outbox message as stored.
pub use store::system::outbox::Message;

use crate::system::jobs::JobContext;
use crate::{Caller, Change, Error, Result, Services};

pub const MAX_SEND_ATTEMPTS: i64 = 5;
/// Messages taken per round; a drain stops after [`MAX_PER_RUN`].
const BATCH: i64 = 20;
const MAX_PER_RUN: usize = 1000;
/// How long a drain holds the messages it took.
const HOLD_SECS: i64 = 600;
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The SMTP settings in force.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub security: String,
    pub username: String,
    pub password: String,
    pub from: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// The configured SMTP server, or `None` while host or sender is empty.
pub(crate) async fn smtp_config(svc: &Services) -> Result<Option<SmtpConfig>> {
    let s = crate::system::settings::current(svc).await?;
    let host = s.raw(keys::SMTP_HOST).trim().to_owned();
    let from = s.raw(keys::EMAIL_FROM).trim().to_owned();
    if host.is_empty() || from.is_empty() {
        return Ok(None);
    }
    Ok(Some(SmtpConfig {
        host,
        port: u16::try_from(s.int(keys::SMTP_PORT)).unwrap_or(587),
        security: s.raw(keys::SMTP_SECURITY).to_owned(),
        username: s.raw(keys::SMTP_USERNAME).to_owned(),
        password: s.secret(svc, keys::SMTP_PASSWORD)?,
        from,
    }))
}

fn transport(cfg: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = match cfg.security.as_str() {
        "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host),
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.host)
            .map_err(|e| Error::invalid_msg(keys::SMTP_HOST, e.to_string()))?,
        _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&cfg.host)
            .map_err(|e| Error::invalid_msg(keys::SMTP_HOST, e.to_string()))?,
    };
    let mut builder = builder.port(cfg.port).timeout(Some(SMTP_TIMEOUT));
    if !cfg.username.is_empty() {
        builder = builder.credentials(Credentials::new(cfg.username.clone(), cfg.password.clone()));
    }
    Ok(builder.build())
}

/// What one drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub sent: usize,
    /// Failed this time (some will be retried).
    pub failed: usize,
    pub last_error: Option<String>,
    /// SMTP is not configured: nothing was tried.
    pub not_configured: bool,
}

/// Sends due outbox messages until none is left (or [`MAX_PER_RUN`]): the
/// `email-outbox` job's work (`settings.manage`).
pub async fn drain(svc: &Services, caller: &Caller, ctx: Option<&JobContext>) -> Result<Report> {
    caller.require(Permission::SettingsManage)?;
    let Some(cfg) = smtp_config(svc).await? else {
        return Ok(Report {
            not_configured: true,
            ..Report::default()
        });
    };
    let from: Mailbox = cfg
        .from
        .parse()
        .map_err(|e| Error::invalid_msg(keys::EMAIL_FROM, format!("{e}")))?;
    let mailer = transport(&cfg)?;
    let total = {
        let mut c = svc.db.conn().await?;
        store::system::outbox::pending_count(&mut c).await?
    };
    let mut report = Report::default();
    while report.sent + report.failed < MAX_PER_RUN {
        let batch = {
            let mut tx = svc.db.begin().await?;
            let b = store::system::outbox::claim_batch(
                &mut tx,
                svc.db.engine(),
                store::now(),
                HOLD_SECS,
                BATCH,
            )
            .await?;
            tx.commit().await?;
            b
        };
        if batch.is_empty() {
            break;
        }
        for mut m in batch {
            // A document's message is written, and its PDF rendered, now
            // rather than when the document was issued.
            let (result, composed) = match attachment(svc, &m).await {
                Ok(a) => {
                    if let Some(c) = &a {
                        m.subject.clone_from(&c.subject);
                        m.body_text.clone_from(&c.body);
                    }
                    (send_one(&mailer, &from, &m, a.as_ref()).await, a.is_some())
                }
                Err(e) => (
                    Err(SendError {
                        text: format!("cannot compose the message: {e}"),
                        permanent: matches!(e, Error::NotFound | Error::Refused(_)),
                    }),
                    false,
                ),
            };
            let mut tx = svc.db.begin().await?;
            if composed {
                store::system::outbox::set_content(&mut tx, m.id, &m.subject, &m.body_text).await?;
            }
            match result {
                Ok(()) => {
                    store::system::outbox::mark_sent(&mut tx, m.id, store::now()).await?;
                    report.sent += 1;
                }
                Err(SendError { text, permanent }) => {
                    let attempt = m.attempts + 1;
                    let retry_at = (!permanent && attempt < MAX_SEND_ATTEMPTS)
                        .then(|| store::now() + retry_delay(attempt));
                    store::system::outbox::mark_failed(&mut tx, m.id, &text, retry_at).await?;
                    tracing::warn!(message = m.id, error = %text, "sending e-mail failed");
                    report.failed += 1;
                    report.last_error = Some(text);
                }
            }
            tx.commit().await?;
        }
        if let Some(ctx) = ctx {
            let done = (report.sent + report.failed) as i64;
            let _ = ctx
                .progress(
                    done,
                    total.max(done),
                    &format!("{} sent, {} failed", report.sent, report.failed),
                )
                .await;
        }
    }
    Ok(report)
}

/// The `email-outbox` job. It fails (and so shows up in the job list with
/// the error) when every message it tried failed, e.g. the server refused
/// the connection.
pub(crate) async fn drain_job(ctx: &JobContext) -> Result<()> {
    let caller = Caller::system(crate::system::jobs::EMAIL_OUTBOX);
    let r = drain(ctx.svc(), &caller, Some(ctx)).await?;
    if r.not_configured {
        return ctx
            .note("SMTP is not configured; messages wait in the outbox")
            .await;
    }
    if r.sent == 0 && r.failed > 0 {
        return Err(Error::Internal(format!(
            "{} message(s) failed: {}",
            r.failed,
            r.last_error.unwrap_or_default()
        )));
    }
    Ok(())
}

fn retry_delay(attempt: i64) -> i64 {
    (60_i64 << attempt.clamp(0, 10)).min(3600)
}

struct SendError {
    text: String,
    permanent: bool,
}

/// The message and PDF of a document's e-mail, composed at send time;
/// `None` for a plain message.
async fn attachment(svc: &Services, m: &Message) -> Result<Option<crate::billing::mail::Composed>> {
    match (m.attachment_kind.as_deref(), m.attachment_id) {
        (Some("invoice"), Some(id)) => Ok(Some(crate::billing::mail::compose(svc, id).await?)),
        (Some("receipt"), Some(id)) => Ok(Some(crate::payments::receipt::compose(svc, id).await?)),
        (None, _) => Ok(None),
        (Some(other), _) => Err(Error::Internal(format!(
            "unknown attachment kind `{other}`"
        ))),
    }
}

async fn send_one(
    mailer: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    m: &Message,
    attached: Option<&crate::billing::mail::Composed>,
) -> std::result::Result<(), SendError> {
    let to: Mailbox = m.to_addr.parse().map_err(|e| SendError {
        text: format!("bad recipient `{}`: {e}", m.to_addr),
        permanent: true,
    })?;
    let builder = Mail::builder()
        .from(from.clone())
        .to(to)
        .subject(m.subject.as_str());
    let built = match attached {
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(m.body_text.clone()),
        Some(c) => {
            let pdf = ContentType::parse("application/pdf").map_err(|e| SendError {
                text: format!("content type: {e}"),
                permanent: true,
            })?;
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(m.body_text.clone()))
                    .singlepart(Attachment::new(c.filename.clone()).body(c.pdf.clone(), pdf)),
            )
        }
    };
    let mail = built.map_err(|e| SendError {
        text: format!("cannot build the message: {e}"),
        permanent: true,
    })?;
    mailer.send(mail).await.map(|_| ()).map_err(|e| SendError {
        permanent: e.is_permanent(),
        text: e.to_string(),
    })
}

/// Queues a test message to `to` and starts the outbox job at once
/// (audited as `email.test`; `settings.manage`). Returns the outbox message
/// id, whose status [`message`] reports.
pub async fn send_test_email(svc: &Services, caller: &Caller, to: &str) -> Result<i64> {
    caller.require(Permission::SettingsManage)?;
    let actor = caller.actor();
    let to = to.trim();
    crate::check("to", domain::validate::email(to))?;
    if smtp_config(svc).await?.is_none() {
        return Err(Error::Refused("email-not-configured"));
    }
    let now = store::now();
    let company = {
        let mut c = svc.db.conn().await?;
        store::system::company::get(&mut c)
            .await?
            .map_or_else(|| "Lastmile".to_owned(), |c| c.name)
    };
    let body = format!(
        "This is a test message from {company}'s Lastmile, sent by {}.\n\
         If you can read it, outgoing e-mail works.\n\n---\n\n\
         Esta é uma mensagem de teste do Lastmile de {company}, enviada por {}.\n\
         Se você consegue lê-la, o envio de e-mail funciona.\n",
        actor.name, actor.name
    );
    let mut tx = svc.db.begin().await?;
    let id = store::system::outbox::enqueue(
        &mut tx,
        to,
        "Lastmile test e-mail / E-mail de teste",
        &body,
        now,
    )
    .await?;
    crate::system::jobs::enqueue_in(
        &mut tx,
        crate::system::jobs::EMAIL_OUTBOX,
        &json!({"test": id}),
        now,
    )
    .await?;
    Change::new("email.test", "email", id)
        .after(json!({"to": to}))
        .record(&mut tx, svc.db.engine(), &actor)
        .await?;
    tx.commit().await?;
    svc.wake_jobs();
    Ok(id)
}

/// Who may read the outbox: the e-mail settings page shows it.
const OUTBOX_READ: &[Permission] = &[Permission::SettingsView, Permission::SettingsManage];

/// One outbox message (`settings.view` or `settings.manage`).
pub async fn message(svc: &Services, caller: &Caller, id: i64) -> Result<Message> {
    crate::staff::require_any(caller, OUTBOX_READ)?;
    let mut c = svc.db.conn().await?;
    store::system::outbox::get(&mut c, id)
        .await?
        .ok_or(Error::NotFound)
}

/// The latest outbox messages, newest first (`settings.view` or
/// `settings.manage`).
pub async fn recent(svc: &Services, caller: &Caller, limit: i64) -> Result<Vec<Message>> {
    crate::staff::require_any(caller, OUTBOX_READ)?;
    let mut c = svc.db.conn().await?;
    Ok(store::system::outbox::recent(&mut c, limit.clamp(1, 200)).await?)
}
