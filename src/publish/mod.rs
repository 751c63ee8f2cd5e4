//! Publish stage: renders output feeds and writes them atomically into `feeds_dir`.
