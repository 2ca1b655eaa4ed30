//! The fake's binary API face (TCP and TLS).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::{Answer, FakeTrap, Shared};
use crate::codec::Decoder;
use crate::{Command, Reply, ReplyKind, TrapCategory};

pub(super) async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => session(tcp, shared).await,
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(tcp).await {
                        session(stream, shared).await;
                    }
                }
            }
        });
    }
}

/// Commands answered late, by tag: how to abort each, and its tag.
type Running = Arc<Mutex<HashMap<String, (AbortHandle, Option<String>)>>>;

/// Replies of one command, encoded, in order.
fn encode(replies: &[Reply]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in replies {
        // Replies always have a reply word, so encoding cannot fail.
        let _ = r.to_sentence().encode(&mut out);
    }
    out
}

fn reply(kind: ReplyKind, tag: &Option<String>) -> Reply {
    Reply {
        tag: tag.clone(),
        ..Reply::new(kind)
    }
}

fn trap_replies(trap: &FakeTrap, tag: &Option<String>) -> Vec<Reply> {
    let mut r = reply(ReplyKind::Trap, tag);
    if let Some(c) = trap.category {
        r.attributes.insert("category", c.number().to_string());
    }
    r.attributes.insert("message", trap.message.as_str());
    vec![r, reply(ReplyKind::Done, tag)]
}

fn fatal(message: &str) -> Vec<u8> {
    let mut r = Reply::new(ReplyKind::Fatal);
    r.text.push(message.to_owned());
    encode(&[r])
}

/// What a command answers.
fn answer(shared: &Shared, command: &Command) -> Vec<Reply> {
    let tag = &command.tag;
    match shared.execute(command) {
        Err(trap) => trap_replies(&trap, tag),
        Ok(Answer::Done(attrs)) => {
            let mut done = reply(ReplyKind::Done, tag);
            done.attributes = attrs;
            vec![done]
        }
        Ok(Answer::Rows { rows, empty_reply }) => {
            let mut out = Vec::with_capacity(rows.len() + 1);
            if rows.is_empty() && empty_reply {
                out.push(reply(ReplyKind::Empty, tag));
            }
            for row in rows {
                let mut re = reply(ReplyKind::Re, tag);
                re.attributes = row;
                out.push(re);
            }
            out.push(reply(ReplyKind::Done, tag));
            out
        }
    }
}

async fn session<S: AsyncRead + AsyncWrite + Send + 'static>(stream: S, shared: Arc<Shared>) {
    let (reader, writer) = tokio::io::split(stream);
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    // One writer so replies of concurrent commands never interleave inside
    // a sentence. An empty buffer asks it to close the connection.
    let write = tokio::spawn(async move {
        tokio::pin!(writer);
        let mut closing = false;
        while !closing {
            let Some(mut bytes) = rx.recv().await else {
                break;
            };
            if bytes.is_empty() {
                break;
            }
            loop {
                match rx.try_recv() {
                    Ok(more) if more.is_empty() => {
                        closing = true;
                        break;
                    }
                    Ok(more) => bytes.extend_from_slice(&more),
                    Err(_) => break,
                }
            }
            if writer.write_all(&bytes).await.is_err() || writer.flush().await.is_err() {
                return;
            }
        }
        let _ = writer.shutdown().await;
    });
    let running: Running = Arc::default();
    let mut decoder = Decoder::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut logged_in = false;
    tokio::pin!(reader);
    'session: loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        decoder.feed(&buf[..n]);
        loop {
            let sentence = match decoder.next_sentence() {
                Ok(Some(s)) => s,
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(fatal(&format!("malformed data: {e}")));
                    break 'session;
                }
            };
            let command = match Command::parse(&sentence) {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.send(fatal(&format!("malformed sentence: {e}")));
                    break 'session;
                }
            };
            match command.name.as_str() {
                "/login" => {
                    let ok = shared.login_ok(
                        command.attributes.get("name").unwrap_or_default(),
                        command.attributes.get("password").unwrap_or_default(),
                    );
                    logged_in |= ok;
                    let replies = if ok {
                        vec![reply(ReplyKind::Done, &command.tag)]
                    } else {
                        let trap = FakeTrap::new(None, "invalid user name or password (6)");
                        trap_replies(&trap, &command.tag)
                    };
                    let _ = tx.send(encode(&replies));
                }
                _ if !logged_in => {
                    let _ = tx.send(fatal("not logged in"));
                    break 'session;
                }
                "/quit" => {
                    shared.log("/quit");
                    let _ = tx.send(fatal("session terminated on request"));
                    break 'session;
                }
                "/cancel" => {
                    shared.log("/cancel");
                    let mut replies = Vec::new();
                    if let Some(target) = command.attributes.get("tag") {
                        let cancelled = running
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(target);
                        if let Some((handle, tag)) = cancelled {
                            handle.abort();
                            let trap =
                                FakeTrap::new(Some(TrapCategory::Interrupted), "interrupted");
                            replies.extend(trap_replies(&trap, &tag));
                        }
                    }
                    replies.push(reply(ReplyKind::Done, &command.tag));
                    let _ = tx.send(encode(&replies));
                }
                name => {
                    shared.log(name);
                    match shared.delay_of(name) {
                        None => {
                            let _ = tx.send(encode(&answer(&shared, &command)));
                        }
                        Some(delay) => {
                            // Slow commands run on their own, so replies to
                            // later commands overtake them (as on a router).
                            let shared = shared.clone();
                            let tx = tx.clone();
                            let running_done = running.clone();
                            let tag = command.tag.clone();
                            let key = tag.clone().unwrap_or_default();
                            // Registered under the lock the task takes to
                            // unregister, so a short delay cannot finish first.
                            let mut table = running.lock().unwrap_or_else(|e| e.into_inner());
                            let task_key = key.clone();
                            let task = tokio::spawn(async move {
                                match delay {
                                    Some(d) => tokio::time::sleep(d).await,
                                    None => std::future::pending::<()>().await,
                                }
                                running_done
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .remove(&task_key);
                                let _ = tx.send(encode(&answer(&shared, &command)));
                            });
                            table.insert(key, (task.abort_handle(), tag));
                        }
                    }
                }
            }
        }
    }
    for (_, (handle, _)) in running.lock().unwrap_or_else(|e| e.into_inner()).drain() {
        handle.abort();
    }
    let _ = tx.send(Vec::new());
    drop(tx);
    let _ = write.await;
}
