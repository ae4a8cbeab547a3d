//! `discard` mode (for client benchmarks): BEs read and drop load bodies (V1 and StarRocks V2
//! `/api/transaction/load`) and answer Success without parsing or storing; the FE still
//! redirects as usual.

mod http_support;

use http_support::{authority, basic, discarding_with_table, request, rows};
use streamload_emulator::engine::Flavor;

#[tokio::test]
async fn discard_reads_and_drops_the_body() {
    let emu = discarding_with_table(Flavor::Doris).await;
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

#[tokio::test]
async fn discard_drops_starrocks_v2_transaction_loads() {
    let emu = discarding_with_table(Flavor::StarRocks).await;
    let be = authority(&emu.be_urls()[0]);
    let auth = basic("root", "");
    let h = [
        ("Authorization", auth.as_str()),
        ("label", "v2-discard"),
        ("db", "db"),
        ("table", "t"),
    ];
    let begin = request(&be, "POST", "/api/transaction/begin", &h, None).await;
    assert_eq!(begin.json()["Status"], "OK", "{}", begin.body);
    let bodies: [&[u8]; 2] = [b"not,even,csv\n", b"for,this,table\n"];
    for body in bodies {
        let load = request(&be, "PUT", "/api/transaction/load", &h, Some(body)).await;
        let j = load.json();
        assert_eq!(j["Status"], "OK", "{}", load.body);
        assert_eq!(j["LoadBytes"], body.len());
    }
    let prepare = request(&be, "POST", "/api/transaction/prepare", &h, None).await;
    let j = prepare.json();
    assert_eq!(j["Status"], "OK", "{}", prepare.body);
    assert_eq!(
        j["LoadBytes"],
        bodies.iter().map(|b| b.len()).sum::<usize>()
    );
    assert_eq!(j["NumberTotalRows"], 0, "nothing was parsed");
    // A PREPARED transaction is committed by the FE (the BE context is gone).
    let fe = authority(&emu.fe_url());
    let commit = request(&fe, "POST", "/api/transaction/commit", &h, None).await;
    assert_eq!(commit.json()["Status"], "OK", "{}", commit.body);
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["0"]);
    emu.shutdown().await;
}
