use std::path::PathBuf;
use std::sync::Arc;

use store::Db;

use crate::cache::Snapshot;
use crate::secrets::SecretBox;

/// This node's short-lived snapshots (see [`crate::cache`]).
pub(crate) struct Caches {
    pub(crate) settings: Snapshot<crate::system::settings::Settings>,
    pub(crate) company: Snapshot<Option<store::system::company::Company>>,
    pub(crate) dashboard: Snapshot<crate::system::health::Dashboard>,
    /// The dashboard's billing cards: the aging behind "overdue" reads the
    /// whole book, too much for every load of the home page.
    pub(crate) billing_figures: Snapshot<crate::billing::reports::Figures>,
}

impl Caches {
    fn new() -> Caches {
        Caches {
            settings: Snapshot::new(crate::system::settings::CACHE_TTL),
            company: Snapshot::new(crate::system::settings::CACHE_TTL),
            dashboard: Snapshot::new(std::time::Duration::from_secs(2)),
            billing_figures: Snapshot::new(std::time::Duration::from_secs(60)),
        }
    }
}

/// Everything a service call needs besides its arguments.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub secrets: Arc<SecretBox>,
    /// Where backups, the secret key and uploaded files live.
    pub data_dir: PathBuf,
    pub(crate) caches: Arc<Caches>,
    /// Wakes this node's job runner when this node queues a job.
    pub(crate) jobs_wake: Arc<tokio::sync::Notify>,
    /// The configuration file's `public_url`: the base of links sent to
    /// customers when the `email.public_url` setting is empty.
    pub public_url: Option<String>,
}

impl Services {
    pub fn new(db: Db, secrets: SecretBox, data_dir: PathBuf) -> Services {
        Services {
            db,
            secrets: Arc::new(secrets),
            data_dir,
            caches: Arc::new(Caches::new()),
            jobs_wake: Default::default(),
            public_url: None,
        }
    }

    /// These services with the configuration's `public_url` (see
    /// [`crate::system::settings::public_url`]).
    pub fn with_public_url(mut self, url: Option<String>) -> Services {
        self.public_url = url.map(|u| u.trim_end_matches('/').to_owned());
        self
    }

    /// Tells this node's job runner that a job was queued (it otherwise
    /// finds it at its next poll).
    pub fn wake_jobs(&self) {
        self.jobs_wake.notify_one();
    }
}
