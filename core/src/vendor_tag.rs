//! Tagging a vendor's errors once, at its crate boundary.
//!
//! Every error a vendor crate hands out names the vendor (`backend=doris`), so a pipeline that
//! writes to both can tell them apart. Rather than each error site adding the tag, a vendor
//! implements [`VendorProtocol`] (the wire, untagged) and gets [`LoadProtocol`] from it: every
//! answer passes [`Error::with_vendor`], and every transaction it opens is a
//! [`VendorTransaction`], whose answers are tagged the same way.

use async_trait::async_trait;
use bytes::Bytes;

use crate::capabilities::Capabilities;
use crate::error::{Error, Result};
use crate::label::Label;
use crate::protocol::{LoadOptions, LoadProtocol, PreparedLoad, TableDescription, Transaction};
use crate::report::{LabelState, LoadReport, Prepared};
use crate::table::Table;

/// A vendor's wire, before its errors are tagged: the methods of [`LoadProtocol`] under their
/// own names. Implementing it gives [`LoadProtocol`], with every error naming [`Self::VENDOR`].
#[async_trait]
pub trait VendorProtocol: Send + Sync + std::fmt::Debug + 'static {
    /// The vendor's name (`doris`, `starrocks`), put on every error as `backend`.
    const VENDOR: &'static str;

    /// See [`LoadProtocol::capabilities`].
    fn vendor_capabilities(&self) -> Capabilities;

    /// See [`LoadProtocol::describe`].
    async fn describe_table(&self, table: &Table) -> Result<TableDescription>;

    /// See [`LoadProtocol::begin`].
    async fn open(
        &self,
        table: &Table,
        label: Option<Label>,
        options: &LoadOptions,
    ) -> Result<Box<dyn Transaction>>;

    /// See [`LoadProtocol::commit`].
    async fn commit_prepared(&self, prepared: &Prepared) -> Result<()>;

    /// See [`LoadProtocol::abort`].
    async fn abort_prepared(&self, prepared: &Prepared) -> Result<()>;

    /// See [`LoadProtocol::label_state`].
    async fn read_label_state(&self, db: &str, label: &Label) -> Result<LabelState>;
}

#[async_trait]
impl<V: VendorProtocol> LoadProtocol for V {
    fn capabilities(&self) -> Capabilities {
        self.vendor_capabilities()
    }

    async fn describe(&self, table: &Table) -> Result<TableDescription> {
        self.describe_table(table)
            .await
            .map_err(|e| e.with_vendor(V::VENDOR))
    }

    async fn begin(
        &self,
        table: &Table,
        label: Option<Label>,
        options: &LoadOptions,
    ) -> Result<Box<dyn Transaction>> {
        let txn = self
            .open(table, label, options)
            .await
            .map_err(|e| e.with_vendor(V::VENDOR))?;
        Ok(VendorTransaction::wrap(txn, V::VENDOR))
    }

    async fn commit(&self, prepared: &Prepared) -> Result<()> {
        self.commit_prepared(prepared)
            .await
            .map_err(|e| e.with_vendor(V::VENDOR))
    }

    async fn abort(&self, prepared: &Prepared) -> Result<()> {
        self.abort_prepared(prepared)
            .await
            .map_err(|e| e.with_vendor(V::VENDOR))
    }

    async fn label_state(&self, db: &str, label: &Label) -> Result<LabelState> {
        self.read_label_state(db, label)
            .await
            .map_err(|e| e.with_vendor(V::VENDOR))
    }
}

impl Error {
    /// Names the vendor (`backend` context) unless the error already does.
    pub fn with_vendor(self, vendor: &'static str) -> Self {
        if self.context("backend").is_some() {
            self
        } else {
            self.with_context("backend", vendor)
        }
    }
}

/// A vendor's open transaction whose errors all name the vendor.
#[derive(Debug)]
pub struct VendorTransaction {
    inner: Box<dyn Transaction>,
    vendor: &'static str,
}

impl VendorTransaction {
    /// Wraps `inner`, tagging its errors with `vendor`.
    pub fn wrap(inner: Box<dyn Transaction>, vendor: &'static str) -> Box<dyn Transaction> {
        Box::new(Self { inner, vendor })
    }
}

#[async_trait]
impl Transaction for VendorTransaction {
    fn label(&self) -> Option<&Label> {
        self.inner.label()
    }

    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        let vendor = self.vendor;
        self.inner
            .write(chunk)
            .await
            .map_err(|e| e.with_vendor(vendor))
    }

    async fn prepare(self: Box<Self>) -> Result<PreparedLoad> {
        let vendor = self.vendor;
        self.inner
            .prepare()
            .await
            .map_err(|e| e.with_vendor(vendor))
    }

    async fn finish(self: Box<Self>) -> Result<LoadReport> {
        let vendor = self.vendor;
        self.inner.finish().await.map_err(|e| e.with_vendor(vendor))
    }

    async fn abort(self: Box<Self>) -> Result<()> {
        let vendor = self.vendor;
        self.inner.abort().await.map_err(|e| e.with_vendor(vendor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[derive(Debug)]
    struct Failing;

    #[async_trait]
    impl Transaction for Failing {
        fn label(&self) -> Option<&Label> {
            None
        }
        async fn write(&mut self, _: Bytes) -> Result<()> {
            Err(Error::new(ErrorKind::Unavailable, "down"))
        }
        async fn prepare(self: Box<Self>) -> Result<PreparedLoad> {
            Err(Error::new(ErrorKind::Unavailable, "down"))
        }
        async fn finish(self: Box<Self>) -> Result<LoadReport> {
            Err(Error::new(ErrorKind::Unavailable, "down").with_context("backend", "other"))
        }
        async fn abort(self: Box<Self>) -> Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn every_answer_names_the_vendor_once() {
        let mut txn = VendorTransaction::wrap(Box::new(Failing), "doris");
        let err = txn.write(Bytes::new()).await.unwrap_err();
        assert_eq!(err.context("backend"), Some("doris"));
        assert_eq!(err.to_string().matches("backend=").count(), 1, "{err}");
        let err = txn.finish().await.unwrap_err();
        assert_eq!(err.context("backend"), Some("other"));
    }
}
