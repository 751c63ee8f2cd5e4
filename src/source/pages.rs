//! HTML pages as sources and as enrichment: section pages whose links become items, single
//! article pages, article pages saved into a spool, and `follow_links`, which reads the
//! article page of each new item and adds its full text, image and byline.

use super::delivery::{Delivered, Delivery, Poller};
use super::error::SourceError;
use super::fetch::{Fetched, Origin, Validators};
use crate::config::SourceConfig;
use crate::model::{Article, Item, Teaser};
use crate::parse::article::{self, ArticleError, ExtractRules};
use crate::store::Incoming;
use futures_util::StreamExt;
use std::time::Duration;
use url::Url;

/// The teaser section of one page, with the page it was on.
pub(super) type PageTeasers = (Url, Vec<Teaser>);

/// Items after `follow_links`, with what reading their pages brought besides.
pub(super) struct Followed {
    pub items: Vec<Incoming>,
    pub pages_followed: usize,
    pub teasers: Vec<(Url, Vec<Teaser>)>,
    pub warnings: Vec<String>,
}

impl Followed {
    pub fn into_delivery(self, ttl: Option<Duration>) -> Delivery {
        let mut delivery = Delivery::new(Ok(Delivered::Items {
            items: self.items,
            ttl,
        }));
        delivery.pages_followed = self.pages_followed;
        delivery.teasers = self.teasers;
        delivery.warnings = self.warnings;
        delivery
    }
}

/// Reads a page once: the article (or why it is none) and, whether or not it is one, its
/// teaser section. `http_charset` is the charset of the response's `Content-Type`. Why a
/// page has no teaser section is logged (debug, `--verbose`): labels are configured, and an
/// operator wondering why the recommended feed stays empty needs the reason per page.
fn read_page(
    html: &[u8],
    url: &Url,
    http_charset: Option<&str>,
    rules: &ExtractRules,
) -> (Result<Article, ArticleError>, Vec<Teaser>) {
    let read = article::read_page(html, url, http_charset, rules);
    if let Some(why) = &read.no_teasers {
        tracing::debug!(page = %url, "no teasers: {why}");
    }
    (read.article, read.teasers)
}

/// A source whose URL is an HTML page: a section page (article links picked by
/// `selectors.items`) or a single article page.
pub(super) async fn poll_page_source(
    poller: &Poller<'_>,
    source: &SourceConfig,
    html: Vec<u8>,
    page_url: Url,
    http_charset: Option<String>,
) -> Delivery {
    let rules = &source.rules;
    if let Some(selector) = &source.selectors.items {
        let links = match article::extract_links(&html, &page_url, selector) {
            Ok(links) => links,
            Err(e) => {
                return Delivery::failed(SourceError::SectionPage {
                    url: page_url,
                    source: Box::new(e),
                })
            }
        };
        if links.is_empty() {
            return Delivery::failed(SourceError::NoSectionLinks {
                url: page_url,
                selector: selector.as_str().to_string(),
            });
        }
        let mut teasers = Vec::new();
        let section_teasers = article::extract_teasers(&html, &page_url, rules);
        if !section_teasers.is_empty() {
            teasers.push((page_url.clone(), section_teasers));
        }
        let items = links
            .into_iter()
            .map(|link| Item {
                title: String::new(),
                link: Some(link),
                ..Item::default()
            })
            .collect();
        // Section links carry no text of their own: each becomes an item from its page,
        // whether or not the source asks for `follow_links`.
        let mut followed = follow(poller, source, items).await;
        followed.items.retain(|i| !i.item.title.is_empty());
        teasers.append(&mut followed.teasers);
        followed.teasers = teasers;
        return followed.into_delivery(None);
    }
    let read = tokio::task::spawn_blocking({
        let page_url = page_url.clone();
        let rules = rules.clone();
        move || read_page(&html, &page_url, http_charset.as_deref(), &rules)
    })
    .await;
    let (article, teasers) = match read {
        Ok(read) => read,
        Err(e) => return Delivery::failed(SourceError::crashed("extractor", e)),
    };
    let mut delivery = match article {
        Ok(article) => {
            let link = article.canonical.clone().unwrap_or(page_url.clone());
            let item = item_from_article(link, &article);
            Delivery::new(Ok(Delivered::Items {
                items: vec![Incoming::new(item, Some(article.body_text))],
                ttl: None,
            }))
        }
        Err(e) => Delivery::failed(SourceError::Page {
            url: page_url.clone(),
            source: Box::new(e),
        }),
    };
    if !teasers.is_empty() {
        delivery.teasers.push((page_url, teasers));
    }
    delivery
}

/// An article page dropped into a spool folder: one item (with the page's full text), plus
/// its teasers.
pub(super) fn read_spooled_page(
    html: &[u8],
    url: &Url,
    rules: &ExtractRules,
) -> Result<(Incoming, Option<PageTeasers>), ArticleError> {
    let mut article = read_page(html, url, None, rules).0?;
    // A saved page's relative links (images, teasers) belong to the site it came from, not
    // to the spool folder: read it again against its canonical URL when it names one.
    if let Some(canonical) = article
        .canonical
        .clone()
        .filter(|c| c.scheme().starts_with("http"))
    {
        if url.scheme() == "file" {
            article = read_page(html, &canonical, None, rules).0?;
        }
    }
    let page = article.canonical.clone().unwrap_or_else(|| url.clone());
    let teasers = (!article.teasers.is_empty()).then(|| (page.clone(), article.teasers.clone()));
    let item = item_from_article(page, &article);
    Ok((Incoming::new(item, Some(article.body_text)), teasers))
}

fn item_from_article(link: Url, article: &Article) -> Item {
    Item {
        guid: None,
        link: Some(link),
        title: article.headline.clone(),
        summary_html: article
            .lead
            .as_ref()
            .map(|l| html_escape::encode_text(l).into_owned()),
        content_html: Some(article.body_html.clone()),
        authors: article.byline.iter().cloned().collect(),
        categories: Vec::new(),
        published: article.published,
        updated: article.modified,
        image: article.image.clone(),
        enclosures: Vec::new(),
        lang: article.lang.clone(),
        wire: None,
    }
}

/// With `follow_links`, fetches the article page of each item the store does not know yet
/// (at most `follow_links_max` a cycle) and enriches the item from it; the item's identity
/// (guid, link) stays as the feed gave it.
pub(super) async fn follow_links(
    poller: &Poller<'_>,
    source: &SourceConfig,
    items: Vec<Item>,
) -> Followed {
    if !source.follow_links {
        return Followed {
            items: items
                .into_iter()
                .map(|item| Incoming::new(item, None))
                .collect(),
            pages_followed: 0,
            teasers: Vec::new(),
            warnings: Vec::new(),
        };
    }
    follow(poller, source, items).await
}

/// Reads the pages of the items the store does not know yet (at most `follow_links_max`).
async fn follow(poller: &Poller<'_>, source: &SourceConfig, items: Vec<Item>) -> Followed {
    let mut to_follow = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if to_follow.len() >= source.follow_links_max {
            break;
        }
        let Some(link) = &item.link else { continue };
        if link.scheme() != "http" && link.scheme() != "https" {
            continue;
        }
        if poller.store.is_known(&source.id, item).unwrap_or(false) {
            continue;
        }
        to_follow.push((i, link.clone()));
    }
    let fetches = futures_util::stream::iter(to_follow.into_iter().map(|(i, link)| {
        let rules = source.rules.clone();
        async move {
            let fetched = poller
                .fetcher
                .get(&link, &Validators::default(), Origin::Content)
                .await;
            let result = match fetched {
                Ok(Fetched::Body(body)) => {
                    let url = body.final_url.clone();
                    tokio::task::spawn_blocking(move || {
                        let (article, teasers) =
                            read_page(&body.bytes, &url, body.charset.as_deref(), &rules);
                        (article.map_err(|e| e.to_string()), teasers)
                    })
                    .await
                    .unwrap_or_else(|e| (Err(format!("extractor crashed: {e}")), Vec::new()))
                }
                Ok(Fetched::NotModified { .. }) => {
                    (Err("304 without validators".into()), Vec::new())
                }
                Err(e) => (Err(e.to_string()), Vec::new()),
            };
            (i, link, result)
        }
    }))
    .buffer_unordered(poller.config.poll.concurrency.min(4));
    let results: Vec<_> = fetches.collect().await;
    let mut followed = Followed {
        items: items
            .into_iter()
            .map(|item| Incoming::new(item, None))
            .collect(),
        pages_followed: 0,
        teasers: Vec::new(),
        warnings: Vec::new(),
    };
    for (i, link, (article, teasers)) in results {
        followed.pages_followed += 1;
        if !teasers.is_empty() {
            followed.teasers.push((link.clone(), teasers));
        }
        match article {
            Ok(article) => {
                let target = &mut followed.items[i];
                enrich_item(&mut target.item, &article);
                if !article.body_text.trim().is_empty() {
                    target.full_text = Some(article.body_text);
                }
            }
            // A page that is no article is a warning, not a failure: the item still has
            // what its feed gave.
            Err(e) => followed.warnings.push(format!("page {link}: {e}")),
        }
    }
    followed
}

/// Adds what the article page knows to a feed item; the feed's own fields win where set.
fn enrich_item(item: &mut Item, article: &Article) {
    if item.title.trim().is_empty() {
        item.title = article.headline.clone();
    }
    if !article.body_html.trim().is_empty() {
        item.content_html = Some(article.body_html.clone());
    }
    if item.summary_html.is_none() {
        item.summary_html = article
            .lead
            .as_ref()
            .map(|l| html_escape::encode_text(l).into_owned());
    }
    if item.image.is_none() || item.image.as_ref().is_some_and(|i| i.credit.is_none()) {
        if let Some(image) = &article.image {
            item.image = Some(image.clone());
        }
    }
    if item.authors.is_empty() {
        item.authors = article.byline.iter().cloned().collect();
    }
    item.published = item.published.or(article.published);
    item.lang = item.lang.clone().or(article.lang.clone());
}
