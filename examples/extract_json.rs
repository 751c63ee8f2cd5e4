//! Measurement helper (not used by the daemon): reads article pages with wirefeed's extractor
//! and prints one JSON object per page, for `scripts/measure-articles.py`.
//!
//! Input on stdin, one page per line: `PATH<TAB>URL` (a `.gz` path is gunzipped). Output on
//! stdout, one line per page: `{"path", "title", "body", "published", "teasers", "error"}`.

use std::io::{BufRead, Read, Write};
use url::Url;
use wirefeed::parse::article::{read_page, ExtractRules};

fn main() -> anyhow::Result<()> {
    let rules = ExtractRules::default();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let Some((path, page)) = line.split_once('\t') else {
            continue;
        };
        let mut bytes = std::fs::read(path)?;
        if path.ends_with(".gz") {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut plain)?;
            bytes = plain;
        }
        let url = Url::parse(page)?;
        let read = read_page(&bytes, &url, None, &rules);
        let record = match read.article {
            Ok(a) => serde_json::json!({
                "path": path,
                "title": a.headline,
                "body": a.body_text,
                "published": a.published.map(|d| d.to_rfc3339()),
                "teasers": read.teasers.len(),
                "error": null,
            }),
            Err(e) => serde_json::json!({
                "path": path,
                "title": null,
                "body": "",
                "published": null,
                "teasers": read.teasers.len(),
                "error": e.to_string(),
            }),
        };
        writeln!(out, "{record}")?;
    }
    Ok(())
}
