//! `_stream_load_2pc` calls: which nodes to ask, in which order, and what a dropped call means.
//!
//! A commit or abort is executed by a BE; an FE only redirects it to a round-robin BE (reference
//! §1.3, §4.2). So a BE that accepts connections and then drops them must not block a checkpoint:
//! the call goes first to the BE that ran the load (its coordinator, recorded in the checkpoint),
//! then to the entry nodes (FEs, which redirect, or the listed BEs), then directly to the other
//! BEs of the cluster, as the Flink connector's committer does.
//!
//! A refused connection sent nothing. A call that was reset, timed out or got a 5xx after it was
//! sent may have been executed: its outcome is unknown, so before asking another node the label's
//! state settles it (a commit found COMMITTED / VISIBLE is done, an abort found ABORTED is done,
//! one still PRECOMMITTED goes to the next node). A BE that failed a call is asked last for a
//! while, so retries do not keep starting at a node that drops every connection.

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use streamload_core::{Error, ErrorKind, Label, LabelState, Result, RetryStatus};
use url::Url;

use crate::config::DEFAULT_MAX_RETRIES;
use crate::nodes::{endpoint, host_port, parse_node};
use crate::response::{TxnOp, TxnOpOutcome, classify_txn_op};
use crate::session::{Shared, TxnRef};

/// What the label's state says about a call whose outcome is unknown.
enum Settled {
    /// The call's end state is reached (or can never be): this is the answer.
    Final(Result<TxnOpOutcome>),
    /// The transaction is still waiting: ask the next node.
    NextNode(Error),
}

/// The end a 2PC call wants, judged from the label's state.
fn judge(op: TxnOp, state: LabelState, err: Error) -> Settled {
    use LabelState as S;
    match (op, state) {
        (_, S::Prepare | S::Precommitted) => Settled::NextNode(err),
        (TxnOp::Commit, S::Committed | S::Visible) => Settled::Final(Ok(TxnOpOutcome::AlreadyDone)),
        (TxnOp::Commit, S::Aborted) => Settled::Final(Err(Error::new(
            ErrorKind::DataLoss,
            "the commit's answer was lost and the transaction is aborted; its rows are lost",
        )
        .set_source(err))),
        // The label is gone (expired, or never used): the caller's own rule decides.
        (TxnOp::Commit, S::Unknown) => Settled::Final(Err(err)),
        (TxnOp::Abort, S::Aborted | S::Unknown) => Settled::Final(Ok(TxnOpOutcome::AlreadyDone)),
        (TxnOp::Abort, S::Committed | S::Visible) => Settled::Final(Err(Error::new(
            ErrorKind::AlreadyCommitted,
            format!("label is {state:?}; it cannot be aborted"),
        )
        .set_source(err))),
    }
}

/// Whether a failed call may succeed on another node.
fn try_elsewhere(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Unavailable | ErrorKind::Timeout)
}

impl Shared {
    /// One `_stream_load_2pc` call: the coordinator first, then the entry nodes, then the other
    /// BEs; an outcome-unknown failure is settled by the state of `label` (the transaction's
    /// label, when known) before the next node is asked.
    pub(crate) async fn txn_op(
        &self,
        db: &str,
        txn: TxnRef<'_>,
        op: TxnOp,
        coordinator: Option<&str>,
        label: Option<&Label>,
    ) -> Result<TxnOpOutcome> {
        let label = match txn {
            TxnRef::Label(l) => Some(l),
            TxnRef::Id(_) => label,
        };
        let headers = txn_headers(txn, op)?;
        let mut queue = self.first_nodes(coordinator).await?;
        let mut tried: Vec<String> = Vec::new();
        let mut widened = false;
        let mut last: Option<Error> = None;
        loop {
            if queue.is_empty() && !widened {
                widened = true;
                queue = self.other_bes(&tried).await;
            }
            let Some(node) = queue.pop() else { break };
            let name = host_port(&node);
            if tried.contains(&name) {
                continue;
            }
            tried.push(name.clone());
            let url = endpoint(&node, &["api", db, "_stream_load_2pc"]);
            let result = match self.client.request(Method::PUT, url, &headers).await {
                Ok(answer) => classify_txn_op(op, answer.status, &answer.body),
                Err(e) => Err(e),
            };
            let e = match result {
                Ok(outcome) => {
                    self.suspects.clear(&name);
                    return Ok(outcome);
                }
                Err(e) if try_elsewhere(&e) => e,
                Err(e) => return Err(with_txn(e, db, txn)),
            };
            tracing::warn!(node = %name, error = %e, op = op.as_header(), "2PC call failed, trying another node");
            if !self.client.is_fe(&node) {
                self.suspects.mark(&name);
            }
            let e = match label {
                Some(label) if e.retry_status() == RetryStatus::OutcomeUnknown => {
                    match self.settle(db, label, op, e).await {
                        Settled::Final(outcome) => {
                            return outcome.map_err(|e| with_txn(e, db, txn));
                        }
                        Settled::NextNode(e) => e,
                    }
                }
                _ => e,
            };
            last = Some(e);
        }
        let last = last.unwrap_or_else(|| {
            Error::new(ErrorKind::Unavailable, "no node to send the 2PC call to").temporary()
        });
        Err(with_txn(last, db, txn).with_context("nodes_tried", tried.len()))
    }

    /// Reads the label's state after a call whose outcome is unknown.
    async fn settle(&self, db: &str, label: &Label, op: TxnOp, err: Error) -> Settled {
        match self.label_state(db, label).await {
            Ok(state) => {
                tracing::info!(label = %label, ?state, op = op.as_header(), "settled a dropped 2PC call by the label state");
                judge(op, state, err)
            }
            Err(state_error) => {
                tracing::warn!(label = %label, error = %state_error, "label state unreadable after a dropped 2PC call");
                Settled::NextNode(err)
            }
        }
    }

    /// The coordinator and the entry nodes, as a stack (the next node to ask is last). A
    /// coordinator that failed recently is asked after the entry nodes.
    async fn first_nodes(&self, coordinator: Option<&str>) -> Result<Vec<Url>> {
        let coordinator = coordinator.and_then(|c| self.coordinator_url(c));
        let mut order = match self.client.entry_nodes().await {
            Ok(nodes) => nodes,
            // BE discovery failed, but the coordinator may still answer.
            Err(e) if coordinator.is_some() => {
                tracing::warn!(error = %e, "no entry node for a 2PC call besides the coordinator");
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        if let Some(node) = coordinator {
            if self.suspects.contains(&host_port(&node)) {
                order.push(node);
            } else {
                order.insert(0, node);
            }
        }
        order.reverse();
        Ok(order)
    }

    /// The cluster's BEs not tried yet (listed, or discovered through the FE when the loads go
    /// through FE redirects), at most `max_retries + 1` of them, as a stack.
    async fn other_bes(&self, tried: &[String]) -> Vec<Url> {
        let mut bes = self.client.configured_bes().to_vec();
        if self.config.auto_redirect {
            let mut found = self.client.discovered_bes();
            if found.is_empty() {
                found = self.client.discover().await.unwrap_or_default();
            }
            bes.extend(found);
        }
        let mut fresh: Vec<Url> = Vec::new();
        for be in bes {
            let name = host_port(&be);
            if !tried.contains(&name) && !fresh.iter().any(|f| host_port(f) == name) {
                fresh.push(be);
            }
        }
        fresh.sort_by_key(|be| self.suspects.contains(&host_port(be)));
        let retries = self.config.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        fresh.truncate(retries as usize + 1);
        fresh.reverse();
        fresh
    }

    fn coordinator_url(&self, host_port: &str) -> Option<Url> {
        let scheme = self
            .client
            .fe_rotation()
            .first()
            .map_or("http", |u| u.scheme())
            .to_owned();
        parse_node(&format!("{scheme}://{host_port}"), "coordinator").ok()
    }
}

fn txn_headers(txn: TxnRef<'_>, op: TxnOp) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    match txn {
        TxnRef::Id(id) => headers.insert("txn_id", id.into()),
        TxnRef::Label(label) => headers.insert(
            "label",
            label
                .as_str()
                .parse()
                .map_err(|_| Error::new(ErrorKind::Config, "bad label"))?,
        ),
    };
    headers.insert("txn_operation", HeaderValue::from_static(op.as_header()));
    Ok(headers)
}

pub(crate) fn with_txn(e: Error, db: &str, txn: TxnRef<'_>) -> Error {
    let e = e.with_context("db", db);
    match txn {
        TxnRef::Id(id) => e.with_context("txn_id", id),
        TxnRef::Label(label) => e.with_context("label", label),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nodes::SuspectNodes;

    fn dropped() -> Error {
        Error::new(ErrorKind::Unavailable, "connection reset").outcome_unknown()
    }

    fn outcome(settled: Settled) -> std::result::Result<Result<TxnOpOutcome>, Error> {
        match settled {
            Settled::Final(result) => Ok(result),
            Settled::NextNode(e) => Err(e),
        }
    }

    #[test]
    fn a_dropped_commit_is_settled_by_the_label_state() {
        for state in [LabelState::Committed, LabelState::Visible] {
            let got = outcome(judge(TxnOp::Commit, state, dropped()));
            assert_eq!(got.unwrap().unwrap(), TxnOpOutcome::AlreadyDone);
        }
        for state in [LabelState::Precommitted, LabelState::Prepare] {
            let next = outcome(judge(TxnOp::Commit, state, dropped())).unwrap_err();
            assert_eq!(next.retry_status(), RetryStatus::OutcomeUnknown);
        }
        let lost = outcome(judge(TxnOp::Commit, LabelState::Aborted, dropped()));
        assert_eq!(lost.unwrap().unwrap_err().kind(), ErrorKind::DataLoss);
        let gone = outcome(judge(TxnOp::Commit, LabelState::Unknown, dropped()));
        let gone = gone.unwrap().unwrap_err();
        assert_eq!(gone.retry_status(), RetryStatus::OutcomeUnknown, "{gone}");
    }

    #[test]
    fn a_dropped_abort_is_settled_by_the_label_state() {
        for state in [LabelState::Aborted, LabelState::Unknown] {
            let got = outcome(judge(TxnOp::Abort, state, dropped()));
            assert_eq!(got.unwrap().unwrap(), TxnOpOutcome::AlreadyDone);
        }
        let done = outcome(judge(TxnOp::Abort, LabelState::Visible, dropped()));
        assert_eq!(
            done.unwrap().unwrap_err().kind(),
            ErrorKind::AlreadyCommitted
        );
        assert!(outcome(judge(TxnOp::Abort, LabelState::Precommitted, dropped())).is_err());
    }

    #[test]
    fn suspects_are_remembered() {
        let suspects = SuspectNodes::default();
        assert!(!suspects.contains("be1:8040"));
        suspects.mark("be1:8040");
        assert!(suspects.contains("be1:8040"));
        suspects.clear("be1:8040");
        assert!(!suspects.contains("be1:8040"));
    }
}
