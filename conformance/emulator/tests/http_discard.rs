//! `discard` mode (for client benchmarks): BEs read and drop load bodies and answer Success
//! without parsing or storing; the FE still redirects as usual.

mod http_support;

use http_support::{authority, basic, ddl, request, rows};
use streamload_emulator::engine::Flavor;
use streamload_emulator::{Emulator, EmulatorConfig};

#[tokio::test]
async fn discard_reads_and_drops_the_body() {
    let mut config = EmulatorConfig::new(Flavor::Doris);
    config.discard = true;
    let emu = Emulator::start(config).await.unwrap();
    emu.engine().create_database("db").unwrap();
    ddl(
        &emu,
        "CREATE TABLE db.t (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    let be = authority(&emu.be_urls()[0]);
    let auth = basic("root", "");
    let body = b"not,even,csv\nfor,this,table\n";
    let r = request(
        &be,
        "PUT",
        "/api/db/t/_stream_load",
        &[("Authorization", &auth), ("label", "d1")],
        Some(body),
    )
    .await;
    let j = r.json();
    assert_eq!(j["Status"], "Success", "{}", r.body);
    assert_eq!(j["LoadBytes"], body.len());
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["0"]);
    assert_eq!(
        emu.request_log().entries().last().unwrap().body_bytes,
        body.len() as u64
    );
    emu.shutdown().await;
}
