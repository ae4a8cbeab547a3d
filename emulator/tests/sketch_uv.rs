//! The vendors' unique-visitor examples with BITMAP and HLL columns, as their connector docs
//! give them: rows go in through Stream Load with the `columns` header the connectors send
//! (`visit_users=to_bitmap(visit_user_id)`, `hll_hash`, Doris' `user_id=to_bitmap(user_id)`),
//! and the counts come back over the MySQL port.
//!
//! * StarRocks "导入至 Bitmap 列" (load into a BITMAP column): five rows, `SELECT page_id,
//!   COUNT(DISTINCT visit_users) FROM page_uv GROUP BY page_id` gives page 1 three visitors
//!   (13, 23, 33 over two visit dates) and page 2 one.
//! * StarRocks "导入至 HLL 列" (load into an HLL column): three rows, the documented answer is
//!   page 3 → 2, page 4 → 1.
//! * Doris "Flink Imports Bitmap Data": the sink maps `dt,page,user_id` with
//!   `user_id=to_bitmap(user_id)` into the aggregate table `test.bitmap_test`; the doc gives no
//!   rows, so these count what they load.
//!
//! The Flink connectors send CSV with tab-separated fields by default, as here.

mod http_support;

use http_support::{authority, basic, ddl, request, start, via_fe};
use mysql_async::prelude::*;
use streamload_emulator::EmulatorHandle;
use streamload_emulator::engine::Flavor;

async fn load(emu: &EmulatorHandle, table: &str, columns: &str, body: &str) {
    let path = format!("/api/test/{table}/_stream_load");
    let mut headers = vec![("columns", columns), ("format", "csv")];
    let r = match emu.engine().flavor() {
        Flavor::Doris => {
            let auth = basic("root", "");
            headers.push(("Authorization", auth.as_str()));
            let be = authority(&emu.be_urls()[0]);
            request(&be, "PUT", &path, &headers, Some(body.as_bytes()))
                .await
                .json()
        }
        Flavor::StarRocks => via_fe(emu, "PUT", &path, &headers, Some(body.as_bytes()))
            .await
            .json(),
    };
    assert_eq!(r["Status"], "Success", "{r}");
    assert_eq!(r["NumberFilteredRows"], 0, "{r}");
}

async fn query(emu: &EmulatorHandle, sql: &str) -> Vec<(i64, i64)> {
    let url = format!("{}?prefer_socket=false", emu.mysql_url());
    let mut conn = mysql_async::Conn::new(mysql_async::Opts::from_url(&url).expect("url"))
        .await
        .expect("connect");
    conn.query_drop("USE test").await.expect("use");
    let rows: Vec<(i64, i64)> = conn
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    conn.disconnect().await.expect("disconnect");
    rows
}

async fn emulator(flavor: Flavor) -> EmulatorHandle {
    let emu = start(flavor, 1).await;
    emu.engine().create_database("test").expect("test db");
    emu
}

#[tokio::test]
async fn starrocks_bitmap_page_uv() {
    let emu = emulator(Flavor::StarRocks).await;
    ddl(
        &emu,
        "CREATE TABLE `test`.`page_uv` (\n  `page_id` INT NOT NULL COMMENT 'page ID',\n  \
         `visit_date` datetime NOT NULL COMMENT 'access time',\n  `visit_users` BITMAP \
         BITMAP_UNION NOT NULL COMMENT 'user ID'\n) ENGINE=OLAP\nAGGREGATE KEY(`page_id`, \
         `visit_date`)\nDISTRIBUTED BY HASH(`page_id`);",
    );
    let columns = "page_id,visit_date,visit_user_id,visit_users=to_bitmap(visit_user_id)";
    load(
        &emu,
        "page_uv",
        columns,
        "1\t2020-06-23 01:30:30\t13\n1\t2020-06-23 01:30:30\t23\n1\t2020-06-23 01:30:30\t33\n",
    )
    .await;
    load(
        &emu,
        "page_uv",
        columns,
        "1\t2020-06-23 02:30:30\t13\n2\t2020-06-23 01:30:30\t23\n",
    )
    .await;
    let documented = vec![(1, 3), (2, 1)];
    assert_eq!(
        query(
            &emu,
            "SELECT page_id, COUNT(DISTINCT visit_users) FROM page_uv GROUP BY page_id ORDER BY page_id"
        )
        .await,
        documented
    );
    for sql in [
        "SELECT page_id, bitmap_union_count(visit_users) FROM page_uv GROUP BY page_id ORDER BY 1",
        "SELECT page_id, bitmap_count(bitmap_union(visit_users)) FROM page_uv GROUP BY 1 ORDER BY 1",
    ] {
        assert_eq!(query(&emu, sql).await, documented, "{sql}");
    }
    // Two visit dates of page 1 are two rows, each with its own set.
    assert_eq!(
        query(
            &emu,
            "SELECT page_id, bitmap_count(visit_users) FROM page_uv ORDER BY visit_date, page_id"
        )
        .await,
        vec![(1, 3), (2, 1), (1, 1)]
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn starrocks_hll_page_uv() {
    let emu = emulator(Flavor::StarRocks).await;
    ddl(
        &emu,
        "CREATE TABLE test.hll_uv (\n    page_id INT NOT NULL COMMENT 'page ID',\n    \
         visit_date datetime NOT NULL COMMENT 'access time',\n    visit_users HLL HLL_UNION \
         NOT NULL COMMENT 'user ID'\n    ) ENGINE=OLAP\n    AGGREGATE KEY(page_id, \
         visit_date)\n    DISTRIBUTED BY HASH(page_id);",
    );
    load(
        &emu,
        "hll_uv",
        "page_id,visit_date,visit_user_id,visit_users=hll_hash(visit_user_id)",
        "3\t2023-07-24 12:00:00\t78\n4\t2023-07-24 13:20:10\t2\n3\t2023-07-24 12:30:00\t674\n",
    )
    .await;
    let documented = vec![(3, 2), (4, 1)];
    assert_eq!(
        query(
            &emu,
            "SELECT `page_id`, COUNT(DISTINCT `visit_users`) FROM `hll_uv` GROUP BY `page_id` ORDER BY 1"
        )
        .await,
        documented
    );
    assert_eq!(
        query(
            &emu,
            "SELECT page_id, hll_union_agg(visit_users) FROM hll_uv GROUP BY page_id ORDER BY 1"
        )
        .await,
        documented
    );
    // Outside the select list (ORDER BY, HAVING) the count takes no alias; in it, the column
    // keeps the name it was written with.
    assert_eq!(
        query(
            &emu,
            "SELECT page_id, COUNT(DISTINCT visit_users) AS uv FROM hll_uv GROUP BY page_id \
             HAVING COUNT(DISTINCT visit_users) > 1 ORDER BY COUNT(DISTINCT visit_users) DESC"
        )
        .await,
        vec![(3, 2)]
    );
    let names = emu
        .engine()
        .query(
            Some("test"),
            "SELECT COUNT(DISTINCT visit_users), page_id FROM hll_uv GROUP BY page_id",
        )
        .expect("query")
        .columns;
    assert_eq!(names, ["COUNT(DISTINCT visit_users)", "page_id"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn doris_flink_bitmap_import() {
    let emu = emulator(Flavor::Doris).await;
    ddl(
        &emu,
        "CREATE TABLE test.bitmap_test (dt INT, page VARCHAR(128), \
         user_id BITMAP BITMAP_UNION NOT NULL) AGGREGATE KEY(dt, page) \
         DISTRIBUTED BY HASH(dt) BUCKETS 1",
    );
    let columns = "dt,page,user_id,user_id=to_bitmap(user_id)";
    load(
        &emu,
        "bitmap_test",
        columns,
        "20240101\thome\t1\n20240101\thome\t2\n20240101\tcart\t3\n",
    )
    .await;
    load(
        &emu,
        "bitmap_test",
        columns,
        "20240101\thome\t1\n20240101\thome\t4\n20240102\thome\t1\n",
    )
    .await;
    let per_day = vec![(20_240_101, 4), (20_240_102, 1)];
    for sql in [
        "SELECT dt, bitmap_union_count(user_id) FROM bitmap_test GROUP BY dt ORDER BY dt",
        "SELECT dt, COUNT(DISTINCT user_id) FROM bitmap_test GROUP BY dt ORDER BY dt",
        "SELECT dt, bitmap_count(bitmap_union(user_id)) FROM bitmap_test GROUP BY dt ORDER BY dt",
    ] {
        assert_eq!(query(&emu, sql).await, per_day, "{sql}");
    }
    assert_eq!(
        query(
            &emu,
            "SELECT dt, bitmap_count(user_id) FROM bitmap_test WHERE page = 'home' ORDER BY dt"
        )
        .await,
        vec![(20_240_101, 3), (20_240_102, 1)]
    );
    emu.shutdown().await;
}
