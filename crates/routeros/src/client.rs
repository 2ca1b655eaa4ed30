//! The binary API client: TCP 8728 or TLS 8729, one connection carrying
//! many commands at once.
//!
//! Every command gets its own `.tag`. A writer task sends whole sentences
//! (so a caller giving up mid-command never leaves half a sentence on the
//! wire) and a reader task routes each reply to the command with its tag.
//! A command that gets no `!done` within its timeout is abandoned with
//! [`Error::Timeout`] and cancelled on the router (`/cancel`); its late
//! replies are dropped.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use crate::codec::{DEFAULT_MAX_WORD, DEFAULT_MAX_WORDS, DecodeError, Decoder};
use crate::proto::ParseError;
use crate::{Command, Error, Print, Reply, ReplyKind, Row, TlsOptions, Trap, TrapCategory, tls};

/// Where and how to connect.
#[derive(Clone)]
pub struct Config {
    /// Address or DNS name of the router.
    pub host: String,
    /// 8728 for plain TCP, 8729 for TLS (what [`Config::new`] and
    /// [`Config::tls`] set).
    pub port: u16,
    /// The router user to log in as.
    pub username: String,
    /// Its password.
    pub password: String,
    /// TLS (api-ssl) when set.
    pub tls: Option<TlsOptions>,
    /// Limit for TCP connect, TLS handshake and login together.
    pub connect_timeout: Duration,
    /// Limit for each command, unless [`Client::run_with_timeout`] says
    /// otherwise.
    pub command_timeout: Duration,
    /// Longest word accepted from the router.
    pub max_word: u32,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &"…")
            .field("tls", &self.tls)
            .field("connect_timeout", &self.connect_timeout)
            .field("command_timeout", &self.command_timeout)
            .finish()
    }
}

impl Config {
    /// Plain TCP on 8728; 10 s to connect and log in, 60 s per command.
    pub fn new(
        host: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Config {
        Config {
            host: host.into(),
            port: 8728,
            username: username.into(),
            password: password.into(),
            tls: None,
            connect_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(60),
            max_word: DEFAULT_MAX_WORD,
        }
    }

    /// Uses TLS (api-ssl), on 8729 unless another port was set.
    pub fn tls(mut self, options: TlsOptions) -> Config {
        if self.port == 8728 {
            self.port = 8729;
        }
        self.tls = Some(options);
        self
    }

    /// Sets the port.
    pub fn port(mut self, port: u16) -> Config {
        self.port = port;
        self
    }

    /// Sets the command timeout.
    pub fn command_timeout(mut self, timeout: Duration) -> Config {
        self.command_timeout = timeout;
        self
    }

    /// Sets the connect-and-login timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Config {
        self.connect_timeout = timeout;
        self
    }

    /// `host:port`, with brackets around an IPv6 address.
    pub fn addr(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// What a command returned: its `!re` rows and what `!done` carried.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// One row per `!re`, in order.
    pub rows: Vec<Row>,
    /// Attributes of `!done` (`ret` after `add`, `count-only`…).
    pub done: Row,
    /// Whether the router said `!empty` (RouterOS 7.18+ for a print with
    /// no items; older versions just send `!done`).
    pub empty: bool,
}

/// A logged-in connection. Cheap to clone; clones share the connection,
/// and commands from any of them run concurrently. The connection closes
/// when the last clone is dropped.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

struct Shared {
    outbox: mpsc::UnboundedSender<Vec<u8>>,
    state: Arc<Mutex<State>>,
    next_tag: AtomicU64,
    command_timeout: Duration,
    tasks: Vec<AbortHandle>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

#[derive(Default)]
struct State {
    waiting: HashMap<String, InFlight>,
    closed: Option<Closed>,
}

struct InFlight {
    command: String,
    response: Response,
    trap: Option<Trap>,
    tx: oneshot::Sender<Result<Response, Error>>,
}

/// Why the connection ended (kept to answer later commands).
#[derive(Clone, Debug)]
enum Closed {
    Fatal(String),
    Lost(String),
    Decode(DecodeError),
    Parse(ParseError),
}

impl Closed {
    fn error(&self) -> Error {
        match self {
            Closed::Fatal(m) => Error::Fatal(m.clone()),
            Closed::Lost(m) => Error::Closed(m.clone()),
            Closed::Decode(e) => Error::Decode(e.clone()),
            Closed::Parse(e) => Error::Parse(e.clone()),
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while holding the lock leaves plain data behind; keep going.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

fn close(state: &Mutex<State>, reason: Closed) {
    let mut st = lock(state);
    if st.closed.is_none() {
        tracing::debug!(?reason, "RouterOS API connection closed");
        st.closed = Some(reason);
    }
    let reason = st.closed.clone().unwrap_or(Closed::Lost("closed".into()));
    for (_, w) in st.waiting.drain() {
        let _ = w.tx.send(Err(reason.error()));
    }
}

impl Client {
    /// Connects, negotiates TLS when configured, and logs in as RouterOS
    /// 6.43+ expects (`/login` with `=name=` and `=password=`).
    pub async fn connect(config: &Config) -> Result<Client, Error> {
        let addr = config.addr();
        let limit = config.connect_timeout;
        let timeout = |what: &str| Error::Timeout {
            what: format!("{what} {addr}"),
            after: limit,
        };
        let started = tokio::time::Instant::now();
        let tcp = tokio::time::timeout(limit, TcpStream::connect(&addr))
            .await
            .map_err(|_| timeout("connecting to"))?
            .map_err(|source| Error::Connect {
                addr: addr.clone(),
                source,
            })?;
        let _ = tcp.set_nodelay(true);
        let client = match &config.tls {
            None => Client::start(tcp, config),
            Some(options) => {
                let connector =
                    tokio_rustls::TlsConnector::from(Arc::new(tls::client_config(options)?));
                let name = tls::server_name(options, &config.host)?;
                let left = limit.saturating_sub(started.elapsed());
                let stream = tokio::time::timeout(left, connector.connect(name, tcp))
                    .await
                    .map_err(|_| timeout("TLS handshake with"))?
                    .map_err(|source| Error::Tls {
                        addr: addr.clone(),
                        source,
                    })?;
                Client::start(stream, config)
            }
        };
        let login = Command::new("/login")
            .attr("name", config.username.as_str())
            .attr("password", config.password.as_str());
        let left = limit.saturating_sub(started.elapsed());
        match client.run_with_timeout(login, left).await {
            Ok(r) if r.done.contains("ret") => Err(Error::Login(
                "the router asked for the challenge login of RouterOS before 6.43, \
                 which this client does not speak"
                    .into(),
            )),
            Ok(_) => Ok(client),
            Err(Error::Trap { trap, .. }) => Err(Error::Login(trap.message)),
            Err(e) => Err(e),
        }
    }

    /// Starts the reader and writer tasks on an established stream,
    /// without logging in (for a stream the caller opened itself; log in
    /// with [`Client::login`]).
    pub fn start<S>(stream: S, config: &Config) -> Client
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (reader, writer) = tokio::io::split(stream);
        let state = Arc::new(Mutex::new(State::default()));
        let (outbox, inbox) = mpsc::unbounded_channel();
        let write_task = tokio::spawn(write_loop(writer, inbox, state.clone()));
        let read_task = tokio::spawn(read_loop(
            reader,
            state.clone(),
            config.max_word,
            write_task.abort_handle(),
        ));
        Client {
            shared: Arc::new(Shared {
                outbox,
                state,
                next_tag: AtomicU64::new(1),
                command_timeout: config.command_timeout,
                tasks: vec![read_task.abort_handle(), write_task.abort_handle()],
            }),
        }
    }

    /// Logs in on a connection made with [`Client::start`].
    pub async fn login(&self, username: &str, password: &str) -> Result<(), Error> {
        let login = Command::new("/login")
            .attr("name", username)
            .attr("password", password);
        match self.run(login).await {
            Ok(_) => Ok(()),
            Err(Error::Trap { trap, .. }) => Err(Error::Login(trap.message)),
            Err(e) => Err(e),
        }
    }

    /// Whether the connection has ended (every command would fail).
    pub fn is_closed(&self) -> bool {
        lock(&self.shared.state).closed.is_some()
    }

    /// Runs a command and collects its replies until `!done`. A `!trap`
    /// becomes [`Error::Trap`]. Any `.tag` on `command` is replaced.
    pub async fn run(&self, command: Command) -> Result<Response, Error> {
        self.run_with_timeout(command, self.shared.command_timeout)
            .await
    }

    /// [`Client::run`] with its own timeout.
    pub async fn run_with_timeout(
        &self,
        command: Command,
        timeout: Duration,
    ) -> Result<Response, Error> {
        let tag = self
            .shared
            .next_tag
            .fetch_add(1, Ordering::Relaxed)
            .to_string();
        let what = command.to_string();
        let bytes = command.tag(tag.as_str()).to_sentence().to_bytes()?;
        let (tx, rx) = oneshot::channel();
        {
            let mut st = lock(&self.shared.state);
            if let Some(c) = &st.closed {
                return Err(c.error());
            }
            st.waiting.insert(
                tag.clone(),
                InFlight {
                    command: what.clone(),
                    response: Response::default(),
                    trap: None,
                    tx,
                },
            );
        }
        if self.shared.outbox.send(bytes).is_err() {
            lock(&self.shared.state).waiting.remove(&tag);
            return Err(Error::Closed("the writer has stopped".into()));
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(lock(&self.shared.state)
                .closed
                .as_ref()
                .map(Closed::error)
                .unwrap_or_else(|| Error::Closed("the reader has stopped".into()))),
            Err(_) => {
                let was_waiting = lock(&self.shared.state).waiting.remove(&tag).is_some();
                if was_waiting {
                    // Stop it on the router too; the answer to /cancel has
                    // a tag nobody waits for and is dropped.
                    let cancel = Command::new("/cancel")
                        .attr("tag", tag.as_str())
                        .tag(format!("cancel-{tag}"));
                    if let Ok(b) = cancel.to_sentence().to_bytes() {
                        let _ = self.shared.outbox.send(b);
                    }
                }
                Err(Error::Timeout {
                    what,
                    after: timeout,
                })
            }
        }
    }

    /// Items of a menu (`/ppp/secret`), filtered by the query and cut to
    /// the property list when those are set.
    pub async fn print(&self, menu: &str, print: &Print) -> Result<Vec<Row>, Error> {
        let command = Command::new(crate::menu_command(menu, "print")?)
            .proplist(print.proplist.iter())
            .query(&print.query);
        Ok(self.run(command).await?.rows)
    }

    /// How many items match (`=count-only=`), without transferring them.
    pub async fn count(&self, menu: &str, print: &Print) -> Result<u64, Error> {
        let command = Command::new(crate::menu_command(menu, "print")?)
            .attr("count-only", "")
            .query(&print.query);
        let done = self.run(command).await?.done;
        let ret = done.get("ret").unwrap_or("0");
        ret.parse().map_err(|_| Error::Unexpected {
            command: format!("{menu}/print =count-only="),
            message: format!("=ret={ret} is not a count"),
        })
    }

    /// Adds an item and returns its `.id`.
    pub async fn add<K: Into<String>, V: Into<String>>(
        &self,
        menu: &str,
        attrs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<String, Error> {
        let command = Command::new(crate::menu_command(menu, "add")?).attrs(attrs);
        let what = command.to_string();
        let r = self.run(command).await?;
        r.done
            .get("ret")
            .map(str::to_owned)
            .ok_or_else(|| Error::Unexpected {
                command: what,
                message: "!done without =ret= (the new item's .id)".into(),
            })
    }

    /// Changes properties of the item with `id`.
    pub async fn set<K: Into<String>, V: Into<String>>(
        &self,
        menu: &str,
        id: &str,
        attrs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<(), Error> {
        let command = Command::new(crate::menu_command(menu, "set")?)
            .attr(".id", id)
            .attrs(attrs);
        self.run(command).await.map(|_| ())
    }

    /// Removes the item with `id` (or several: `*1,*2`).
    pub async fn remove(&self, menu: &str, id: &str) -> Result<(), Error> {
        let command = Command::new(crate::menu_command(menu, "remove")?).attr(".id", id);
        self.run(command).await.map(|_| ())
    }

    /// Ends the session (`/quit`) and waits for the router to close it.
    pub async fn close(&self) {
        let quit = Command::new("/quit");
        // The router answers /quit with !fatal; that is the expected end.
        let _ = self.run_with_timeout(quit, Duration::from_secs(5)).await;
    }
}

async fn write_loop<W: AsyncWrite>(
    writer: W,
    mut inbox: mpsc::UnboundedReceiver<Vec<u8>>,
    state: Arc<Mutex<State>>,
) {
    tokio::pin!(writer);
    while let Some(mut batch) = inbox.recv().await {
        // Whatever else is queued goes out in the same write.
        while batch.len() < 64 * 1024 {
            match inbox.try_recv() {
                Ok(more) => batch.extend_from_slice(&more),
                Err(_) => break,
            }
        }
        let sent = async {
            writer.write_all(&batch).await?;
            writer.flush().await
        };
        if let Err(e) = sent.await {
            close(&state, Closed::Lost(format!("write: {e}")));
            return;
        }
    }
    let _ = writer.shutdown().await;
}

async fn read_loop<R: AsyncRead>(
    reader: R,
    state: Arc<Mutex<State>>,
    max_word: u32,
    writer: AbortHandle,
) {
    tokio::pin!(reader);
    let mut decoder = Decoder::with_limits(max_word, DEFAULT_MAX_WORDS);
    let mut buf = vec![0u8; 64 * 1024];
    let reason = 'read: loop {
        match reader.read(&mut buf).await {
            Ok(0) => {
                break match decoder.finish() {
                    Ok(()) => Closed::Lost("the router closed the connection".into()),
                    Err(e) => Closed::Decode(e),
                };
            }
            Ok(n) => {
                decoder.feed(&buf[..n]);
                loop {
                    match decoder.next_sentence() {
                        Ok(Some(sentence)) => {
                            let reply = match Reply::parse(&sentence) {
                                Ok(r) => r,
                                Err(e) => break 'read Closed::Parse(e),
                            };
                            if let Some(reason) = route(&state, reply) {
                                break 'read reason;
                            }
                        }
                        Ok(None) => break,
                        Err(e) => break 'read Closed::Decode(e),
                    }
                }
            }
            Err(e) => break Closed::Lost(format!("read: {e}")),
        }
    };
    close(&state, reason);
    // Nothing more can be answered: drop the write half too, so the
    // connection closes now rather than when the last client goes.
    writer.abort();
}

/// Hands a reply to its command; returns why to stop reading, if so.
fn route(state: &Mutex<State>, reply: Reply) -> Option<Closed> {
    if reply.kind == ReplyKind::Fatal {
        return Some(Closed::Fatal(reply.message()));
    }
    let Some(tag) = reply.tag.as_deref() else {
        tracing::debug!(kind = ?reply.kind, "untagged RouterOS reply dropped");
        return None;
    };
    let mut st = lock(state);
    let Some(w) = st.waiting.get_mut(tag) else {
        // A timed-out or cancelled command's late reply.
        return None;
    };
    match reply.kind {
        ReplyKind::Re => w.response.rows.push(reply.attributes),
        ReplyKind::Empty => w.response.empty = true,
        ReplyKind::Trap => {
            if w.trap.is_none() {
                w.trap = Some(trap_of(&reply));
            }
        }
        ReplyKind::Done => {
            let mut w = st.waiting.remove(tag)?;
            w.response.done = reply.attributes;
            let result = match w.trap {
                Some(trap) => Err(Error::Trap {
                    command: w.command,
                    trap,
                }),
                None => Ok(w.response),
            };
            let _ = w.tx.send(result);
        }
        ReplyKind::Fatal => unreachable!("handled above"),
    }
    None
}

fn trap_of(reply: &Reply) -> Trap {
    Trap {
        category: reply
            .attributes
            .get("category")
            .and_then(|c| c.parse().ok())
            .map(TrapCategory::from_number),
        message: reply.message(),
        http_status: None,
    }
}
