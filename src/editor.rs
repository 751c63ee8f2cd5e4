//! What an editor does by hand (`wirefeed withdraw`, `pin`, `restore`) and how it reaches
//! the store. A running daemon holds the store's lock, so the command line drops each
//! command as a file into a spool folder beside the store (`<store>.commands/`); the
//! daemon reads it within two seconds, applies it, publishes, and leaves the result
//! beside it for the command line to print. With no daemon running, the command line
//! applies the command itself and publishes at once.

use crate::config::Config;
use crate::store::{HandError, Store};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One action by hand. STORY is a story id (as in `status` or a feed entry's guid) or
/// its link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Command {
    Withdraw {
        story: String,
        reason: String,
    },
    Pin {
        story: String,
        feed: String,
        until: DateTime<Utc>,
    },
    Restore {
        story: String,
    },
}

/// What became of a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub done: bool,
    pub message: String,
}

/// Results older than this are removed by the daemon: their command line gave up waiting.
const RESULT_KEPT: Duration = Duration::from_secs(24 * 3600);

/// The command spool of a store: beside the store folder, like the status snapshot, so
/// that sled owns its folder alone.
pub fn spool_dir(config: &Config) -> PathBuf {
    let mut name = config
        .store
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".commands");
    config.store.with_file_name(name)
}

/// Applies one command to the store. A pin names a feed that must be configured.
pub fn apply(config: &Config, store: &Store, command: &Command, now: DateTime<Utc>) -> Outcome {
    let result = match command {
        Command::Withdraw { story, reason } => store.withdraw_by_hand(story, reason, now),
        Command::Pin { feed, .. } if config.feed(feed).is_none() => {
            return Outcome {
                done: false,
                message: format!(
                    "no output feed {feed:?} in {} (feeds: {})",
                    config.path.display(),
                    config
                        .feeds
                        .iter()
                        .map(|f| f.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
        }
        Command::Pin { story, feed, until } => store.pin(story, feed, *until, now),
        Command::Restore { story } => store.restore(story, now),
    };
    match result {
        Ok(done) => {
            tracing::info!(story = %done.story, title = %done.title, "by hand: {}", done.message);
            Outcome {
                done: true,
                message: format!("{} ({:?}): {}", done.story, done.title, done.message),
            }
        }
        Err(e @ (HandError::NotFound(_) | HandError::Withdrawn { .. })) => Outcome {
            done: false,
            message: e.to_string(),
        },
        Err(HandError::Store(e)) => Outcome {
            done: false,
            message: format!("not done: {e}"),
        },
    }
}

/// With no daemon running: applies the command, then publishes every output and rewrites
/// the status snapshot, so the change is visible at once.
pub fn apply_here(
    config: &Config,
    store: &Store,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Outcome, crate::cycle::CycleError> {
    let outcome = apply(config, store, command, now);
    if outcome.done {
        store.flush()?;
        let curated = crate::curate::select_all(config, store, now)?;
        crate::publish::publish_all(config, &curated, now)?;
        let snapshot = crate::status::build_snapshot(config, store, now);
        if let Err(e) =
            crate::status::write_snapshot(&crate::status::snapshot_path(config), &snapshot)
        {
            tracing::warn!("cannot write the status snapshot: {e}");
        }
    }
    Ok(outcome)
}

/// Drops a command into the spool for the running daemon: written under a hidden name and
/// renamed, so the daemon never reads half a command. Returns the command's file name.
pub fn submit(dir: &Path, command: &Command) -> io::Result<String> {
    std::fs::create_dir_all(dir)?;
    let name = format!(
        "{}-{}.json",
        Utc::now().format("%Y%m%dT%H%M%S%.6f"),
        std::process::id()
    );
    let tmp = dir.join(format!(".{name}.tmp"));
    let json = serde_json::to_vec_pretty(command).map_err(io::Error::other)?;
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, dir.join(&name))?;
    Ok(name)
}

fn result_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.result"))
}

/// Waits up to `timeout` for the daemon's result of a submitted command, and removes it.
pub fn wait_for_result(dir: &Path, name: &str, timeout: Duration) -> Option<Outcome> {
    let path = result_path(dir, name);
    let started = Instant::now();
    while started.elapsed() < timeout {
        if let Ok(bytes) = std::fs::read(&path) {
            if let Ok(outcome) = serde_json::from_slice::<Outcome>(&bytes) {
                let _ = std::fs::remove_file(&path);
                return Some(outcome);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// The daemon's side: applies every command waiting in the spool, oldest first, writes
/// each result and removes the command. Returns how many changed the store.
pub fn apply_pending(config: &Config, store: &Store, now: DateTime<Utc>) -> usize {
    let dir = spool_dir(config);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let mut names: Vec<String> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if name.ends_with(".json") {
            names.push(name);
        } else if name.ends_with(".result") {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age > RESULT_KEPT);
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    names.sort();
    let mut changed = 0;
    for name in names {
        let path = dir.join(&name);
        let outcome = match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<Command>(&b).map_err(|e| e.to_string()))
        {
            Ok(command) => apply(config, store, &command, now),
            Err(e) => Outcome {
                done: false,
                message: format!("command file {} cannot be read: {e}", path.display()),
            },
        };
        if !outcome.done {
            tracing::warn!(file = %name, "by hand: {}", outcome.message);
        }
        changed += usize::from(outcome.done);
        let json = serde_json::to_vec(&outcome).unwrap_or_default();
        if let Err(e) = crate::publish::write_if_changed(&result_path(&dir, &name), &json) {
            tracing::warn!(file = %name, "cannot write the result of a command: {e}");
        }
        // Removed even when it failed: a command that cannot be applied now will not be
        // applied later either, and must not be retried every two seconds.
        let _ = std::fs::remove_file(&path);
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_read_back_as_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let command = Command::Withdraw {
            story: "https://example.org/a".into(),
            reason: "Rechtliche Prüfung".into(),
        };
        let name = submit(dir.path(), &command).expect("submit");
        let bytes = std::fs::read(dir.path().join(&name)).expect("read");
        assert_eq!(
            serde_json::from_slice::<Command>(&bytes).expect("json"),
            command
        );
        assert!(
            std::fs::read_dir(dir.path())
                .expect("dir")
                .flatten()
                .all(|e| !e.file_name().to_string_lossy().ends_with(".tmp")),
            "no temporary file left"
        );
    }
}
