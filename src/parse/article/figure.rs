//! The article's main picture: its URL, caption and credit, from a `<figure>` or from
//! the caption-like element next to a picture on plain-markup pages.

use crate::parse::credit::{is_credit_line, split_credit};
use crate::parse::html::{element_text, first_img_url, has_block_child, inside_any};
use crate::parse::teaser::TeaserScan;
use crate::text::fold_whitespace;
use scraper::{ElementRef, Html};
use url::Url;

#[derive(Default)]
pub(super) struct Figure {
    pub(super) url: Option<String>,
    pub(super) caption: Option<String>,
    pub(super) credit: Option<String>,
    /// Caption line texts as they appear on the page, to drop them from the body.
    pub(super) texts: Vec<String>,
}

pub(super) fn main_figure(doc: &Html, scan: &TeaserScan<'_>, base: &Url) -> Figure {
    let outside_teasers = |e: &ElementRef| !inside_any(*e, &scan.skip);
    let fig = doc
        .select(css!("article figure, main figure, figure"))
        .find(outside_teasers);
    let mut f = Figure::default();
    let cap_el = match fig {
        Some(fig) => {
            f.url = doc_img(fig, base);
            fig.select(css!("figcaption")).next()
        }
        None => doc
            .select(css!(
                "[class*=caption], [class*=Caption], [class*=bildunterschrift]"
            ))
            .find(outside_teasers)
            .or_else(|| {
                // Plain markup: a short line with a photo credit right next to a picture.
                doc.select(css!("p, div, span"))
                    .filter(outside_teasers)
                    .find(|e| {
                        !has_block_child(*e)
                            && is_credit_line(&element_text(*e))
                            && e.ancestors()
                                .take(2)
                                .filter_map(ElementRef::wrap)
                                .any(|a| a.select(css!("img")).next().is_some())
                    })
            }),
    };
    if f.url.is_none() && fig.is_none() {
        // Without <figure>, the picture sits next to its caption element, or first in the article.
        let near_caption = cap_el.and_then(|c| {
            c.ancestors()
                .take(3)
                .filter_map(ElementRef::wrap)
                .find_map(|a| doc_img(a, base))
        });
        f.url = near_caption.or_else(|| {
            doc.select(css!("article img, main img"))
                .find(outside_teasers)
                .and_then(|i| first_img_url(i, base))
                .map(|u| u.to_string())
        });
    }
    let Some(cap_el) = cap_el else {
        return f;
    };
    let full = element_text(cap_el);
    f.texts.push(full.clone());
    let scope = fig.unwrap_or(cap_el);
    let credit_el = scope
        .select(css!(
            "[class*=credit], [class*=copyright], [class*=Credit], small, cite"
        ))
        .next();
    if let Some(ce) = credit_el {
        let ct = element_text(ce);
        let (rest, cr) = split_credit(&ct);
        f.credit = cr.or(rest);
        let caption_only = fold_whitespace(full.replace(&ct, " ").trim());
        f.caption = split_credit(&caption_only).0;
        f.texts.push(caption_only);
        f.texts.push(ct);
    } else {
        let (cap, cr) = split_credit(&full);
        f.caption = cap;
        f.credit = cr;
    }
    f
}

fn doc_img(fig: ElementRef<'_>, base: &Url) -> Option<String> {
    fig.select(css!("img"))
        .find_map(|i| first_img_url(i, base))
        .map(|u| u.to_string())
}
