//! Data features against the emulator: deletes, partial columns, sequence column, compression,
//! JSON, and typed errors for bad credentials, unknown tables and rejected rows.

mod common;

use std::io::Write;

use bytes::Bytes;
use common::*;
use streamload_core::{
    Compression, ErrorKind, Format, JsonFormat, LoadOptions, LoadProtocol, Table,
};
use streamload_doris::{DELETE_SIGN, DorisProtocol};

/// Runs one committed two-phase load of `body`.
async fn load(
    doris: &DorisProtocol,
    table: &Table,
    seq: u64,
    options: &LoadOptions,
    body: Vec<u8>,
) {
    let label = doris.label_generator().unwrap().label(table, seq).unwrap();
    let mut txn = doris.begin(table, Some(label), options).await.unwrap();
    txn.write(Bytes::from(body)).await.unwrap();
    let prepared = txn.prepare().await.unwrap();
    doris.commit(&prepared.prepared).await.unwrap();
}

#[tokio::test]
async fn deletes_through_the_delete_sign() {
    let emu = start().await;
    let table = unique_table(&emu, "tdel", "").await;
    let doris = protocol(&emu);
    let description = doris.describe(&table).await.unwrap();
    assert_eq!(description.delete_column.unwrap().name, DELETE_SIGN);
    let options = csv(true, &["id", "name", "score", DELETE_SIGN]);
    load(
        &doris,
        &table,
        1,
        &options,
        b"1\ta\t10\t0\n2\tb\t20\t0\n3\tc\t30\t0\n".to_vec(),
    )
    .await;
    load(
        &doris,
        &table,
        2,
        &options,
        b"2\tb\t20\t1\n3\tz\t31\t0\n".to_vec(),
    )
    .await;
    assert_eq!(
        table_text(&emu, "select id, name, score from test.tdel order by id").await,
        "1,a,10;3,z,31"
    );
}

#[tokio::test]
async fn deletes_on_a_duplicate_table_are_refused() {
    let emu = start().await;
    let table = dup_table(&emu, "tdupdel").await;
    let doris = protocol(&emu);
    assert!(
        doris
            .describe(&table)
            .await
            .unwrap()
            .delete_column
            .is_none()
    );
    let label = label("it_test_tdupdel_0_1");
    let err = doris
        .begin(
            &table,
            Some(label),
            &csv(true, &["id", "name", DELETE_SIGN]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.message().contains("UNIQUE"), "{err}");
}

#[tokio::test]
async fn partial_columns_keep_the_other_values() {
    let emu = start().await;
    let props = r#"PROPERTIES ("enable_unique_key_merge_on_write" = "true")"#;
    let table = unique_table(&emu, "tpartial", props).await;
    load(
        &protocol(&emu),
        &table,
        1,
        &csv(true, &[]),
        b"1\ta\t10\n2\tb\t20\n".to_vec(),
    )
    .await;
    let partial = builder(&emu)
        .with_partial_columns(["id", "score"])
        .build()
        .unwrap();
    load(
        &partial,
        &table,
        2,
        &csv(true, &["id", "score"]),
        b"1\t11\n".to_vec(),
    )
    .await;
    assert_eq!(
        table_text(
            &emu,
            "select id, name, score from test.tpartial order by id"
        )
        .await,
        "1,a,11;2,b,20"
    );
}

#[tokio::test]
async fn sequence_column_keeps_the_newest_version() {
    let emu = start().await;
    let props = r#"PROPERTIES ("function_column.sequence_type" = "int")"#;
    let table = unique_table(&emu, "tseq", props).await;
    let doris = builder(&emu).with_sequence_column("score").build().unwrap();
    let options = csv(true, &[]);
    load(&doris, &table, 1, &options, b"1\ta\t5\n".to_vec()).await;
    load(&doris, &table, 2, &options, b"1\tolder\t3\n".to_vec()).await;
    load(&doris, &table, 3, &options, b"1\tnewer\t7\n".to_vec()).await;
    assert_eq!(
        table_text(&emu, "select id, name, score from test.tseq").await,
        "1,newer,7"
    );
}

#[tokio::test]
async fn compressed_bodies_round_trip() {
    let emu = start().await;
    let table = dup_table(&emu, "tzip").await;
    let doris = protocol(&emu);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"1\tgz\n").unwrap();
    let mut options = csv(true, &[]);
    options.compression = Compression::Gzip;
    load(&doris, &table, 1, &options, gz.finish().unwrap()).await;

    let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
    lz4.write_all(b"2\tlz4\n").unwrap();
    options.compression = Compression::Lz4Frame;
    load(&doris, &table, 2, &options, lz4.finish().unwrap()).await;
    // `compress_type = gz` on an uncompressed body: this crate gzips it on the way out.
    let gz_here = builder(&emu)
        .with_property("compress_type", "gz")
        .build()
        .unwrap();
    load(
        &gz_here,
        &table,
        3,
        &csv(true, &[]),
        b"3\tgz-here\n".to_vec(),
    )
    .await;
    assert_eq!(
        table_text(&emu, "select id, name from test.tzip order by id").await,
        "1,gz;2,lz4;3,gz-here"
    );
    let log = emu.request_log().entries();
    assert!(log.iter().any(|r| r.header("compress_type") == Some("gz")));
    assert!(log.iter().any(|r| r.header("compress_type") == Some("lz4")));
}

#[tokio::test]
async fn json_lines_and_arrays() {
    let emu = start().await;
    let table = dup_table(&emu, "tjson").await;
    let doris = protocol(&emu);
    let mut options = LoadOptions {
        format: Format::Json(JsonFormat::Lines),
        compression: Compression::None,
        columns: None,
        two_phase: true,
    };
    let lines = b"{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\"b\"}\n".to_vec();
    load(&doris, &table, 1, &options, lines).await;
    options.format = Format::Json(JsonFormat::Array);
    load(
        &doris,
        &table,
        2,
        &options,
        br#"[{"id":3,"name":"c"}]"#.to_vec(),
    )
    .await;
    assert_eq!(
        table_text(&emu, "select id, name from test.tjson order by id").await,
        "1,a;2,b;3,c"
    );
}

#[tokio::test]
async fn wrong_password_is_unauthorized() {
    let emu = start_with(|c| c.password = "right".into()).await;
    let doris = builder(&emu)
        .with_credentials("root", "wrong")
        .build()
        .unwrap();
    let table = Table::new("test", "anything");
    let err = doris
        .begin(&table, Some(label("it_x_1")), &csv(true, &[]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert!(!err.to_string().contains("wrong"), "{err}");
}

#[tokio::test]
async fn unknown_table_is_not_found() {
    let emu = start().await;
    let doris = protocol(&emu);
    let table = Table::new("test", "missing");
    let result = async {
        let mut txn = doris
            .begin(&table, Some(label("it_missing_1")), &csv(true, &[]))
            .await?;
        let _ = txn.write(Bytes::from_static(b"1\ta\n")).await;
        txn.prepare().await.map(|_| ())
    }
    .await;
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(
        doris.describe(&table).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn rejected_rows_are_named_in_the_error() {
    let emu = start().await;
    let table = dup_table(&emu, "tbad").await;
    let doris = protocol(&emu);
    let mut txn = doris
        .begin(&table, Some(label("it_test_tbad_0_1")), &csv(true, &[]))
        .await
        .unwrap();
    txn.write(Bytes::from_static(b"1\ta\nnot-a-number\tb\n3\n"))
        .await
        .unwrap();
    let err = txn.prepare().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DataQuality, "{err}");
    assert!(err.message().contains("rejected rows:\n  1: "), "{err}");
    assert!(err.context("error_url").is_some());
}
