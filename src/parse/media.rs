//! Pictures and attached files of feed items: the item's picture from Media RSS, an
//! enclosure or a thumbnail, and every other attachment as an enclosure.

use feed_rs::model::{Link, MediaObject};
use url::Url;

use crate::model::{Enclosure, Image};
use crate::parse::item::{plain_text, resolve, title_text};
use crate::text::{fold_whitespace, html_to_text};

/// The item's picture: an image `media:content` or enclosure, else a `media:thumbnail`.
pub(crate) fn pick_image(media: &[MediaObject], base: &Url) -> Option<Image> {
    let mut thumbnail = None;
    for obj in media {
        let credit = obj
            .credits
            .iter()
            .map(|c| plain_text(&c.entity))
            .find(|c| !c.is_empty());
        let caption = obj
            .description
            .as_ref()
            .map(|d| fold_whitespace(&html_to_text(&d.content)))
            .filter(|d| !d.is_empty())
            .or_else(|| obj.title.as_ref().map(title_text).filter(|t| !t.is_empty()));
        for c in &obj.content {
            let Some(url) = &c.url else { continue };
            let is_image = match &c.content_type {
                Some(m) => m.ty().as_str() == "image",
                None => has_image_extension(url.path()),
            };
            if is_image {
                return Some(Image {
                    url: url.to_string(),
                    caption,
                    credit,
                    mime: c.content_type.as_ref().map(|m| m.essence().to_string()),
                    length: c.size,
                });
            }
        }
        if thumbnail.is_none() {
            thumbnail = obj.thumbnails.iter().find_map(|t| {
                Some(Image {
                    url: resolve(&t.image.uri, base)?.to_string(),
                    caption: caption.clone(),
                    credit: credit.clone(),
                    mime: None,
                    length: None,
                })
            });
        }
    }
    thumbnail
}

pub(crate) fn has_image_extension(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// An Atom `<link rel="enclosure">` that is a picture, for entries without Media RSS.
pub(crate) fn enclosure_image(links: &[Link], base: &Url) -> Option<Image> {
    links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("enclosure"))
        .find_map(|l| {
            let url = resolve(&l.href, base)?;
            let is_image = match &l.media_type {
                Some(m) => m.trim().starts_with("image/"),
                None => has_image_extension(url.path()),
            };
            is_image.then(|| Image {
                url: url.to_string(),
                caption: l.title.as_deref().map(plain_text).filter(|t| !t.is_empty()),
                mime: l.media_type.as_deref().map(|m| m.trim().to_string()),
                length: l.length.filter(|&n| n > 0),
                ..Image::default()
            })
        })
}

/// Every attached file but the item's picture: RSS `<enclosure>`, `media:content` and
/// Atom `rel="enclosure"` links, once each, in source order.
pub(crate) fn enclosures(
    media: &[MediaObject],
    links: &[Link],
    base: &Url,
    image: Option<&Image>,
) -> Vec<Enclosure> {
    let mut out: Vec<Enclosure> = Vec::new();
    let mut push = |url: Url, mime: Option<String>, length: Option<u64>| {
        let url = url.to_string();
        if image.is_some_and(|i| i.url == url) || out.iter().any(|e| e.url == url) {
            return;
        }
        out.push(Enclosure {
            url,
            mime: mime.map(|m| m.trim().to_string()).filter(|m| !m.is_empty()),
            length: length.filter(|&n| n > 0),
        });
    };
    for c in media.iter().flat_map(|m| &m.content) {
        if let Some(url) = c.url.as_ref().and_then(|u| resolve(u.as_str(), base)) {
            let mime = c.content_type.as_ref().map(|m| m.essence().to_string());
            push(url, mime, c.size);
        }
    }
    for l in links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("enclosure"))
    {
        if let Some(url) = resolve(&l.href, base) {
            push(url, l.media_type.clone(), l.length);
        }
    }
    out
}
