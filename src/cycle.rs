//! One poll-and-publish cycle: poll the due sources (at most `poll.concurrency` at once),
//! store what is new in one ordered pass, expire old stories, flush, and publish every
//! output that changed. Only orchestration: the work lives in `source`, `store`,
//! `schedule`, `curate` and `publish`.

use crate::config::{Config, SourceConfig};
use crate::curate;
use crate::publish::{self, PublishError};
use crate::schedule;
use crate::source::fetch::Fetcher;
use crate::source::{Delivered, Delivery, Poller};
use crate::store::{SourceState, Store, StoreError};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::report::{CycleReport, SourceOutcome, SourceReport, StageTimes};

/// Everything a cycle works with.
#[derive(Clone)]
pub struct Context {
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub fetcher: Arc<Fetcher>,
    /// Called after each source is stored (progress display).
    pub on_source: Option<SourceHook>,
}

/// A callback with each source's report as the cycle goes.
pub type SourceHook = Arc<dyn Fn(&SourceReport) + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Publish(#[from] PublishError),
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
    let poller = Poller {
        config: &ctx.config,
        fetcher: &ctx.fetcher,
        store: &ctx.store,
    };
    let preparing = tokio::sync::Semaphore::new(prepare_threads());
    let polls = futures_util::stream::iter(
        sources
            .iter()
            .map(|source| poll_source(&poller, &preparing, source)),
    )
    // Fetched concurrently, stored in config order: which copy of a story is "first
    // seen" then does not depend on network timing, and a rebuilt store gives the
    // same result.
    .buffered(ctx.config.poll.concurrency);
    let stored = store_pass(ctx, polls).await?;
    let mut changed = force_publish || stored.changed;
    let store_time = stored.busy;
    report.sources = stored.reports;
    report.stage_times.fetch_parse = started.elapsed().saturating_sub(store_time);
    report.stage_times.store = store_time;
    let now = Utc::now();
    let t = Instant::now();
    tokio::task::block_in_place(|| -> Result<(), CycleError> {
        let max_age = chrono::Duration::from_std(ctx.config.retention.max_age)
            .unwrap_or(chrono::Duration::days(30));
        report.expired = ctx.store.expire(now - max_age)?;
        if report.expired > 0 {
            ctx.store.forget_notes()?;
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
            let curated = curate::select_all(&ctx.config, &ctx.store, now)?;
            let published = publish::publish_all(&ctx.config, &curated, now)?;
            report.published = published.written;
            report.feed_items = published.feed_items;
            report.stage_times.publish = t.elapsed();
        }
        Ok(())
    })?;
    report.sources.sort_by(|a, b| a.id.cmp(&b.id));
    let times = &report.stage_times;
    let (new_stories, copies) = report
        .sources
        .iter()
        .fold((0, 0), |(n, c), s| match s.outcome {
            SourceOutcome::Ingested {
                new, duplicates, ..
            } => (n + new, c + duplicates),
            _ => (n, c),
        });
    tracing::debug!(
        new_stories,
        copies,
        fetch_parse_ms = times.fetch_parse.as_millis() as u64,
        store_ms = times.store.as_millis() as u64,
        flush_ms = times.flush.as_millis() as u64,
        publish_ms = times.publish.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "cycle stages"
    );
    Ok(report)
}

/// What the store pass of a cycle did.
#[derive(Default)]
struct Stored {
    reports: Vec<SourceReport>,
    changed: bool,
    /// Time spent storing, not waiting for deliveries.
    busy: Duration,
}

/// Stores the deliveries as they come, in their order, on a thread of its own, while the
/// runtime goes on fetching and parsing the next sources: storing one source used to stop
/// every fetch until it was done, so a cold cycle cost the fetch time plus the store time
/// instead of the larger of the two. At most one delivery waits in between, so memory stays
/// bounded by the fetch concurrency.
async fn store_pass(
    ctx: &Context,
    polls: impl futures_util::Stream<Item = Polled>,
) -> Result<Stored, CycleError> {
    let mut pass = StorePass::start(ctx.clone());
    let mut polls = std::pin::pin!(polls);
    while let Some(polled) = polls.next().await {
        if !pass.send(polled).await {
            break; // the store thread stopped on an error, returned below
        }
    }
    pass.finish().await
}

/// The store thread of one cycle. Dropped before it finished (the cycle was cancelled by a
/// signal), it stores no further delivery and waits for the one in hand, so the flush at
/// shutdown comes after the last write.
struct StorePass {
    deliveries: Option<tokio::sync::mpsc::Sender<Polled>>,
    done: Option<tokio::sync::oneshot::Receiver<Result<Stored, CycleError>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StorePass {
    fn start(ctx: Context) -> StorePass {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Polled>(1);
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("wirefeed-store".into())
            .spawn(move || {
                let mut stored = Stored::default();
                let mut run = || -> Result<(), CycleError> {
                    while let Some(polled) = rx.blocking_recv() {
                        if stopped.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        let t = Instant::now();
                        let source_report = store_delivery(&ctx, polled)?;
                        stored.busy += t.elapsed();
                        stored.changed |= source_report.changed;
                        crate::report::log_source(&source_report);
                        if let Some(hook) = &ctx.on_source {
                            hook(&source_report);
                        }
                        stored.reports.push(source_report);
                    }
                    Ok(())
                };
                let result = run().map(|()| stored);
                let _ = done_tx.send(result);
            })
            .expect("the store thread starts");
        StorePass {
            deliveries: Some(tx),
            done: Some(done_rx),
            stop,
            thread: Some(thread),
        }
    }

    /// Hands a delivery over; false once the store thread has stopped.
    async fn send(&mut self, polled: Polled) -> bool {
        match &self.deliveries {
            Some(tx) => tx.send(polled).await.is_ok(),
            None => false,
        }
    }

    /// Waits for the store thread to store what it was given.
    async fn finish(mut self) -> Result<Stored, CycleError> {
        self.deliveries = None;
        let done = self.done.take().expect("finish runs once");
        let result = done.await;
        let thread = self.thread.take().expect("finish runs once");
        match result {
            // It has sent its result: it is ending.
            Ok(stored) => {
                let _ = thread.join();
                stored
            }
            // It ended without a result: it panicked, and so does the cycle, as it did when
            // it stored on this thread.
            Err(_) => match thread.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => unreachable!("the store thread always sends its result"),
            },
        }
    }
}

impl Drop for StorePass {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.deliveries = None;
        if let Some(thread) = self.thread.take() {
            // At most the delivery in hand: the thread stores nothing after it.
            let _ = thread.join();
        }
    }
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

/// How many sources' items are prepared at once: one core fewer than the machine has, so
/// the store thread, the cycle's serial path, keeps a core while the fetched sources ahead
/// of it are prepared (eight preparing threads at once, as many as fetches, left it
/// runnable but waiting for much of a cold cycle).
fn prepare_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

/// Polls one source, then computes its items' dedup keys: pure CPU work, done here beside
/// the store pass so that the store's one-source-at-a-time pass only looks up and writes.
async fn poll_source(
    poller: &Poller<'_>,
    preparing: &tokio::sync::Semaphore,
    source: &SourceConfig,
) -> Polled {
    let started = Instant::now();
    let state = poller.store.source_state(&source.id).unwrap_or_default();
    let mut delivery = poller.poll(source, &state).await;
    if let Ok(Delivered::Items { items, .. }) = &mut delivery.result {
        let mut taken = std::mem::take(items);
        let rules = poller.config.wire.clone();
        // Held until the items are prepared. The semaphore is never closed, so acquiring
        // only waits.
        let _permit = preparing.acquire().await;
        let prepared = tokio::task::spawn_blocking(move || {
            // Marked first: a correction prefix leaves the title before it is fingerprinted.
            taken.iter_mut().for_each(|i| {
                i.mark(&rules);
                i.prepare();
            });
            taken
        })
        .await;
        match prepared {
            Ok(prepared) => *items = prepared,
            Err(e) => {
                delivery.result = Err(crate::source::SourceError::crashed("preparing items", e))
            }
        }
    }
    Polled {
        // Owned: the delivery goes to the store thread.
        source: source.clone(),
        state,
        delivery,
        started,
    }
}

/// A source's delivery with the poll state it was read against.
struct Polled {
    source: SourceConfig,
    state: SourceState,
    delivery: Delivery,
    started: Instant,
}

/// Stores one source's delivery and then its new poll state, in that order: validators
/// written before the stories they cover could skip those stories after a crash.
fn store_delivery(ctx: &Context, polled: Polled) -> Result<SourceReport, CycleError> {
    let Polled {
        source,
        mut state,
        delivery,
        started,
    } = polled;
    let now = Utc::now();
    let mut ttl = None;
    let mut changed = false;
    let mut late_versions = 0;
    let outcome = match delivery.result {
        Ok(Delivered::NotModified) => SourceOutcome::NotModified,
        Ok(Delivered::Unchanged) => SourceOutcome::Unchanged,
        Ok(Delivered::Items { items, ttl: t }) => {
            ttl = t;
            let count = items.len();
            let ingest = ctx.store.ingest(&source.id, &source.tags, items, now)?;
            changed = ingest.changed();
            late_versions = ingest.late;
            SourceOutcome::Ingested {
                items: count,
                new: ingest.new,
                updated: ingest.updated,
                duplicates: ingest.duplicates,
            }
        }
        Err(reason) => SourceOutcome::Failed(reason),
    };
    let outcome = match delivery.partial_failure {
        Some(reason) => SourceOutcome::Failed(reason),
        None => outcome,
    };
    for (page, teasers) in &delivery.teasers {
        ctx.store.record_teasers(&source.id, page, teasers, now)?;
    }
    let poll = schedule::Poll {
        status: delivery.status,
        freshness: &delivery.freshness,
        outcome: &outcome,
        ttl,
    };
    schedule::record_poll(&mut state, &poll, now);
    let next = schedule::next_poll(now, &ctx.config.poll, &source, &state, &mut rand::rng());
    state.next_poll = Some(next);
    state.late_versions += late_versions as u64;
    ctx.store.set_source_state(&source.id, &state)?;
    Ok(SourceReport {
        id: source.id.clone(),
        status: delivery.status,
        outcome,
        duration: started.elapsed(),
        pages_followed: delivery.pages_followed,
        warnings: delivery.warnings,
        next_poll: next,
        consecutive_failures: state.consecutive_failures,
        changed,
        late_versions,
    })
}
