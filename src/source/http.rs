//! A source with an http(s) URL: conditional GET, the body hash that spares re-parsing the
//! same bytes, then a feed, or an HTML page read as a section or article page.

use super::delivery::{body_hash, Delivered, Delivery, Freshness, Poller};
use super::error::SourceError;
use super::fetch::{Fetched, Origin, Validators};
use super::pages;
use crate::config::SourceConfig;
use crate::model::SourceKind;
use crate::parse::{self, feed::parse_feed_in};
use crate::store::SourceState;
use url::Url;

pub(super) async fn poll(
    poller: &Poller<'_>,
    source: &SourceConfig,
    state: &SourceState,
    url: &Url,
) -> Delivery {
    let validators = Validators {
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
    };
    let body = match poller.fetcher.get(url, &validators, Origin::Config).await {
        Ok(Fetched::NotModified { hints }) => {
            let mut delivery = Delivery::new(Ok(Delivered::NotModified));
            delivery.status = Some(304);
            delivery.freshness.max_age = Some(hints.max_age);
            return delivery;
        }
        Ok(Fetched::Body(body)) => body,
        Err(e) => {
            let status = e.status();
            let mut delivery = Delivery::failed(SourceError::fetch(url, e));
            delivery.status = status;
            return delivery;
        }
    };
    let hash = body_hash(&body.bytes);
    let found = if parse::looks_like_html(&body.bytes) {
        SourceKind::Page
    } else {
        SourceKind::Feed
    };
    let mut freshness = Freshness {
        validators: Some(body.validators.clone()),
        max_age: Some(body.hints.max_age),
        body_hash: Some(hash.clone()),
        kind: Some((found, url.to_string())),
    };
    let mut delivery = if state.body_hash.as_deref() == Some(hash.as_str()) {
        Delivery::new(Ok(Delivered::Unchanged))
    } else if let Some(expected) = expected_kind(source, state, url).filter(|k| *k != found) {
        // Nothing of a wrong answer is kept: not its validators or hash either, so the next
        // poll fetches and checks the URL afresh.
        freshness = Freshness::default();
        Delivery::failed(SourceError::KindChanged {
            url: url.clone(),
            expected,
        })
    } else if found == SourceKind::Page {
        pages::poll_page_source(poller, source, body.bytes, body.final_url, body.charset).await
    } else {
        let final_url = body.final_url;
        let bytes = body.bytes;
        let charset = body.charset;
        let timezone = source.rules.timezone;
        let parsed = tokio::task::spawn_blocking(move || {
            parse_feed_in(&bytes, &final_url, charset.as_deref(), timezone)
        })
        .await;
        match parsed {
            Err(e) => Delivery::failed(SourceError::crashed("parser", e)),
            Ok(Err(e)) => Delivery::failed(SourceError::Feed {
                url: url.clone(),
                source: Box::new(e),
            }),
            Ok(Ok(mut parsed)) => {
                let mut warnings = parsed.skipped;
                super::delivery::cap_items(&mut parsed.items, &mut warnings, "the feed");
                if parsed.items.is_empty() {
                    warnings.push("the feed has no items".into());
                }
                let mut delivery = pages::follow_links(poller, source, parsed.items)
                    .await
                    .into_delivery(parsed.ttl);
                warnings.append(&mut delivery.warnings);
                delivery.warnings = warnings;
                delivery
            }
        }
    };
    delivery.status = Some(body.status);
    delivery.freshness = freshness;
    delivery
}

/// What the source is: fixed in config.yaml, else learned at an earlier good poll of the
/// same URL; `None` while nothing is known (the first answer decides).
fn expected_kind(source: &SourceConfig, state: &SourceState, url: &Url) -> Option<SourceKind> {
    source.kind.or_else(|| {
        state
            .kind
            .filter(|_| state.kind_url.as_deref() == Some(url.as_str()))
    })
}
