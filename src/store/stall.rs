//! A watch on the store's writes into sled, for a deadlock of sled 0.34.7's own
//! (spacejam/sled#1412, open upstream): a write that needs a fresh log segment waits, under
//! sled's segment lock, for a file truncation queued on sled's IO thread pool, while every
//! thread of that pool waits for the same lock. The pool would start another thread, but it
//! counts its idle threads down by one for every task running, so with all of them blocked
//! it believes it has plenty: the write never returns. Seen once here, building a store of
//! 10,000 stories in the store bench on a host that stole much of its CPU; a cron run would
//! hang holding the store's lock, and a daemon would stop polling while its watchdog kept
//! reporting it alive. Nothing outside sled can run the queued truncation.
//!
//! So the watch notes when each guarded write starts, reports one still running after
//! [`WARN_AFTER`], and ends the process with [`EXIT_STALLED`] once it has run for
//! [`GIVE_UP_AFTER`]: the store survives that like a kill -9, and cron's next run or the
//! service manager's restart carries on.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// How long one write into sled may take before the watch reports it. A healthy batch takes
/// milliseconds; a flush on a slow disk, seconds.
pub const WARN_AFTER: Duration = Duration::from_secs(10);
/// How long before the process gives up on a write and exits.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(120);
/// The exit status then (EX_TEMPFAIL: try again later).
pub const EXIT_STALLED: i32 = 75;

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
    warned: bool,
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
    Warn,
    GiveUp,
}

fn verdict(age: Duration, warned: bool) -> Verdict {
    if age >= GIVE_UP_AFTER {
        Verdict::GiveUp
    } else if age >= WARN_AFTER && !warned {
        Verdict::Warn
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

    /// Notes a write into sled (described by `what` in the report) until the guard drops.
    pub(super) fn enter(&self, what: &'static str) -> Guard {
        let mut ops = lock(&self.ops);
        let id = ops.next_id;
        ops.next_id += 1;
        ops.open.push(Op {
            id,
            what,
            since: Instant::now(),
            warned: false,
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
        let mut ops = lock(&ops);
        for op in &mut ops.open {
            let age = op.since.elapsed();
            match verdict(age, op.warned) {
                Verdict::Fine => {}
                Verdict::Warn => {
                    op.warned = true;
                    tracing::warn!(
                        write = op.what,
                        seconds = age.as_secs(),
                        give_up_after_s = GIVE_UP_AFTER.as_secs(),
                        "a write into the store has not returned (sled 0.34 can deadlock its \
                         own IO threads, spacejam/sled#1412)"
                    );
                }
                Verdict::GiveUp => {
                    tracing::error!(
                        write = op.what,
                        seconds = age.as_secs(),
                        "a write into the store has not returned; exiting so that the next \
                         run starts afresh (the store recovers as after a crash)"
                    );
                    eprintln!(
                        "wirefeed: the store's write ({}) has not returned for {} s; exiting \
                         with status {EXIT_STALLED}, the next run recovers the store",
                        op.what,
                        age.as_secs()
                    );
                    std::process::exit(EXIT_STALLED);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_is_reported_once_after_ten_seconds_and_given_up_after_two_minutes() {
        assert_eq!(verdict(Duration::from_millis(40), false), Verdict::Fine);
        assert_eq!(verdict(WARN_AFTER, false), Verdict::Warn);
        assert_eq!(verdict(WARN_AFTER * 2, true), Verdict::Fine);
        assert_eq!(verdict(GIVE_UP_AFTER, true), Verdict::GiveUp);
        assert_eq!(verdict(GIVE_UP_AFTER, false), Verdict::GiveUp);
    }

    #[test]
    fn a_finished_write_leaves_the_watch_and_the_watch_ends_with_the_store() {
        let watch = StallWatch::start();
        {
            let _a = watch.enter("a");
            let _b = watch.enter("b");
            assert_eq!(lock(&watch.ops).open.len(), 2);
        }
        assert!(lock(&watch.ops).open.is_empty());
        // The thread holds the list weakly: once the store (the watch) is gone, its loop
        // returns at the next look instead of running for the rest of the process.
        let ops = Arc::downgrade(&watch.ops);
        drop(watch);
        let started = Instant::now();
        super::watch(ops);
        assert!(started.elapsed() < TICK * 3);
    }
}
