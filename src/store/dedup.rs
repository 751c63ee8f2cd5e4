//! Duplicate detection: link normalization, exact fingerprints and near-duplicate signatures.
//! (Temporary stand-in while the real module is built on its own branch.)

use serde::{Deserialize, Serialize};
use url::Url;

pub fn normalize_link(url: &Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    u.to_string().trim_end_matches('/').to_string()
}

pub fn fingerprint(title: &str, text: &str) -> String {
    let norm: String = format!("{title} {text}")
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    blake3::hash(norm.as_bytes()).to_hex()[..32].to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature(pub Vec<u32>);

pub fn signature(_title: &str, _text: &str) -> Signature {
    Signature(vec![])
}

pub fn band_keys(_sig: &Signature) -> Vec<u64> {
    vec![]
}

#[derive(Debug, Clone)]
pub struct NearDupConfig {
    pub threshold: f64,
}

impl Default for NearDupConfig {
    fn default() -> Self {
        NearDupConfig { threshold: 0.7 }
    }
}

pub fn is_near_duplicate(_a: &Signature, _b: &Signature, _cfg: &NearDupConfig) -> bool {
    false
}
