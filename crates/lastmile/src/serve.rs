//! `lastmile serve`: wiring the services to their listeners.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use services::Services;

use crate::config::Config;

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    init_logging(&config.log);
    let svc = crate::cli::open(&config).await?;
    let listener = match config.role.web() {
        true => Some(
            tokio::net::TcpListener::bind(config.http)
                .await
                .with_context(|| format!("cannot listen on {}", config.http))?,
        ),
        false => None,
    };
    // Several nodes may share a host: the bound address (or the process id)
    // tells them apart.
    let instance = match &listener {
        Some(l) => l.local_addr()?.to_string(),
        None => format!("pid{}", std::process::id()),
    };
    let node = services::system::health::NodeInfo::detect(
        config.role.name(),
        env!("CARGO_PKG_VERSION"),
        &instance,
    );
    let heartbeat = services::system::health::start_heartbeat(&svc, node.clone());
    let worker = config.role.worker().then(|| {
        services::system::jobs::start(
            &svc,
            services::system::jobs::Registry::with_builtins(),
            services::system::jobs::RunnerConfig::new(node.node_id.clone()),
        )
    });
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut web_task = None;
    if let Some(listener) = listener {
        let addr = listener.local_addr()?;
        let web_config = web::WebConfig {
            trusted_proxies: config.trusted_proxies.clone(),
            public_url: config.public_url.clone(),
            node_id: node.node_id.clone(),
        };
        let state = web::AppState::new(svc.clone(), web_config);
        let first_run = !services::system::setup::is_done(&svc).await?;
        println!(
            "Lastmile {} is running at http://{addr}/",
            env!("CARGO_PKG_VERSION")
        );
        if first_run {
            println!("First run: open that address in your browser to complete setup.");
        }
        let mut rx = stop_rx.clone();
        web_task = Some(tokio::spawn(async move {
            let shutdown = async move {
                let _ = rx.wait_for(|s| *s).await;
            };
            if let Err(e) = web::serve(listener, state, shutdown).await {
                tracing::error!(error = %e, "HTTP server failed");
            }
        }));
    }
    // The Pix webhook has its own HTTPS listener: the PSP authenticates by
    // mutual TLS, which the main listener (often behind a proxy) cannot do.
    let pix_webhook = match (&config.pix_webhook, config.role.web()) {
        (Some(p), true) => {
            let read = |f: &Path| {
                std::fs::read_to_string(f)
                    .with_context(|| format!("pix_webhook: cannot read {}", f.display()))
            };
            let (cert, key) = (read(&p.cert)?, read(&p.key)?);
            let listener = tokio::net::TcpListener::bind(p.listen)
                .await
                .with_context(|| format!("cannot listen on {}", p.listen))?;
            let addr = listener.local_addr()?;
            let task = web::pix_webhook::serve(svc.clone(), listener, &cert, &key)
                .map_err(|e| anyhow::anyhow!("pix_webhook: {e}"))?;
            println!("Pix webhook: https://{addr}{}", web::pix_webhook::PATH);
            Some(task)
        }
        _ => None,
    };
    let radius = match config.role.radius() {
        true => {
            let server = aaa::Server::start(
                &svc,
                aaa::Config {
                    auth: config.radius_auth,
                    acct: config.radius_acct,
                    threads: config.radius_threads,
                    journal: config.data_dir.join("radius-journal"),
                    journal_max_backlog: config.radius_journal_max_backlog,
                },
            )
            .await
            .context("cannot start the RADIUS server")?;
            println!(
                "RADIUS: authentication on {}, accounting on {}",
                server.auth_addr(),
                server.acct_addr()
            );
            let metrics = server.metrics().clone();
            services::extra_metrics::register("radius", move |out| metrics.render(out));
            Some(server)
        }
        false => None,
    };
    tracing::info!(node = %node.node_id, role = config.role.name(), "node started");
    shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    if let Some(t) = pix_webhook {
        t.abort();
    }
    if let Some(t) = web_task {
        let _ = t.await;
    }
    if let Some(w) = worker {
        w.stop(Duration::from_secs(30)).await;
    }
    if let Some(r) = radius {
        services::extra_metrics::unregister("radius");
        r.stop().await;
    }
    heartbeat.stop(Duration::from_secs(5)).await;
    svc.db.close().await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// `lastmile backup`: into `output`, or the data dir's backups folder (with
/// retention and an audit entry).
pub async fn backup(
    svc: &Services,
    output: Option<PathBuf>,
    caller: &services::Caller,
) -> anyhow::Result<PathBuf> {
    let file = match output {
        Some(dir) => services::system::backup::create(svc, caller, &dir).await,
        None => services::system::backup::run(svc, caller).await,
    };
    Ok(file.map_err(|e| anyhow::anyhow!(e))?.path)
}

/// `lastmile restore FILE` (the server must be stopped).
pub async fn restore(
    config: &Config,
    file: &Path,
    caller: &services::Caller,
) -> anyhow::Result<()> {
    services::system::backup::restore(&config.database_url, file, caller)
        .await
        .map_err(|e| anyhow::anyhow!(e))
}
