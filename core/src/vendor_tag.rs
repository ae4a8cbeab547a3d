//! Tagging a vendor's errors once, at its crate boundary.
//!
//! Every error a vendor crate hands out names the vendor (`backend=doris`), so a pipeline that
//! writes to both can tell them apart. Rather than each error site adding the tag, a vendor's
//! public entry points pass their results through [`Error::with_vendor`] and wrap the
//! transactions they open in [`VendorTransaction`], whose every answer is tagged the same way.

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::{Error, Result};
use crate::label::Label;
use crate::protocol::{PreparedLoad, Transaction};
use crate::report::LoadReport;

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
