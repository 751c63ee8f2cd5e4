//! HTML pages for people: `<id>.html` beside each feed and `index.html` listing them all.
//!
//! Browsers are dropping XSLT, so a feed opened in a browser needs a real page: valid
//! HTML5, no script, every link relative (the pages work under any sub-path and behind any
//! proxy), dates written out in the feed's language, pictures with caption and credit.
//! Like the feed renderers these are pure: the same input gives the same bytes.

use super::clean::{text, Cleaned};
use super::entry::{rfc3339, Entry, FeedMeta};
use crate::curate::WithdrawnNote;
use crate::model::WithdrawnBy;
use chrono::{DateTime, Datelike, Timelike, Utc};
use std::fmt::Write;

/// Keys of the page strings an operator may override under `site.strings` in config.yaml.
pub const PAGE_STRING_KEYS: &[&str] = &[
    "subscribe",
    "subscribe_hint",
    "all_feeds",
    "source",
    "also_at",
    "by",
    "attachments",
    "no_items",
    "newest_story",
    "items",
    "feeds",
    "opml",
    "generator",
    "withdrawn",
    "by_agency",
    "by_editor",
];

const GERMAN: &[&str] = &[
    "Abonnieren",
    "Diese Seite gibt es auch als Feed: Kopieren Sie eine dieser Adressen in Ihren Feedreader.",
    "Alle Feeds",
    "Quelle",
    "Auch bei",
    "Von",
    "Anhänge",
    "Dieser Feed enthält zurzeit keine Meldungen.",
    "Neueste Meldung",
    "Meldungen",
    "Feeds",
    "Alle Feeds für den Feedreader (OPML)",
    "Erzeugt von wirefeed",
    "Zurückgezogen (Hinweis für die Redaktion)",
    "von der Agentur",
    "von Hand",
];

const ENGLISH: &[&str] = &[
    "Subscribe",
    "This page is also a feed: copy one of these addresses into your feed reader.",
    "All feeds",
    "Source",
    "Also at",
    "By",
    "Attachments",
    "This feed has no stories at the moment.",
    "Newest story",
    "stories",
    "Feeds",
    "All feeds for your reader (OPML)",
    "Made by wirefeed",
    "Withdrawn (note for the newsroom)",
    "by the agency",
    "by hand",
];

const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// What every page of an installation shares: the newsroom's name and the strings the
/// operator replaced (`site.strings`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Site {
    pub name: String,
    /// Default language of the pages (config `lang`); a feed's own language wins.
    pub lang: Option<String>,
    pub strings: Vec<(String, String)>,
    /// The zone the pages show times in (config `timezone`, default UTC), named after
    /// each time ("08:05 MEZ" is not guessed: the zone's own abbreviation, "CET").
    pub timezone: chrono_tz::Tz,
}

/// The page strings in one language, with the operator's overrides applied.
struct Strings<'a> {
    german: bool,
    site: &'a Site,
}

impl<'a> Strings<'a> {
    fn new(site: &'a Site, lang: Option<&str>) -> Strings<'a> {
        let german = lang.is_some_and(|l| l.to_ascii_lowercase().starts_with("de"));
        Strings { german, site }
    }

    fn get<'k>(&self, key: &'k str) -> &'k str
    where
        'a: 'k,
    {
        if let Some((_, v)) = self.site.strings.iter().find(|(k, _)| k == key) {
            return v;
        }
        let table = if self.german { GERMAN } else { ENGLISH };
        PAGE_STRING_KEYS
            .iter()
            .position(|k| *k == key)
            .map_or(key, |i| table[i])
    }

    /// "4. März 2026, 08:05 UTC" / "4 March 2026, 08:05 UTC", in the installation's time
    /// zone and naming it ("09:05 CET"): the `datetime` attribute keeps the UTC time.
    fn date(&self, t: DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.site.timezone);
        let zone = local.format("%Z");
        let m = local.month0() as usize;
        if self.german {
            format!(
                "{}. {} {}, {:02}:{:02} {zone}",
                local.day(),
                MONTHS_DE[m],
                local.year(),
                local.hour(),
                local.minute()
            )
        } else {
            format!(
                "{} {} {}, {:02}:{:02} {zone}",
                local.day(),
                MONTHS_EN[m],
                local.year(),
                local.hour(),
                local.minute()
            )
        }
    }
}

/// One feed as the index page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedSummary {
    pub meta: FeedMeta,
    pub items: usize,
    /// Publication time of the feed's newest story, if it has any.
    pub newest: Option<DateTime<Utc>>,
}

const STYLE: &str = "body{font:1.05rem/1.55 system-ui,-apple-system,'Segoe UI',sans-serif;\
max-width:46rem;margin:0 auto;padding:1rem 1.25rem 3rem;color:#1b1b1b;background:#fff}\
a{color:#0b57a8}header{border-bottom:1px solid #ccc;margin-bottom:1.5rem}\
h1{font-size:1.7rem;margin:.4rem 0}.site{margin:.5rem 0 0;font-size:.95rem}\
.subscribe{background:#f1f4f8;border-radius:.4rem;padding:.6rem .9rem;margin:1rem 0}\
.subscribe p{margin:.2rem 0}.subscribe a{margin-right:.8rem;font-weight:600}\
article{border-bottom:1px solid #e2e2e2;padding:1rem 0 1.25rem}\
article h2{font-size:1.25rem;margin:0 0 .3rem}.meta{color:#555;font-size:.9rem;margin:0 0 .6rem}\
figure{margin:.6rem 0}figure img,.text img{max-width:100%;height:auto}\
figcaption{font-size:.88rem;color:#444}.credit{display:block;color:#666;font-size:.82rem}\
.links{font-size:.9rem}footer{margin-top:2rem;font-size:.85rem;color:#666}\
@media (prefers-color-scheme:dark){body{background:#15171a;color:#e6e6e6}\
a{color:#8cc2ff}.subscribe{background:#23272d}.meta,figcaption,.credit,footer{color:#aaa}\
header,article{border-color:#333}}";

fn esc(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

fn attr(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

fn head(out: &mut String, lang: &str, title: &str, links: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"generator\" content=\"wirefeed\">\n<title>{}</title>\n{links}\
<style>{STYLE}</style>\n</head>\n",
        attr(lang),
        esc(title)
    );
}

/// The file name part of a feed's URL (`politik.rss`), for links relative to the page.
fn file(meta: &FeedMeta, ext: &str) -> String {
    format!("{}.{ext}", meta.id)
}

fn discovery_links(meta: &FeedMeta) -> String {
    let t = attr(&meta.title);
    format!(
        "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"{t} (RSS)\" href=\"{}\">\n\
<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{t} (Atom)\" href=\"{}\">\n\
<link rel=\"alternate\" type=\"application/feed+json\" title=\"{t} (JSON Feed)\" href=\"{}\">\n",
        attr(&file(meta, "rss")),
        attr(&file(meta, "atom")),
        attr(&file(meta, "json"))
    )
}

/// Renders `<id>.html`: the feed's title and description, where to subscribe, and each
/// entry with its date, picture (caption and credit), text, source and alternates.
pub fn render_feed_page(site: &Site, meta: &FeedMeta, entries: &[Entry]) -> Vec<u8> {
    render_feed_page_with_notes(site, meta, entries, &[])
}

/// [`render_feed_page`] with an operator note listing the stories withdrawn from the feed:
/// when, by whom and why, so the newsroom sees where a story went.
pub fn render_feed_page_with_notes(
    site: &Site,
    meta: &FeedMeta,
    entries: &[Entry],
    withdrawn: &[WithdrawnNote],
) -> Vec<u8> {
    let lang = text(&meta.lang).or(text(&site.lang)).unwrap_or("en");
    let s = Strings::new(site, Some(lang));
    let mut out = String::with_capacity(8 * 1024 + entries.len() * 2048);
    let title = if site.name.trim().is_empty() {
        meta.title.clone()
    } else {
        format!("{} – {}", meta.title, site.name)
    };
    head(&mut out, lang, &title, &discovery_links(meta));
    out.push_str("<body>\n<header>\n");
    let _ = writeln!(
        out,
        "<p class=\"site\"><a href=\"./\">{}</a> · <a href=\"./\">{}</a></p>",
        esc(&site.name),
        esc(s.get("all_feeds"))
    );
    let _ = writeln!(out, "<h1>{}</h1>", esc(&meta.title));
    if !meta.description.trim().is_empty() {
        let _ = writeln!(out, "<p>{}</p>", esc(&meta.description));
    }
    let _ = write!(
        out,
        "<section class=\"subscribe\" aria-labelledby=\"subscribe\">\n<h2 id=\"subscribe\" \
style=\"font-size:1rem;margin:0\">{}</h2>\n<p>{}</p>\n<p><a href=\"{}\" type=\"application/rss+xml\">RSS</a>\
<a href=\"{}\" type=\"application/atom+xml\">Atom</a><a href=\"{}\" type=\"application/feed+json\">JSON Feed</a></p>\n</section>\n",
        esc(s.get("subscribe")),
        esc(s.get("subscribe_hint")),
        attr(&file(meta, "rss")),
        attr(&file(meta, "atom")),
        attr(&file(meta, "json")),
    );
    out.push_str("</header>\n<main>\n");
    if entries.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", esc(s.get("no_items")));
    }
    for (n, e) in entries.iter().enumerate() {
        entry(&mut out, &s, meta, e, n);
    }
    out.push_str("</main>\n");
    operator_note(&mut out, &s, withdrawn);
    out.push_str("<footer>\n");
    let _ = writeln!(
        out,
        "<p><a href=\"./\">{}</a> · {}</p>",
        esc(s.get("all_feeds")),
        esc(s.get("generator"))
    );
    out.push_str("</footer>\n</body>\n</html>\n");
    out.into_bytes()
}

/// The withdrawn stories, without links: they must not be read any more.
fn operator_note(out: &mut String, s: &Strings, withdrawn: &[WithdrawnNote]) {
    if withdrawn.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<aside class=\"operator-note\" aria-labelledby=\"withdrawn\">\n<h2 id=\"withdrawn\">{}</h2>\n<ul>",
        esc(s.get("withdrawn"))
    );
    for n in withdrawn {
        let by = match n.withdrawal.by {
            WithdrawnBy::Editor => s.get("by_editor"),
            WithdrawnBy::Agency | WithdrawnBy::Withheld => s.get("by_agency"),
        };
        let _ = writeln!(
            out,
            "<li><time datetime=\"{}\">{}</time> {}: <q>{}</q> – {}</li>",
            rfc3339(n.withdrawal.at),
            esc(&s.date(n.withdrawal.at)),
            esc(by),
            esc(&n.title),
            esc(&n.withdrawal.reason)
        );
    }
    out.push_str("</ul>\n</aside>\n");
}

fn entry(out: &mut String, s: &Strings, meta: &FeedMeta, e: &Entry, n: usize) {
    let clean = Cleaned::new(e, meta);
    let lang = text(&e.lang).filter(|l| Some(*l) != text(&meta.lang));
    let _ = match lang {
        Some(l) => writeln!(
            out,
            "<article lang=\"{}\" aria-labelledby=\"e{n}\">",
            attr(l)
        ),
        None => writeln!(out, "<article aria-labelledby=\"e{n}\">"),
    };
    let title = esc(&e.title);
    let _ = match &e.link {
        Some(link) => writeln!(
            out,
            "<h2 id=\"e{n}\"><a href=\"{}\">{title}</a></h2>",
            attr(link.as_str())
        ),
        None => writeln!(out, "<h2 id=\"e{n}\">{title}</h2>"),
    };
    let _ = write!(
        out,
        "<p class=\"meta\"><time datetime=\"{}\">{}</time>",
        rfc3339(e.published),
        esc(&s.date(e.published))
    );
    if !e.authors.is_empty() {
        let _ = write!(
            out,
            " · {} {}",
            esc(s.get("by")),
            esc(&e.authors.join(", "))
        );
    }
    out.push_str("</p>\n");
    if let Some(img) = &clean.image {
        let caption = text(&img.caption);
        let credit = text(&img.credit);
        let alt = caption.unwrap_or("");
        let _ = write!(
            out,
            "<figure><img src=\"{}\" alt=\"{}\" loading=\"lazy\">",
            attr(&img.url),
            attr(alt)
        );
        if caption.is_some() || credit.is_some() {
            out.push_str("<figcaption>");
            if let Some(c) = caption {
                out.push_str(&esc(c));
            }
            if let Some(c) = credit {
                let _ = write!(out, "<small class=\"credit\">{}</small>", esc(c));
            }
            out.push_str("</figcaption>");
        }
        out.push_str("</figure>\n");
    }
    // The summary when there is one (a page of many stories reads best as leads), else
    // the full text.
    // The figure above is the page's own; the text is the entry's without it.
    let base = e.link.as_ref().unwrap_or(&meta.base_url);
    let body = [&e.summary_html, &e.content_html]
        .into_iter()
        .flatten()
        .map(|h| super::sanitize::sanitize_html(h, base))
        .find(|h| !h.trim().is_empty());
    if let Some(body) = body {
        let _ = writeln!(out, "<div class=\"text\">{body}</div>");
    }
    if !clean.enclosures.is_empty() {
        let _ = write!(out, "<p class=\"links\">{}:", esc(s.get("attachments")));
        for enc in &clean.enclosures {
            let name = enc
                .url
                .rsplit('/')
                .next()
                .filter(|n| !n.is_empty())
                .unwrap_or(&enc.url);
            let _ = write!(
                out,
                " <a href=\"{}\" type=\"{}\">{}</a>",
                attr(&enc.url),
                attr(enc.mime.as_deref().unwrap_or("application/octet-stream")),
                esc(name)
            );
        }
        out.push_str("</p>\n");
    }
    let mut hosts = Vec::new();
    if let Some(link) = &e.link {
        let host = link.host_str().unwrap_or(link.as_str());
        hosts.push(format!(
            "{}: <a href=\"{}\">{}</a>",
            esc(s.get("source")),
            attr(link.as_str()),
            esc(host.trim_start_matches("www."))
        ));
    }
    let alternates: Vec<String> = e
        .alternates
        .iter()
        .filter(|a| Some(*a) != e.link.as_ref())
        .map(|a| {
            let host = a.host_str().unwrap_or(a.as_str());
            format!(
                "<a href=\"{}\">{}</a>",
                attr(a.as_str()),
                esc(host.trim_start_matches("www."))
            )
        })
        .collect();
    if !alternates.is_empty() {
        hosts.push(format!(
            "{} {}",
            esc(s.get("also_at")),
            alternates.join(", ")
        ));
    }
    if !hosts.is_empty() {
        let _ = writeln!(out, "<p class=\"links\">{}</p>", hosts.join(" · "));
    }
    out.push_str("</article>\n");
}

/// Renders `index.html`: the site's name, every feed with its description, newest story
/// and subscribe links, and discovery links for readers given the page's address.
pub fn render_index_page(site: &Site, feeds: &[FeedSummary], opml: bool) -> Vec<u8> {
    let lang = text(&site.lang).unwrap_or("en");
    let s = Strings::new(site, Some(lang));
    let mut links: String = feeds.iter().map(|f| discovery_links(&f.meta)).collect();
    if opml {
        let _ = writeln!(
            links,
            "<link rel=\"alternate\" type=\"text/x-opml\" title=\"{}\" href=\"index.opml\">",
            attr(s.get("opml"))
        );
    }
    let mut out = String::with_capacity(4096 + feeds.len() * 1024);
    head(&mut out, lang, &site.name, &links);
    let _ = write!(
        out,
        "<body>\n<header>\n<h1>{}</h1>\n</header>\n<main>\n<h2>{}</h2>\n",
        esc(&site.name),
        esc(s.get("feeds"))
    );
    for f in feeds {
        let m = &f.meta;
        let _ = write!(
            out,
            "<article>\n<h3><a href=\"{}\">{}</a></h3>\n",
            attr(&file(m, "html")),
            esc(&m.title)
        );
        if !m.description.trim().is_empty() {
            let _ = writeln!(out, "<p>{}</p>", esc(&m.description));
        }
        let _ = write!(out, "<p class=\"meta\">{} {}", f.items, esc(s.get("items")));
        if let Some(t) = f.newest {
            let _ = write!(
                out,
                " · {}: <time datetime=\"{}\">{}</time>",
                esc(s.get("newest_story")),
                rfc3339(t),
                esc(&s.date(t))
            );
        }
        let _ = write!(
            out,
            "</p>\n<p class=\"links\"><a href=\"{}\" type=\"application/rss+xml\">RSS</a> · \
<a href=\"{}\" type=\"application/atom+xml\">Atom</a> · <a href=\"{}\" type=\"application/feed+json\">JSON Feed</a></p>\n</article>\n",
            attr(&file(m, "rss")),
            attr(&file(m, "atom")),
            attr(&file(m, "json"))
        );
    }
    if opml {
        let _ = writeln!(
            out,
            "<p><a href=\"index.opml\" type=\"text/x-opml\">{}</a></p>",
            esc(s.get("opml"))
        );
    }
    let _ = write!(
        out,
        "</main>\n<footer>\n<p>{}</p>\n</footer>\n</body>\n</html>\n",
        esc(s.get("generator"))
    );
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Enclosure, Image};
    use chrono::TimeZone;
    use url::Url;

    fn meta(lang: &str) -> FeedMeta {
        FeedMeta {
            id: "politik".into(),
            title: "Politik & Gesellschaft".into(),
            description: "Aus den Agenturen".into(),
            base_url: Url::parse("https://feeds.beispiel.de/nachrichten/").unwrap(),
            lang: Some(lang.into()),
            hubs: vec![],
            author: "Beispiel-Kurier".into(),
            empty_updated: None,
            stylesheet: None,
        }
    }

    fn site() -> Site {
        Site {
            name: "Beispiel-Kurier".into(),
            lang: Some("de".into()),
            strings: vec![],
            timezone: chrono_tz::UTC,
        }
    }

    fn entry() -> Entry {
        let t = Utc.with_ymd_and_hms(2026, 3, 4, 8, 5, 6).unwrap();
        Entry {
            id: "urn:uuid:01234567-89ab-cdef-0123-456789abcdef".into(),
            title: "Landtag <beschließt> Haushalt".into(),
            link: Url::parse("https://www.beispiel-kurier.de/a.html").ok(),
            summary_html: Some("<p>Der Landtag hat <script>x()</script>beschlossen.</p>".into()),
            content_html: None,
            authors: vec!["Jana Beispiel".into()],
            categories: vec![],
            published: t,
            updated: t,
            image: Some(Image {
                url: "/bilder/landtag.jpg".into(),
                caption: Some("Der Plenarsaal".into()),
                credit: Some("Foto: dpa".into()),
                ..Image::default()
            }),
            enclosures: vec![Enclosure {
                url: "https://cdn.beispiel.de/podcast/folge-1.mp3".into(),
                mime: Some("audio/mpeg".into()),
                length: Some(1234),
            }],
            alternates: vec![Url::parse("https://anderes-blatt.de/b.html").unwrap()],
            sources: vec!["dpa".into()],
            lang: Some("de".into()),
            rights: None,
        }
    }

    fn page(lang: &str, entries: &[Entry]) -> String {
        String::from_utf8(render_feed_page(&site(), &meta(lang), entries)).unwrap()
    }

    #[test]
    fn feed_page_shows_date_in_the_feeds_language_picture_credit_and_no_script() {
        let html = page("de", &[entry()]);
        assert!(
            html.starts_with("<!DOCTYPE html>\n<html lang=\"de\">"),
            "{html}"
        );
        assert!(html.contains(">4. März 2026, 08:05 UTC</time>"), "{html}");
        assert!(html.contains(
            "<img src=\"https://www.beispiel-kurier.de/bilder/landtag.jpg\" alt=\"Der Plenarsaal\""
        ));
        assert!(html.contains(
            "<figcaption>Der Plenarsaal<small class=\"credit\">Foto: dpa</small></figcaption>"
        ));
        assert!(html.contains("Landtag &lt;beschließt&gt; Haushalt"));
        assert!(!html.to_ascii_lowercase().contains("<script"), "{html}");
        assert!(html
            .contains("href=\"https://cdn.beispiel.de/podcast/folge-1.mp3\" type=\"audio/mpeg\""));
        assert!(html
            .contains("Auch bei <a href=\"https://anderes-blatt.de/b.html\">anderes-blatt.de</a>"));
        let en = page("en", &[entry()]);
        assert!(en.contains(">4 March 2026, 08:05 UTC</time>"), "{en}");
        // In the installation's zone, named; the machine-readable time stays UTC.
        let mut berlin = site();
        berlin.timezone = chrono_tz::Europe::Berlin;
        let local = String::from_utf8(render_feed_page(&berlin, &meta("de"), &[entry()])).unwrap();
        assert!(
            local.contains("datetime=\"2026-03-04T08:05:06Z\">4. März 2026, 09:05 CET</time>"),
            "{local}"
        );
        assert!(en.contains(">Subscribe</h2>"));
    }

    /// html5ever reports what the HTML5 parsing algorithm calls parse errors: none.
    #[test]
    fn pages_parse_as_html5_without_errors() {
        let mut odd = entry();
        odd.title = "A & B <i> \"C\"".into();
        odd.summary_html = Some("<p>Absatz<p>ohne Ende <b>fett".into());
        let feed = page("de", &[entry(), odd]);
        let index = String::from_utf8(render_index_page(
            &site(),
            &[FeedSummary {
                meta: meta("de"),
                items: 0,
                newest: None,
            }],
            false,
        ))
        .unwrap();
        for html in [feed, index] {
            let doc = scraper::Html::parse_document(&html);
            assert!(doc.errors.is_empty(), "{:?}\n{html}", doc.errors);
        }
    }

    #[test]
    fn feed_page_links_are_relative_so_it_works_under_a_sub_path() {
        let html = page("de", &[]);
        for href in html.split("href=\"").skip(1) {
            let href = &href[..href.find('"').unwrap()];
            assert!(
                !href.starts_with('/') && !href.contains("feeds.beispiel.de"),
                "absolute link {href} in\n{html}"
            );
        }
        assert!(html.contains("href=\"politik.atom\""));
        assert!(html.contains("Dieser Feed enthält zurzeit keine Meldungen."));
    }

    #[test]
    fn operator_strings_replace_the_built_in_ones() {
        let mut s = site();
        s.strings = vec![("subscribe".into(), "Jetzt abonnieren".into())];
        let html = String::from_utf8(render_feed_page(&s, &meta("de"), &[])).unwrap();
        assert!(html.contains(">Jetzt abonnieren</h2>"));
        assert_eq!(GERMAN.len(), PAGE_STRING_KEYS.len());
        assert_eq!(ENGLISH.len(), PAGE_STRING_KEYS.len());
    }

    #[test]
    fn index_page_names_the_site_and_offers_every_feed_for_discovery() {
        let newest = Utc.with_ymd_and_hms(2026, 11, 2, 7, 30, 0).unwrap();
        let html = String::from_utf8(render_index_page(
            &site(),
            &[FeedSummary {
                meta: meta("de"),
                items: 3,
                newest: Some(newest),
            }],
            true,
        ))
        .unwrap();
        assert!(html.contains("<h1>Beispiel-Kurier</h1>"));
        assert!(html.contains("<html lang=\"de\">"));
        assert!(html.contains(
            "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Politik &amp; Gesellschaft (Atom)\" href=\"politik.atom\">"
        ));
        assert!(html.contains("Neueste Meldung: <time datetime=\"2026-11-02T07:30:00Z\">2. November 2026, 07:30 UTC</time>"));
        assert!(html.contains("href=\"politik.html\""));
        assert!(html.contains("href=\"index.opml\""));
    }
}
