//! A watch on the store's writes into sled, for a deadlock of sled 0.34.7's own
//! (spacejam/sled#1412, open upstream): a write that needs a fresh log segment waits, under
//! sled's segment lock, for a file truncation queued on sled's IO thread pool, while every
//! thread of that pool waits for the same lock. The pool starts another thread only when a
//! task is queued behind seven others, and no task comes: the write never returns. Seen
//! once here, building a store of 10,000 stories in the store bench on a host that stole
//! much of its CPU; a cron run would hang holding the store's lock, a daemon would stop
//! polling while its watchdog kept reporting it alive.
//!
//! The watch notes when each guarded write starts. A write still running after
//! [`NUDGE_AFTER`] is reported, and the pool is handed enough cheap tasks (asynchronous
//! flushes, polled once) for it to start a thread, which takes the queued truncation first
//! and so ends the wait. A write still running after [`GIVE_UP_AFTER`] ends the process
//! with [`EXIT_STALLED`]: the store survives that like a kill -9, and cron's next run or the
//! service manager's restart carries on.

use super::Sled;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// How long one write into sled may take before the watch reports it and nudges sled's IO
/// pool. A healthy batch takes milliseconds; a flush on a slow disk, seconds.
pub const NUDGE_AFTER: Duration = Duration::from_secs(10);
/// How long before the process gives up on a write and exits.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(300);
/// The exit status then (EX_TEMPFAIL: try again later).
pub const EXIT_STALLED: i32 = 75;

/// Tasks queued to make sled's pool start a thread: it does once more than seven wait.
const POOL_NUDGES: usize = 8;
/// How often the watch looks.
const TICK: Duration = Duration::from_secs(1);

/// The writes in progress of one store; a thread looks at them every [`TICK`] while the
/// store is open.
pub(super) struct StallWatch {
    ops: Arc<Mutex<Ops>>,
}

#[derive(Default)]
struct Ops {
    next_id: u64,
    open: Vec<Op>,
}

struct Op {
    id: u64,
    what: &'static str,
    since: Instant,
    sled: Weak<Sled>,
    nudged: bool,
}

/// A write in progress; dropping it ends it.
pub(super) struct Guard {
    ops: Arc<Mutex<Ops>>,
    id: u64,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let mut ops = lock(&self.ops);
        ops.open.retain(|op| op.id != self.id);
    }
}

fn lock(ops: &Mutex<Ops>) -> std::sync::MutexGuard<'_, Ops> {
    ops.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the watch does about one write in progress.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Fine,
    Nudge,
    GiveUp,
}

fn verdict(age: Duration, nudged: bool) -> Verdict {
    if age >= GIVE_UP_AFTER {
        Verdict::GiveUp
    } else if age >= NUDGE_AFTER && !nudged {
        Verdict::Nudge
    } else {
        Verdict::Fine
    }
}

impl StallWatch {
    /// Starts the watch's thread, which ends within a [`TICK`] of the watch being dropped.
    pub(super) fn start() -> StallWatch {
        let ops = Arc::new(Mutex::new(Ops::default()));
        let weak = Arc::downgrade(&ops);
        let spawned = std::thread::Builder::new()
            .name("wirefeed-stall".into())
            .spawn(move || watch(weak));
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not start the store's stall watch; writes are not watched");
        }
        StallWatch { ops }
    }

    /// Notes a write into `sled` (described by `what` in the report) until the guard drops.
    pub(super) fn enter(&self, what: &'static str, sled: &Arc<Sled>) -> Guard {
        let mut ops = lock(&self.ops);
        let id = ops.next_id;
        ops.next_id += 1;
        ops.open.push(Op {
            id,
            what,
            since: Instant::now(),
            sled: Arc::downgrade(sled),
            nudged: false,
        });
        Guard {
            ops: Arc::clone(&self.ops),
            id,
        }
    }
}

fn watch(ops: Weak<Mutex<Ops>>) {
    loop {
        std::thread::sleep(TICK);
        let Some(ops) = ops.upgrade() else { return };
        let mut to_nudge = Vec::new();
        {
            let mut ops = lock(&ops);
            for op in &mut ops.open {
                let age = op.since.elapsed();
                match verdict(age, op.nudged) {
                    Verdict::Fine => {}
                    Verdict::Nudge => {
                        op.nudged = true;
                        tracing::warn!(
                            write = op.what,
                            seconds = age.as_secs(),
                            "a write into the store has not returned; nudging sled's IO threads \
                             (a known sled 0.34 deadlock, spacejam/sled#1412)"
                        );
                        to_nudge.push(op.sled.clone());
                    }
                    Verdict::GiveUp => {
                        tracing::error!(
                            write = op.what,
                            seconds = age.as_secs(),
                            "a write into the store has not returned; exiting so that the next \
                             run starts afresh (the store recovers as after a crash)"
                        );
                        eprintln!(
                            "wirefeed: the store's write ({}) has not returned for {} s; \
                             exiting with status {EXIT_STALLED}, the next run recovers the store",
                            op.what,
                            age.as_secs()
                        );
                        std::process::exit(EXIT_STALLED);
                    }
                }
            }
        }
        for sled in to_nudge.iter().filter_map(Weak::upgrade) {
            nudge(&sled.db);
        }
    }
}

/// Queues cheap tasks on sled's IO pool until it starts a thread (see the module doc). Each
/// asynchronous flush queues its task when first polled; the flushes themselves then run
/// behind the truncation the pool owed.
fn nudge(db: &sled::Db) {
    use futures_util::FutureExt;
    for _ in 0..POOL_NUDGES {
        // Pending: the task is queued; the flush's result is not needed.
        let _ = db.flush_async().now_or_never();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_is_nudged_once_after_ten_seconds_and_given_up_after_five_minutes() {
        assert_eq!(verdict(Duration::from_millis(40), false), Verdict::Fine);
        assert_eq!(verdict(NUDGE_AFTER, false), Verdict::Nudge);
        assert_eq!(verdict(NUDGE_AFTER * 2, true), Verdict::Fine);
        assert_eq!(verdict(GIVE_UP_AFTER, true), Verdict::GiveUp);
        assert_eq!(verdict(GIVE_UP_AFTER, false), Verdict::GiveUp);
    }

    #[test]
    fn a_finished_write_leaves_the_watch_and_the_watch_thread_ends_with_it() {
        let watch = StallWatch::start();
        let dir = tempfile::tempdir().expect("temp dir");
        let sled = Arc::new(Sled::open_waiting(&dir.path().join("s"), 10).expect("sled"));
        {
            let _a = watch.enter("a", &sled);
            let _b = watch.enter("b", &sled);
            assert_eq!(lock(&watch.ops).open.len(), 2);
        }
        assert!(lock(&watch.ops).open.is_empty());
        // Nudging a healthy store queues flushes that simply run.
        nudge(&sled.db);
        sled.db.flush().expect("flush after a nudge");
        let ops = Arc::downgrade(&watch.ops);
        drop(watch);
        assert!(
            ops.upgrade().is_none(),
            "only the store holds the watch's list"
        );
    }
}
