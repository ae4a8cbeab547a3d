//! `cargo run --release -p streamload-examples --bin quickstart`: loads the connector quick
//! start's rows exactly-once into Doris and StarRocks and prints the tables.
//!
//! With no configuration both vendors run on emulators started in this process. Set
//! `DORIS_FE_URL` / `STARROCKS_FE_URL` (and `*_MYSQL_URL`, `*_USER`, `*_PASSWORD`) to use real
//! clusters; each vendor not configured still runs on its emulator.

use streamload_examples::endpoint::{Endpoint, Vendor};
use streamload_examples::quickstart;

#[tokio::main]
async fn main() {
    let mut failed = false;
    for vendor in [Vendor::Doris, Vendor::StarRocks] {
        if let Err(e) = run(vendor).await {
            eprintln!("{}: {e}", vendor.name());
            failed = true;
        }
    }
    if failed {
        std::process::exit(1);
    }
}

async fn run(vendor: Vendor) -> streamload_core::Result<()> {
    let endpoint = Endpoint::from_env_or_emulator(vendor).await?;
    println!("== {} ==", endpoint.describe());
    let outcome = quickstart::run(&endpoint, &mut |line| println!("  {line}")).await?;
    println!("mysql> select * from test.student_trans;");
    print!("{}", outcome.result.to_table());
    println!();
    endpoint.shutdown().await;
    Ok(())
}
