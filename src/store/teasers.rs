//! Teasers: links to stories seen on section pages, one record per teaser counting the
//! pages it appears on.

use super::keys::{decode, encode, short_hash};
use super::{dedup, index::Kind, Result, Store};
use crate::model::{Teaser, TeaserRecord};
use chrono::{DateTime, Utc};

/// Pages remembered per teaser; the count goes on past it.
const TEASER_PAGES_KEPT: usize = 50;

impl Store {
    /// Records the teasers found on one page. A teaser seen on many pages is one record,
    /// keyed by its normalized link (else its normalized title), counting distinct pages.
    /// Returns how many teasers were new to the store.
    pub fn record_teasers(
        &self,
        source: &str,
        page: &url::Url,
        teasers: &[Teaser],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let page_key = dedup::normalize_link(page);
        let mut new = 0;
        for (position, teaser) in teasers.iter().enumerate() {
            // The slice is the section in page order.
            let position = u32::try_from(position).unwrap_or(u32::MAX);
            let title = crate::text::fold_whitespace(&teaser.title);
            if title.is_empty() {
                continue;
            }
            let key = match &teaser.link {
                Some(link) => format!("link:{}", dedup::normalize_link(link)),
                None => format!("title:{}", dedup::fingerprint(&title, "")),
            };
            let id = short_hash(&key);
            let story = match &teaser.link {
                Some(link) => self.find(Kind::Link, dedup::normalize_link(link).as_bytes())?,
                None => None,
            };
            let mut record = match self.sled()?.teasers.get(&id)? {
                Some(v) => decode::<TeaserRecord>(&v, "teasers")?,
                None => {
                    new += 1;
                    TeaserRecord {
                        id: id.clone(),
                        title: title.clone(),
                        link: teaser.link.clone(),
                        summary: None,
                        image: None,
                        first_seen: now,
                        last_seen: now,
                        pages: Vec::new(),
                        page_count: 0,
                        sources: Vec::new(),
                        story: None,
                        first_position: position,
                        best_position: position,
                    }
                }
            };
            record.last_seen = now;
            record.best_position = record.best_position.min(position);
            if record.summary.is_none() {
                record.summary = teaser.summary.clone().filter(|s| !s.trim().is_empty());
            }
            if record.image.is_none() {
                record.image = teaser.image.clone();
            }
            if story.is_some() {
                record.story = story;
            }
            if !record.pages.contains(&page_key) {
                record.page_count += 1;
                if record.pages.len() < TEASER_PAGES_KEPT {
                    record.pages.push(page_key.clone());
                }
            }
            if !record.sources.iter().any(|s| s == source) {
                record.sources.push(source.to_string());
            }
            self.sled()?
                .teasers
                .insert(id.as_bytes(), encode(&record))?;
        }
        Ok(new)
    }

    /// Every teaser record (the recommended feed sorts and filters them).
    pub fn teasers(&self) -> Result<Vec<TeaserRecord>> {
        self.sled()?
            .teasers
            .iter()
            .values()
            .map(|v| decode(&v?, "teasers"))
            .collect()
    }
}
