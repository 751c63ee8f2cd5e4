//! Feed formats (RSS 0.9x/1.0/2.0, Atom, JSON Feed) read into `Item`s.
//! (Temporary stand-in while the real parser is built on its own branch.)

use crate::model::{Item, ParsedFeed};
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("not a feed: {0}")]
    NotAFeed(String),
}

pub fn parse_feed(body: &[u8], base: &Url) -> Result<ParsedFeed, FeedError> {
    let feed = feed_rs::parser::parse(body).map_err(|e| FeedError::NotAFeed(e.to_string()))?;
    let items = feed
        .entries
        .into_iter()
        .map(|e| Item {
            guid: Some(e.id),
            link: e.links.first().and_then(|l| base.join(&l.href).ok()),
            title: e.title.map(|t| t.content).unwrap_or_default(),
            summary_html: e.summary.map(|t| t.content),
            published: e.published,
            ..Item::default()
        })
        .collect();
    Ok(ParsedFeed {
        items,
        ..ParsedFeed::default()
    })
}
