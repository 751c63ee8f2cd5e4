//! What polling one source yields: one [`Delivery`] value — the items to store, the
//! teasers seen on the way, and what the poll learned about the source — and the
//! [`Poller`] every reader of a source works with.

use super::error::SourceError;
use super::fetch::{Fetcher, Validators};
use crate::config::Config;
use crate::model::{Item, SourceKind, Teaser};
use crate::store::{Incoming, Store};
use std::time::Duration;
use url::Url;

/// Items read from one delivery (a feed body, a spool file). Real agency feeds carry tens
/// to a few thousand items; a feed of hundreds of thousands is a fault or an attack, and
/// every item read costs memory until the store has it. Feeds list newest first, so the
/// first items are kept and the overflow is logged.
pub const MAX_ITEMS_PER_DELIVERY: usize = 25_000;

/// Keeps the first [`MAX_ITEMS_PER_DELIVERY`] items and says in `warnings` what was dropped.
pub(super) fn cap_items(items: &mut Vec<Item>, warnings: &mut Vec<String>, what: &str) {
    if items.len() > MAX_ITEMS_PER_DELIVERY {
        warnings.push(format!(
            "{what} holds {} items; only the first {MAX_ITEMS_PER_DELIVERY} are read, {} dropped",
            items.len(),
            items.len() - MAX_ITEMS_PER_DELIVERY
        ));
        items.truncate(MAX_ITEMS_PER_DELIVERY);
        items.shrink_to_fit();
    }
}

/// What polling one source produced, before anything is stored.
#[derive(Debug)]
pub struct Delivery {
    /// HTTP status of the source URL (`None` for files and network errors).
    pub status: Option<u16>,
    pub result: Result<Delivered, SourceError>,
    /// What the poll learned about the source, for its next poll.
    pub freshness: Freshness,
    /// Problems that did not fail the source (skipped entries, pages that were no article).
    pub warnings: Vec<String>,
    pub pages_followed: usize,
    /// Teaser sections seen, per page.
    pub teasers: Vec<(Url, Vec<Teaser>)>,
    /// Some deliveries of a spool failed while others were read: the good ones are stored
    /// and the source still counts as failed.
    pub partial_failure: Option<SourceError>,
}

/// What a source delivered.
#[derive(Debug)]
pub enum Delivered {
    /// 304, or a spool folder with no new delivery.
    NotModified,
    /// 200 with the same bytes as last time: nothing parsed.
    Unchanged,
    Items {
        items: Vec<Incoming>,
        /// RSS `<ttl>`: the source asks not to be polled more often than this.
        ttl: Option<Duration>,
    },
}

/// What a poll tells about polling the source again.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Freshness {
    /// Validators of a 200 response, to send back next time.
    pub validators: Option<Validators>,
    /// `Some`: the response's `Cache-Control: max-age`, replacing the one known (`Some(None)`
    /// clears it). `None`: this poll said nothing about it.
    pub max_age: Option<Option<Duration>>,
    /// Hash of what was read, so that the same bytes are not parsed again.
    pub body_hash: Option<String>,
    /// What the answer was (a feed or a page), and for which configured URL: kept in the
    /// source's state after a good poll.
    pub kind: Option<(SourceKind, String)>,
}

impl Delivery {
    pub fn new(result: Result<Delivered, SourceError>) -> Delivery {
        Delivery {
            status: None,
            result,
            freshness: Freshness::default(),
            warnings: Vec::new(),
            pages_followed: 0,
            teasers: Vec::new(),
            partial_failure: None,
        }
    }

    pub fn failed(e: SourceError) -> Delivery {
        Delivery::new(Err(e))
    }
}

/// Polls sources with a cycle's shared HTTP client; asks the store only which items it
/// already knows, so that their article pages are not fetched again.
pub struct Poller<'a> {
    pub config: &'a Config,
    pub fetcher: &'a Fetcher,
    pub store: &'a Store,
}

pub fn body_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..32].to_string()
}
