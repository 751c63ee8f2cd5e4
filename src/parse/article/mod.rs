//! Article pages: headline, body, image credit and the teaser section ("Empfohlen").
//!
//! Pure functions: page bytes and the page URL in, an [`Article`] (or a reason why the page
//! is not one) out. [`meta`] reads the metadata, [`figure`] the main picture, [`body`] the
//! text; the teaser section comes from [`crate::parse::teaser`]. A page is refused as "not
//! an article" only from its own text: when the paragraphs outside teaser cards and links
//! hold too little prose, whatever share of the page is links or cards.

mod body;
mod figure;
mod meta;
mod rules;

use crate::model::{Article, Image, Teaser};
use crate::parse::date::parse_date_in;
use crate::parse::html::{self, strip_fragment, BadSelector, HtmlError, Page};
use crate::parse::teaser::{self, TeaserScan};
use body::{BlockFilter, Prose};
use meta::Meta;
use scraper::ElementRef;
use std::collections::HashSet;
use url::Url;

pub use crate::parse::credit::split_credit;
pub use crate::parse::html::{CssSelector, MAX_DEPTH, MAX_HTML_BYTES};
pub use rules::{validate_selector, ExtractRules, DEFAULT_TEASER_LABELS, MIN_BODY_CHARS};

/// Why a page yielded no article. Each message names what was seen on the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArticleError {
    #[error("page too large: {size} bytes, limit is {limit} bytes (5 MiB); the page is skipped")]
    TooLarge { size: usize, limit: usize },
    #[error("page is empty (no HTML after decoding)")]
    Empty,
    #[error(
        "markup nested {depth} levels deep, limit is {limit}: broken or hostile page, skipped"
    )]
    TooDeep { depth: usize, limit: usize },
    #[error("not an article page: {0}")]
    NotAnArticle(String),
    #[error("paywall stub: {0}; only subscribers see the text")]
    Paywall(String),
    #[error("error page served as a normal page: \"{0}\" (link is dead or moved)")]
    ErrorPage(String),
    #[error("no headline on the page (no JSON-LD headline, og:title, <h1> or <title>)")]
    NoHeadline,
    #[error("article body too short: {chars} characters of text, at least {min} needed (text loaded by script, or set a body selector for this source)")]
    BodyTooShort { chars: usize, min: usize },
    #[error("invalid CSS selector {selector:?} in source config: {reason}")]
    BadSelector { selector: String, reason: String },
}

impl From<BadSelector> for ArticleError {
    fn from(e: BadSelector) -> Self {
        ArticleError::BadSelector {
            selector: e.selector,
            reason: e.reason,
        }
    }
}

impl From<HtmlError> for ArticleError {
    fn from(e: HtmlError) -> Self {
        match e {
            HtmlError::TooLarge { size, limit } => ArticleError::TooLarge { size, limit },
            HtmlError::Empty => ArticleError::Empty,
            HtmlError::TooDeep { depth, limit } => ArticleError::TooDeep { depth, limit },
        }
    }
}

/// Article links of a section page, picked by a CSS selector: absolute, without fragment,
/// deduplicated, in page order. Non-HTTP links (`mailto:`, `javascript:`) are dropped.
pub fn extract_links(
    html: &[u8],
    page_url: &Url,
    selector: &CssSelector,
) -> Result<Vec<Url>, ArticleError> {
    let page = html::parse_page(html, None)?;
    let base = html::base_url(&page.doc, page_url);
    let mut out: Vec<Url> = Vec::new();
    let mut seen: HashSet<Url> = HashSet::new();
    for el in page.doc.select(selector.selector()) {
        // The selector may name the links themselves or the cards around them.
        let links: Vec<ElementRef> = if el.value().name() == "a" {
            vec![el]
        } else {
            el.select(css!("a[href]")).collect()
        };
        for a in links {
            let Some(href) = a.value().attr("href") else {
                continue;
            };
            let Ok(url) = base.join(href.trim()) else {
                continue;
            };
            let url = strip_fragment(url);
            if matches!(url.scheme(), "http" | "https") && seen.insert(url.clone()) {
                out.push(url);
            }
        }
    }
    Ok(out)
}

/// The teasers of any page (article or not). A page without a teaser section, or a page
/// too large to read, yields none.
pub fn extract_teasers(html: &[u8], page_url: &Url, rules: &ExtractRules) -> Vec<Teaser> {
    let Ok(page) = html::parse_page(html, None) else {
        return Vec::new();
    };
    let base = html::base_url(&page.doc, page_url);
    teaser::scan(
        &page.doc,
        &base,
        page_url,
        rules.teasers.as_ref(),
        &rules.normalized_labels(),
    )
    .teasers
}

/// Reads one article page. See the module docs for where each field comes from.
pub fn extract_article(
    html: &[u8],
    page_url: &Url,
    rules: &ExtractRules,
) -> Result<Article, ArticleError> {
    read_page(html, page_url, None, rules).article
}

/// One page read once: the article (or why it is none) and the page's teasers, which a
/// page that is not an article has too.
#[derive(Debug)]
pub struct PageRead {
    pub article: Result<Article, ArticleError>,
    pub teasers: Vec<Teaser>,
    /// Why no teaser section was found, when labels or a selector were configured.
    pub no_teasers: Option<String>,
}

/// Reads a page: `http_charset` is the charset of the response's Content-Type, if any.
pub fn read_page(
    html: &[u8],
    page_url: &Url,
    http_charset: Option<&str>,
    rules: &ExtractRules,
) -> PageRead {
    let page = match html::parse_page(html, http_charset) {
        Ok(p) => p,
        Err(e) => {
            return PageRead {
                article: Err(e.into()),
                teasers: Vec::new(),
                no_teasers: None,
            }
        }
    };
    let base = html::base_url(&page.doc, page_url);
    let labels = rules.normalized_labels();
    let scan = teaser::scan(&page.doc, &base, page_url, rules.teasers.as_ref(), &labels);
    let no_teasers = scan.why_none(rules.teasers.as_ref(), &rules.teaser_labels);
    let article = read_article(&page, &base, page_url, rules, &scan, labels);
    PageRead {
        article,
        teasers: scan.teasers,
        no_teasers,
    }
}

fn read_article(
    page: &Page,
    base: &Url,
    page_url: &Url,
    rules: &ExtractRules,
    scan: &TeaserScan<'_>,
    labels: Vec<String>,
) -> Result<Article, ArticleError> {
    let doc = &page.doc;
    let meta = Meta::read(doc, base, page_url);
    if let Some(err) = meta::error_page_title(&meta) {
        return Err(ArticleError::ErrorPage(err));
    }

    let figure = figure::main_figure(doc, scan, base);
    let headline = meta.headline();
    let known_byline = meta.byline(doc, rules);

    let mut filter = BlockFilter {
        headline: headline.clone(),
        caption_texts: figure.texts.clone(),
        teaser_texts: scan.texts.clone(),
        labels,
        known_byline: known_byline.clone(),
        found_byline: None,
    };

    let cards = body::card_texts(doc, base, page_url);
    let blocks = body::body_blocks(doc, &page.text, page_url, rules, scan, &mut filter);
    let body_text = blocks
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let chars = body_text.chars().count();

    // Refuse from the text itself: prose outside cards and links, not the share of links.
    let prose = Prose::measure(&blocks, &cards);
    if prose.chars < MIN_BODY_CHARS && !meta.is_article_type && prose.looks_like_index() {
        return Err(ArticleError::NotAnArticle(format!(
            "index page: {} links, {} of {} text blocks are teaser cards or links, {} characters of prose",
            meta.link_count,
            prose.cards_or_links,
            blocks.len(),
            prose.chars
        )));
    }
    // A paywalled page whose free part holds an article's worth of text is an article (its
    // visible part); only a stub too short to be one is refused, saying why it is short.
    if chars < MIN_BODY_CHARS {
        if let Some(why) = meta::paywall_marker(doc, &meta) {
            return Err(ArticleError::Paywall(format!(
                "{why}, {chars} characters of text"
            )));
        }
    }
    if chars < MIN_BODY_CHARS || prose.chars < MIN_BODY_CHARS / 2 {
        if meta.link_count >= 15 && !meta.is_article_type {
            return Err(ArticleError::NotAnArticle(format!(
                "index page: {} links, no article body ({} characters of prose)",
                meta.link_count, prose.chars
            )));
        }
        if chars < MIN_BODY_CHARS {
            return Err(ArticleError::BodyTooShort {
                chars,
                min: MIN_BODY_CHARS,
            });
        }
    }
    // A page without any title element still has an article: its first heading, else its
    // first sentence, names it.
    let Some(headline) = headline.or_else(|| fallback_headline(&blocks)) else {
        return Err(ArticleError::NoHeadline);
    };

    let body_html = body::join_html(&blocks);
    let lead = meta
        .lead
        .clone()
        .or_else(|| blocks.iter().find(|b| b.paragraph).map(|b| b.text.clone()))
        .or_else(|| meta.description.clone());
    let byline = known_byline.or(filter.found_byline);
    let image = meta
        .image
        .clone()
        .or_else(|| figure.url.clone())
        .map(|url| Image {
            url,
            caption: figure.caption.clone(),
            credit: figure.credit.clone(),
            ..Image::default()
        });

    Ok(Article {
        headline,
        published: meta
            .published
            .as_deref()
            .and_then(|d| parse_date_in(d, &rules.timezone)),
        modified: meta
            .modified
            .as_deref()
            .and_then(|d| parse_date_in(d, &rules.timezone)),
        byline,
        lead,
        body_html,
        body_text,
        image,
        lang: meta.lang.clone(),
        canonical: meta.canonical.clone(),
        teasers: scan.teasers.clone(),
    })
}

/// Longest headline made from the body when the page names none.
const FALLBACK_HEADLINE_CHARS: usize = 120;

/// The body's first heading, else its first sentence (cut at a word), as the headline of a
/// page without `<title>`, `<h1>` or metadata.
fn fallback_headline(blocks: &[body::Block]) -> Option<String> {
    if let Some(h) = blocks
        .iter()
        .find(|b| b.html.starts_with("<h") && b.text.chars().count() <= FALLBACK_HEADLINE_CHARS)
    {
        return Some(h.text.clone());
    }
    let first = blocks.iter().find(|b| b.paragraph)?;
    let sentence = first
        .text
        .split_inclusive(['.', '!', '?'])
        .next()
        .unwrap_or(&first.text);
    let h = crate::text::truncate_words(sentence.trim(), FALLBACK_HEADLINE_CHARS);
    (!h.is_empty()).then_some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_selectors() {
        assert!(validate_selector("div.article-body > p").is_ok());
        assert!(validate_selector("div[").is_err());
        assert!(validate_selector(" ").is_err());
        let bad = ExtractRules::new(Some("div..x"), None, None, Vec::new());
        assert!(
            matches!(&bad, Err(BadSelector { selector, .. }) if selector == "div..x"),
            "{bad:?}"
        );
        let typed = validate_selector("div[").unwrap_err();
        assert_eq!(typed.selector, "div[");
        assert!(!typed.reason.is_empty());
    }
}
