//! What every renderer shares: an entry's HTML sanitized and its picture and attachments
//! checked once per render (`Cleaned`), plain-text helpers, and the tracking-parameter
//! stripper for published links.

use super::entry::Entry;
use super::entry::FeedMeta;
use super::sanitize::sanitize_html;
use crate::model::{Enclosure, Image};

/// An entry's HTML sanitized and its image checked, computed once per render.
///
/// The picture is also written into the HTML, as a `<figure>` with its caption and credit
/// at the top of the content (else of the summary) unless the HTML already shows it: most
/// readers ignore Media RSS, and a credit must travel with the picture.
pub(super) struct Cleaned {
    pub(super) summary_html: Option<String>,
    pub(super) content_html: Option<String>,
    /// `summary_html` without the figure, for plain-text summaries (JSON Feed `summary`).
    pub(super) summary_plain_html: Option<String>,
    pub(super) image: Option<Image>,
    /// Attached files with absolute http(s) URLs and a MIME type (guessed from the file
    /// name when the source gave none, since RSS and JSON Feed require one).
    pub(super) enclosures: Vec<Enclosure>,
}

impl Cleaned {
    /// Sanitizes against the entry's link (where its relative URLs came from), else the
    /// feed's base URL. Markup that sanitizes to nothing counts as absent, so
    /// `content:encoded` never appears empty.
    pub(super) fn new(entry: &Entry, meta: &FeedMeta) -> Cleaned {
        let base = entry.link.as_ref().unwrap_or(&meta.base_url);
        let clean = |html: &Option<String>| {
            html.as_deref()
                .map(|h| sanitize_html(h, base))
                .filter(|h| !h.trim().is_empty())
        };
        let image = entry.image.as_ref().and_then(|img| {
            // Same rule as for <img src>: absolute http(s) only, no data: or javascript:.
            let url = base.join(img.url.trim()).ok()?;
            matches!(url.scheme(), "http" | "https").then(|| Image {
                url: url.to_string(),
                ..img.clone()
            })
        });
        let enclosures = entry
            .enclosures
            .iter()
            .filter_map(|e| {
                let url = base.join(e.url.trim()).ok()?;
                if !matches!(url.scheme(), "http" | "https") {
                    return None;
                }
                let mime = text(&e.mime)
                    .filter(|m| is_mime(m))
                    .map_or_else(|| guess_mime(url.path()).to_string(), str::to_string);
                Some(Enclosure {
                    url: url.to_string(),
                    mime: Some(mime),
                    length: e.length,
                })
            })
            .collect();
        let figure = image.as_ref().map(figure_html);
        let shows = |html: &Option<String>| {
            image
                .as_ref()
                .zip(html.as_deref())
                .is_some_and(|(i, h)| h.contains(&i.url) || h.contains(entry_image_raw(entry)))
        };
        let has_content = entry
            .content_html
            .as_deref()
            .is_some_and(|c| !c.trim().is_empty());
        let with_figure = |html: &Option<String>| match (&figure, html) {
            (Some(f), Some(h)) if !shows(html) => Some(format!("{f}{h}")),
            (Some(f), None) => Some(f.clone()),
            _ => html.clone(),
        };
        let has_summary = entry
            .summary_html
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty());
        let (content_html, summary_html, summary_plain_html) = if has_content || !has_summary {
            let summary = clean(&entry.summary_html);
            let content = if has_content {
                clean(&with_figure(&entry.content_html))
            } else {
                None
            };
            (content, summary.clone(), summary)
        } else {
            let plain = clean(&entry.summary_html);
            let with = if figure.is_some() && !shows(&entry.summary_html) {
                clean(&with_figure(&entry.summary_html))
            } else {
                plain.clone()
            };
            (None, with, plain)
        };
        Cleaned {
            summary_html,
            content_html,
            summary_plain_html,
            image,
            enclosures,
        }
    }
}

/// Non-empty trimmed text, for optional plain-text fields (captions, credits).
pub(super) fn text(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `type/subtype` with token characters only, as feed validators require.
fn is_mime(m: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    m.split_once('/').is_some_and(|(t, s)| token(t) && token(s))
}

/// A MIME type for an attachment whose source named none, from its file name.
fn guess_mime(path: &str) -> &'static str {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "mp3" => "audio/mpeg",
        "m4a" | "aac" => "audio/mp4",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "wav" => "audio/wav",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "mov" => "video/quicktime",
        "pdf" => "application/pdf",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

impl Cleaned {
    /// The image as an attachment (MIME type guessed when unknown), for outputs whose
    /// readers only show enclosures.
    pub(super) fn image_enclosure(&self) -> Option<Enclosure> {
        self.image.as_ref().map(|i| Enclosure {
            url: i.url.clone(),
            mime: Some(
                text(&i.mime)
                    .filter(|m| is_mime(m))
                    .unwrap_or_else(|| guess_mime(&i.url))
                    .to_string(),
            ),
            length: i.length,
        })
    }
}

/// The image's URL as the entry gave it, to see whether the HTML already shows it.
fn entry_image_raw(entry: &Entry) -> &str {
    entry
        .image
        .as_ref()
        .map(|i| i.url.trim())
        .filter(|u| !u.is_empty())
        .unwrap_or("\u{0}")
}

/// `<figure>` with the picture, its caption and its credit, escaped here and sanitized
/// with the rest of the HTML.
fn figure_html(img: &Image) -> String {
    let caption = text(&img.caption);
    let credit = text(&img.credit);
    let mut out = format!(
        "<figure><img src=\"{}\" alt=\"{}\">",
        html_escape::encode_double_quoted_attribute(&img.url),
        html_escape::encode_double_quoted_attribute(caption.unwrap_or(""))
    );
    if caption.is_some() || credit.is_some() {
        out.push_str("<figcaption>");
        if let Some(c) = caption {
            out.push_str(&html_escape::encode_text(c));
        }
        if let (Some(_), Some(_)) = (caption, credit) {
            out.push(' ');
        }
        if let Some(c) = credit {
            out.push_str("<small>");
            out.push_str(&html_escape::encode_text(c));
            out.push_str("</small>");
        }
        out.push_str("</figcaption>");
    }
    out.push_str("</figure>");
    out
}

/// Drops tracking parameters (`utm_*`, `fbclid`, … see `store::dedup::TRACKING_PARAMS`)
/// from a link before it is published; every other parameter stays in its order.
pub fn strip_tracking(url: &url::Url) -> url::Url {
    let Some(query) = url.query() else {
        return url.clone();
    };
    let is_tracking = |key: &str| {
        let key = key.to_ascii_lowercase();
        crate::store::dedup::TRACKING_PARAMS
            .iter()
            .any(|p| match p.strip_suffix('*') {
                Some(prefix) => key.starts_with(prefix),
                None => key == *p,
            })
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or("");
            !pair.is_empty() && !is_tracking(key)
        })
        .collect();
    let mut out = url.clone();
    out.set_query((!kept.is_empty()).then(|| kept.join("&")).as_deref());
    out
}

impl Entry {
    /// The entry with tracking parameters removed from its link and alternates.
    pub fn strip_tracking(&mut self) {
        if let Some(link) = &self.link {
            self.link = Some(strip_tracking(link));
        }
        for a in &mut self.alternates {
            *a = strip_tracking(a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_parameters_leave_published_links_and_others_stay() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert_eq!(
            strip_tracking(&u("https://a.example/x?utm_source=rss&id=7&fbclid=1#t")).as_str(),
            "https://a.example/x?id=7#t"
        );
        assert_eq!(
            strip_tracking(&u("https://a.example/x?UTM_Medium=a")).as_str(),
            "https://a.example/x"
        );
        assert_eq!(
            strip_tracking(&u("https://a.example/x?q=a%26b&page=2")).as_str(),
            "https://a.example/x?q=a%26b&page=2"
        );
    }
}
