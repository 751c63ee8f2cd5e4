//! The teaser section of a page ("Empfohlen", "Mehr zum Thema"): finds it and reads each teaser.
//!
//! A section is found by its label (a heading or small element whose whole text is one of
//! the configured labels, or a container whose `aria-label` is one) or by a per-source CSS
//! selector. Inside it, each distinct link is one teaser; its "unit" is the largest element
//! around the link that holds no other link, so the same code reads `<li>`/`<article>` cards,
//! plain `<div>` rows and flat heading/paragraph runs. A label may sit in any element that can
//! hold a heading-like text (`h1`–`h6`, `p`, `div`, `span`, `strong`, `dt`, `th`, `td`, `li`,
//! `summary`, `figcaption`, …) or in an `aria-label`/`title` attribute. Depends on the shared
//! DOM helpers in [`crate::parse::html`] only.

use crate::model::{Image, Teaser};
use crate::parse::credit::split_credit;
use crate::parse::html::{
    element_text, first_img_url, has_links, heading_level, is_inside, node_key, normalize_label,
    short_text, strip_fragment, CssSelector,
};
use scraper::{ElementRef, Html, Selector};
use std::collections::HashSet;
use url::Url;

/// Link texts that are calls to action, never a teaser's title.
const NOT_TITLES: &[&str] = &[
    "mehr",
    "mehr lesen",
    "weiterlesen",
    "zum artikel",
    "artikel lesen",
    "read more",
    "more",
];

/// At most this many labelled sections are read per page.
const MAX_LABELS: usize = 8;

/// At most this many teasers per section and per page; real boxes hold a dozen, a page
/// with thousands is an index or an attack and must not cost quadratic time.
const MAX_TEASERS: usize = 50;

/// Elements whose links are site navigation, not teasers.
const NAV_TAGS: &[&str] = &[
    "nav", "footer", "header", "form", "script", "style", "noscript",
];

/// What the body extraction must leave out because it belongs to a teaser section.
#[derive(Default)]
pub(crate) struct TeaserScan<'a> {
    pub teasers: Vec<Teaser>,
    /// Label elements, teaser units and flat-layout summaries (by [`node_key`]): excluded
    /// from the body.
    pub skip: HashSet<usize>,
    /// Ties `skip` to the parsed page it was taken from.
    pub page: std::marker::PhantomData<&'a Html>,
    /// Plain texts of titles, summaries and labels, to drop them from text-only bodies.
    pub texts: Vec<String>,
    /// Label elements found on the page (for the log when no teaser came of them).
    pub labels_seen: usize,
    /// Whether the configured teaser selector matched anything.
    pub selector_matched: bool,
}

/// Reads every teaser section of a parsed page, teasers in page order. Never fails: a page
/// without a section has none. `labels` are already [`normalize_label`]ed.
pub(crate) fn scan<'a>(
    doc: &'a Html,
    base: &Url,
    page: &Url,
    selector: Option<&CssSelector>,
    labels: &[String],
) -> TeaserScan<'a> {
    let mut sections: Vec<(ElementRef<'a>, Option<ElementRef<'a>>)> = Vec::new();
    let mut out = TeaserScan::default();
    if let Some(sel) = selector {
        sections.extend(doc.select(sel.selector()).map(|c| (c, None)));
        out.selector_matched = !sections.is_empty();
    }
    if sections.is_empty() {
        let (found, label_count) = find_labelled(doc, labels);
        sections = found;
        out.labels_seen = label_count;
    }
    let mut seen: HashSet<Url> = HashSet::new();
    for (container, label) in sections {
        if let Some(l) = label {
            out.skip.insert(node_key(l));
            out.texts.push(normalize_label(&element_text(l)));
        }
        read_section(container, label, base, page, labels, &mut seen, &mut out);
    }
    out
}

impl TeaserScan<'_> {
    /// Why the page has no teasers, when a selector or labels were configured (for the log).
    pub(crate) fn why_none(
        &self,
        selector: Option<&CssSelector>,
        labels: &[String],
    ) -> Option<String> {
        if !self.teasers.is_empty() || (selector.is_none() && labels.is_empty()) {
            return None;
        }
        let sel_note = match selector {
            Some(s) if !self.selector_matched => {
                format!("selectors.teasers `{}` matched nothing; ", s.as_str())
            }
            Some(s) => {
                return Some(format!(
                    "selectors.teasers `{}` matched, but holds no links to other pages",
                    s.as_str()
                ))
            }
            None => String::new(),
        };
        Some(if self.labels_seen == 0 {
            format!(
                "{sel_note}no element's whole text is one of the teaser labels ({})",
                labels.join(", ")
            )
        } else {
            format!(
                "{sel_note}{} teaser label(s) found, but no links to other pages follow them",
                self.labels_seen
            )
        })
    }
}

/// Label elements and the container each one heads.
#[allow(clippy::type_complexity)]
fn find_labelled<'a>(
    doc: &'a Html,
    labels: &[String],
) -> (Vec<(ElementRef<'a>, Option<ElementRef<'a>>)>, usize) {
    if labels.is_empty() {
        return (Vec::new(), 0);
    }
    let sel = css!(
        "h1,h2,h3,h4,h5,h6,div,span,p,strong,b,em,dt,th,td,li,summary,figcaption,legend,caption,label,aside,section,nav,header,[aria-label],[title]"
    );
    let mut found: Vec<(ElementRef<'a>, Option<ElementRef<'a>>)> = Vec::new();
    let mut label_nodes: Vec<ElementRef<'a>> = Vec::new();
    for el in doc.select(sel) {
        // The outermost element whose text is the label is the label; skip what is inside it.
        if label_nodes.iter().any(|l| is_inside(el, *l)) {
            continue;
        }
        let attr_label = ["aria-label", "title"]
            .iter()
            .filter_map(|a| el.value().attr(a))
            .any(|v| labels.contains(&normalize_label(v)));
        if attr_label && el.value().name() != "a" && has_links(el) {
            found.push((el, None));
            continue;
        }
        let Some(text) = short_text(el, 120) else {
            continue;
        };
        if !labels.contains(&normalize_label(&text)) {
            continue;
        }
        // A menu entry reading "Empfohlen" is navigation, not a section heading.
        if el
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(|a| matches!(a.value().name(), "a" | "nav"))
        {
            continue;
        }
        // A page repeating the label endlessly is not worth a scan per copy.
        if label_nodes.len() >= MAX_LABELS {
            break;
        }
        label_nodes.push(el);
        if let Some(container) = container_of(el) {
            found.push((container, Some(el)));
        }
    }
    (found, label_nodes.len())
}

/// The nearest ancestor of a label that holds links after the label.
fn container_of(label: ElementRef<'_>) -> Option<ElementRef<'_>> {
    let mut cur = label;
    for _ in 0..8 {
        let parent = cur.parent().and_then(ElementRef::wrap)?;
        if matches!(parent.value().name(), "html") {
            return None;
        }
        if links_after(parent, label) {
            return Some(parent);
        }
        cur = parent;
    }
    None
}

fn links_after(container: ElementRef<'_>, label: ElementRef<'_>) -> bool {
    let mut after = false;
    for node in container.descendants() {
        if node.id() == label.id() {
            after = true;
            continue;
        }
        if !after {
            continue;
        }
        if let Some(el) = ElementRef::wrap(node) {
            if el.value().name() == "a"
                && el.value().attr("href").is_some()
                && !is_inside(el, label)
            {
                return true;
            }
        }
    }
    false
}

/// A link to another page, absolute, without fragment, not the page itself. Root-relative
/// links of a page read from a file resolve to `file:` URLs: they still count as links (the
/// page's structure is the same as when it is served), but give no teaser link.
fn teaser_url(href: &str, base: &Url, page: &Url) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let url = strip_fragment(base.join(href).ok()?);
    if !matches!(url.scheme(), "http" | "https" | "file") || url == strip_fragment(page.clone()) {
        return None;
    }
    Some(url)
}

pub(crate) fn distinct_links(el: ElementRef<'_>, base: &Url, page: &Url) -> usize {
    let mut urls: Vec<Url> = Vec::new();
    for a in el.descendants().filter_map(ElementRef::wrap) {
        if a.value().name() != "a" {
            continue;
        }
        if let Some(u) = a
            .value()
            .attr("href")
            .and_then(|h| teaser_url(h, base, page))
        {
            if !urls.contains(&u) {
                urls.push(u);
                if urls.len() > 1 {
                    return 2;
                }
            }
        }
    }
    urls.len()
}

fn read_section<'a>(
    container: ElementRef<'a>,
    label: Option<ElementRef<'a>>,
    base: &Url,
    page: &Url,
    labels: &[String],
    seen: &mut HashSet<Url>,
    out: &mut TeaserScan<'a>,
) {
    let label_level = label.and_then(heading_level);
    let label_sig = label.map(|l| {
        (
            l.value().name().to_string(),
            l.value().attr("class").map(str::to_string),
        )
    });
    let mut after = label.is_none();
    let mut links: Vec<(Url, ElementRef<'a>)> = Vec::new();
    'walk: for node in container.descendants() {
        let Some(el) = ElementRef::wrap(node) else {
            continue;
        };
        if let Some(l) = label {
            if el.id() == l.id() {
                after = true;
                continue;
            }
            if !after || is_inside(el, l) {
                continue;
            }
        }
        if el
            .ancestors()
            .take_while(|a| a.id() != container.id())
            .filter_map(ElementRef::wrap)
            .chain(std::iter::once(el))
            .any(|a| NAV_TAGS.contains(&a.value().name()))
        {
            continue;
        }
        // The next heading of the same rank (or the next label styled like ours) ends the section.
        if label.is_some()
            && !has_links(el)
            && !el
                .ancestors()
                .filter_map(ElementRef::wrap)
                .any(|a| a.value().name() == "a")
        {
            let ends = match (label_level, heading_level(el)) {
                (Some(ll), Some(l)) => l <= ll,
                _ => label_sig.as_ref().is_some_and(|(name, class)| {
                    class.is_some()
                        && el.value().name() == name
                        && el.value().attr("class").map(str::to_string) == *class
                }),
            };
            if ends {
                break 'walk;
            }
        }
        if el.value().name() == "a" {
            if let Some(u) = el
                .value()
                .attr("href")
                .and_then(|h| teaser_url(h, base, page))
            {
                links.push((u, el));
            }
        }
    }

    let mut units: Vec<(Url, ElementRef<'a>)> = Vec::new();
    let mut unit_urls: HashSet<Url> = HashSet::new();
    for (url, a) in links {
        if units.len() >= MAX_TEASERS {
            break;
        }
        if !unit_urls.insert(url.clone()) {
            continue;
        }
        let mut unit = a;
        while let Some(parent) = unit.parent().and_then(ElementRef::wrap) {
            if parent.id() == container.id()
                || label.is_some_and(|l| is_inside(l, parent))
                || distinct_links(parent, base, page) > 1
            {
                break;
            }
            unit = parent;
        }
        units.push((url, unit));
    }

    for (url, unit) in units {
        let Some(title) = teaser_title(unit, labels) else {
            continue;
        };
        let (summary, summary_el) = teaser_summary(unit, &title);
        let image = teaser_image(unit, base);
        out.skip.insert(node_key(unit));
        if let Some(s) = summary_el {
            out.skip.insert(node_key(s));
        }
        out.texts.push(title.clone());
        if let Some(s) = &summary {
            out.texts.push(s.clone());
        }
        if !seen.insert(url.clone()) || out.teasers.len() >= MAX_TEASERS {
            continue;
        }
        let link = matches!(url.scheme(), "http" | "https").then_some(url);
        out.teasers.push(Teaser {
            title,
            link,
            summary,
            image,
        });
    }
}

fn teaser_title(unit: ElementRef<'_>, labels: &[String]) -> Option<String> {
    let usable = |t: &str| {
        let n = normalize_label(t);
        !t.is_empty() && !labels.contains(&n) && !NOT_TITLES.contains(&n.as_str())
    };
    let in_unit = |sel: &Selector| -> Option<String> {
        unit.select(sel).map(element_text).find(|t| usable(t))
    };
    if heading_level(unit).is_some() {
        let t = element_text(unit);
        if usable(&t) {
            return Some(t);
        }
    }
    in_unit(css!("h1,h2,h3,h4,h5,h6"))
        .or_else(|| {
            in_unit(css!(
                "[class*=title],[class*=headline],[class*=Title],[class*=Headline]"
            ))
        })
        .or_else(|| {
            let mut texts: Vec<String> = unit
                .select(css!("a"))
                .map(element_text)
                .filter(|t| usable(t))
                .collect();
            if unit.value().name() == "a" {
                texts.push(element_text(unit));
            }
            texts
                .into_iter()
                .filter(|t| usable(t))
                .max_by_key(|t| t.chars().count())
        })
}

/// The teaser's paragraph: inside the unit, or (flat layouts) the next sibling before the next link.
fn teaser_summary<'a>(
    unit: ElementRef<'a>,
    title: &str,
) -> (Option<String>, Option<ElementRef<'a>>) {
    let good = |t: &str| !t.is_empty() && t != title && !title.contains(t);
    let sel = css!(
        "p,[class*=summary],[class*=teaser-text],[class*=excerpt],[class*=description],[class*=text]"
    );
    if let Some(t) = unit
        .select(sel)
        .filter(|e| !has_links(*e) || e.value().name() == "p")
        .map(element_text)
        .find(|t| good(t))
    {
        return (Some(t), None);
    }
    // Plain-div cards: the first text element outside the link.
    if let Some((t, _)) = unit
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| matches!(e.value().name(), "div" | "span" | "p"))
        .filter(|e| {
            !has_links(*e)
                && !e
                    .ancestors()
                    .filter_map(ElementRef::wrap)
                    .any(|a| a.value().name() == "a")
        })
        .map(|e| (element_text(e), e))
        .find(|(t, _)| good(t))
    {
        return (Some(t), None);
    }
    for sib in unit.next_siblings().filter_map(ElementRef::wrap) {
        if has_links(sib) || heading_level(sib).is_some() {
            break;
        }
        if matches!(sib.value().name(), "p" | "div" | "span") {
            let t = element_text(sib);
            if good(&t) {
                return (Some(t), Some(sib));
            }
        }
    }
    (None, None)
}

fn teaser_image(unit: ElementRef<'_>, base: &Url) -> Option<Image> {
    let img = unit
        .select(css!("img"))
        .find(|i| first_img_url(*i, base).is_some())?;
    let url = first_img_url(img, base)?;
    let alt = img
        .value()
        .attr("alt")
        .map(crate::text::fold_whitespace)
        .filter(|a| !a.is_empty());
    let (mut caption, mut credit) = match alt {
        Some(a) => split_credit(&a),
        None => (None, None),
    };
    let sel = css!("[class*=credit],[class*=copyright],small,cite");
    if let Some(c) = unit.select(sel).map(element_text).find(|t| !t.is_empty()) {
        let (rest, cr) = split_credit(&c);
        credit = cr.or(rest);
    }
    if caption.as_deref().is_some_and(str::is_empty) {
        caption = None;
    }
    Some(Image {
        url: url.to_string(),
        caption,
        credit,
        ..Image::default()
    })
}
