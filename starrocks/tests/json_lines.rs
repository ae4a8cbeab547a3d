//! Pre-encoded NDJSON through the StarRocks `Sink`: the sink's JSON body is an array (the
//! connector's `strip_outer_array: true`), so JSON lines a caller already encoded must arrive as
//! the elements of that array, on V1, V2 and merge commit alike, with the header always sent.

mod support;

use bytes::Bytes;
use streamload_core::{Sink, Table};
use streamload_starrocks::{StarRocksProtocol, StarRocksSink};
use support::emu;

async fn json_sink(
    emu: &streamload_emulator::EmulatorHandle,
    mode: &[(&str, &str)],
) -> Sink<StarRocksProtocol> {
    let fe = emu.fe_url();
    let jdbc = emu::jdbc_url(emu);
    let mut options = vec![
        ("load-url", fe.as_str()),
        ("jdbc-url", jdbc.as_str()),
        ("username", "root"),
        ("password", ""),
        ("sink.properties.format", "json"),
        ("sink.label-prefix", "ndjson"),
    ];
    options.extend_from_slice(mode);
    StarRocksSink::builder()
        .with_flink_options(options)
        .unwrap()
        .build()
        .unwrap()
}

#[tokio::test]
async fn pre_encoded_json_lines_load_in_every_mode() {
    let modes: [&[(&str, &str)]; 3] = [
        &[("sink.version", "V1")],
        &[("sink.version", "V2")],
        &[
            ("sink.properties.enable_merge_commit", "true"),
            ("sink.properties.merge_commit_interval_ms", "300"),
        ],
    ];
    for (i, mode) in modes.into_iter().enumerate() {
        let emu = emu::start().await;
        emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
        let table = Table::new("test", "score_board");
        let mut sink = json_sink(&emu, mode).await;
        let lines =
            "{\"id\":1,\"name\":\"a\",\"score\":10}\n{\"id\":2,\"name\":\"b\",\"score\":20}\n";
        sink.write_encoded(&table, Bytes::from(lines), 2)
            .await
            .unwrap();
        sink.write_encoded(
            &table,
            Bytes::from_static(b"{\"id\":3,\"name\":\"c\",\"score\":30}"),
            1,
        )
        .await
        .unwrap();
        sink.flush().await.unwrap();
        sink.close().await.unwrap();
        let rows = emu::rows(
            &emu,
            "select id, name, score from test.score_board order by id",
        )
        .await;
        assert_eq!(
            rows,
            [["1", "a", "10"], ["2", "b", "20"], ["3", "c", "30"]],
            "mode {i}"
        );
        let loads: Vec<_> = emu
            .request_log()
            .entries()
            .into_iter()
            .filter(|r| r.body_bytes > 0)
            .collect();
        assert!(!loads.is_empty(), "mode {i}");
        for load in loads {
            assert_eq!(
                load.header("format"),
                Some("json"),
                "mode {i}: {}",
                load.path
            );
            assert_eq!(
                load.header("strip_outer_array"),
                Some("true"),
                "mode {i}: {}",
                load.path
            );
        }
    }
}
