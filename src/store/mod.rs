//! Store stage: the sled database that keeps every story once, and its dedup rules.

pub mod dedup;
