//! `lastmile bench-ipam` (hidden): IP address management's figures on the
//! current database, through the service calls the pages and the API
//! make. Prints, asserts nothing. `scripts/bench-ipam` runs it on a fresh
//! SQLite file and a fresh PostgreSQL database:
//!
//! 1. allocating `--addresses` addresses (100,000 by default) from /16
//!    pools, in transactions of `--batch` (target < 10 s);
//! 2. the next free address of a /16 with 60,000 in use (target < 5 ms):
//!    as allocation finds it (from the pool's hint), and the worst case,
//!    a walk of the whole index from the pool's first address.

use std::time::Instant;

use domain::network::ipam::{PoolKind, PoolPurpose};
use services::Services;
use services::network::ipam::{self, PoolInput, PrefixInput};

static CLI: std::sync::LazyLock<services::Caller> = std::sync::LazyLock::new(services::Caller::cli);

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

pub async fn run(svc: &Services, addresses: i64, batch: i64) -> anyhow::Result<()> {
    let prefix = ipam::create_prefix(
        svc,
        &CLI,
        &PrefixInput {
            cidr: "10.128.0.0/9".into(),
            description: "bench-ipam".into(),
            ..Default::default()
        },
    )
    .await?;
    let mut pools = Vec::new();
    let needed = (addresses + 65_533) / 65_534 + 1;
    for i in 0..needed {
        let pool = ipam::create_pool(
            svc,
            &CLI,
            &PoolInput {
                prefix_id: prefix.id,
                name: format!("bench-{i}"),
                cidr: format!("10.{}.0.0/16", 128 + i),
                kind: PoolKind::Static,
                purpose: PoolPurpose::Customers,
                assign_len: None,
                warn_percent: 80,
                notes: String::new(),
            },
        )
        .await?;
        pools.push(pool.id);
    }

    // 1. Allocation.
    let started = Instant::now();
    let mut left = addresses;
    let mut pool_at = 0;
    let mut last = String::new();
    while left > 0 {
        let free = 65_534 - ipam::get_pool(svc, &CLI, pools[pool_at]).await?.used;
        if free == 0 {
            pool_at += 1;
            continue;
        }
        let n = left.min(batch).min(free);
        let got = ipam::reserve_many(svc, &CLI, pools[pool_at], n, "bench").await?;
        last = got.last().cloned().unwrap_or_default();
        left -= n;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "allocate {addresses} addresses ({batch} per transaction): {secs:.2} s, {:.0} per second (last {last}; target < 10 s)",
        addresses as f64 / secs
    );

    // 2. Next free in a /16 with 60,000 in use: a fresh pool filled to 60,000.
    let pool = ipam::create_pool(
        svc,
        &CLI,
        &PoolInput {
            prefix_id: prefix.id,
            name: "bench-sixty".into(),
            cidr: format!("10.{}.0.0/16", 128 + needed),
            kind: PoolKind::Static,
            purpose: PoolPurpose::Customers,
            assign_len: None,
            warn_percent: 80,
            notes: String::new(),
        },
    )
    .await?;
    let mut filled = 0;
    while filled < 60_000 {
        let n = (60_000 - filled).min(batch);
        ipam::reserve_many(svc, &CLI, pool.id, n, "bench").await?;
        filled += n;
    }
    let mut hinted = Vec::new();
    let mut answer = None;
    for _ in 0..500 {
        let t = Instant::now();
        answer = ipam::next_free(svc, &CLI, pool.id).await?;
        hinted.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    hinted.sort_by(f64::total_cmp);
    println!(
        "next free in a /16 with 60,000 used, from the pool's hint: p50 {:.3} ms, p95 {:.3} ms, max {:.3} ms ({}; target < 5 ms)",
        pct(&hinted, 0.5),
        pct(&hinted, 0.95),
        pct(&hinted, 1.0),
        answer.unwrap_or_default()
    );
    // The worst case: the gap search from the first address, as if the
    // hint said nothing.
    let mut row = store::network::ipam::get_pool(&mut *svc.db.conn().await?, pool.id).await?;
    row.next_hint = row.first_slot;
    let mut cold = Vec::new();
    let mut slot = None;
    for _ in 0..20 {
        let mut c = svc.db.conn().await?;
        let t = Instant::now();
        slot = store::network::ipam::next_free(&mut c, &row).await?;
        cold.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    cold.sort_by(f64::total_cmp);
    println!(
        "next free in a /16 with 60,000 used, walking the index from the first address: p50 {:.2} ms, max {:.2} ms (slot {})",
        pct(&cold, 0.5),
        pct(&cold, 1.0),
        slot.unwrap_or(-1)
    );
    Ok(())
}
