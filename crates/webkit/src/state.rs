use std::sync::Arc;

use ipnet::IpNet;
use services::Services;

/// HTTP settings that come from the configuration file, not the database.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Peers whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// The URL staff reach Lastmile at, for links in e-mails. When unset, it
    /// is taken from the request's Host.
    pub public_url: Option<String>,
    /// This node's id, shown in health and metrics.
    pub node_id: String,
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The business services.
    pub svc: Services,
    /// Settings from the configuration file.
    pub config: Arc<WebConfig>,
    /// This node's HTTP metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    /// The state for `svc` and `config`, with fresh metrics.
    pub fn new(svc: Services, config: WebConfig) -> AppState {
        AppState {
            svc,
            config: Arc::new(config),
            metrics: Arc::new(crate::metrics::Metrics::default()),
        }
    }
}
