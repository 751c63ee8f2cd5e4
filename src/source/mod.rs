//! Source stage: where deliveries come from — HTTP (feeds and article pages) and local
//! files or agency spool folders.

pub mod fetch;
pub mod spool;
