//! `lastmile serve`: wiring the services to their listeners.

use std::path::{Path, PathBuf};

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
    let node_id = format!("{}-{}", hostname(), std::process::id());
    let web_config = web::WebConfig {
        trusted_proxies: config.trusted_proxies.clone(),
        public_url: config.public_url.clone(),
        node_id: node_id.clone(),
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    if config.role.web() {
        let listener = tokio::net::TcpListener::bind(config.http)
            .await
            .with_context(|| format!("cannot listen on {}", config.http))?;
        let addr = listener.local_addr()?;
        let state = web::AppState::new(svc.clone(), web_config);
        let first_run = !services::setup::is_done(&svc).await?;
        println!(
            "Lastmile {} is running at http://{addr}/",
            env!("CARGO_PKG_VERSION")
        );
        if first_run {
            println!("First run: open that address in your browser to complete setup.");
        }
        let mut rx = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let shutdown = async move {
                let _ = rx.wait_for(|s| *s).await;
            };
            if let Err(e) = web::serve(listener, state, shutdown).await {
                tracing::error!(error = %e, "HTTP server failed");
            }
        }));
    }
    tracing::info!(node = %node_id, role = config.role.name(), "node started");
    shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
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

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "node".into())
}

pub async fn backup(_svc: &Services, _output: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    anyhow::bail!("backup: wired in by the jobs module")
}

pub async fn restore(_config: &Config, _file: &Path) -> anyhow::Result<()> {
    anyhow::bail!("restore: wired in by the jobs module")
}
