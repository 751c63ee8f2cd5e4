//! The daemon (`wirefeed run`) and the single cycle (`wirefeed once`): opening the store,
//! scheduling each source at its own interval, reloading config.yaml on SIGHUP or when the
//! file changes, and stopping cleanly on SIGTERM/SIGINT.

use crate::config::{Config, SourceConfig};
use crate::cycle::{self, Context};
use crate::report::{summarize, CycleReport, Observer};
use crate::schedule;
use crate::source::fetch::Fetcher;
use crate::status;
use crate::store::{dedup::NearDupConfig, Store, StoreError};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::signal::unix::{signal, SignalKind};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Cycle(#[from] cycle::CycleError),
    #[error("cannot set up: {0}")]
    Setup(String),
}

/// Opens the store named by the config, with the configured near-duplicate threshold.
pub fn open_store(config: &Config) -> Result<Store, StoreError> {
    if let Some(parent) = config.store.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let mut near = NearDupConfig::default();
    if let Some(t) = config.dedup.near_duplicate_threshold {
        near.threshold = t;
    }
    Store::open(&config.store, near)
}

fn context(config: Arc<Config>, store: Arc<Store>) -> Result<Context, RunError> {
    let fetcher = Fetcher::new(&config.poll).map_err(|e| RunError::Setup(e.to_string()))?;
    Ok(Context {
        config,
        store,
        fetcher: Arc::new(fetcher),
        on_source: None,
    })
}

/// Sources whose next poll is due (never polled counts as due).
pub fn due_sources(config: &Config, store: &Store, now: DateTime<Utc>) -> Vec<SourceConfig> {
    schedule::due(&config.sources, |id| store.source_state(id).ok(), now)
}

/// One cycle: the sources that are due (or all of them), then publish.
/// `progress` is told how many sources are due, and returns the hook called after each.
pub async fn once(
    config: Config,
    store: Store,
    all: bool,
    progress: Option<&dyn Fn(usize) -> cycle::SourceHook>,
) -> Result<CycleReport, RunError> {
    let config = Arc::new(config);
    let store = Arc::new(store);
    let mut ctx = context(config.clone(), store.clone())?;
    let sources = if all {
        config.sources.clone()
    } else {
        due_sources(&config, &store, Utc::now())
    };
    ctx.on_source = progress.map(|start| start(sources.len()));
    // Commands an editor left while another wirefeed held the store.
    crate::editor::apply_pending(&config, &store, Utc::now());
    let report = cycle::run(&ctx, &sources, true).await?;
    forget_removed_sources(&config, &store);
    store.flush()?;
    let snapshot = status::build_snapshot(&config, &store, Utc::now());
    if let Err(e) = status::write_snapshot(&status::snapshot_path(&config), &snapshot) {
        tracing::warn!("cannot write the status snapshot: {e}");
    }
    drop(ctx);
    close_store(store).await?;
    Ok(report)
}

/// Closes the store when this is its last holder, so the next start loads the index image
/// instead of rebuilding the index (see `Store::close`); on a blocking thread, as writing
/// the image of a large store takes seconds. A store still held elsewhere is only dropped:
/// it was flushed, and the next open rebuilds the index.
async fn close_store(store: Arc<Store>) -> Result<(), StoreError> {
    match Arc::try_unwrap(store) {
        Ok(store) => match tokio::task::spawn_blocking(move || store.close()).await {
            Ok(closed) => closed,
            Err(e) => {
                tracing::error!(
                    "closing the store crashed: {e}; the next start rebuilds the index"
                );
                Ok(())
            }
        },
        Err(store) => {
            tracing::warn!(
                holders = Arc::strong_count(&store),
                "the store is still held elsewhere: closed without an index image; the next start rebuilds the index"
            );
            Ok(())
        }
    }
}

/// Drops the poll state of sources no longer in the config.
fn forget_removed_sources(config: &Config, store: &Store) {
    if let Ok(ids) = store.source_ids() {
        for id in ids {
            if config.source(&id).is_none() {
                let _ = store.remove_source_state(&id);
            }
        }
    }
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Runs until SIGTERM or SIGINT. Each source is polled when due; after a cycle that changed
/// anything the outputs are published. SIGHUP, or a change of config.yaml on disk, reloads the
/// config; an invalid new config is logged and the old one keeps running.
pub async fn run(
    config: Config,
    store: Store,
    observer: Arc<dyn Observer>,
) -> Result<(), RunError> {
    return_large_blocks_when_freed();
    let config_path: PathBuf = config.path.clone();
    let mut store = Arc::new(store);
    let mut config = Arc::new(config);
    let mut ctx = context(config.clone(), store.clone())?;
    // After a store error (a full disk: sled refuses every write from then on) the store is
    // opened afresh before the next cycle, so the daemon recovers once space is freed.
    let mut reopen = false;
    let mut term = signal(SignalKind::terminate()).map_err(|e| RunError::Setup(e.to_string()))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| RunError::Setup(e.to_string()))?;
    let mut hup = signal(SignalKind::hangup()).map_err(|e| RunError::Setup(e.to_string()))?;
    let mut config_mtime = mtime(&config_path);
    let mut publish_next = true;
    observer.config_reloaded(&config);
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    // The watchdog is fed from its own task: a long cycle is not a hang, a stuck runtime is.
    let watchdog = tokio::spawn(async {
        let mut tick = tokio::time::interval(Duration::from_secs(15));
        loop {
            tick.tick().await;
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
        }
    });
    tracing::info!(
        sources = config.sources.len(),
        feeds = config.feeds.len(),
        "wirefeed running"
    );
    loop {
        if reopen {
            tokio::select! {
                opened = reopen_store(&config, store, ctx) => {
                    (store, ctx, reopen) = opened?;
                }
                _ = term.recv() => { tracing::info!("SIGTERM: stopping"); return Ok(()); }
                _ = int.recv() => { tracing::info!("SIGINT: stopping"); return Ok(()); }
            }
        }
        // Editors' commands (withdraw, pin, restore) wait in a spool beside the store.
        if crate::editor::apply_pending(&config, &store, Utc::now()) > 0 {
            publish_next = true;
        }
        let due = due_sources(&config, &store, Utc::now());
        if !due.is_empty() || publish_next {
            let cycle = cycle::run(&ctx, &due, publish_next);
            tokio::select! {
                report = cycle => {
                    match report {
                        Ok(report) => {
                            publish_next = false;
                            tracing::info!("{}", summarize(&report));
                            observer.cycle_finished(&config, &store, &report);
                            release_freed_memory();
                        }
                        Err(e) => {
                            tracing::error!("cycle failed: {e}; retrying");
                            observer.cycle_failed(&e.to_string());
                            reopen = matches!(e, cycle::CycleError::Store(_));
                            tokio::time::sleep(Duration::from_secs(5)).await;
                        }
                    }
                }
                _ = term.recv() => { tracing::info!("SIGTERM: stopping"); break; }
                _ = int.recv() => { tracing::info!("SIGINT: stopping"); break; }
            }
        }
        let wait = next_wake(&config, &store);
        let reload = tokio::select! {
            _ = tokio::time::sleep(wait) => {
                // The config file is watched by polling its mtime, which works on every
                // filesystem and under every editor's save strategy.
                let now_mtime = mtime(&config_path);
                if now_mtime != config_mtime {
                    config_mtime = now_mtime;
                    tracing::info!(file = %config_path.display(), "config file changed: reloading");
                    true
                } else {
                    false
                }
            }
            _ = hup.recv() => { tracing::info!("SIGHUP: reloading config"); config_mtime = mtime(&config_path); true }
            _ = term.recv() => { tracing::info!("SIGTERM: stopping"); break; }
            _ = int.recv() => { tracing::info!("SIGINT: stopping"); break; }
        };
        if reload {
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Reloading]);
            match Config::load(&config_path) {
                Ok(new) => {
                    if new.store != config.store {
                        tracing::warn!("the store path changed in config.yaml; it takes effect after a restart");
                    }
                    config = Arc::new(new);
                    match context(config.clone(), store.clone()) {
                        Ok(c) => ctx = c,
                        Err(e) => tracing::error!("{e}"),
                    }
                    forget_removed_sources(&config, &store);
                    observer.config_reloaded(&config);
                    publish_next = true;
                    tracing::info!(
                        sources = config.sources.len(),
                        feeds = config.feeds.len(),
                        "config reloaded"
                    );
                }
                Err(e) => {
                    for line in e.to_string().lines() {
                        tracing::error!("config not reloaded, keeping the running one: {line}");
                    }
                }
            }
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
        }
    }
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    watchdog.abort();
    // Every cycle flushed before it published, so a flush that fails here (a full disk)
    // loses nothing a reader saw: the sources are read again at the next start.
    drop(ctx);
    match close_store(store).await {
        Ok(()) => tracing::info!("store flushed and closed; stopped"),
        Err(e) => tracing::error!(
            "stopping without a final flush of the store ({e}); nothing published is lost, the sources are read again at the next start"
        ),
    }
    Ok(())
}

/// Closes the store (sled releases its lock and files when the last handle goes) and opens
/// it again, every 5 s until that works. Returns the new store, the context built on it,
/// and whether a reopen is still wanted (never: it waits until one succeeds).
async fn reopen_store(
    config: &Arc<Config>,
    store: Arc<Store>,
    ctx: Context,
) -> Result<(Arc<Store>, Context, bool), RunError> {
    drop(ctx);
    // After a store error a clean close may well fail (a full disk); the store is given up
    // either way, and without a token the next open rebuilds the index.
    if let Err(e) = close_store(store).await {
        tracing::warn!("closing the failed store: {e}");
    }
    loop {
        let attempt = {
            let config = config.clone();
            tokio::task::spawn_blocking(move || open_store(&config)).await
        };
        match attempt {
            Ok(Ok(store)) => {
                tracing::info!(store = %config.store.display(), "store opened again");
                let store = Arc::new(store);
                let ctx = context(config.clone(), store.clone())?;
                return Ok((store, ctx, false));
            }
            Ok(Err(e)) => tracing::error!("cannot open the store again: {e}; retrying in 5 s"),
            Err(e) => tracing::error!("opening the store crashed: {e}; retrying in 5 s"),
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

/// How long to sleep: until the next source is due, but at least 200 ms and at most 2 s so
/// that config changes and signals are noticed promptly.
fn next_wake(config: &Config, store: &Store) -> Duration {
    let now = Utc::now();
    let earliest = config
        .sources
        .iter()
        .filter_map(|s| store.source_state(&s.id).ok().and_then(|st| st.next_poll))
        .min();
    let wait = earliest
        .map(|t| (t - now).to_std().unwrap_or_default())
        .unwrap_or(Duration::from_secs(2));
    wait.clamp(Duration::from_millis(200), Duration::from_secs(2))
}

/// Gives the memory the cycle freed back to the system. glibc keeps what a thread frees in
/// that thread's arena for its next allocation, and a cycle runs on many threads (fetches,
/// parsing, preparing, encoding), so without this the daemon sits at the peak of its
/// busiest cycle until it stops, while between cycles it holds little more than the
/// store's index. Public so that the store bench's churn soak, which stands for a running
/// daemon, measures what the daemon holds between cycles.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only hands free pages back to the kernel; no live allocation is
    // touched.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Makes glibc hand every block of 128 KiB or more straight back to the kernel when it is
/// freed. glibc starts there but raises the threshold each time such a block is freed (up
/// to 32 MiB), after which sled's short-lived buffers of a few hundred KiB come from the
/// heap, between small blocks that live long, and leave holes `malloc_trim` cannot return:
/// a daemon's resident memory then creeps up cycle after cycle while the live store stays
/// the same size (the store bench's churn soak, README *Store at scale*). Mapping those
/// blocks costs some 6 % of a cycle's CPU time, which a long-running daemon pays for memory
/// that follows its store; `once` runs short and does not set it.
pub fn return_large_blocks_when_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt changes a tuning parameter under the allocator's own lock and touches
    // no allocation; blocks allocated before keep the way they were allocated.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
