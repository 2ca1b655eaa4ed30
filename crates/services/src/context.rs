use std::path::PathBuf;
use std::sync::Arc;

use store::Db;

use crate::secrets::SecretBox;

/// Everything a service call needs besides its arguments.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub secrets: Arc<SecretBox>,
    /// Where backups, the secret key and uploaded files live.
    pub data_dir: PathBuf,
    pub(crate) settings_cache: Arc<crate::settings::Cache>,
    /// Wakes this node's job runner when this node queues a job.
    pub(crate) jobs_wake: Arc<tokio::sync::Notify>,
}

impl Services {
    pub fn new(db: Db, secrets: SecretBox, data_dir: PathBuf) -> Services {
        Services {
            db,
            secrets: Arc::new(secrets),
            data_dir,
            settings_cache: Default::default(),
            jobs_wake: Default::default(),
        }
    }

    /// Tells this node's job runner that a job was queued (it otherwise
    /// finds it at its next poll).
    pub fn wake_jobs(&self) {
        self.jobs_wake.notify_one();
    }
}
