//! The article body: found by dom_smoothie (a Readability port) unless a per-source
//! selector names it, then cut into paragraph-like blocks so page furniture (font-size
//! widgets, share buttons, newsletter boxes, the caption, the byline line, the teaser
//! section) can be dropped block by block.

use super::meta::strip_von;
use super::rules::{ExtractRules, MIN_BODY_CHARS};
use crate::parse::credit::is_credit_line;
use crate::parse::html::{
    element_text, has_block_child, heading_level, node_key, normalize_label, short_text, BLOCK_TAGS,
};
use crate::parse::teaser::{self, TeaserScan};
use regex::Regex;
use scraper::{ElementRef, Html};
use std::collections::HashSet;
use std::sync::LazyLock;
use url::Url;

/// Containers that are never article text.
const SKIP_TAGS: &[&str] = &[
    "nav",
    "footer",
    "header",
    "aside",
    "form",
    "script",
    "style",
    "noscript",
    "template",
    "figure",
    "figcaption",
    "button",
    "svg",
    "iframe",
    "select",
    "h1",
    "menu",
    "dialog",
];

/// Elements kept whole as one block even when they hold other blocks: their structure
/// is their meaning (a table's cells, a formula, a definition list, preformatted text).
const WHOLE_BLOCKS: &[&str] = &["li", "blockquote", "table", "pre", "math", "dl"];

/// One paragraph-like piece of the body.
pub(super) struct Block {
    pub(super) html: String,
    pub(super) text: String,
    /// A paragraph (not a heading, quote or list item): candidates for the lead.
    pub(super) paragraph: bool,
    /// Mostly link text: a teaser title or navigation entry rather than prose.
    pub(super) linked: bool,
    pub(super) list_item: bool,
    /// Characters of the text inside links.
    pub(super) link_chars: usize,
}

/// A block needs this many characters outside links to count as prose.
const PROSE_BLOCK_CHARS: usize = 60;

/// How much of the body is the page's own prose: what decides whether it is an article.
pub(super) struct Prose {
    /// Characters outside links in blocks that are neither teaser cards nor link lines and
    /// hold at least [`PROSE_BLOCK_CHARS`] of their own text.
    pub(super) chars: usize,
    /// Blocks that are teaser-card texts or mostly links.
    pub(super) cards_or_links: usize,
}

impl Prose {
    pub(super) fn measure(blocks: &[Block], cards: &HashSet<String>) -> Prose {
        let mut p = Prose {
            chars: 0,
            cards_or_links: 0,
        };
        for b in blocks {
            if b.linked || cards.contains(&b.text) {
                p.cards_or_links += 1;
                continue;
            }
            let own = b.text.chars().count().saturating_sub(b.link_chars);
            if own >= PROSE_BLOCK_CHARS {
                p.chars += own;
            }
        }
        p
    }

    /// Too little prose next to several cards or link lines: a section front.
    pub(super) fn looks_like_index(&self) -> bool {
        self.cards_or_links >= 4
    }
}

pub(super) struct BlockFilter {
    pub(super) headline: Option<String>,
    pub(super) caption_texts: Vec<String>,
    pub(super) teaser_texts: Vec<String>,
    pub(super) labels: Vec<String>,
    pub(super) known_byline: Option<String>,
    pub(super) found_byline: Option<String>,
}

/// Class or id words that mark page furniture containers.
static FURNITURE_CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(^|[\s_-])(share|sharing|social|newsletter|cookie|consent|advert|ad|ads|anzeige|banner|fontsize|font-size|textsize|text-size|print|toolbar|caption|credit|breadcrumb|related|recommend|comments?|paywall|subscribe)($|[\s_-])",
    )
    .expect("static regex")
});

/// Class or id words of media players and galleries: their control labels ("Play",
/// "Mute", "Playback Rate") and slide captions are no article text. Checked together with
/// [`holds_prose`], because a wrapper named "has-gallery" may hold the whole article.
static MEDIA_CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(^|[\s_-])(player|vjs|video-js|jwplayer|jw-player|mejs|plyr|gallery|slideshow|carousel|swiper|slider|lightbox)($|[\s_-])",
    )
    .expect("static regex")
});

/// Does the element hold several paragraphs of prose (so it is no player or gallery)?
fn holds_prose(el: ElementRef<'_>) -> bool {
    el.select(css!("p"))
        .filter(|p| element_text(*p).chars().count() >= 150)
        .nth(2)
        .is_some()
}

static AGENCY_BYLINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\p{Lu}[\p{L}.\- ]{0,40}--\p{Lu}{2,8}$").expect("static regex"));

static VON_BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:Von|von|By|by)\s+\p{Lu}[\p{L}.\-]*(?:\s+[\p{L}.\-]+){0,3}(?:\s*(?:,|/|und|and)\s*[\p{L}.\- ]+){0,3}$")
        .expect("static regex")
});

/// Whole-block furniture texts (compared after [`normalize_label`]).
const FURNITURE_EXACT: &[&str] = &[
    "textgröße ändern",
    "schriftgröße ändern",
    "schriftgröße",
    "textgröße",
    "teilen",
    "artikel teilen",
    "drucken",
    "artikel drucken",
    "auf facebook teilen",
    "auf x teilen",
    "auf twitter teilen",
    "per e-mail teilen",
    "per whatsapp teilen",
    "newsletter abonnieren",
    "anzeige",
    "werbung",
    "vorlesen",
    "artikel anhören",
    "merken",
    "kommentare",
    "zur startseite",
    "nach oben",
    "share",
    "print",
    "advertisement",
    // Video player controls (video.js and alike) that Readability leaves in.
    "play",
    "pause",
    "mute",
    "unmute",
    "fullscreen",
    "non-fullscreen",
    "playback rate",
    "current time",
    "duration",
    "remaining time",
    "stream type live",
    "chapters",
    "descriptions",
    "captions",
    "subtitles",
    "audio track",
    "this is a modal window.",
    "end of dialog window.",
];

/// Words that make a short, unpunctuated block furniture ("Teilen Drucken Mailen").
const FURNITURE_WORDS: &[&str] = &[
    "textgröße",
    "schriftgröße",
    "teilen",
    "drucken",
    "newsletter",
    "anzeige",
    "abonnieren",
    "vorlesen",
    "lesezeit",
    "facebook",
    "whatsapp",
];

impl BlockFilter {
    pub(super) fn is_furniture(text: &str) -> bool {
        if is_credit_line(text) {
            return true;
        }
        let n = normalize_label(text);
        if FURNITURE_EXACT.contains(&n.as_str()) {
            return true;
        }
        let words = n.split_whitespace().count();
        let ends_sentence = n.ends_with(['.', '!', '?', '"', '“', '«']);
        if words <= 6 && !ends_sentence && FURNITURE_WORDS.iter().any(|w| n.contains(w)) {
            return true;
        }
        let len = n.chars().count();
        (n.contains("cookie")
            && len < 400
            && [
                "akzeptieren",
                "zustimmen",
                "verwenden",
                "einwilligung",
                "accept",
            ]
            .iter()
            .any(|w| n.contains(w)))
            || (n.contains("newsletter")
                && len < 300
                && ["abonnieren", "anmelden", "bestellen"]
                    .iter()
                    .any(|w| n.contains(w)))
    }

    fn is_byline(&mut self, text: &str) -> bool {
        if let Some(b) = &self.known_byline {
            if text == b || strip_von(text) == *b {
                return true;
            }
        }
        if AGENCY_BYLINE.is_match(text) {
            self.found_byline.get_or_insert_with(|| text.to_string());
            return true;
        }
        if text.chars().count() <= 80 && VON_BYLINE.is_match(text) {
            self.found_byline.get_or_insert_with(|| strip_von(text));
            return true;
        }
        false
    }
}

pub(super) fn body_blocks(
    doc: &Html,
    text: &str,
    page_url: &Url,
    rules: &ExtractRules,
    scan: &TeaserScan<'_>,
    filter: &mut BlockFilter,
) -> Vec<Block> {
    let mut raw: Vec<Block> = Vec::new();
    if let Some(body_sel) = &rules.body {
        for root in doc.select(body_sel.selector()) {
            collect_blocks(root, &scan.skip, &mut raw);
        }
        return filter_blocks(raw, filter);
    }
    if let Some(content) = readability_content(text, page_url) {
        let frag = Html::parse_fragment(&content);
        collect_blocks(frag.root_element(), &HashSet::new(), &mut raw);
        // Readability rewrites some containers without their class (a `div.paywall`
        // becomes a plain paragraph): what lies within the page's furniture stays out.
        let furniture = furniture_texts(doc);
        raw.retain(|b| !furniture.iter().any(|f| f.contains(&b.text)));
        let blocks = filter_blocks(raw, filter);
        if blocks.iter().map(|b| b.text.chars().count()).sum::<usize>() >= MIN_BODY_CHARS {
            return blocks;
        }
        raw = Vec::new();
    }
    // Readability found nothing usable: take the most likely container ourselves.
    let root = doc
        .select(css!("[itemprop=articleBody]"))
        .next()
        .or_else(|| doc.select(css!("article")).next())
        .or_else(|| doc.select(css!("main")).next())
        .or_else(|| doc.select(css!("body")).next())
        .unwrap_or_else(|| doc.root_element());
    collect_blocks(root, &scan.skip, &mut raw);
    filter_blocks(raw, filter)
}

/// Furniture containers of the page considered (the first ones, in page order).
const MAX_FURNITURE: usize = 100;
/// Longer furniture texts are not compared: a container that large is no widget.
const MAX_FURNITURE_CHARS: usize = 600;

/// Texts of the page's furniture containers (by class or id: paywall, share, newsletter,
/// player, gallery …), for dropping their text from Readability's output.
fn furniture_texts(doc: &Html) -> Vec<String> {
    doc.select(css!("[class],[id]"))
        .filter(|el| {
            let v = el.value();
            let class_id = format!(
                "{} {}",
                v.attr("class").unwrap_or(""),
                v.attr("id").unwrap_or("")
            );
            FURNITURE_CLASS.is_match(&class_id)
                || (MEDIA_CLASS.is_match(&class_id) && !holds_prose(*el))
        })
        .filter_map(|el| short_text(el, MAX_FURNITURE_CHARS))
        .filter(|t| !t.is_empty())
        .take(MAX_FURNITURE)
        .collect()
}

fn readability_content(text: &str, page_url: &Url) -> Option<String> {
    let cfg = dom_smoothie::Config {
        keep_classes: true,
        char_threshold: MIN_BODY_CHARS,
        ..Default::default()
    };
    let mut r = dom_smoothie::Readability::new(text, Some(page_url.as_str()), Some(cfg)).ok()?;
    let art = r.parse().ok()?;
    Some(art.content.to_string())
}

pub(super) fn is_skipped(el: ElementRef<'_>, skip: &HashSet<usize>) -> bool {
    let v = el.value();
    if SKIP_TAGS.contains(&v.name())
        || v.attr("hidden").is_some()
        || v.attr("aria-hidden") == Some("true")
    {
        return true;
    }
    let class_id = format!(
        "{} {}",
        v.attr("class").unwrap_or(""),
        v.attr("id").unwrap_or("")
    );
    if FURNITURE_CLASS.is_match(&class_id) {
        return true;
    }
    if MEDIA_CLASS.is_match(&class_id) && !holds_prose(el) {
        return true;
    }
    skip.contains(&node_key(el))
}

pub(super) fn collect_blocks(root: ElementRef<'_>, skip: &HashSet<usize>, out: &mut Vec<Block>) {
    // Explicit stack instead of recursion: nesting depth is under the page's control.
    let mut stack: Vec<ElementRef> = root.child_elements().collect();
    stack.reverse();
    while let Some(el) = stack.pop() {
        if is_skipped(el, skip) {
            continue;
        }
        let name = el.value().name();
        let block_child = has_block_child(el);
        let leaf_div = matches!(name, "div" | "section" | "span") && !block_child;
        // A layout table (one holding another table) is a container, not a data table.
        let whole = WHOLE_BLOCKS.contains(&name)
            && !(name == "table" && el.select(css!("table")).nth(1).is_some());
        if matches!(name, "ul" | "ol")
            || !(BLOCK_TAGS.contains(&name) || leaf_div || name == "math")
            || (name != "p" && block_child && !whole)
        {
            let before = stack.len();
            stack.extend(el.child_elements());
            stack[before..].reverse();
            continue;
        }
        let text = element_text(el);
        if text.is_empty() {
            continue;
        }
        // A short line around a <time> is the dateline, not text.
        if text.chars().count() < 100 && el.select(css!("time")).next().is_some() {
            continue;
        }
        let link_chars: usize = el
            .select(css!("a"))
            .map(|a| element_text(a).chars().count())
            .sum();
        let inner = el.inner_html();
        let (html, paragraph) = match name {
            "p" | "div" | "section" | "span" => (format!("<p>{}</p>", inner.trim()), true),
            "li" => (format!("<li>{}</li>", inner.trim()), false),
            _ => (format!("<{name}>{}</{name}>", inner.trim()), false),
        };
        out.push(Block {
            linked: link_chars * 10 >= text.chars().count() * 8,
            link_chars,
            list_item: name == "li",
            html,
            text,
            paragraph,
        });
    }
}

pub(super) fn filter_blocks(raw: Vec<Block>, f: &mut BlockFilter) -> Vec<Block> {
    let mut kept: Vec<Block> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for b in raw {
        let n = normalize_label(&b.text);
        if f.labels.contains(&n) {
            // Everything after the teaser label is the teaser section and the page foot.
            if kept.iter().any(|k| k.paragraph) {
                break;
            }
            continue;
        }
        // A paragraph the page repeats is kept as often as the page says it; a short
        // repeated line (a label, a credit, a widget's caption) is furniture.
        let short = b.text.chars().count() < PROSE_BLOCK_CHARS;
        if BlockFilter::is_furniture(&b.text)
            || f.headline.as_deref().is_some_and(|h| h == b.text)
            || f.caption_texts.contains(&b.text)
            || f.teaser_texts.contains(&b.text)
            || (short && seen.contains(&b.text))
            || f.is_byline(&b.text)
        {
            continue;
        }
        seen.insert(b.text.clone());
        kept.push(b);
    }
    kept
}

/// Most text a teaser card holds; a larger element around a linked heading is a section of
/// the page (an article with one link in it), not a card.
const MAX_CARD_CHARS: usize = 600;

/// Texts inside teaser cards anywhere on the page: a linked heading and what sits with it in
/// the largest element holding no other link and no more than a card's worth of text.
/// Body text made only of these is an index page.
pub(super) fn card_texts(doc: &Html, base: &Url, page: &Url) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut units: HashSet<usize> = HashSet::new();
    for h in doc.select(css!("h1 a[href], h2 a[href], h3 a[href], h4 a[href], a[href] h1, a[href] h2, a[href] h3, a[href] h4")) {
        let mut unit = h;
        while let Some(parent) = unit.parent().and_then(ElementRef::wrap) {
            if matches!(parent.value().name(), "body" | "html" | "main" | "article")
                || teaser::distinct_links(parent, base, page) > 1
                || short_text(parent, MAX_CARD_CHARS).is_none()
            {
                break;
            }
            unit = parent;
        }
        if !units.insert(node_key(unit)) {
            continue;
        }
        for e in unit.descendants().filter_map(ElementRef::wrap) {
            let n = e.value().name();
            if n == "p" || heading_level(e).is_some() || (matches!(n, "div" | "span") && !has_block_child(e)) {
                out.insert(element_text(e));
            }
        }
    }
    out
}

pub(super) fn join_html(blocks: &[Block]) -> String {
    let mut out = String::new();
    let mut in_list = false;
    for b in blocks {
        if b.list_item && !in_list {
            out.push_str("<ul>");
            in_list = true;
        } else if !b.list_item && in_list {
            out.push_str("</ul>\n");
            in_list = false;
        }
        out.push_str(&b.html);
        if !b.list_item {
            out.push('\n');
        }
    }
    if in_list {
        out.push_str("</ul>\n");
    }
    out.trim_end().to_string()
}
