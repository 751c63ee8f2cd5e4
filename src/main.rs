//! The `wirefeed` command line: `once`, `run`, `check` and `status`, with the exit codes
//! that cron, systemd and scripts rely on (0 ran, 1 store trouble, 2 invalid config).

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use wirefeed::config::{Config, ConfigError};
use wirefeed::cycle::SourceHook;
use wirefeed::report::{summarize, CycleReport, SourceOutcome};
use wirefeed::{daemon, editor, service};

#[derive(Parser)]
#[command(
    name = "wirefeed",
    version,
    about = "Polls news-agency sources, keeps every story once, publishes curated RSS, Atom and JSON feeds"
)]
struct Cli {
    /// The config file; relative paths in it resolve against its folder.
    #[arg(long, global = true, default_value = "config.yaml")]
    config: PathBuf,
    /// Report every source on stderr, not only failures.
    #[arg(long, short, global = true)]
    verbose: bool,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// One poll-and-publish cycle over the sources that are due, then exit.
    Once {
        /// Poll every source now, ignoring intervals and backoff.
        #[arg(long)]
        all: bool,
    },
    /// The daemon: polls each source at its own interval until SIGTERM.
    Run,
    /// Validate config.yaml: exit 0, or print every problem and exit 2.
    Check,
    /// Show every source and output feed: last poll, failures, next poll, items; and
    /// what was withdrawn or pinned.
    Status,
    /// Withdraw a story from every output (works while the daemon runs).
    Withdraw {
        /// The story's id (from `status` or a feed entry's guid) or its link.
        story: String,
        /// Why, for `status` and the feed pages' note.
        #[arg(long)]
        reason: String,
    },
    /// Pin a story to the top of one output feed for a time (works while the daemon runs).
    Pin {
        /// The story's id (from `status` or a feed entry's guid) or its link.
        story: String,
        /// The output feed's id in config.yaml.
        #[arg(long)]
        feed: String,
        /// How long: 30m, 2h, 1d.
        #[arg(long = "for", value_parser = pin_duration)]
        duration: std::time::Duration,
    },
    /// Undo a withdrawal or pins of a story (works while the daemon runs).
    Restore {
        /// The story's id (from `status` or a feed entry's guid) or its link.
        story: String,
    },
}

fn pin_duration(s: &str) -> Result<std::time::Duration, String> {
    wirefeed::config::parse_duration(s).map_err(|e| e.to_string())
}

fn init_logging(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WIREFEED_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("wirefeed={default_level},warn"))
    });
    // Under systemd the journal adds its own timestamps.
    let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match (format, under_journald) {
        (LogFormat::Json, _) => builder.json().init(),
        (LogFormat::Text, true) => builder.without_time().init(),
        (LogFormat::Text, false) => builder.init(),
    }
}

fn load_config(path: &std::path::Path) -> Result<Config, ExitCode> {
    Config::load(path).map_err(|e| {
        eprintln!("{e}");
        if let ConfigError::Invalid { problems, .. } = &e {
            eprintln!(
                "{} problem(s) in {}; wirefeed did not start",
                problems.len(),
                path.display()
            );
        }
        ExitCode::from(2)
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match (&cli.command, cli.verbose) {
        // --verbose shows the per-page reasons (no teaser section, …) logged at debug.
        (_, true) => "debug",
        (Command::Run, false) => "info",
        _ => "warn",
    };
    init_logging(cli.log_format, level);
    let config = match load_config(&cli.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Command::Check = cli.command {
        if cli.verbose {
            eprintln!(
                "{}: ok ({} sources, {} feeds)",
                cli.config.display(),
                config.sources.len(),
                config.feeds.len()
            );
        }
        return ExitCode::SUCCESS;
    }
    if let Command::Status = cli.command {
        return status(&config);
    }
    let now = chrono::Utc::now();
    let by_hand = match &cli.command {
        Command::Withdraw { story, reason } => Some(editor::Command::Withdraw {
            story: story.clone(),
            reason: reason.clone(),
        }),
        Command::Pin {
            story,
            feed,
            duration,
        } => Some(editor::Command::Pin {
            story: story.clone(),
            feed: feed.clone(),
            until: now + chrono::Duration::from_std(*duration).unwrap_or_default(),
        }),
        Command::Restore { story } => Some(editor::Command::Restore {
            story: story.clone(),
        }),
        _ => None,
    };
    if let Some(command) = by_hand {
        return by_hand_command(&config, &command);
    }
    let store = match daemon::open_store(&config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wirefeed: {e}");
            return ExitCode::from(1);
        }
    };
    // Parsing runs on blocking threads; a few are enough on a small machine, and each
    // thread that ever allocated keeps its own malloc arena (measured: +130 MiB at 30k items
    // with tokio's default of 512).
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(8)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wirefeed: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match cli.command {
        Command::Once { all } => match runtime.block_on(daemon::once(
            config.clone(),
            store,
            all,
            (cli.verbose && std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .then_some(&progress_bar as &dyn Fn(usize) -> SourceHook),
        )) {
            Ok(report) => {
                // Failures were already logged at warn level, one line per source.
                if cli.verbose {
                    print_summary(&report);
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("wirefeed: {e}");
                ExitCode::from(1)
            }
        },
        Command::Run => match runtime.block_on(run(config, store)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("wirefeed: {e}");
                ExitCode::from(1)
            }
        },
        _ => ExitCode::SUCCESS,
    }
}

/// A progress bar over the sources on the terminal (`once --verbose`).
fn progress_bar(sources: usize) -> SourceHook {
    let bar = indicatif::ProgressBar::new(sources as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} sources  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Arc::new(move |report| {
        bar.set_message(report.id.to_string());
        bar.inc(1);
        if bar.position() >= bar.length().unwrap_or(0) {
            bar.finish_and_clear();
        }
    })
}

/// The daemon with its service parts: metrics, status snapshot and, when configured, the
/// HTTP server for feed readers.
async fn run(config: Config, store: wirefeed::store::Store) -> anyhow::Result<()> {
    let service = Arc::new(service::Service::new(&config));
    let (stop_serving, serving_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = match (config.serve, &service.serve_state) {
        (Some(addr), Some(state)) => {
            let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
                anyhow::anyhow!("cannot serve on {addr} (config.yaml `serve`): {e}")
            })?;
            tracing::info!(address = %addr, "serving feeds over HTTP");
            let state = state.clone();
            Some(tokio::spawn(async move {
                let shutdown = async {
                    let _ = serving_stopped.await;
                };
                if let Err(e) = wirefeed::serve::serve(listener, state, shutdown).await {
                    tracing::error!("HTTP server stopped: {e}");
                }
            }))
        }
        _ => None,
    };
    let result = daemon::run(config, store, service).await;
    let _ = stop_serving.send(());
    if let Some(server) = server {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), server).await;
    }
    Ok(result?)
}

/// `withdraw`, `pin`, `restore`: applied here when no daemon holds the store, else handed to
/// the running daemon through its command spool.
fn by_hand_command(config: &Config, command: &editor::Command) -> ExitCode {
    let outcome = match daemon::open_store(config) {
        Ok(store) => {
            let applied = editor::apply_here(config, &store, command, chrono::Utc::now());
            // Closed, not dropped: an unchanged index image stays usable by the next start.
            if let Err(e) = store.close() {
                eprintln!("wirefeed: {e}");
                return ExitCode::from(1);
            }
            match applied {
                Ok(outcome) => outcome,
                Err(e) => {
                    eprintln!("wirefeed: {e}");
                    return ExitCode::from(1);
                }
            }
        }
        Err(wirefeed::store::StoreError::Locked { .. }) => {
            let dir = editor::spool_dir(config);
            let name = match editor::submit(&dir, command) {
                Ok(name) => name,
                Err(e) => {
                    eprintln!(
                        "wirefeed: the store is in use by a running wirefeed, and the command cannot be left for it in {}: {e}",
                        dir.display()
                    );
                    return ExitCode::from(1);
                }
            };
            match editor::wait_for_result(&dir, &name, std::time::Duration::from_secs(20)) {
                Some(outcome) => outcome,
                None => {
                    println!(
                        "queued for the running wirefeed ({}); it applies it after its current cycle",
                        dir.join(&name).display()
                    );
                    return ExitCode::SUCCESS;
                }
            }
        }
        Err(e) => {
            eprintln!("wirefeed: {e}");
            return ExitCode::from(1);
        }
    };
    if outcome.done {
        println!("{}", outcome.message);
        ExitCode::SUCCESS
    } else {
        eprintln!("wirefeed: {}", outcome.message);
        ExitCode::from(1)
    }
}

/// `wirefeed status`: from the store when no daemon holds it, else from the daemon's snapshot.
fn status(config: &Config) -> ExitCode {
    let now = chrono::Utc::now();
    let snapshot = match daemon::open_store(config) {
        Ok(store) => {
            let snapshot = wirefeed::status::build_snapshot(config, &store, now);
            // Closed, not dropped: the index image stays usable by the next start.
            if let Err(e) = store.close() {
                eprintln!("wirefeed: {e}");
            }
            snapshot
        }
        Err(wirefeed::store::StoreError::Locked { .. }) => {
            match wirefeed::status::read_snapshot(&wirefeed::status::snapshot_path(config)) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("wirefeed: the store is in use by a running wirefeed and {e}");
                    return ExitCode::from(1);
                }
            }
        }
        Err(e) => {
            eprintln!("wirefeed: {e}");
            return ExitCode::from(1);
        }
    };
    print!("{}", wirefeed::status::render_table(&snapshot, now));
    ExitCode::SUCCESS
}

fn print_summary(report: &CycleReport) {
    eprintln!(
        "{:<24} {:>6} {:>6} {:>8} {:>6}  result",
        "source", "status", "new", "updated", "dups"
    );
    for s in &report.sources {
        let status = s
            .status
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into());
        let (new, updated, dups, result) = match &s.outcome {
            SourceOutcome::Ingested {
                items,
                new,
                updated,
                duplicates,
            } => (*new, *updated, *duplicates, format!("{items} items")),
            SourceOutcome::NotModified => (0, 0, 0, "not modified".into()),
            SourceOutcome::Unchanged => (0, 0, 0, "unchanged".into()),
            SourceOutcome::Failed(reason) => (0, 0, 0, format!("FAILED: {reason}")),
        };
        eprintln!(
            "{:<24} {:>6} {:>6} {:>8} {:>6}  {result}",
            s.id, status, new, updated, dups
        );
    }
    eprintln!("{}", summarize(report));
}
