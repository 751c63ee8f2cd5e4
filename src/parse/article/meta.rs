//! Page metadata: schema.org JSON-LD first, then OpenGraph/article meta tags, then plain
//! markup (`<h1>`, `<title>`, `<time>`, `<html lang>`); and the page kinds that are not
//! articles (error pages, paywall stubs).

use super::rules::ExtractRules;
use crate::parse::html::{clean, element_text, non_empty, strip_fragment};
use crate::parse::title::{strip_site_name, undouble, SEPARATORS};
use crate::text::fold_whitespace;
use regex::Regex;
use scraper::{Html, Selector};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::LazyLock;
use url::Url;

const ARTICLE_TYPES: &[&str] = &[
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "ReviewNewsArticle",
    "BlogPosting",
    "LiveBlogPosting",
    "Report",
];

#[derive(Default, Debug)]
pub(super) struct Meta {
    pub(super) ld_headline: Option<String>,
    pub(super) og_title: Option<String>,
    pub(super) title_tag: Option<String>,
    pub(super) h1: Option<String>,
    pub(super) site_name: Option<String>,
    pub(super) published: Option<String>,
    pub(super) modified: Option<String>,
    pub(super) authors: Vec<String>,
    pub(super) meta_author: Option<String>,
    pub(super) image: Option<String>,
    pub(super) lang: Option<String>,
    pub(super) description: Option<String>,
    pub(super) lead: Option<String>,
    pub(super) canonical: Option<Url>,
    pub(super) is_article_type: bool,
    pub(super) free: Option<bool>,
    pub(super) link_count: usize,
}

impl Meta {
    pub(super) fn read(doc: &Html, base: &Url, page_url: &Url) -> Meta {
        let mut m = Meta::default();
        m.read_json_ld(doc, base);

        let mut og = std::collections::HashMap::<String, String>::new();
        for el in doc.select(css!("meta[content]")) {
            let v = el.value();
            let Some(key) = v
                .attr("property")
                .or_else(|| v.attr("name"))
                .or_else(|| v.attr("itemprop"))
            else {
                continue;
            };
            let content = v.attr("content").unwrap_or("");
            // `property="dc:title og:title"` names several keys at once.
            for k in key.split_whitespace() {
                og.entry(k.to_ascii_lowercase())
                    .or_insert_with(|| content.to_string());
            }
        }
        let get = |k: &str| og.get(k).and_then(|v| clean(v));
        m.og_title = [
            "dc:title",
            "dcterm:title",
            "dcterms.title",
            "dc.title",
            "og:title",
        ]
        .iter()
        .chain(&["twitter:title", "parsely-title"])
        .find_map(|k| get(k));
        m.site_name = get("og:site_name")
            .or_else(|| get("application-name"))
            .or(m.site_name.take());
        m.published = m
            .published
            .take()
            .or_else(|| {
                // OpenGraph, schema.org microdata, Dublin Core and the common CMS spellings.
                [
                    "article:published_time",
                    "datepublished",
                    "og:published_time",
                    "dc.date.issued",
                    "dcterms.issued",
                    "dc.date",
                    "dcterms.date",
                    "dcterms.created",
                    "dc:date",
                    "parsely-pub-date",
                    "sailthru.date",
                    "pubdate",
                    "publishdate",
                    "publish-date",
                    "date",
                ]
                .iter()
                .find_map(|k| get(k))
            })
            .or_else(|| {
                doc.select(css!("[itemprop=datePublished]"))
                    .find_map(|e| {
                        let v = e.value();
                        v.attr("content").or_else(|| v.attr("datetime"))
                    })
                    .and_then(clean)
            });
        m.modified = m
            .modified
            .take()
            .or_else(|| get("article:modified_time"))
            .or_else(|| get("og:updated_time"))
            .or_else(|| get("datemodified"));
        m.meta_author = get("article:author")
            .or_else(|| get("author"))
            .filter(|a| !a.starts_with("http") && a.chars().count() <= 100);
        if m.image.is_none() {
            m.image = [
                "og:image",
                "og:image:url",
                "og:image:secure_url",
                "twitter:image",
            ]
            .iter()
            .find_map(|k| get(k))
            .and_then(|u| base.join(&u).ok())
            .map(|u| u.to_string());
        }
        m.description = get("description").or_else(|| get("og:description"));
        if get("og:type").is_some_and(|t| t == "article") {
            m.is_article_type = true;
        }

        m.title_tag = doc
            .select(css!("title"))
            .next()
            .map(element_text)
            .and_then(non_empty);
        let h1s = css!("article h1, main h1, h1");
        m.h1 = doc.select(h1s).map(element_text).find(|t| !t.is_empty());

        let html_lang = doc.root_element().value().attr("lang").and_then(clean);
        m.lang = html_lang
            .or(m.lang.take())
            .or_else(|| get("og:locale"))
            .map(|l| l.replace('_', "-"));

        if m.published.is_none() {
            m.published = doc
                .select(css!("article time[datetime], time[datetime]"))
                .find_map(|t| t.value().attr("datetime").and_then(clean));
        }
        m.canonical = doc
            .select(css!("link[rel~=canonical][href]"))
            .next()
            .and_then(|l| l.value().attr("href"))
            .or_else(|| og.get("og:url").map(String::as_str))
            .and_then(|h| base.join(h.trim()).ok());
        m.lead = doc
            .select(css!(
                ".lead, .article-lead, .intro, .article__lead, p[itemprop=description]"
            ))
            .map(element_text)
            .find(|t| !t.is_empty());
        let mut links: HashSet<String> = HashSet::new();
        for a in doc.select(css!("a[href]")) {
            if let Some(u) = a
                .value()
                .attr("href")
                .and_then(|h| base.join(h.trim()).ok())
            {
                links.insert(strip_fragment(u).to_string());
            }
        }
        m.link_count = links.len();
        if m.published.is_none() {
            m.published = date_in_path(m.canonical.as_ref().unwrap_or(page_url));
        }
        m
    }

    fn read_json_ld(&mut self, doc: &Html, base: &Url) {
        let mut objects: Vec<Value> = Vec::new();
        for script in doc.select(css!("script[type]")) {
            let is_ld = script
                .value()
                .attr("type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"));
            if !is_ld {
                continue;
            }
            let raw: String = script.text().collect();
            let raw = raw
                .trim()
                .trim_start_matches("<![CDATA[")
                .trim_end_matches("]]>")
                .trim()
                .trim_end_matches(';');
            if let Ok(v) = serde_json::from_str::<Value>(raw) {
                flatten_ld(v, &mut objects, 0);
            }
        }
        let is_type = |o: &Value, names: &[&str]| match o.get("@type") {
            Some(Value::String(t)) => names.contains(&t.as_str()),
            Some(Value::Array(ts)) => ts
                .iter()
                .any(|t| t.as_str().is_some_and(|t| names.contains(&t))),
            _ => false,
        };
        if let Some(org) = objects
            .iter()
            .find(|o| is_type(o, &["NewsMediaOrganization", "Organization", "WebSite"]))
        {
            self.site_name = org.get("name").and_then(Value::as_str).and_then(clean);
        }
        let Some(art) = objects.iter().find(|o| is_type(o, ARTICLE_TYPES)) else {
            return;
        };
        self.is_article_type = true;
        let s = |k: &str| art.get(k).and_then(Value::as_str).and_then(clean);
        self.ld_headline = s("headline").or_else(|| s("name"));
        self.published = s("datePublished");
        self.modified = s("dateModified");
        self.lang = s("inLanguage");
        if let Some(p) = art
            .get("publisher")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
        {
            self.site_name = clean(p);
        }
        self.authors = names(art.get("author"));
        self.image = first_image(art.get("image"))
            .and_then(|u| base.join(&u).ok())
            .map(|u| u.to_string());
        self.free = match art.get("isAccessibleForFree") {
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) => Some(!s.eq_ignore_ascii_case("false")),
            _ => None,
        };
    }

    /// The bare headline: no site name, no repeats.
    pub(super) fn headline(&self) -> Option<String> {
        // An unclosed <h1> swallows the page; then the <title> is the better witness.
        let h1 = self.h1.as_deref().filter(|h| h.chars().count() <= 200);
        let title = self.title_tag.as_deref();
        let og = self.og_title.as_deref();
        // A JSON-LD headline counts when another witness agrees with it: some sites put the
        // site's description there.
        let witnesses: Vec<&str> = [og, title, h1].into_iter().flatten().collect();
        let ld = self
            .ld_headline
            .as_deref()
            .filter(|l| witnesses.is_empty() || witnesses.iter().any(|w| agrees(l, w)));
        // An <h1> counts when the title agrees with it: a site header's <h1> ("V8", the
        // blog's name) does not.
        let h1 = h1.filter(|h| og.or(title).is_none_or(|t| agrees(h, t)));
        let raw = ld.or(og).or(h1).or(title)?;
        let mut h = strip_site_name(raw, self.site_name.as_deref());
        if let Some(h1) = h1 {
            // "Site - Headline" without a declared site name: the part equal to the <h1> wins.
            if h != h1
                && SEPARATORS
                    .iter()
                    .any(|sep| h.split(sep).any(|part| part.trim() == h1))
            {
                h = h1.to_string();
            }
        }
        let h = undouble(&h);
        non_empty(h)
    }

    pub(super) fn byline(&self, doc: &Html, rules: &ExtractRules) -> Option<String> {
        if !self.authors.is_empty() {
            return Some(self.authors.join(", "));
        }
        if let Some(a) = &self.meta_author {
            return Some(a.clone());
        }
        let from_sel = |s: &Selector| -> Option<String> {
            doc.select(s)
                .map(element_text)
                .map(|t| strip_von(&t))
                .find(|t| !t.is_empty() && t.chars().count() <= 100)
        };
        rules
            .byline
            .as_ref()
            .and_then(|s| from_sel(s.selector()))
            .or_else(|| {
                from_sel(css!(
                    "a[rel~=author], [itemprop=author], .byline, .author, .article-author"
                ))
            })
    }
}

fn flatten_ld(v: Value, out: &mut Vec<Value>, depth: usize) {
    if depth > 4 {
        return;
    }
    match v {
        Value::Array(items) => items
            .into_iter()
            .for_each(|i| flatten_ld(i, out, depth + 1)),
        Value::Object(mut o) => {
            if let Some(graph) = o.remove("@graph") {
                flatten_ld(graph, out, depth + 1);
            }
            if let Some(main) = o.get("mainEntity").cloned() {
                flatten_ld(main, out, depth + 1);
            }
            out.push(Value::Object(o));
        }
        _ => {}
    }
}

fn names(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => clean(s).into_iter().collect(),
        Some(Value::Object(o)) => o
            .get("name")
            .and_then(Value::as_str)
            .and_then(clean)
            .into_iter()
            .collect(),
        Some(Value::Array(a)) => a.iter().flat_map(|x| names(Some(x))).collect(),
        _ => Vec::new(),
    }
}

fn first_image(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => clean(s),
        Value::Object(o) => o
            .get("url")
            .or_else(|| o.get("contentUrl"))
            .and_then(Value::as_str)
            .and_then(clean),
        Value::Array(a) => a.iter().find_map(|x| first_image(Some(x))),
        _ => None,
    }
}

/// Do two headline candidates name the same story? Equal, or one holds the other and is
/// at least half as long (so "Headline | Site" agrees with "Headline", not with "Site").
fn agrees(a: &str, b: &str) -> bool {
    let (a, b) = (
        fold_whitespace(a).to_lowercase(),
        fold_whitespace(b).to_lowercase(),
    );
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    long.contains(short.as_str()) && short.len() * 2 >= long.len()
}

/// A date written into the article's URL path (`/2026/03/04/`, `/2026-03-04-`), as
/// `YYYY-MM-DD`: many sites carry no other date signal.
fn date_in_path(url: &Url) -> Option<String> {
    static DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:^|[/_-])((?:19|20)\d{2})([/_-]?)(0[1-9]|1[0-2])([/_-]?)(0[1-9]|[12]\d|3[01])(?:$|[/_.-])")
            .expect("static regex")
    });
    let caps = DATE.captures(url.path())?;
    // "20260304" glued together is a date; "2026/0304" is not.
    if caps[2] != caps[4] {
        return None;
    }
    Some(format!("{}-{}-{}", &caps[1], &caps[3], &caps[5]))
}

pub(super) fn strip_von(s: &str) -> String {
    let t = fold_whitespace(s);
    for p in ["Von ", "von ", "By ", "by "] {
        if let Some(r) = t.strip_prefix(p) {
            return r.trim().to_string();
        }
    }
    t
}

pub(super) fn error_page_title(m: &Meta) -> Option<String> {
    const PHRASES: &[&str] = &[
        "seite nicht gefunden",
        "page not found",
        "seite existiert nicht",
        "seite wurde nicht gefunden",
        "artikel nicht gefunden",
        "artikel ist nicht mehr verfügbar",
        "fehler 404",
        "error 404",
        "404 not found",
    ];
    [&m.h1, &m.title_tag, &m.og_title]
        .into_iter()
        .flatten()
        .find_map(|t| {
            let l = t.to_lowercase();
            let is_404 = l.split(|c: char| !c.is_alphanumeric()).any(|w| w == "404")
                && l.chars().count() < 60;
            (PHRASES.iter().any(|p| l.contains(p)) || is_404).then(|| t.clone())
        })
}

pub(super) fn paywall_marker(doc: &Html, m: &Meta) -> Option<String> {
    if m.free == Some(false) {
        return Some("JSON-LD says isAccessibleForFree: false".to_string());
    }
    if doc
        .select(css!(
            "[class*=paywall], [id*=paywall], [class*=Paywall], [data-paywall]"
        ))
        .next()
        .is_some()
    {
        return Some("page has a paywall element".to_string());
    }
    const PHRASES: &[&str] = &[
        "jetzt abonnieren und weiterlesen",
        "weiterlesen mit",
        "nur für abonnenten",
        "exklusiv für abonnenten",
        "abo abschließen",
        "sie haben bereits ein abo",
        "subscribe to continue",
        "um diesen artikel zu lesen",
        "um den vollständigen artikel zu lesen",
    ];
    let text = element_text(doc.root_element()).to_lowercase();
    PHRASES
        .iter()
        .find(|p| text.contains(*p))
        .map(|p| format!("page asks to subscribe (\"{p}\")"))
}
