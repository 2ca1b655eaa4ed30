// `sqlx::migrate!` embeds the migration files at compile time; without
// this, a new migration file is not seen by an incremental build.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
