//! Recording and checking the audit log.

use store::AnyConnection;
use store::system::audit::{Change, Entry, Filter, Verdict};

use crate::{Actor, Result, Services};

/// Records `change` by `actor` inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    conn: &mut AnyConnection,
    engine: store::Engine,
    actor: &Actor,
    action: &str,
    entity_kind: &str,
    entity_id: impl ToString,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    let id = entity_id.to_string();
    let change = Change {
        action,
        entity_kind,
        entity_id: &id,
        before,
        after,
    };
    store::system::audit::append(conn, engine, actor, &change, store::now()).await?;
    Ok(())
}

pub async fn list(svc: &Services, filter: &Filter) -> Result<(Vec<Entry>, bool)> {
    let mut c = svc.db.conn().await?;
    Ok(store::system::audit::list(&mut c, filter).await?)
}

pub async fn get(svc: &Services, id: i64) -> Result<Entry> {
    let mut c = svc.db.conn().await?;
    store::system::audit::get(&mut c, id)
        .await?
        .ok_or(crate::Error::NotFound)
}

pub async fn verify(svc: &Services) -> Result<Verdict> {
    let mut c = svc.db.conn().await?;
    Ok(store::system::audit::verify(&mut c).await?)
}
