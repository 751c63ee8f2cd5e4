//! Duplicate detection: link normalization, exact fingerprints and near-duplicate signatures.
