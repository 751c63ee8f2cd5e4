//! IPTC NewsML-G2 read into `Item`s: a `newsItem`, a `packageItem`, or a `newsMessage`
//! carrying several of them.
//!
//! A text `newsItem` is a story: `itemMeta` gives its status, dates, signals and edNote,
//! `contentMeta` its headline, byline, subjects, urgency and place, `rightsInfo` its rights,
//! and `contentSet` the text, as inline XHTML, inline NITF or inline plain text. A picture
//! `newsItem` beside it (linked by `residref`, grouped in the same package, or the only
//! picture of a one-story delivery) becomes the story's image; a picture nothing points to
//! is a story of its own. A `packageItem`'s references to items not in the delivery become
//! stories from the headline and description the reference carries.

use chrono_tz::Tz;
use url::Url;

use super::agency::{self, AgencyError};
use super::item::clean_lang;
use super::nitf;
use super::xmltree::{self, write_html, Element, Html};
use crate::model::{Image, Item, ParsedFeed, Subject, Wire};
use crate::text::fold_whitespace;

const FORMAT: &str = "NewsML-G2";

/// Reads one NewsML-G2 delivery.
pub fn parse(body: &[u8], base: &Url) -> Result<ParsedFeed, AgencyError> {
    let text = String::from_utf8_lossy(body);
    parse_str(
        text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']),
        base,
        chrono_tz::UTC,
    )
}

/// Reads a NewsML-G2 delivery; times that name no zone are read in `tz`.
pub(crate) fn parse_str(text: &str, base: &Url, tz: Tz) -> Result<ParsedFeed, AgencyError> {
    let root = xmltree::parse(text).map_err(|e| AgencyError::xml(FORMAT, e))?;
    let members: Vec<&Element> = match root.name.as_str() {
        "newsMessage" => root
            .child("itemSet")
            .into_iter()
            .flat_map(Element::elements)
            .collect(),
        _ => vec![&root],
    };
    let news_items: Vec<&Element> = members
        .iter()
        .copied()
        .filter(|e| e.name == "newsItem")
        .collect();
    let packages: Vec<&Element> = members
        .iter()
        .copied()
        .filter(|e| e.name == "packageItem")
        .collect();

    let mut pictures: Vec<(String, Image, &Element)> = Vec::new();
    let mut stories: Vec<(Item, Wire, &Element)> = Vec::new();
    for el in &news_items {
        let guid = el.attr_text("guid").ok_or_else(|| AgencyError::NoId {
            format: FORMAT,
            id: headline(el).unwrap_or_default(),
            missing: "newsItem@guid",
        })?;
        if is_picture(el) {
            match picture(el, base) {
                Some(image) => pictures.push((guid, image, el)),
                None => {
                    return Err(AgencyError::NoContent {
                        format: FORMAT,
                        id: guid,
                        missing: "picture in <contentSet> (remoteContent with an http(s) href)",
                    })
                }
            }
        } else {
            let (item, wire) = read_item(el, &guid, base, tz)?;
            stories.push((item, wire, el));
        }
    }

    // Pictures go to the stories that point at them.
    let mut used = vec![false; pictures.len()];
    let single_story = stories.len() == 1;
    for (item, _, el) in &mut stories {
        let guid = item.guid.clone().unwrap_or_default();
        let linked = pictures.iter().position(|(pg, _, _)| {
            el.child("itemMeta")
                .into_iter()
                .flat_map(|m| m.all("link"))
                .any(|l| l.attr("residref") == Some(pg.as_str()))
                || packages.iter().any(|p| same_group(p, &guid, pg))
        });
        // A picture item the story points at (it has its own caption and credit) wins over
        // a picture inside the text; the only picture of a one-story delivery is its own.
        let chosen = linked.or_else(|| {
            (single_story && item.image.is_none() && !pictures.is_empty()).then_some(0)
        });
        if let Some(i) = chosen {
            item.image = Some(pictures[i].1.clone());
            used[i] = true;
        }
    }

    let mut out = ParsedFeed::default();
    for (item, wire, _) in stories {
        agency::accept(item, wire, FORMAT, &mut out);
    }
    for (i, (guid, image, el)) in pictures.into_iter().enumerate() {
        if !used[i] {
            let (mut item, wire) = meta_item(el, &guid, base, tz)?;
            if item.summary_html.is_none() {
                item.summary_html = image
                    .caption
                    .as_deref()
                    .map(|c| html_escape::encode_text(c).into_owned());
            }
            item.image = Some(image);
            agency::accept(item, wire, FORMAT, &mut out);
        }
    }
    let delivered: Vec<&str> = news_items.iter().filter_map(|e| e.attr("guid")).collect();
    for p in &packages {
        package_refs(p, &delivered, base, &mut out)?;
    }
    if out.items.is_empty() {
        return Err(AgencyError::NoItems { format: FORMAT });
    }
    Ok(out)
}

fn is_picture(el: &Element) -> bool {
    el.path(&["itemMeta", "itemClass"])
        .and_then(|c| c.attr("qcode"))
        .is_some_and(|q| matches!(agency::code(q).as_str(), "picture" | "graphic"))
}

fn headline(el: &Element) -> Option<String> {
    let meta = el.child("contentMeta")?;
    // The main headline: one without a role, else the first.
    meta.all("headline")
        .find(|h| h.attr("role").is_none_or(|r| agency::code(r) == "main"))
        .or_else(|| meta.child("headline"))
        .and_then(Element::text_opt)
}

/// Do a package's groups hold both items?
fn same_group(package: &Element, a: &str, b: &str) -> bool {
    package
        .child("groupSet")
        .into_iter()
        .flat_map(|s| s.all("group"))
        .any(|g| {
            let refs: Vec<&str> = g
                .all("itemRef")
                .filter_map(|r| r.attr("residref"))
                .collect();
            refs.contains(&a) && refs.contains(&b)
        })
}

/// A text newsItem: its metadata, and its text from the contentSet.
fn read_item(el: &Element, guid: &str, base: &Url, tz: Tz) -> Result<(Item, Wire), AgencyError> {
    let (mut item, mut wire) = meta_item(el, guid, base, tz)?;
    let Some(set) = el.child("contentSet") else {
        return Err(AgencyError::NoContent {
            format: FORMAT,
            id: guid.to_string(),
            missing: "<contentSet>",
        });
    };
    let inline_xml = set.all("inlineXML").find_map(|x| {
        x.elements()
            .find(|e| matches!(e.name.as_str(), "html" | "nitf"))
            .or_else(|| x.elements().next().filter(|_| is_xhtml(x)))
            .map(|root| (x, root))
    });
    match inline_xml {
        Some((_, root)) if root.name == "nitf" => {
            let (n_item, n_wire) = nitf::read(root, base, tz).map_err(|e| match e {
                AgencyError::NoContent { missing, .. } => AgencyError::NoContent {
                    format: FORMAT,
                    id: guid.to_string(),
                    missing,
                },
                other => other,
            })?;
            merge(&mut item, &mut wire, n_item, n_wire);
        }
        Some((inline, root)) => {
            let body = if root.name == "html" {
                root.find("body").unwrap_or(root)
            } else {
                inline
            };
            let mut html = String::new();
            write_html(body, base, &xhtml, &mut html);
            item.content_html = Some(html.trim().to_string()).filter(|h| !h.is_empty());
            if item.image.is_none() {
                item.image = body.find("img").and_then(|img| {
                    let url = base.join(img.attr("src")?.trim()).ok()?;
                    matches!(url.scheme(), "http" | "https").then(|| Image {
                        url: url.to_string(),
                        caption: img.attr_text("alt"),
                        ..Image::default()
                    })
                });
            }
        }
        None => {
            if let Some(data) = set.child("inlineData") {
                let raw = data.text_opt().unwrap_or_default();
                let html = data.attr("contenttype").is_some_and(|c| c.contains("html"));
                item.content_html = if html {
                    super::item::html_field(&raw, false, base)
                } else {
                    // Keep the line structure: the raw text, not the folded one.
                    let mut text = String::new();
                    for n in &data.children {
                        if let xmltree::Node::Text(t) = n {
                            text.push_str(t);
                        }
                    }
                    agency::text_paragraphs(&text)
                };
            }
        }
    }
    if item.content_html.is_none() {
        return Err(AgencyError::NoContent {
            format: FORMAT,
            id: guid.to_string(),
            missing: "text in <contentSet> (inlineXML or inlineData)",
        });
    }
    Ok((item, wire))
}

fn is_xhtml(inline: &Element) -> bool {
    inline
        .attr("contenttype")
        .is_some_and(|c| c.contains("xhtml") || c.contains("html"))
}

/// NITF fills what the NewsML-G2 wrapper leaves out; the wrapper's metadata wins.
fn merge(item: &mut Item, wire: &mut Wire, n: Item, nw: Wire) {
    if item.title.is_empty() {
        item.title = n.title;
    }
    if item.summary_html.is_none() {
        item.summary_html = n.summary_html;
    }
    item.content_html = n.content_html;
    if item.authors.is_empty() {
        item.authors = n.authors;
    }
    if item.categories.is_empty() {
        item.categories = n.categories;
    }
    item.published = item.published.or(n.published);
    item.image = item.image.take().or(n.image);
    item.lang = item.lang.take().or(n.lang);
    wire.located = wire.located.take().or(nw.located);
    wire.rights = wire.rights.take().or(nw.rights);
    wire.urgency = wire.urgency.or(nw.urgency);
    wire.embargoed = wire.embargoed.or(nw.embargoed);
    wire.ednote = wire.ednote.take().or(nw.ednote);
    if wire.subjects.is_empty() {
        wire.subjects = nw.subjects;
    }
    if wire.pubstatus == crate::model::PubStatus::Usable {
        wire.pubstatus = nw.pubstatus;
    }
}

/// XHTML body elements are HTML already; the sanitizer at publish time decides what stays.
fn xhtml(e: &Element) -> Html {
    match e.name.as_str() {
        "head" | "script" | "style" | "title" => Html::Drop,
        "p" => Html::Tag("p"),
        "h1" => Html::Tag("h1"),
        "h2" => Html::Tag("h2"),
        "h3" => Html::Tag("h3"),
        "h4" => Html::Tag("h4"),
        "h5" => Html::Tag("h5"),
        "h6" => Html::Tag("h6"),
        "a" => Html::Tag("a"),
        "em" | "i" => Html::Tag("em"),
        "strong" | "b" => Html::Tag("strong"),
        "blockquote" => Html::Tag("blockquote"),
        "q" => Html::Tag("q"),
        "cite" => Html::Tag("cite"),
        "ul" => Html::Tag("ul"),
        "ol" => Html::Tag("ol"),
        "li" => Html::Tag("li"),
        "table" => Html::Tag("table"),
        "thead" => Html::Tag("thead"),
        "tbody" => Html::Tag("tbody"),
        "tr" => Html::Tag("tr"),
        "td" => Html::Tag("td"),
        "th" => Html::Tag("th"),
        "br" => Html::Tag("br"),
        "hr" => Html::Tag("hr"),
        "pre" => Html::Tag("pre"),
        "figure" => Html::Tag("figure"),
        "figcaption" => Html::Tag("figcaption"),
        "img" => Html::Tag("img"),
        _ => Html::Unwrap,
    }
}

/// The metadata of a newsItem (itemMeta, contentMeta, rightsInfo) as an item without text.
fn meta_item(el: &Element, guid: &str, base: &Url, tz: Tz) -> Result<(Item, Wire), AgencyError> {
    let item_meta = el.child("itemMeta");
    let content_meta = el.child("contentMeta");
    let im = |n: &str| item_meta.and_then(|m| m.child(n));
    let cm = |n: &str| content_meta.and_then(|m| m.child(n));
    let lang = el
        .attr("xml:lang")
        .or_else(|| cm("language").and_then(|l| l.attr("tag")))
        .and_then(clean_lang);
    let date_of = |e: Option<&Element>| {
        e.and_then(Element::text_opt)
            .and_then(|t| agency::date(&t, tz))
    };
    let version_created = date_of(im("versionCreated"));
    let published = date_of(im("firstCreated"))
        .or(version_created)
        .or_else(|| date_of(cm("contentCreated")));
    let rights_info = el.child("rightsInfo");
    let ri = |n: &str| rights_info.and_then(|r| r.child(n));
    let holder = ri("copyrightHolder").and_then(|h| {
        h.child("name")
            .and_then(Element::text_opt)
            .or_else(|| h.attr_text("literal"))
            .or_else(|| h.text_opt())
    });
    let subjects: Vec<(Subject, bool)> = content_meta
        .into_iter()
        .flat_map(|m| m.all("subject"))
        .map(|s| {
            let name = name_in(s, lang.as_deref());
            // People, organisations and places are subjects too, but not sections.
            let topical = s.attr("type").is_none_or(|t| agency::code(t) == "abstract");
            (
                Subject {
                    code: s
                        .attr_text("qcode")
                        .or_else(|| s.attr_text("uri"))
                        .or_else(|| s.attr_text("literal"))
                        .unwrap_or_default(),
                    name,
                },
                topical,
            )
        })
        .filter(|(s, _)| !s.code.is_empty() || s.name.is_some())
        .collect();
    let categories = agency::subject_categories(
        &subjects
            .iter()
            .filter(|(_, t)| *t)
            .map(|(s, _)| s.clone())
            .collect::<Vec<_>>(),
    );
    let by = cm("by")
        .and_then(Element::text_opt)
        .and_then(|b| agency::byline(&b));
    let creators: Vec<String> = content_meta
        .into_iter()
        .flat_map(|m| m.all("creator"))
        .filter_map(|c| {
            c.child("name")
                .and_then(Element::text_opt)
                .or_else(|| c.attr_text("literal"))
        })
        .collect();
    let summary_html = content_meta
        .and_then(|m| {
            m.all("description")
                .find(|d| d.attr("role").is_some_and(|r| agency::code(r) == "summary"))
                .or_else(|| m.child("description"))
        })
        .and_then(Element::text_opt)
        .map(|t| html_escape::encode_text(&t).into_owned());
    let link = item_meta
        .into_iter()
        .flat_map(|m| m.all("link"))
        .filter(|l| {
            l.attr("rel").is_some_and(|r| {
                matches!(agency::code(r).as_str(), "canonical" | "alternate" | "self")
            })
        })
        .find_map(|l| {
            let url = base.join(l.attr("href")?.trim()).ok()?;
            matches!(url.scheme(), "http" | "https").then_some(url)
        });
    let wire = Wire {
        format: FORMAT.to_string(),
        version: el.attr("version").and_then(agency::version),
        version_created,
        embargoed: agency::embargo(
            FORMAT,
            guid,
            im("embargoed").and_then(Element::text_opt).as_deref(),
            tz,
        )?,
        pubstatus: agency::pubstatus(FORMAT, guid, im("pubStatus").and_then(|s| s.attr("qcode")))?,
        urgency: cm("urgency")
            .and_then(Element::text_opt)
            .and_then(|u| agency::urgency(&u)),
        rights: agency::rights(
            holder,
            ri("copyrightNotice").and_then(Element::text_opt),
            ri("usageTerms").and_then(Element::text_opt),
        ),
        ednote: item_meta
            .into_iter()
            .flat_map(|m| m.all("edNote"))
            .filter_map(Element::text_opt)
            .reduce(|a, b| format!("{a} {b}")),
        signals: item_meta
            .into_iter()
            .flat_map(|m| m.all("signal"))
            .filter_map(|s| s.attr("qcode").or_else(|| s.attr("uri")))
            .map(agency::code)
            .filter(|c| !c.is_empty())
            .collect(),
        located: cm("located")
            .and_then(|l| name_in(l, lang.as_deref()).or_else(|| l.text_opt()))
            .or_else(|| cm("dateline").and_then(Element::text_opt)),
        subjects: subjects.into_iter().map(|(s, _)| s).collect(),
    };
    let item = Item {
        guid: Some(guid.to_string()),
        link,
        title: headline(el).unwrap_or_default(),
        summary_html,
        content_html: None,
        authors: by.map_or(creators, |b| vec![b]),
        categories,
        published,
        updated: version_created.filter(|v| Some(*v) != published),
        image: None,
        lang,
        ..Item::default()
    };
    Ok((item, wire))
}

/// The `<name>` of a concept in the item's language, else its first name.
fn name_in(el: &Element, lang: Option<&str>) -> Option<String> {
    let names: Vec<&Element> = el.all("name").collect();
    let primary = |l: &str| l.split('-').next().unwrap_or(l).to_ascii_lowercase();
    lang.and_then(|want| {
        names.iter().find(|n| {
            n.attr("xml:lang")
                .is_some_and(|l| primary(l) == primary(want))
        })
    })
    .or(names.first())
    .and_then(|n| n.text_opt())
}

/// A picture newsItem's image: the widest image `remoteContent`, with caption and credit.
fn picture(el: &Element, base: &Url) -> Option<Image> {
    let set = el.child("contentSet")?;
    let best = set
        .all("remoteContent")
        .filter_map(|r| {
            let href = r.attr("href").or_else(|| r.attr("residref"))?;
            let url = base.join(href.trim()).ok()?;
            if !matches!(url.scheme(), "http" | "https") {
                return None;
            }
            let width: u64 = r
                .attr("width")
                .and_then(|w| w.trim().parse().ok())
                .unwrap_or(0);
            Some((width, url, r))
        })
        .fold(None::<(u64, Url, &Element)>, |best, c| match best {
            Some(b) if b.0 >= c.0 => Some(b),
            _ => Some(c),
        })?;
    let (_, url, remote) = best;
    let cm = |n: &str| el.child("contentMeta").and_then(|m| m.child(n));
    let caption = cm("description")
        .and_then(Element::text_opt)
        .or_else(|| cm("headline").and_then(Element::text_opt));
    let credit = cm("creditline")
        .and_then(Element::text_opt)
        .or_else(|| cm("by").and_then(Element::text_opt))
        .or_else(|| {
            cm("creator")
                .and_then(|c| c.child("name"))
                .and_then(Element::text_opt)
        })
        .or_else(|| {
            el.path(&["rightsInfo", "copyrightHolder", "name"])
                .and_then(Element::text_opt)
        });
    Some(Image {
        url: url.to_string(),
        caption,
        credit,
        mime: remote.attr_text("contenttype"),
        length: remote.attr("size").and_then(|s| s.trim().parse().ok()),
    })
}

/// References of a package to items not in this delivery, as stories from the headline
/// and description the reference carries.
fn package_refs(
    package: &Element,
    delivered: &[&str],
    base: &Url,
    out: &mut ParsedFeed,
) -> Result<(), AgencyError> {
    let package_guid = package.attr_text("guid").unwrap_or_default();
    let package_status = agency::pubstatus(
        FORMAT,
        &package_guid,
        package
            .path(&["itemMeta", "pubStatus"])
            .and_then(|s| s.attr("qcode")),
    )?;
    for r in package
        .child("groupSet")
        .into_iter()
        .flat_map(|s| s.all("group"))
        .flat_map(|g| g.all("itemRef"))
    {
        let Some(guid) = r.attr_text("residref") else {
            continue;
        };
        if delivered.contains(&guid.as_str()) {
            continue;
        }
        let Some(title) = r.child("title").and_then(Element::text_opt) else {
            continue;
        };
        let link = r
            .attr("href")
            .and_then(|h| base.join(h.trim()).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        let status = r.child("pubStatus").and_then(|s| s.attr("qcode"));
        let wire = Wire {
            format: FORMAT.to_string(),
            version: r.attr("version").and_then(agency::version),
            pubstatus: match status {
                Some(_) => agency::pubstatus(FORMAT, &guid, status)?,
                None => package_status,
            },
            ..Wire::default()
        };
        let item = Item {
            guid: Some(guid),
            link,
            title: fold_whitespace(&title),
            summary_html: r
                .child("description")
                .and_then(Element::text_opt)
                .map(|d| html_escape::encode_text(&d).into_owned()),
            ..Item::default()
        };
        agency::accept(item, wire, FORMAT, out);
    }
    Ok(())
}
