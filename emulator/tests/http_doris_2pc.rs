//! Doris two-phase commit (`_stream_load_2pc` texts for every state) and group commit.

mod http_support;

use http_support::{authority, basic, doris_with_table, load, request, rows};

#[tokio::test]
async fn two_phase_commit_and_its_texts() {
    let (emu, be) = doris_with_table().await;
    let fe = authority(&emu.fe_url());
    let auth = basic("root", "");
    let r = load(
        &be,
        &[("label", "p1"), ("two_phase_commit", "true")],
        b"1\ta\t1\n",
    )
    .await
    .json();
    assert_eq!(
        (r["Status"].as_str(), r["TwoPhaseCommit"].as_str()),
        (Some("Success"), Some("true"))
    );
    let id = r["TxnId"].as_i64().unwrap();
    assert_eq!(
        rows(&emu, "SELECT count(*) FROM t"),
        ["0"],
        "precommitted data is invisible"
    );
    let state = request(
        &fe,
        "GET",
        "/api/db/get_load_state?label=p1",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(state.json()["data"], "PRECOMMITTED");
    let again = load(&be, &[("label", "p1"), ("two_phase_commit", "true")], b"")
        .await
        .json();
    assert_eq!(again["ExistingJobStatus"], "PRECOMMITTED");

    let id_text = id.to_string();
    let commit = |op: &'static str| {
        let (be, auth, id_text) = (be.clone(), auth.clone(), id_text.clone());
        async move {
            request(
                &be,
                "PUT",
                "/api/db/_stream_load_2pc",
                &[
                    ("Authorization", &auth),
                    ("txn_id", &id_text),
                    ("txn_operation", op),
                ],
                Some(b""),
            )
            .await
        }
    };
    let r = commit("commit").await;
    assert_eq!(
        r.body,
        format!(
            "{{\n    \"status\": \"Success\",\n    \"msg\": \"transaction [{id}] commit successfully.\"\n}}"
        )
    );
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["1"]);
    let r = commit("commit").await.json();
    assert_eq!(r["status"], "ANALYSIS_ERROR");
    assert_eq!(
        r["msg"],
        format!(
            "TStatus: errCode = 2, detailMessage = transaction [{id}] is already visible, not pre-committed."
        )
    );
    let r = commit("abort").await.json();
    assert_eq!(
        r["msg"],
        format!(
            "TStatus: errCode = 2, detailMessage = transaction [{id}] is already VISIBLE, could not abort."
        )
    );
    let r = commit("rollback").await.json();
    assert_eq!(
        (r["status"].as_str(), r["msg"].as_str()),
        (
            Some("INTERNAL_ERROR"),
            Some("transaction operation should be 'commit' or 'abort'")
        )
    );

    // Abort by label, then commit of the aborted txn.
    let r = load(
        &be,
        &[("label", "p2"), ("two_phase_commit", "true")],
        b"2\tb\t2\n",
    )
    .await
    .json();
    let id2 = r["TxnId"].as_i64().unwrap();
    let r = request(
        &be,
        "PUT",
        "/api/db/_stream_load_2pc",
        &[
            ("Authorization", &auth),
            ("label", "p2"),
            ("txn_operation", "abort"),
        ],
        Some(b""),
    )
    .await
    .json();
    assert_eq!(r["msg"], "label [p2] abort successfully.");
    let r = request(
        &be,
        "PUT",
        "/api/db/_stream_load_2pc",
        &[
            ("Authorization", &auth),
            ("txn_id", &id2.to_string()),
            ("txn_operation", "commit"),
        ],
        Some(b""),
    )
    .await
    .json();
    assert_eq!(
        r["msg"],
        format!(
            "TStatus: errCode = 2, detailMessage = transaction [{id2}] is already aborted. abort reason: User Abort"
        )
    );
    let r = request(
        &be,
        "PUT",
        "/api/db/_stream_load_2pc",
        &[
            ("Authorization", &auth),
            ("txn_id", "999999"),
            ("txn_operation", "commit"),
        ],
        Some(b""),
    )
    .await
    .json();
    assert_eq!(
        r["msg"],
        "TStatus: errCode = 2, detailMessage = transaction [999999] not found"
    );
    let r = request(
        &be,
        "PUT",
        "/api/db/_stream_load_2pc",
        &[
            ("Authorization", &auth),
            ("label", "nolabel"),
            ("txn_operation", "commit"),
        ],
        Some(b""),
    )
    .await
    .json();
    assert_eq!(
        r["msg"],
        "TStatus: errCode = 2, detailMessage = transaction not found, label=nolabel"
    );
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["1"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn group_commit_merges_loads_into_a_server_labelled_txn() {
    let (emu, be) = doris_with_table().await;
    let r = load(
        &be,
        &[("label", "g1"), ("group_commit", "sync_mode")],
        b"1\ta\t1\n",
    )
    .await
    .json();
    assert_eq!(
        r["Message"],
        "[INVALID_ARGUMENT]label and group_commit can't be set at the same time"
    );
    let (a, b) = tokio::join!(
        load(&be, &[("group_commit", "sync_mode")], b"1\ta\t1\n"),
        load(&be, &[("group_commit", "sync_mode")], b"2\tb\t2\n"),
    );
    let (a, b) = (a.json(), b.json());
    assert_eq!(a["Status"], "Success", "{a}");
    assert_eq!(a["GroupCommit"], true);
    assert!(a.get("TwoPhaseCommit").is_none() && a.get("BeginTxnTimeMs").is_none());
    assert!(a["Label"].as_str().unwrap().starts_with("group_commit_"));
    assert_eq!(a["Label"], b["Label"], "one window, one transaction");
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["2"]);

    let r = load(&be, &[("group_commit", "async_mode")], b"3\tc\t3\n")
        .await
        .json();
    assert_eq!(
        (r["Status"].as_str(), r["GroupCommit"].as_bool()),
        (Some("Success"), Some(true))
    );
    assert_eq!(
        rows(&emu, "SELECT count(*) FROM t"),
        ["2"],
        "async mode answers before the commit"
    );
    // The window (1 s) commits in the background; poll for up to 10 s.
    for _ in 0..200 {
        if rows(&emu, "SELECT count(*) FROM t") == ["3"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["3"]);
    emu.shutdown().await;
}
