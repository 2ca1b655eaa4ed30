//! Backups, restores and retention.

use std::collections::BTreeMap;

use services::system::backup;
use store::Db;
use store::system::audit::Verdict;
use store::testing::each_engine;

use crate::{admin_caller, audited, svc};

async fn idle_minutes(db: &Db) -> String {
    let mut c = db.conn().await.unwrap();
    store::system::settings::all(&mut c)
        .await
        .unwrap()
        .get(domain::system::settings::SESSION_IDLE_MINUTES)
        .cloned()
        .unwrap_or_default()
}

async fn set_idle(svc: &services::Services, v: &str) {
    let mut values = BTreeMap::new();
    values.insert(
        domain::system::settings::SESSION_IDLE_MINUTES.to_owned(),
        v.to_owned(),
    );
    services::system::settings::update(svc, &admin_caller(), &values)
        .await
        .unwrap();
}

#[tokio::test]
async fn backup_and_restore_round_trip() {
    each_engine(|db| async move {
        let svc = svc(&db);
        set_idle(&svc, "45").await;
        let file = backup::run(&svc, &admin_caller()).await.unwrap();
        assert!(file.size > 0);
        let want_ext = match db.engine() {
            store::Engine::Sqlite => ".db",
            store::Engine::Postgres => ".dump",
        };
        assert!(
            file.name.starts_with("lastmile-") && file.name.ends_with(want_ext),
            "{}",
            file.name
        );
        assert_eq!(audited(&svc, "backup.create").await.len(), 1);
        let listed = backup::list_in(&svc, &admin_caller()).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].name, file.name);
        assert_eq!(listed[0].size, file.size);

        // Life goes on after the backup…
        set_idle(&svc, "90").await;
        assert_eq!(idle_minutes(&db).await, "90");

        // …then the server stops and the backup is restored.
        let url = db.url().to_owned();
        db.close().await;
        backup::restore(&url, &file.path, &admin_caller())
            .await
            .unwrap();
        let db = Db::connect(&url, 2).await.unwrap();
        assert_eq!(idle_minutes(&db).await, "45");
        let mut c = db.conn().await.unwrap();
        let verdict = store::system::audit::verify(&mut c).await.unwrap();
        assert!(matches!(verdict, Verdict::Intact { .. }), "{verdict:?}");
        let (last, _) = store::system::audit::list(
            &mut c,
            &store::system::audit::Filter {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(last[0].action, "backup.restore");
        drop(c);

        // Something that is not our backup is refused before anything changes.
        let junk = svc.data_dir.join("junk.db");
        std::fs::write(&junk, b"definitely not a database").unwrap();
        let err = backup::restore(&url, &junk, &admin_caller())
            .await
            .unwrap_err();
        assert!(
            matches!(err, services::Error::Invalid { field: "file", .. }),
            "{err}"
        );
        assert_eq!(idle_minutes(&db).await, "45");
        db.close().await;
    })
    .await;
}

#[tokio::test]
async fn retention_removes_only_our_old_files() {
    each_engine(|db| async move {
        let svc = svc(&db);
        let dir = backup::dir(&svc.data_dir);
        std::fs::create_dir_all(&dir).unwrap();
        for name in [
            "lastmile-20200101-030000.db",
            "lastmile-20200102-030000.dump",
            "lastmile-20200102-030000-2.dump",
            "notes.txt",
            "lastmile-old.db",
        ] {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        // With only old files, the newest is kept whatever its age.
        let removed = backup::prune(&dir, 14, store::now()).unwrap();
        assert_eq!(
            removed,
            vec![
                "lastmile-20200102-030000.dump".to_owned(),
                "lastmile-20200101-030000.db".to_owned()
            ]
        );
        assert!(dir.join("lastmile-20200102-030000-2.dump").exists());

        // A new backup (which applies retention) removes the last old one
        // and leaves files that are not ours.
        let file = backup::run(&svc, &admin_caller()).await.unwrap();
        let names: Vec<String> = backup::list(&dir)
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, vec![file.name.clone()]);
        assert!(dir.join("notes.txt").exists() && dir.join("lastmile-old.db").exists());

        // A second backup in the same second gets its own name.
        let again = backup::run(&svc, &admin_caller()).await.unwrap();
        assert_ne!(again.name, file.name);
        assert_eq!(backup::list(&dir).unwrap().len(), 2);
    })
    .await;
}

/// Everything Lastmile writes is for its own user: the data directory's
/// folders 0700, its files 0600, whatever the umask of the process (this
/// test runs under the usual 022; the binary also sets 077).
#[cfg(unix)]
#[tokio::test]
async fn what_lastmile_writes_is_private() {
    use std::os::unix::fs::PermissionsExt;
    fn mode(p: &std::path::Path) -> u32 {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    }
    each_engine(|db| async move {
        let svc = svc(&db);
        if db.engine() == store::Engine::Sqlite {
            let path = db.url().trim_start_matches("sqlite://").to_owned();
            // A write makes sure the WAL exists.
            set_idle(&svc, "40").await;
            for suffix in ["", "-wal", "-shm"] {
                let p = std::path::PathBuf::from(format!("{path}{suffix}"));
                assert_eq!(mode(&p), 0o600, "{}", p.display());
            }
        }
        let file = backup::run(&svc, &admin_caller()).await.unwrap();
        assert_eq!(mode(&backup::dir(&svc.data_dir)), 0o700);
        assert_eq!(mode(&file.path), 0o600, "{}", file.name);

        let sha = services::crm::import::stash(
            &svc,
            &admin_caller(),
            services::crm::import::Kind::Customers,
            b"nome\nAna\n",
        )
        .unwrap();
        let imports = svc.data_dir.join("imports");
        assert_eq!(mode(&imports), 0o700);
        assert_eq!(mode(&imports.join(format!("customers-{sha}.csv"))), 0o600);

        // A restore of a backup someone left readable is private again.
        if db.engine() == store::Engine::Sqlite {
            std::fs::set_permissions(&file.path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let url = db.url().to_owned();
            db.close().await;
            backup::restore(&url, &file.path, &admin_caller())
                .await
                .unwrap();
            let path = url.trim_start_matches("sqlite://");
            assert_eq!(mode(std::path::Path::new(path)), 0o600);
        }
    })
    .await;
}
