//! The HTTP transport both vendor crates load through (feature `http`).
//!
//! Doris and StarRocks speak the same HTTP shape: an FE that answers a Stream Load with a 307 to
//! a BE, REST calls on the FE, error logs on the BE. The rules of that shape live here once, so
//! both vendors give the same guarantees:
//!
//! * **Redirects are ours** ([`checked_location`]): reqwest would strip `Authorization` on the
//!   FE:8030 → BE:8040 hop and cannot wait for `100 Continue`, so a streamed body would be
//!   uploaded to the FE. A load first *probes* the FE with an empty-body PUT carrying
//!   `Expect: 100-continue` (the FE redirects before any body and begins nothing), the
//!   `Location` is checked — userinfo stripped and never shown, https never downgraded to http,
//!   an optional loopback rewrite — and the real request is streamed to the BE.
//! * **Credentials go only to the cluster** ([`HostTrust`]): configured FEs, configured BEs,
//!   BEs the cluster itself reports (each vendor's [`BackendDirectory`]), and the user's
//!   allow-list. A redirect anywhere else is refused before anything is sent to it.
//! * **One failure mapping** ([`transport_error`]): a request that never reached the node is
//!   [`Error::is_unsent`](crate::Error::is_unsent) (safe to send elsewhere); anything later has
//!   an unknown outcome.
//! * **A streamed body is broken, never ended, on abort** ([`StreamedBody`]): a server must
//!   never see a clean end of a body the client gave up on, or it could commit a truncated
//!   batch.
//! * **TLS is configured once** ([`TlsConfig`], feature `rustls`): CA bundles, a client
//!   identity and the hostname switch apply to every FE and BE request alike.

mod body;
mod client;
mod config;
mod discovery;
mod errors;
mod node;
mod redirect;
mod tls;
mod trust;

pub use body::{BodyOutcome, StreamedBody};
pub use client::Transport;
pub use config::{Answer, BackendDirectory, Failover, Resolved, TransportConfig};
pub use errors::transport_error;
pub use node::{encoded_path, endpoint, host_port, parse_node, rotate};
pub use redirect::{MAX_REDIRECTS, checked_location, is_loopback, rewrite_loopback};
pub use tls::{PemSource, TlsConfig};
pub use trust::HostTrust;
