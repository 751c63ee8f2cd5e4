//! wirefeed: polls news-agency sources, keeps every story once in a sled store and
//! publishes curated RSS 2.0, Atom 1.0 and JSON Feed outputs.
//!
//! The modules follow the pipeline: `source` (fetch over HTTP, read spool folders) →
//! `parse` (feed formats, article pages) → `store` (sled, deduplication) → `curate`
//! (output feed filters) → `publish` (rss, atom, json, opml; atomic writes) → `serve`
//! (HTTP for feed readers). `cycle` runs one poll-and-publish pass; `daemon` schedules them.

pub mod config;
pub mod curate;
pub mod cycle;
pub mod daemon;
pub mod editor;
pub mod lifecycle;
pub mod metrics;
pub mod model;
pub mod parse;
pub mod publish;
pub mod report;
pub mod schedule;
pub mod serve;
pub mod service;
pub mod source;
pub mod status;
pub mod store;
pub mod text;
pub mod websub;
