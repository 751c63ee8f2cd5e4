//! Source stage: where deliveries come from — HTTP (feeds, section and article pages) and
//! local files or agency spool folders — and the article pages that enrich their items.
//!
//! [`Poller::poll`] reads one source and returns one [`Delivery`]: the items to store, the
//! teasers seen on the way, and what the poll learned about the source (status,
//! validators, the interval it asked for). Nothing is stored here.

mod delivery;
pub mod error;
pub mod fetch;
mod http;
mod pages;
pub mod spool;

pub use self::delivery::{Delivered, Delivery, Freshness, Poller};
pub use self::error::{ErrorKind, SourceError};

use crate::config::{SourceConfig, SourceLocation};
use crate::store::SourceState;

impl Poller<'_> {
    /// Reads one source: `state` is what the last poll left (validators, body hash).
    pub async fn poll(&self, source: &SourceConfig, state: &SourceState) -> Delivery {
        match &source.location {
            SourceLocation::Http(url) => http::poll(self, source, state, url).await,
            SourceLocation::Path(path) => spool::poll(self, source, state, path.clone()).await,
        }
    }
}
