//! With a data dir, what a load committed (and a precommitted 2PC load) survives a restart of
//! the emulator.

mod http_support;

use http_support::{authority, basic, ddl, request, rows};
use streamload_emulator::engine::Flavor;
use streamload_emulator::{Emulator, EmulatorConfig};

#[tokio::test]
async fn committed_and_precommitted_loads_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("streamload-emu-http-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = EmulatorConfig::new(Flavor::Doris);
    config.data_dir = Some(dir.clone());
    let auth = basic("root", "");

    let emu = Emulator::start(config.clone()).await.unwrap();
    emu.engine().create_database("db").unwrap();
    ddl(
        &emu,
        "CREATE TABLE db.t (k INT, v VARCHAR(5)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    let be = authority(&emu.be_urls()[0]);
    let r = request(
        &be,
        "PUT",
        "/api/db/t/_stream_load",
        &[("Authorization", &auth), ("label", "a")],
        Some(b"1\tx\n"),
    )
    .await
    .json();
    assert_eq!(r["Status"], "Success", "{r}");
    let r = request(
        &be,
        "PUT",
        "/api/db/t/_stream_load",
        &[
            ("Authorization", &auth),
            ("label", "b"),
            ("two_phase_commit", "true"),
        ],
        Some(b"2\ty\n"),
    )
    .await
    .json();
    let txn = r["TxnId"].as_i64().unwrap();
    emu.shutdown().await;

    let emu = Emulator::start(config).await.unwrap();
    assert_eq!(rows(&emu, "SELECT k, v FROM t"), ["1|x"]);
    let be = authority(&emu.be_urls()[0]);
    let again = request(
        &be,
        "PUT",
        "/api/db/t/_stream_load",
        &[("Authorization", &auth), ("label", "a")],
        Some(b"1\tx\n"),
    )
    .await
    .json();
    assert_eq!(again["Status"], "Label Already Exists");
    let r = request(
        &be,
        "PUT",
        "/api/db/_stream_load_2pc",
        &[
            ("Authorization", &auth),
            ("txn_id", &txn.to_string()),
            ("txn_operation", "commit"),
        ],
        Some(b""),
    )
    .await
    .json();
    assert_eq!(r["status"], "Success", "{r}");
    assert_eq!(rows(&emu, "SELECT k, v FROM t ORDER BY k"), ["1|x", "2|y"]);
    emu.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
