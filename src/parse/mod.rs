//! Parsing stage: bytes in, items out. Nothing here touches the network, the store or a clock.

pub mod article;
pub mod feed;
pub mod teaser;
