//! One poll-and-publish cycle: fetch the due sources (at most `poll.concurrency` at once),
//! parse them off the async threads, follow article links, store what is new in one
//! ordered pass, expire old stories, flush, and publish every output that changed.

use crate::config::{Config, FeedFrom, SourceConfig, SourceLocation};
use crate::model::{Item, ParsedFeed, Story, Teaser};
use crate::parse::article::{self, ExtractRules};
use crate::parse::{self, feed::parse_feed};
use crate::publish::{self, Entry, FeedMeta};
use crate::source::fetch::{Fetched, Fetcher, Origin, Validators};
use crate::source::spool;
use crate::store::{Incoming, IngestReport, SourceState, Store, StoreError};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use rand::Rng;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// Everything a cycle works with.
pub struct Context {
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub fetcher: Arc<Fetcher>,
    /// Called after each source is stored (progress display).
    pub on_source: Option<SourceHook>,
}

/// A callback with each source's report as the cycle goes.
pub type SourceHook = Arc<dyn Fn(&SourceReport) + Send + Sync>;

/// How one source's poll went.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceOutcome {
    /// 304, or a spool folder with no new delivery.
    NotModified,
    /// 200 with the same bytes as last time: nothing parsed.
    Unchanged,
    Ingested {
        items: usize,
        new: usize,
        updated: usize,
        duplicates: usize,
    },
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct SourceReport {
    pub id: String,
    pub status: Option<u16>,
    pub outcome: SourceOutcome,
    pub duration: Duration,
    pub pages_followed: usize,
    /// Problems that did not fail the source (skipped entries, pages that were no article).
    pub warnings: Vec<String>,
    pub next_poll: DateTime<Utc>,
    pub consecutive_failures: u32,
    /// The store gained or changed a story or teaser from this source.
    pub changed: bool,
}

#[derive(Debug, Default)]
pub struct CycleReport {
    pub sources: Vec<SourceReport>,
    /// Output files that were rewritten.
    pub published: Vec<PathBuf>,
    pub expired: usize,
    /// Items per output feed after publishing.
    pub feed_items: Vec<(String, usize)>,
    pub stage_times: StageTimes,
}

/// Wall time spent per stage (fetch and parse overlap across sources).
#[derive(Debug, Default, Clone)]
pub struct StageTimes {
    pub fetch_parse: Duration,
    pub store: Duration,
    /// Making the store durable once per cycle (sled flush).
    pub flush: Duration,
    pub publish: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("publish {path}: {source}")]
    Publish {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What polling a source produced, before it is stored.
struct Polled {
    source: SourceConfig,
    state: SourceState,
    status: Option<u16>,
    result: Result<Delivered, String>,
    started: Instant,
    warnings: Vec<String>,
    pages_followed: usize,
    teasers: Vec<(Url, Vec<Teaser>)>,
    /// Some deliveries of a spool failed while others were read: the good ones are stored
    /// and the source still counts as failed.
    partial_failure: Option<String>,
}

enum Delivered {
    NotModified,
    Unchanged,
    Items {
        items: Vec<Incoming>,
        ttl: Option<Duration>,
    },
}

/// Runs one cycle over `sources`. Sources that fail are reported, never fatal; only a store
/// or publish failure ends the cycle with an error.
pub async fn run(
    ctx: &Context,
    sources: &[SourceConfig],
    force_publish: bool,
) -> Result<CycleReport, CycleError> {
    let mut report = CycleReport::default();
    let started = Instant::now();
    let concurrency = ctx.config.poll.concurrency;
    let mut polls = futures_util::stream::iter(
        sources
            .iter()
            .cloned()
            .map(|source| poll_source(ctx, source)),
    )
    // Fetched concurrently, stored in config order: which copy of a story is "first seen"
    // then does not depend on network timing, and a rebuilt store gives the same result.
    .buffered(concurrency);
    let mut changed = force_publish;
    let mut store_time = Duration::ZERO;
    while let Some(polled) = polls.next().await {
        let t = Instant::now();
        let source_report = tokio::task::block_in_place(|| store_polled(ctx, polled))?;
        store_time += t.elapsed();
        changed |= source_report.changed;
        if let Some(hook) = &ctx.on_source {
            hook(&source_report);
        }
        report.sources.push(source_report);
    }
    report.stage_times.fetch_parse = started.elapsed().saturating_sub(store_time);
    report.stage_times.store = store_time;
    let now = Utc::now();
    let t = Instant::now();
    tokio::task::block_in_place(|| -> Result<(), CycleError> {
        let max_age = chrono::Duration::from_std(ctx.config.retention.max_age)
            .unwrap_or(chrono::Duration::days(30));
        report.expired = ctx.store.expire(now - max_age)?;
        if report.expired > 0 {
            changed = true;
        }
        report.stage_times.store += t.elapsed();
        // Durable before anything is published: a reader must never see a story that a
        // crash could take back.
        let t = Instant::now();
        ctx.store.flush()?;
        report.stage_times.flush = t.elapsed();
        // Embargoes lift with time alone, so a cycle publishes whenever one may have.
        if changed || embargo_may_have_lifted(ctx, now) {
            let t = Instant::now();
            let (written, counts) = publish_all(&ctx.config, &ctx.store, now)?;
            report.published = written;
            report.feed_items = counts;
            report.stage_times.publish = t.elapsed();
        }
        Ok(())
    })?;
    report.sources.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(report)
}

/// Cheap check: is any stored story dated between the last publish and now?
fn embargo_may_have_lifted(ctx: &Context, now: DateTime<Utc>) -> bool {
    let skew = chrono::Duration::from_std(ctx.config.dedup.clock_skew).unwrap_or_default();
    ctx.store
        .stories_newest_first()
        .take(1000)
        .filter_map(Result::ok)
        .any(|s| {
            let recent = now - skew - chrono::Duration::hours(1);
            s.published.is_some_and(|p| p > recent && p <= now + skew)
                || s.wire
                    .as_ref()
                    .and_then(|w| w.embargoed)
                    .is_some_and(|e| e > recent && e <= now)
        })
}

async fn poll_source(ctx: &Context, source: SourceConfig) -> Polled {
    let started = Instant::now();
    let state = ctx.store.source_state(&source.id).unwrap_or_default();
    let mut polled = Polled {
        source,
        state,
        status: None,
        result: Err(String::new()),
        started,
        warnings: Vec::new(),
        pages_followed: 0,
        teasers: Vec::new(),
        partial_failure: None,
    };
    polled.result = match polled.source.location.clone() {
        SourceLocation::Http(url) => poll_http(ctx, &mut polled, &url).await,
        SourceLocation::Path(path) => poll_spool(ctx, &mut polled, path).await,
    };
    // Dedup keys are pure CPU work: compute them here, in parallel across sources, so the
    // store's one-source-at-a-time pass only looks up and writes.
    if let Ok(Delivered::Items { .. }) = polled.result {
        let Ok(Delivered::Items { items, ttl }) =
            std::mem::replace(&mut polled.result, Err(String::new()))
        else {
            unreachable!("matched just above")
        };
        let prepared = tokio::task::spawn_blocking(move || {
            let mut items = items;
            items.iter_mut().for_each(Incoming::prepare);
            items
        })
        .await;
        polled.result = match prepared {
            Ok(items) => Ok(Delivered::Items { items, ttl }),
            Err(e) => Err(format!("preparing items crashed: {e}")),
        };
    }
    polled
}

async fn poll_http(ctx: &Context, polled: &mut Polled, url: &Url) -> Result<Delivered, String> {
    let validators = Validators {
        etag: polled.state.etag.clone(),
        last_modified: polled.state.last_modified.clone(),
    };
    let fetched = ctx.fetcher.get(url, &validators, Origin::Config).await;
    let body = match fetched {
        Ok(Fetched::NotModified { hints }) => {
            polled.status = Some(304);
            polled.state.min_interval_secs = hints.max_age.map(|d| d.as_secs());
            return Ok(Delivered::NotModified);
        }
        Ok(Fetched::Body(body)) => body,
        Err(e) => {
            polled.status = e.status();
            if let Some(retry) = e.retry_after() {
                polled.state.min_interval_secs = Some(retry.as_secs());
            }
            return Err(format!("fetch {url}: {e}"));
        }
    };
    polled.status = Some(body.status);
    polled.state.etag = body.validators.etag.clone();
    polled.state.last_modified = body.validators.last_modified.clone();
    polled.state.min_interval_secs = body.hints.max_age.map(|d| d.as_secs());
    let hash = body_hash(&body.bytes);
    if polled.state.body_hash.as_deref() == Some(hash.as_str()) {
        return Ok(Delivered::Unchanged);
    }
    polled.state.body_hash = Some(hash);
    let final_url = body.final_url.clone();
    let bytes = body.bytes;
    if parse::looks_like_html(&bytes) {
        return poll_page_source(ctx, polled, bytes, final_url).await;
    }
    let parsed = tokio::task::spawn_blocking(move || parse_feed(&bytes, &final_url))
        .await
        .map_err(|e| format!("parser crashed: {e}"))?
        .map_err(|e| format!("parse {url}: {e}"))?;
    delivered_from_feed(ctx, polled, parsed).await
}

async fn delivered_from_feed(
    ctx: &Context,
    polled: &mut Polled,
    parsed: ParsedFeed,
) -> Result<Delivered, String> {
    polled.warnings.extend(parsed.skipped.iter().cloned());
    if parsed.items.is_empty() {
        polled.warnings.push("the feed has no items".into());
    }
    let ttl = parsed.ttl;
    let items = follow_links(ctx, polled, parsed.items).await;
    Ok(Delivered::Items { items, ttl })
}

async fn poll_spool(
    ctx: &Context,
    polled: &mut Polled,
    path: PathBuf,
) -> Result<Delivered, String> {
    let max_body = ctx.config.poll.max_body;
    let previous = polled.state.body_hash.clone();
    let rules = extract_rules(&ctx.config, &polled.source)?;
    let read = tokio::task::spawn_blocking(
        move || -> Result<(String, Vec<Result<SpoolDelivery, String>>), String> {
            let listing = spool::list(&path).map_err(|e| e.to_string())?;
            let hash = spool::listing_hash(&listing);
            if previous.as_deref() == Some(hash.as_str()) {
                return Ok((hash, Vec::new()));
            }
            let deliveries = listing
                .iter()
                .map(|(file, _, _)| {
                    let delivery = spool::read(file, max_body).map_err(|e| e.to_string())?;
                    if parse::looks_like_html(&delivery.bytes) {
                        return read_spooled_page(&delivery.bytes, &delivery.url, &rules)
                            .map_err(|e| format!("{}: {e}", file.display()));
                    }
                    parse_feed(&delivery.bytes, &delivery.url)
                        .map(|feed| SpoolDelivery {
                            feed,
                            teasers: None,
                            full_text: None,
                        })
                        .map_err(|e| format!("{}: {e}", file.display()))
                })
                .collect();
            Ok((hash, deliveries))
        },
    )
    .await
    .map_err(|e| format!("parser crashed: {e}"))??;
    let (hash, deliveries) = read;
    if polled.state.body_hash.as_deref() == Some(hash.as_str()) {
        return Ok(Delivered::NotModified);
    }
    if deliveries.is_empty() {
        polled
            .warnings
            .push("the spool folder holds no deliveries".into());
    }
    let mut merged = ParsedFeed::default();
    let mut page_texts = Vec::new();
    let mut failures = Vec::new();
    for delivery in deliveries {
        match delivery {
            Ok(d) => {
                merged.skipped.extend(d.feed.skipped);
                if let Some(text) = d.full_text {
                    page_texts.push((merged.items.len(), text));
                }
                merged.items.extend(d.feed.items);
                merged.ttl = merged.ttl.max(d.feed.ttl);
                polled.teasers.extend(d.teasers);
            }
            Err(e) => failures.push(e),
        }
    }
    let ttl = merged.ttl;
    polled.warnings.extend(merged.skipped.iter().cloned());
    let mut items = follow_links(ctx, polled, merged.items).await;
    for (i, text) in page_texts {
        if let Some(incoming) = items.get_mut(i) {
            incoming.full_text = Some(text);
        }
    }
    if !failures.is_empty() {
        // Good deliveries are still stored; the bad ones fail the source so it is noticed,
        // and the listing hash is not recorded so they are read again next time.
        polled.partial_failure = Some(failures.join("; "));
        return Ok(Delivered::Items { items, ttl });
    }
    if items.is_empty() {
        polled.warnings.push("no items in any delivery".into());
    }
    polled.state.body_hash = Some(hash);
    Ok(Delivered::Items { items, ttl })
}

/// One file of a spool folder, read.
struct SpoolDelivery {
    feed: ParsedFeed,
    teasers: Option<(Url, Vec<Teaser>)>,
    /// Full text of an article page delivery (its only item).
    full_text: Option<String>,
}

/// An article page dropped into a spool folder: one item, plus its teasers.
fn read_spooled_page(
    html: &[u8],
    url: &Url,
    rules: &ExtractRules,
) -> Result<SpoolDelivery, String> {
    let mut article = article::extract_article(html, url, rules).map_err(|e| e.to_string())?;
    // A saved page's relative links (images, teasers) belong to the site it came from, not
    // to the spool folder: read it again against its canonical URL when it names one.
    if let Some(canonical) = article
        .canonical
        .clone()
        .filter(|c| c.scheme().starts_with("http"))
    {
        if url.scheme() == "file" {
            article =
                article::extract_article(html, &canonical, rules).map_err(|e| e.to_string())?;
        }
    }
    let page = article.canonical.clone().unwrap_or_else(|| url.clone());
    let teasers = (!article.teasers.is_empty()).then(|| (page.clone(), article.teasers.clone()));
    let item = item_from_article(page, &article);
    Ok(SpoolDelivery {
        feed: ParsedFeed {
            items: vec![item],
            ..ParsedFeed::default()
        },
        teasers,
        full_text: Some(article.body_text),
    })
}

/// A source whose URL is an HTML page: a section page (article links picked by
/// `selectors.items`) or a single article page.
async fn poll_page_source(
    ctx: &Context,
    polled: &mut Polled,
    html: Vec<u8>,
    page_url: Url,
) -> Result<Delivered, String> {
    let rules = extract_rules(&ctx.config, &polled.source)?;
    if let Some(selector) = polled.source.selectors.items.clone() {
        let compiled =
            article::CssSelector::parse(&selector).map_err(|e| format!("selectors.items: {e}"))?;
        let links = article::extract_links(&html, &page_url, &compiled)
            .map_err(|e| format!("section page {page_url}: {e}"))?;
        if links.is_empty() {
            return Err(format!(
                "section page {page_url}: selectors.items `{selector}` matched no links"
            ));
        }
        let teasers = article::extract_teasers(&html, &page_url, &rules);
        if !teasers.is_empty() {
            polled.teasers.push((page_url.clone(), teasers));
        }
        let items = links
            .into_iter()
            .map(|link| Item {
                title: String::new(),
                link: Some(link),
                ..Item::default()
            })
            .collect();
        // Section links carry no text of their own: each becomes an item from its page.
        let mut source = polled.source.clone();
        source.follow_links = true;
        let saved = std::mem::replace(&mut polled.source, source);
        let items = follow_links(ctx, polled, items).await;
        polled.source = saved;
        let items: Vec<Incoming> = items
            .into_iter()
            .filter(|i| !i.item.title.is_empty())
            .collect();
        return Ok(Delivered::Items { items, ttl: None });
    }
    let (article, teasers) = tokio::task::spawn_blocking({
        let page_url = page_url.clone();
        move || {
            let article = article::extract_article(&html, &page_url, &rules);
            let teasers = match &article {
                Ok(a) => a.teasers.clone(),
                Err(_) => article::extract_teasers(&html, &page_url, &rules),
            };
            (article, teasers)
        }
    })
    .await
    .map_err(|e| format!("extractor crashed: {e}"))?;
    if !teasers.is_empty() {
        polled.teasers.push((page_url.clone(), teasers));
    }
    let article = article.map_err(|e| format!("page {page_url}: {e}"))?;
    let link = article.canonical.clone().unwrap_or(page_url);
    let item = item_from_article(link, &article);
    Ok(Delivered::Items {
        items: vec![Incoming::new(item, Some(article.body_text))],
        ttl: None,
    })
}

fn item_from_article(link: Url, article: &crate::model::Article) -> Item {
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

fn extract_rules(config: &Config, source: &SourceConfig) -> Result<ExtractRules, String> {
    ExtractRules::new(
        source.selectors.body.as_deref(),
        source.selectors.teasers.as_deref(),
        source.selectors.byline.as_deref(),
        config.teasers.labels.clone(),
    )
    .map_err(|e| e.to_string())
}

/// With `follow_links`, fetches the article page of each item the store does not know yet
/// (at most `follow_links_max` a cycle) and enriches the item from it; the item's identity
/// (guid, link) stays as the feed gave it.
async fn follow_links(ctx: &Context, polled: &mut Polled, items: Vec<Item>) -> Vec<Incoming> {
    if !polled.source.follow_links {
        return items
            .into_iter()
            .map(|item| Incoming::new(item, None))
            .collect();
    }
    let rules = match extract_rules(&ctx.config, &polled.source) {
        Ok(r) => r,
        Err(e) => {
            polled.warnings.push(format!("follow_links: {e}"));
            return items
                .into_iter()
                .map(|item| Incoming::new(item, None))
                .collect();
        }
    };
    let cap = polled.source.follow_links_max;
    let source_id = polled.source.id.clone();
    let mut to_follow = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if to_follow.len() >= cap {
            break;
        }
        let Some(link) = &item.link else { continue };
        if link.scheme() != "http" && link.scheme() != "https" {
            continue;
        }
        if ctx.store.is_known(&source_id, item).unwrap_or(false) {
            continue;
        }
        to_follow.push((i, link.clone()));
    }
    let fetches = futures_util::stream::iter(to_follow.into_iter().map(|(i, link)| {
        let rules = rules.clone();
        async move {
            let fetched = ctx
                .fetcher
                .get(&link, &Validators::default(), Origin::Content)
                .await;
            let result = match fetched {
                Ok(Fetched::Body(body)) => {
                    let url = body.final_url.clone();
                    tokio::task::spawn_blocking(move || {
                        let article = article::extract_article(&body.bytes, &url, &rules);
                        let teasers = match &article {
                            Ok(a) => a.teasers.clone(),
                            Err(_) => article::extract_teasers(&body.bytes, &url, &rules),
                        };
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
    .buffer_unordered(ctx.config.poll.concurrency.min(4));
    let results: Vec<_> = fetches.collect().await;
    let mut incoming: Vec<Incoming> = items
        .into_iter()
        .map(|item| Incoming::new(item, None))
        .collect();
    for (i, link, (article, teasers)) in results {
        polled.pages_followed += 1;
        if !teasers.is_empty() {
            polled.teasers.push((link.clone(), teasers));
        }
        match article {
            Ok(article) => {
                let target = &mut incoming[i];
                enrich_item(&mut target.item, &article);
                if !article.body_text.trim().is_empty() {
                    target.full_text = Some(article.body_text);
                }
            }
            Err(e) => polled.warnings.push(format!("page {link}: {e}")),
        }
    }
    incoming
}

/// Adds what the article page knows to a feed item; the feed's own fields win where set.
fn enrich_item(item: &mut Item, article: &crate::model::Article) {
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

/// Stores one source's result and its new poll state, in that order.
fn store_polled(ctx: &Context, polled: Polled) -> Result<SourceReport, CycleError> {
    let Polled {
        source,
        mut state,
        status,
        result,
        started,
        mut warnings,
        pages_followed,
        teasers,
        partial_failure,
    } = polled;
    let now = Utc::now();
    let mut ttl = None;
    let mut changed = false;
    let (outcome, ok) = match result {
        Ok(Delivered::NotModified) => (SourceOutcome::NotModified, true),
        Ok(Delivered::Unchanged) => (SourceOutcome::Unchanged, true),
        Ok(Delivered::Items { items, ttl: t }) => {
            ttl = t;
            let count = items.len();
            let ingest: IngestReport = ctx.store.ingest(&source.id, &source.tags, items, now)?;
            changed = ingest.changed();
            (
                SourceOutcome::Ingested {
                    items: count,
                    new: ingest.new,
                    updated: ingest.updated,
                    duplicates: ingest.duplicates,
                },
                true,
            )
        }
        Err(reason) => (SourceOutcome::Failed(reason), false),
    };
    let (outcome, ok) = match partial_failure {
        Some(reason) => (SourceOutcome::Failed(reason), false),
        None => (outcome, ok),
    };
    for (page, page_teasers) in &teasers {
        ctx.store
            .record_teasers(&source.id, page, page_teasers, now)?;
    }
    state.last_poll = Some(now);
    state.last_status = status;
    if ok {
        state.consecutive_failures = 0;
        state.last_success = Some(now);
        state.last_error = None;
        if let SourceOutcome::Ingested { new, .. } = outcome {
            state.new_items = new as u64;
        } else {
            state.new_items = 0;
        }
    } else {
        state.consecutive_failures += 1;
        if let SourceOutcome::Failed(reason) = &outcome {
            state.last_error = Some(reason.clone());
        }
        // A failed 200 must be read again next time, not skipped as unchanged.
        state.body_hash = None;
    }
    if let Some(ttl) = ttl {
        let secs = ttl.as_secs().max(state.min_interval_secs.unwrap_or(0));
        state.min_interval_secs = Some(secs);
    }
    let next = next_poll(now, &ctx.config, &source, &state, &mut rand::rng());
    state.next_poll = Some(next);
    ctx.store.set_source_state(&source.id, &state)?;
    let report = SourceReport {
        id: source.id.clone(),
        status,
        outcome,
        duration: started.elapsed(),
        pages_followed,
        warnings: std::mem::take(&mut warnings),
        next_poll: next,
        consecutive_failures: state.consecutive_failures,
        changed,
    };
    log_source(&report);
    Ok(report)
}

fn log_source(r: &SourceReport) {
    let ms = r.duration.as_millis() as u64;
    let status = r
        .status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "-".into());
    match &r.outcome {
        SourceOutcome::Failed(reason) => tracing::warn!(
            source = %r.id, status = %status, failures = r.consecutive_failures, ms,
            "source failed: {reason}"
        ),
        SourceOutcome::NotModified => {
            tracing::info!(source = %r.id, status = %status, new = 0, ms, "not modified")
        }
        SourceOutcome::Unchanged => {
            tracing::info!(source = %r.id, status = %status, new = 0, ms, "unchanged body")
        }
        SourceOutcome::Ingested {
            items,
            new,
            updated,
            duplicates,
        } => tracing::info!(
            source = %r.id, status = %status, items, new, updated, duplicates, pages = r.pages_followed, ms,
            "polled"
        ),
    }
    for w in &r.warnings {
        tracing::warn!(source = %r.id, "{w}");
    }
}

/// When a source is polled next: its interval (raised to the source's own hints, up to
/// `max_interval`), or an exponential backoff when it fails; both with ±10 % jitter so
/// sources do not fall into step.
pub fn next_poll(
    now: DateTime<Utc>,
    config: &Config,
    source: &SourceConfig,
    state: &SourceState,
    rng: &mut impl Rng,
) -> DateTime<Utc> {
    let interval = source.interval.unwrap_or(config.poll.interval);
    let hint = state
        .min_interval_secs
        .map(Duration::from_secs)
        .unwrap_or_default()
        .min(config.poll.max_interval);
    let mut delay = interval.max(hint);
    if state.consecutive_failures > 0 {
        let base = interval
            .min(Duration::from_secs(60))
            .max(Duration::from_secs(10));
        let exp = 2u32.saturating_pow(state.consecutive_failures.saturating_sub(1).min(20));
        delay = base
            .saturating_mul(exp)
            .min(config.poll.max_backoff)
            .max(hint);
    }
    let jitter = rng.random_range(0.9..1.1);
    let delay = delay.mul_f64(jitter);
    now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1))
}

fn body_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..32].to_string()
}

/// Files rewritten by a publish, and the item count of each output feed.
pub type Published = (Vec<PathBuf>, Vec<(String, usize)>);

/// Renders every configured output and writes those whose bytes changed, plus index.opml;
/// removes the files of feeds that are no longer configured.
pub fn publish_all(
    config: &Config,
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Published, CycleError> {
    let dir = &config.feeds_dir;
    std::fs::create_dir_all(dir).map_err(|source| CycleError::Publish {
        path: dir.clone(),
        source,
    })?;
    let skew = chrono::Duration::from_std(config.dedup.clock_skew).unwrap_or_default();
    let mut written = Vec::new();
    let mut counts = Vec::new();
    let mut metas = Vec::new();
    let mut summaries = Vec::new();
    let site = publish::Site {
        name: config.site.name.clone(),
        lang: config.lang.clone(),
        strings: config.site.strings.clone(),
    };
    let item_feeds: Vec<_> = config
        .feeds
        .iter()
        .filter(|f| f.from == FeedFrom::Items)
        .collect();
    // One pass over the stories, newest first, feeds filling up until each has its limit.
    let mut selected: Vec<Vec<Story>> = vec![Vec::new(); item_feeds.len()];
    // The time an empty Atom feed reports: the newest story known, else now.
    let mut newest_known = None;
    if !item_feeds.is_empty() {
        for story in store.stories_newest_first() {
            let story = story?;
            newest_known.get_or_insert(story.date().min(now));
            let mut all_full = true;
            for (i, feed) in item_feeds.iter().enumerate() {
                if selected[i].len() < feed.limit {
                    if crate::curate::story_matches(feed, &story, now, skew) {
                        selected[i].push(story.clone());
                    }
                    all_full &= selected[i].len() >= feed.limit;
                }
            }
            if all_full {
                break;
            }
        }
    }
    let mut selected = selected.into_iter();
    for feed in &config.feeds {
        let entries: Vec<Entry> = match feed.from {
            FeedFrom::Items => selected
                .next()
                .unwrap_or_default()
                .iter()
                .map(Entry::from_story)
                .collect(),
            FeedFrom::Teasers => {
                let tags_of = |id: &str| {
                    config
                        .source(id)
                        .map(|s| s.tags.clone())
                        .unwrap_or_default()
                };
                let teasers = crate::curate::select_teasers(feed, store.teasers()?, &tags_of, now);
                let mut entries = Vec::with_capacity(teasers.len());
                for t in &teasers {
                    let story = match &t.story {
                        Some(id) => store.story(id)?,
                        None => match t.link.as_deref().and_then(|l| Url::parse(l).ok()) {
                            Some(link) => store.story_by_link(&link)?,
                            None => None,
                        },
                    };
                    entries.push(Entry::from_teaser(t, story.as_ref()));
                }
                entries
            }
        };
        let mut entries = entries;
        if config.strip_tracking {
            entries.iter_mut().for_each(Entry::strip_tracking);
        }
        let meta = FeedMeta {
            id: feed.id.clone(),
            title: feed.title.clone(),
            description: feed.description.clone(),
            base_url: config.base_url.clone(),
            lang: feed.lang.clone().or(config.lang.clone()),
            hubs: config.websub_hubs.iter().map(|u| u.to_string()).collect(),
            author: config.site.author.clone(),
            empty_updated: Some(newest_known.unwrap_or(now)),
            // No XSLT: Chromium warns over every page that uses it and is removing it;
            // browsers get `<id>.html` instead (served for the feed URL by `serve`).
            stylesheet: None,
        };
        counts.push((feed.id.clone(), entries.len()));
        summaries.push(publish::FeedSummary {
            meta: meta.clone(),
            items: entries.len(),
            newest: entries.iter().map(|e| e.published).max(),
        });
        for (ext, bytes) in [
            ("rss", publish::render_rss(&meta, &entries)),
            ("atom", publish::render_atom(&meta, &entries)),
            ("json", publish::render_json(&meta, &entries)),
            ("html", publish::render_feed_page(&site, &meta, &entries)),
        ] {
            let path = dir.join(format!("{}.{ext}", feed.id));
            if publish::write_if_changed(&path, &bytes).map_err(|source| CycleError::Publish {
                path: path.clone(),
                source,
            })? {
                written.push(path);
            }
        }
        metas.push(meta);
    }
    // New outputs no longer name `feed.xsl`; it stays beside them for copies that readers
    // and caches still hold from earlier versions.
    let xsl = dir.join("feed.xsl");
    if publish::write_if_changed(&xsl, crate::serve::FEED_XSL.as_bytes()).map_err(|source| {
        CycleError::Publish {
            path: xsl.clone(),
            source,
        }
    })? {
        written.push(xsl);
    }
    let opml = dir.join("index.opml");
    if publish::write_if_changed(&opml, &publish::render_opml(&metas)).map_err(|source| {
        CycleError::Publish {
            path: opml.clone(),
            source,
        }
    })? {
        written.push(opml);
    }
    let index = dir.join("index.html");
    let page = publish::render_index_page(&site, &summaries, true);
    if publish::write_if_changed(&index, &page).map_err(|source| CycleError::Publish {
        path: index.clone(),
        source,
    })? {
        written.push(index);
    }
    remove_unconfigured(config, &mut written)?;
    Ok((written, counts))
}

/// Deletes outputs of feeds removed from config.yaml, so readers stop getting stale copies.
fn remove_unconfigured(config: &Config, written: &mut Vec<PathBuf>) -> Result<(), CycleError> {
    let dir = &config.feeds_dir;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let (Some(stem), Some(ext)) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        if !matches!(ext, "rss" | "atom" | "json" | "html")
            || !crate::config::is_safe_id(stem)
            || stem == "index"
        {
            continue;
        }
        if config.feed(stem).is_none() {
            std::fs::remove_file(&path).map_err(|source| CycleError::Publish {
                path: path.clone(),
                source,
            })?;
            tracing::info!(file = %path.display(), "removed output of a feed no longer in config.yaml");
            written.push(path);
        }
    }
    Ok(())
}
