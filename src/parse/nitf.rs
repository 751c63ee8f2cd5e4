//! NITF (News Industry Text Format, IPTC) read into an `Item`: a standalone `<nitf>`
//! document, or the NITF a NewsML-G2 `contentSet` carries inline.
//!
//! `head/docdata` gives identity (`doc-id`), version (`du-key@version`), urgency, dates
//! (`date.issue`, `date.release` as embargo), status (`management-status`), rights and the
//! editor's message; `head/tobject` the subject codes; `body.head` headline, byline,
//! dateline and abstract; `body.content` the text, mapped to HTML element by element, and
//! its first picture (`media`) with caption and credit.

use chrono_tz::Tz;
use url::Url;

use super::agency::{self, AgencyError};
use super::item::clean_lang;
use super::xmltree::{self, write_html, Element, Html};
use crate::model::{Image, Item, ParsedFeed, Subject, Wire};
use crate::text::fold_whitespace;

const FORMAT: &str = "NITF";

/// Reads one NITF document.
pub fn parse(body: &[u8], base: &Url) -> Result<ParsedFeed, AgencyError> {
    let text = String::from_utf8_lossy(body);
    parse_str(
        text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']),
        base,
        chrono_tz::UTC,
    )
}

/// Reads a NITF document; times that name no zone are read in `tz`.
pub(crate) fn parse_str(text: &str, base: &Url, tz: Tz) -> Result<ParsedFeed, AgencyError> {
    let root = xmltree::parse(text).map_err(|e| AgencyError::xml(FORMAT, e))?;
    let (item, wire) = read(&root, base, tz)?;
    if item.guid.is_none() {
        return Err(AgencyError::NoId {
            format: FORMAT,
            id: item.title.clone(),
            missing: "head/docdata/doc-id@id-string",
        });
    }
    let mut out = ParsedFeed::default();
    agency::accept(item, wire, FORMAT, &mut out);
    if out.items.is_empty() {
        return Err(AgencyError::NoItems { format: FORMAT });
    }
    Ok(out)
}

/// Maps a `<nitf>` element. The item's guid is `None` when the document has no `doc-id`
/// (a NewsML-G2 wrapper gives its own).
pub(crate) fn read(nitf: &Element, base: &Url, tz: Tz) -> Result<(Item, Wire), AgencyError> {
    let head = nitf.child("head");
    let docdata = head.and_then(|h| h.child("docdata"));
    let dd = |name: &str| docdata.and_then(|d| d.child(name));
    let guid = dd("doc-id").and_then(|d| d.attr_text("id-string"));
    let id = guid.clone().unwrap_or_default();
    let body = nitf.child("body");
    let body_head = body.and_then(|b| b.child("body.head"));
    let Some(content) = body.and_then(|b| b.child("body.content")) else {
        return Err(AgencyError::NoContent {
            format: FORMAT,
            id,
            missing: "<body.content>",
        });
    };

    let title = body_head
        .and_then(|h| h.path(&["hedline", "hl1"]))
        .and_then(Element::text_opt)
        .or_else(|| {
            head.and_then(|h| h.child("title"))
                .and_then(Element::text_opt)
        })
        .unwrap_or_default();
    let authors = body_head
        .into_iter()
        .flat_map(|h| h.all("byline"))
        .filter_map(|b| {
            // The byline's title (`byttl`, "Korrespondentin") is not part of the name.
            let mut name = b.clone();
            name.children
                .retain(|n| !matches!(n, xmltree::Node::Element(e) if e.name == "byttl"));
            agency::byline(&name.text())
        })
        .collect();
    let summary_html = body_head.and_then(|h| h.child("abstract")).and_then(|a| {
        let mut html = String::new();
        write_html(a, base, &nitf_html, &mut html);
        let html = html.trim().to_string();
        if html.is_empty() {
            None
        } else if html.starts_with('<') {
            Some(html)
        } else {
            Some(format!("<p>{html}</p>"))
        }
    });
    let mut content_html = String::new();
    write_html(content, base, &nitf_html, &mut content_html);
    let image = content.find("media").and_then(|m| media_image(m, base));

    let located = body_head
        .and_then(|h| h.child("dateline"))
        .and_then(|d| d.child("location").or(Some(d)))
        .and_then(Element::text_opt)
        .or_else(|| {
            docdata
                .and_then(|d| d.path(&["identified-content", "location"]))
                .and_then(Element::text_opt)
        });
    let subjects: Vec<Subject> = head
        .into_iter()
        .flat_map(|h| h.all("tobject"))
        .flat_map(|t| t.all("tobject.subject"))
        .map(|s| Subject {
            code: s
                .attr_text("tobject.subject.refnum")
                .or_else(|| s.attr_text("tobject.subject.code"))
                .unwrap_or_default(),
            name: s
                .attr_text("tobject.subject.detail")
                .or_else(|| s.attr_text("tobject.subject.matter"))
                .or_else(|| s.attr_text("tobject.subject.type")),
        })
        .filter(|s| !s.code.is_empty() || s.name.is_some())
        .collect();
    let issued = dd("date.issue")
        .and_then(|d| d.attr("norm"))
        .and_then(|d| agency::date(d, tz));
    let copyright =
        dd("doc.copyright").map(|c| match (c.attr_text("year"), c.attr_text("holder")) {
            (Some(y), Some(h)) => format!("© {y} {h}"),
            (None, Some(h)) => format!("© {h}"),
            (Some(y), None) => format!("© {y}"),
            (None, None) => String::new(),
        });
    let owner = dd("doc.rights")
        .and_then(|r| r.attr_text("owner"))
        .or_else(|| {
            body_head
                .and_then(|h| h.path(&["rights", "rights.owner"]))
                .and_then(Element::text_opt)
        });
    let status = docdata.and_then(|d| d.attr("management-status"));
    let wire = Wire {
        format: FORMAT.to_string(),
        version: dd("du-key")
            .and_then(|k| k.attr("version"))
            .and_then(agency::version),
        version_created: issued,
        embargoed: agency::embargo(
            FORMAT,
            &id,
            dd("date.release").and_then(|d| d.attr("norm")),
            tz,
        )?,
        pubstatus: agency::pubstatus(FORMAT, &id, status)?,
        urgency: dd("urgency")
            .and_then(|u| u.attr("ed-urg"))
            .and_then(agency::urgency),
        rights: agency::rights(owner, copyright, None),
        ednote: docdata
            .into_iter()
            .flat_map(|d| d.all("ed-msg"))
            .filter_map(|m| m.attr_text("info").or_else(|| m.text_opt()))
            .map(|m| fold_whitespace(&m))
            .reduce(|a, b| format!("{a} {b}")),
        signals: docdata
            .into_iter()
            .flat_map(|d| d.all("ed-msg"))
            .filter_map(|m| m.attr("msg-type"))
            .map(agency::code)
            .filter(|c| !c.is_empty())
            .collect(),
        located,
        subjects,
    };
    let lang = nitf
        .attr("xml:lang")
        .or_else(|| body.and_then(|b| b.attr("xml:lang")))
        .or_else(|| content.attr("xml:lang"))
        .and_then(clean_lang);
    // `pubdata@ex-ref` points at the rendering of the publication: the story's page.
    let link = head
        .and_then(|h| h.child("pubdata"))
        .and_then(|p| p.attr("ex-ref"))
        .and_then(|r| base.join(r.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let item = Item {
        guid,
        link,
        title,
        summary_html,
        content_html: Some(content_html.trim().to_string()).filter(|h| !h.is_empty()),
        authors,
        categories: agency::subject_categories(&wire.subjects),
        published: issued,
        updated: None,
        image,
        lang,
        ..Item::default()
    };
    Ok((item, wire))
}

/// NITF body elements as HTML. Inline markup of people, places and numbers is unwrapped;
/// pictures are the item's image, not part of the text.
fn nitf_html(e: &Element) -> Html {
    match e.name.as_str() {
        "p" => Html::Tag("p"),
        "hl1" => Html::Tag("h2"),
        "hl2" => Html::Tag("h3"),
        "bq" => Html::Tag("blockquote"),
        "credit" => Html::Tag("cite"),
        "ul" => Html::Tag("ul"),
        "ol" => Html::Tag("ol"),
        "li" => Html::Tag("li"),
        "dl" => Html::Tag("dl"),
        "dt" => Html::Tag("dt"),
        "dd" => Html::Tag("dd"),
        "table" => Html::Tag("table"),
        "caption" => Html::Tag("caption"),
        "thead" => Html::Tag("thead"),
        "tbody" => Html::Tag("tbody"),
        "tfoot" => Html::Tag("tfoot"),
        "tr" => Html::Tag("tr"),
        "td" => Html::Tag("td"),
        "th" => Html::Tag("th"),
        "a" => Html::Tag("a"),
        "em" => Html::Tag("em"),
        "q" => Html::Tag("q"),
        "pre" => Html::Tag("pre"),
        "br" => Html::Tag("br"),
        "hr" => Html::Tag("hr"),
        "media" | "classifier" | "tobject" | "fn" | "body.end" => Html::Drop,
        _ => Html::Unwrap,
    }
}

/// A NITF `media` element of type image as an image with its caption and credit.
fn media_image(m: &Element, base: &Url) -> Option<Image> {
    if m.attr("media-type")
        .is_some_and(|t| !t.eq_ignore_ascii_case("image"))
    {
        return None;
    }
    let reference = m
        .all("media-reference")
        .find(|r| r.attr("source").is_some())?;
    let url = base.join(reference.attr("source")?.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    Some(Image {
        url: url.to_string(),
        caption: m.child("media-caption").and_then(Element::text_opt),
        credit: m.child("media-producer").and_then(Element::text_opt),
        mime: reference.attr_text("mime-type"),
        length: None,
    })
}
