//! Cron schedules, evaluated in the installation's time zone.
//!
//! Every worker node runs [`spawn`]; each tick it brings the built-in
//! schedules in line with the settings ([`sync`]) and fires the due ones
//! ([`tick`]). Firing is a compare-and-swap in the database
//! ([`store::system::schedules::fire`]), so each run happens once however many nodes
//! tick at the same moment. A run missed while no node was up happens once
//! at the next tick, not once per missed occurrence.
//!
//! Cron expressions are croner's (five fields, `L`, `#`, `W`, ranges and
//! steps), evaluated on jiff's zoned times; daylight-saving gaps and folds
//! follow croner's rules (a fixed-time job in a gap runs at the first valid
//! time after it; in a fold, once; an interval job keeps its rhythm in real
//! time).

use std::str::FromStr;
use std::time::Duration;

use croner::Cron;
use domain::system::settings as keys;
use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::system::settings::Settings;
use crate::{Error, Result, Services};

/// Attempts a scheduled job gets.
pub const SCHEDULED_MAX_ATTEMPTS: i64 = 3;

/// A schedule whose cron expression follows the settings.
#[derive(Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    pub job_kind: &'static str,
    /// The cron expression, and whether the schedule is enabled.
    pub cron: fn(&Settings) -> (String, bool),
}

/// The built-in schedules.
pub fn builtin() -> Vec<Spec> {
    let mut specs = vec![
        Spec {
            name: super::EXPIRE_SESSIONS,
            job_kind: super::EXPIRE_SESSIONS,
            cron: |_| ("*/5 * * * *".into(), true),
        },
        Spec {
            name: super::BACKUP,
            job_kind: super::BACKUP,
            cron: |s| {
                let hour = s.int(keys::BACKUP_HOUR).clamp(0, 23);
                (format!("0 {hour} * * *"), s.bool(keys::BACKUP_ENABLED))
            },
        },
        Spec {
            name: super::EMAIL_OUTBOX,
            job_kind: super::EMAIL_OUTBOX,
            cron: |_| ("* * * * *".into(), true),
        },
        Spec {
            name: super::NFTABLES_EXPORT,
            job_kind: super::NFTABLES_EXPORT,
            cron: |s| ("* * * * *".into(), s.bool(keys::NFTABLES_EXPORT)),
        },
        // Shortly after midnight in the installation's time zone, so a change
        // effective today holds from the day's first minutes.
        Spec {
            name: super::PLAN_CHANGES,
            job_kind: super::PLAN_CHANGES,
            cron: |_| ("5 0 * * *".into(), true),
        },
        // Bills what is due today (the job opens a run as of today).
        Spec {
            name: "billing-daily",
            job_kind: crate::billing::run::JOB,
            cron: |s| {
                let hour = s.int(keys::BILLING_RUN_HOUR).clamp(0, 23);
                (format!("15 {hour} * * *"), s.bool(keys::BILLING_DAILY_RUN))
            },
        },
        // Reminders, notices and suspensions after the day's billing run.
        Spec {
            name: crate::collections::JOB,
            job_kind: crate::collections::JOB,
            cron: |s| {
                let hour = (s.int(keys::BILLING_RUN_HOUR) + 1).clamp(0, 23);
                (format!("30 {hour} * * *"), true)
            },
        },
        // Saved cards are charged in the morning, after the day's billing.
        Spec {
            name: crate::payments::gateways::stripe::JOB,
            job_kind: crate::payments::gateways::stripe::JOB,
            cron: |s| {
                (
                    "0 9 * * *".into(),
                    s.bool(keys::STRIPE_ENABLED) && s.bool(keys::STRIPE_AUTOMATIC_CHARGES),
                )
            },
        },
        Spec {
            name: super::PURGE_JOBS,
            job_kind: super::PURGE_JOBS,
            cron: |_| ("30 4 * * *".into(), true),
        },
        Spec {
            name: super::PURGE_RADIUS,
            job_kind: super::PURGE_RADIUS,
            cron: |_| ("45 4 * * *".into(), true),
        },
    ];
    specs.extend(crate::payments::gateways::schedules());
    specs
}

/// The installation's time zone (company settings), UTC before setup or if
/// the stored name is unknown.
pub async fn timezone(svc: &Services) -> Result<jiff::tz::TimeZone> {
    let mut c = svc.db.conn().await?;
    let name = store::system::company::get(&mut c)
        .await?
        .map(|c| c.timezone);
    Ok(name
        .and_then(|n| jiff::tz::TimeZone::get(&n).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC))
}

/// Checks a cron expression, naming the problem.
pub fn parse(cron: &str) -> Result<Cron> {
    Cron::from_str(cron).map_err(|e| Error::invalid_msg("cron", e.to_string()))
}

/// The first run of `cron` strictly after `after` (Unix seconds), in `tz`.
pub fn next_after(cron: &str, tz: &jiff::tz::TimeZone, after: i64) -> Result<i64> {
    let cron = parse(cron)?;
    let start = jiff::Timestamp::from_second(after)
        .map_err(|_| Error::Internal(format!("time {after} out of range")))?
        .to_zoned(tz.clone());
    let next = cron
        .find_next_occurrence(&start, false)
        .map_err(|e| Error::Internal(format!("no next run for `{}`: {e}", cron.pattern)))?;
    Ok(next.timestamp().as_second())
}

/// Creates or updates the schedules in `specs` to match the settings. Rows
/// that already match are left alone (no write).
pub async fn sync(svc: &Services, specs: &[Spec], now: i64) -> Result<()> {
    let settings = crate::system::settings::current(svc).await?;
    let existing = {
        let mut c = svc.db.conn().await?;
        store::system::schedules::list(&mut c).await?
    };
    let mut tz = None;
    for spec in specs {
        let (cron, enabled) = (spec.cron)(&settings);
        let same = existing.iter().any(|s| {
            s.name == spec.name
                && s.cron == cron
                && s.job_kind == spec.job_kind
                && s.enabled == enabled
        });
        if same {
            continue;
        }
        let tz = match &tz {
            Some(tz) => tz,
            None => tz.insert(timezone(svc).await?),
        };
        let next = next_after(&cron, tz, now)?;
        let mut tx = svc.db.begin().await?;
        store::system::schedules::upsert(&mut tx, spec.name, &cron, spec.job_kind, enabled, next)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Fires every due schedule that this call wins; returns the ids of the jobs
/// it queued.
pub async fn tick(svc: &Services, now: i64) -> Result<Vec<i64>> {
    let due = {
        let mut c = svc.db.conn().await?;
        store::system::schedules::due(&mut c, now).await?
    };
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let tz = timezone(svc).await?;
    let mut queued = Vec::new();
    for s in due {
        let next = match next_after(&s.cron, &tz, now) {
            Ok(n) => n,
            Err(e) => {
                // Keep the scheduler going; try again in an hour.
                tracing::error!(schedule = %s.name, error = %e, "bad cron expression");
                now + 3600
            }
        };
        let payload = json!({"schedule": s.name, "due_at": s.next_run_at});
        let mut tx = svc.db.begin().await?;
        let id = store::system::schedules::fire(
            &mut tx,
            &s,
            next,
            &payload,
            SCHEDULED_MAX_ATTEMPTS,
            now,
        )
        .await?;
        tx.commit().await?;
        if let Some(id) = id {
            tracing::debug!(schedule = %s.name, job = id, "schedule fired");
            queued.push(id);
        }
    }
    if !queued.is_empty() {
        svc.wake_jobs();
    }
    Ok(queued)
}

/// Runs [`sync`] and [`tick`] every `interval` until `stop` turns true.
pub fn spawn(
    svc: Services,
    specs: Vec<Spec>,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if *stop.borrow() {
                break;
            }
            let now = store::now();
            if let Err(e) = sync(&svc, &specs, now).await {
                tracing::warn!(error = %e, "syncing schedules failed");
            }
            if let Err(e) = tick(&svc, now).await {
                tracing::warn!(error = %e, "firing schedules failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => break,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().expect("timestamp").as_second()
    }

    #[test]
    fn evaluates_in_the_installation_time_zone() {
        let sp = jiff::tz::TimeZone::get("America/Sao_Paulo").expect("tz");
        // 03:00 in São Paulo (UTC-3) is 06:00 UTC.
        assert_eq!(
            next_after("0 3 * * *", &sp, at("2026-03-10T12:00:00Z")).expect("next"),
            at("2026-03-11T06:00:00Z")
        );
        let utc = jiff::tz::TimeZone::UTC;
        assert_eq!(
            next_after("*/5 * * * *", &utc, at("2026-03-10T12:02:10Z")).expect("next"),
            at("2026-03-10T12:05:00Z")
        );
        // Strictly after.
        assert_eq!(
            next_after("*/5 * * * *", &utc, at("2026-03-10T12:05:00Z")).expect("next"),
            at("2026-03-10T12:10:00Z")
        );
    }

    /// `(cron, after, next)` in New York, where on 2026-03-08 clocks jump
    /// 02:00 EST → 03:00 EDT (02:00-03:00 does not exist) and on 2026-11-01
    /// go back 02:00 EDT → 01:00 EST (01:00-02:00 happens twice).
    fn check_new_york(cases: &[(&str, &str, &str)]) {
        let ny = jiff::tz::TimeZone::get("America/New_York").expect("tz");
        for &(cron, after, want) in cases {
            assert_eq!(
                next_after(cron, &ny, at(after)).expect("next"),
                at(want),
                "{cron} after {after}"
            );
        }
    }

    #[test]
    fn daylight_saving_gap_runs_after_the_gap() {
        check_new_york(&[
            // 02:30 does not exist that day: the job runs at 03:00 EDT.
            ("30 2 * * *", "2026-03-08T05:00:00Z", "2026-03-08T07:00:00Z"),
            ("30 2 * * *", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"),
            // A job in the hour before the gap runs once that day.
            ("0 1 * * *", "2026-03-08T05:00:00Z", "2026-03-08T06:00:00Z"),
            ("0 1 * * *", "2026-03-08T06:00:00Z", "2026-03-09T05:00:00Z"),
            // Interval jobs skip the missing hour.
            (
                "*/30 * * * *",
                "2026-03-08T06:30:00Z",
                "2026-03-08T07:00:00Z",
            ),
        ]);
    }

    #[test]
    fn daylight_saving_fold_runs_once() {
        check_new_york(&[
            // A fixed-time job runs at the first 01:30 (EDT), then the next day.
            ("30 1 * * *", "2026-11-01T04:00:00Z", "2026-11-01T05:30:00Z"),
            ("30 1 * * *", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"),
            // A job every half hour keeps its rhythm in real time through
            // the repeated hour.
            (
                "*/30 * * * *",
                "2026-11-01T05:30:00Z",
                "2026-11-01T06:00:00Z",
            ),
            (
                "*/30 * * * *",
                "2026-11-01T06:00:00Z",
                "2026-11-01T06:30:00Z",
            ),
            (
                "*/30 * * * *",
                "2026-11-01T06:30:00Z",
                "2026-11-01T07:00:00Z",
            ),
        ]);
    }

    #[test]
    fn rejects_bad_expressions() {
        assert!(parse("61 * * * *").is_err());
        assert!(parse("not cron").is_err());
    }
}
