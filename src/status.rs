//! The status snapshot behind `wirefeed status`: the running daemon writes it after every
//! cycle, and the CLI reads it, because the daemon holds the store's lock and `status`
//! cannot open the store while it runs.
//!
//! The file is JSON, replaced atomically (temp file, fsync, rename) so a reader sees a
//! whole old or a whole new snapshot, never a torn one.

use crate::config::Config;
use crate::model::{SourceId, StoryId, WithdrawnBy};
use crate::publish::{count_items, OutputFormat};
use crate::store::Store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Everything `wirefeed status` shows, as of `written_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusSnapshot {
    pub written_at: DateTime<Utc>,
    /// The daemon's process id, so the user can tell a stale file from a live daemon.
    pub pid: u32,
    pub sources: Vec<SourceStatus>,
    pub feeds: Vec<FeedStatus>,
    /// Stories withdrawn (by the agency or by hand) or pinned, newest first.
    #[serde(default)]
    pub notes: Vec<NoteStatus>,
}

/// One withdrawal or pin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteStatus {
    pub story: StoryId,
    pub title: String,
    /// `withdrawn` or `pinned`.
    pub what: String,
    /// Done by an editor (`wirefeed withdraw`/`pin`), not by the agency.
    pub by_hand: bool,
    pub at: DateTime<Utc>,
    /// The reason of a withdrawal; the feed and end of a pin.
    pub detail: String,
}

/// The withdrawals and pins of the store's notes, newest first.
fn note_rows(store: &Store, now: DateTime<Utc>) -> Vec<NoteStatus> {
    let mut rows = Vec::new();
    for note in store.notes().unwrap_or_default() {
        if let Some(w) = &note.withdrawal {
            rows.push(NoteStatus {
                story: note.story.clone(),
                title: note.title.clone(),
                what: "withdrawn".into(),
                by_hand: w.by == WithdrawnBy::Editor,
                at: w.at,
                detail: w.reason.clone(),
            });
        }
        for pin in note.pins.iter().filter(|p| p.until > now) {
            rows.push(NoteStatus {
                story: note.story.clone(),
                title: note.title.clone(),
                what: "pinned".into(),
                by_hand: true,
                at: pin.at,
                detail: format!(
                    "on top of {} until {}",
                    pin.feed,
                    pin.until.format("%Y-%m-%d %H:%M UTC")
                ),
            });
        }
    }
    rows.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.story.cmp(&b.story)));
    rows
}

/// One source's polling state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceStatus {
    pub id: SourceId,
    /// What kind of source it is: `http` (a URL), `spool` (a folder of deliveries) or
    /// `file` (one local file); statuses are read differently for each.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub last_poll: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_success: Option<DateTime<Utc>>,
    /// The last poll's HTTP status; `None` for a network error or a spool folder.
    #[serde(default)]
    pub http_status: Option<u16>,
    /// New items the last poll brought.
    #[serde(default)]
    pub new_items: u64,
    /// Stories from this source in the store, when the daemon knows it cheaply.
    #[serde(default)]
    pub total_items: Option<u64>,
    #[serde(default)]
    pub consecutive_failures: u64,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub next_poll: Option<DateTime<Utc>>,
    /// Older versions of its stories that arrived late and were ignored, in all.
    #[serde(default)]
    pub late_versions: u64,
}

/// One output feed's publishing state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedStatus {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub items: u64,
    #[serde(default)]
    pub last_change: Option<DateTime<Utc>>,
}

/// Why a status snapshot could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error(
        "no status file at {0}: the daemon writes it after its first cycle; is `wirefeed run` running with the same config?"
    )]
    Missing(PathBuf),
    #[error("cannot read status file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("status file {path} is not a wirefeed status snapshot ({source}); it may be from another version, it is rewritten after the next cycle")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// Where the status snapshot of a store lives: beside the store folder, not inside it, so
/// that sled owns its folder alone.
pub fn snapshot_path(config: &Config) -> PathBuf {
    let mut name = config
        .store
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".status.json");
    config.store.with_file_name(name)
}

/// The status of every configured source and output, read from the store and feeds_dir.
pub fn build_snapshot(config: &Config, store: &Store, now: DateTime<Utc>) -> StatusSnapshot {
    let sources = config
        .sources
        .iter()
        .map(|s| {
            let st = store.source_state(&s.id).unwrap_or_default();
            SourceStatus {
                id: s.id.clone(),
                kind: Some(source_kind(s).to_string()),
                last_poll: st.last_poll,
                last_success: st.last_success,
                http_status: st.last_status,
                new_items: st.new_items,
                total_items: None,
                consecutive_failures: u64::from(st.consecutive_failures),
                last_error: st.last_error,
                next_poll: st.next_poll,
                late_versions: st.late_versions,
            }
        })
        .collect();
    let feeds = config
        .feeds
        .iter()
        .map(|f| {
            let (items, last_change) = feed_file_facts(config, &f.id);
            FeedStatus {
                id: f.id.clone(),
                title: f.title.clone(),
                items,
                last_change,
            }
        })
        .collect();
    StatusSnapshot {
        written_at: now,
        pid: std::process::id(),
        sources,
        feeds,
        notes: note_rows(store, now),
    }
}

/// `http`, `spool` (a folder) or `file`: how a source is read, so status views can show a
/// status that fits it (a spool folder has no HTTP status and no network errors).
pub fn source_kind(source: &crate::config::SourceConfig) -> &'static str {
    match &source.location {
        crate::config::SourceLocation::Http(_) => "http",
        crate::config::SourceLocation::Path(p) if p.is_dir() => "spool",
        crate::config::SourceLocation::Path(_) => "file",
    }
}

/// Items in a published feed and when its file last changed, read from its RSS file: the
/// count the publisher wrote, seen the same way by `status`, metrics and the index page.
pub fn feed_file_facts(config: &Config, feed_id: &str) -> (u64, Option<DateTime<Utc>>) {
    let path = OutputFormat::Rss.path(&config.feeds_dir, feed_id);
    let items = std::fs::read(&path).map(|b| count_items(&b)).unwrap_or(0);
    let changed = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .map(DateTime::<Utc>::from);
    (items, changed)
}

/// Writes the snapshot to `path` atomically: a temporary file beside it is written and
/// fsynced, then renamed over `path`, then the directory is fsynced so the rename lasts.
pub fn write_snapshot(path: &Path, s: &StatusSnapshot) -> io::Result<()> {
    let mut json = serde_json::to_vec_pretty(s).map_err(io::Error::other)?;
    json.push(b'\n');
    // The same atomic writer as the published feeds: temp file, fsync, rename, dir fsync.
    crate::publish::write_if_changed(path, &json).map(|_| ())
}

/// Reads a snapshot written by [`write_snapshot`].
pub fn read_snapshot(path: &Path) -> Result<StatusSnapshot, StatusError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(StatusError::Missing(path.to_path_buf()))
        }
        Err(source) => {
            return Err(StatusError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    serde_json::from_slice(&bytes).map_err(|source| StatusError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

/// A time relative to `now` for a terminal: "12s ago", "3m ago", "in 7m", "never".
pub fn relative_time(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(t) = t else {
        return "never".into();
    };
    let secs = (now - t).num_seconds();
    if secs.abs() < 5 {
        return "now".into();
    }
    let span = human_span(secs.unsigned_abs());
    if secs > 0 {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

fn human_span(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => {
            let (h, m) = (s / 3600, (s % 3600) / 60);
            if m == 0 || h >= 10 {
                format!("{h}h")
            } else {
                format!("{h}h{m}m")
            }
        }
        s => format!("{}d", s / 86_400),
    }
}

/// The snapshot as aligned plain-text tables: a line about the daemon, then sources,
/// then output feeds. Failing sources are marked so they stand out in a long list.
pub fn render_table(s: &StatusSnapshot, now: DateTime<Utc>) -> String {
    let mut out = format!(
        "status as of {} (written by wirefeed pid {})\n\n",
        relative_time(Some(s.written_at), now),
        s.pid
    );

    if s.sources.is_empty() {
        out.push_str("No sources.\n");
    } else {
        let mut rows = vec![[
            "SOURCE",
            "KIND",
            "STATE",
            "HTTP",
            "NEW",
            "TOTAL",
            "LATE",
            "FAILS",
            "LAST POLL",
            "LAST OK",
            "NEXT POLL",
            "LAST ERROR",
        ]
        .map(String::from)
        .to_vec()];
        for src in &s.sources {
            let state = if src.consecutive_failures > 0 {
                "FAILING"
            } else if src.last_poll.is_none() {
                "waiting"
            } else {
                "ok"
            };
            rows.push(vec![
                src.id.to_string(),
                src.kind.clone().unwrap_or_else(|| "-".into()),
                state.into(),
                src.http_status
                    .map_or_else(|| "-".into(), |c| c.to_string()),
                src.new_items.to_string(),
                src.total_items
                    .map_or_else(|| "-".into(), |n| n.to_string()),
                src.late_versions.to_string(),
                src.consecutive_failures.to_string(),
                relative_time(src.last_poll, now),
                relative_time(src.last_success, now),
                src.next_poll
                    .map_or_else(|| "-".into(), |t| relative_time(Some(t), now)),
                src.last_error
                    .as_deref()
                    .map_or_else(|| "-".into(), |e| one_line(e, 60)),
            ]);
        }
        push_table(&mut out, &rows, &[4, 5, 6, 7]);
    }
    out.push('\n');

    if s.feeds.is_empty() {
        out.push_str("No output feeds.\n");
    } else {
        let mut rows = vec![["FEED", "ITEMS", "CHANGED", "TITLE"]
            .map(String::from)
            .to_vec()];
        for f in &s.feeds {
            rows.push(vec![
                f.id.clone(),
                f.items.to_string(),
                relative_time(f.last_change, now),
                one_line(&f.title, 60),
            ]);
        }
        push_table(&mut out, &rows, &[1]);
    }
    if !s.notes.is_empty() {
        out.push('\n');
        let mut rows = vec![["STORY", "DONE", "BY", "WHEN", "TITLE", "WHY"]
            .map(String::from)
            .to_vec()];
        for n in &s.notes {
            rows.push(vec![
                n.story.to_string(),
                n.what.clone(),
                if n.by_hand { "hand" } else { "agency" }.into(),
                relative_time(Some(n.at), now),
                one_line(&n.title, 40),
                one_line(&n.detail, 120),
            ]);
        }
        push_table(&mut out, &rows, &[]);
    }
    out
}

/// Folds an error or title onto one line and cuts it to `max` characters, so one long
/// message cannot wreck the table.
fn one_line(s: &str, max: usize) -> String {
    let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= max {
        folded
    } else {
        let cut: String = folded.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// Appends rows padded to column width (counted in characters, so umlauts align);
/// columns listed in `right` are right-aligned (numbers). The last column is not padded.
fn push_table(out: &mut String, rows: &[Vec<String>], right: &[usize]) {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |v| v.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            let pad = widths[c].saturating_sub(cell.chars().count());
            if right.contains(&c) {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if c + 1 < cols {
                    line.push_str(&" ".repeat(pad));
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, h, m, s)
            .single()
            .unwrap()
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = t(12, 0, 0);
        assert_eq!(relative_time(None, now), "never");
        assert_eq!(relative_time(Some(t(12, 0, 2)), now), "now");
        assert_eq!(relative_time(Some(t(11, 59, 48)), now), "12s ago");
        assert_eq!(relative_time(Some(t(11, 57, 0)), now), "3m ago");
        assert_eq!(relative_time(Some(t(12, 7, 0)), now), "in 7m");
        assert_eq!(relative_time(Some(t(10, 30, 0)), now), "1h30m ago");
        assert_eq!(relative_time(Some(t(0, 0, 0)), now), "12h ago");
        let days = now - chrono::Duration::days(3);
        assert_eq!(relative_time(Some(days), now), "3d ago");
    }

    #[test]
    fn long_errors_are_cut_to_one_line() {
        let e = "connection refused\n  while fetching https://example.invalid/very/long/path/that/goes/on";
        let cut = one_line(e, 30);
        assert_eq!(cut.chars().count(), 30);
        assert!(cut.ends_with('…'));
        assert!(!cut.contains('\n'));
    }

    #[test]
    fn table_columns_align_with_umlauts() {
        let rows = vec![
            vec!["A".to_string(), "Überschrift".to_string(), "x".to_string()],
            vec!["Bäder".to_string(), "k".to_string(), "y".to_string()],
        ];
        let mut out = String::new();
        push_table(&mut out, &rows, &[]);
        let lines: Vec<&str> = out.lines().collect();
        let col3 = |l: &str| l.chars().position(|c| c == 'x' || c == 'y');
        assert_eq!(col3(lines[0]), col3(lines[1]));
    }
}
