//! IPTC ninjs (News in JSON) 1.x, 2.x and 3.x read into `Item`s: one object, an array of
//! objects, or a composite whose text `associations` are stories of their own. Pictures
//! among the associations become the story's image with caption and credit.
//!
//! Field names differ between the generations (1.x `headline`, `subject`, `associations`
//! as an object; 2.x `headlines[]`, `subjects[]`, `associations[]` with a `name`); both are
//! read. Identity, headline and body must have the right types; a wrong type elsewhere
//! (agencies extend ninjs in their own profiles) is ignored.

use chrono_tz::Tz;
use serde_json::{Map, Value};
use url::Url;

use super::agency::{self, AgencyError};
use super::item::{clean_lang, html_field, plain_text};
use crate::model::{Image, Item, ParsedFeed, Subject, Wire};
use crate::text::{fold_whitespace, html_to_text};

const FORMAT: &str = "ninjs";

/// Associations nested deeper than this are not followed.
const MAX_DEPTH: usize = 4;

/// Keys only ninjs uses; one of them (and no JSON Feed version) makes a JSON object ninjs.
const NINJS_KEYS: &[&str] = &[
    "\"uri\"",
    "\"headline\"",
    "\"headlines\"",
    "\"body_html\"",
    "\"body_text\"",
    "\"bodies\"",
    "\"versioncreated\"",
    "\"firstcreated\"",
    "\"pubstatus\"",
    "\"ninjs",
];

/// Reads one ninjs delivery.
pub fn parse(body: &[u8], base: &Url) -> Result<ParsedFeed, AgencyError> {
    let text = String::from_utf8_lossy(body);
    parse_str(
        text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']),
        base,
        chrono_tz::UTC,
    )
}

/// A cheap look at a JSON object: does it use ninjs keys and no JSON Feed version?
pub(crate) fn looks_like_ninjs(text: &str) -> bool {
    !text.contains("jsonfeed.org/version") && NINJS_KEYS.iter().any(|k| text.contains(k))
}

/// Reads a ninjs document; times that name no zone are read in `tz`.
pub(crate) fn parse_str(text: &str, base: &Url, tz: Tz) -> Result<ParsedFeed, AgencyError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        if e.classify() == serde_json::error::Category::Eof {
            AgencyError::Truncated {
                format: FORMAT,
                reason: "the JSON document ends early".into(),
            }
        } else {
            AgencyError::Malformed {
                format: FORMAT,
                reason: e.to_string(),
                line: Some(e.line()),
                column: Some(e.column()),
            }
        }
    })?;
    let objects: Vec<&Map<String, Value>> = match &value {
        Value::Object(o) => vec![o],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(n, v)| {
                v.as_object().ok_or_else(|| AgencyError::NotNinjs {
                    reason: format!(
                        "element {} of the array is {}, not an object",
                        n + 1,
                        kind(v)
                    ),
                })
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(AgencyError::NotNinjs {
                reason: format!("the document is {}", kind(other)),
            })
        }
    };
    let mut out = ParsedFeed::default();
    for (n, o) in objects.into_iter().enumerate() {
        let obj = Obj {
            map: o,
            at: format!("item {}", n + 1),
        };
        read(&obj, base, tz, 0, None, &mut out)?;
    }
    if out.items.is_empty() {
        return Err(AgencyError::NoItems { format: FORMAT });
    }
    Ok(out)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One ninjs object and where it sits, for error messages.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    at: String,
}

impl<'a> Obj<'a> {
    /// A string field; another type is an error (used for the fields a story needs).
    fn strict(&self, key: &str) -> Result<Option<&'a str>, AgencyError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str()).filter(|s| !s.trim().is_empty())),
            Some(other) => Err(AgencyError::NotNinjs {
                reason: format!("{}: \"{key}\" is {}, not a string", self.at, kind(other)),
            }),
        }
    }

    /// A string field; another type counts as absent.
    fn str(&self, key: &str) -> Option<&'a str> {
        self.map
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    }

    /// A string or a number, as text (`version`, `urgency`).
    fn scalar(&self, key: &str) -> Option<String> {
        match self.map.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn array(&self, key: &str) -> &'a [Value] {
        self.map
            .get(key)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    fn kind(&self) -> Option<&'a str> {
        self.str("type")
    }
}

fn is_picture(o: &Obj<'_>) -> bool {
    match o.kind() {
        Some(k) => matches!(k, "picture" | "graphic"),
        None => {
            !has_text(o)
                && rendition(o, &Url::parse("http://x.invalid/").expect("static url")).is_some()
        }
    }
}

fn has_text(o: &Obj<'_>) -> bool {
    o.str("headline").is_some() || !o.array("headlines").is_empty() || has_body(o)
}

/// A composite's headline names the package; only a body of its own makes it a story.
fn has_body(o: &Obj<'_>) -> bool {
    ["body_html", "body_text", "body_xhtml"]
        .iter()
        .any(|k| o.str(k).is_some())
        || !o.array("bodies").is_empty()
}

/// The associated objects, from a 1.x map (name → object) or a 2.x array.
fn associations<'a>(o: &Obj<'a>) -> Vec<Obj<'a>> {
    match o.map.get("associations") {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(name, v)| {
                Some(Obj {
                    map: v.as_object()?,
                    at: format!("{} association {name:?}", o.at),
                })
            })
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .filter_map(|(n, v)| {
                let map = v.as_object()?;
                let name = map
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| (n + 1).to_string(), str::to_string);
                Some(Obj {
                    map,
                    at: format!("{} association {name:?}", o.at),
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads an object: a story of its own when it carries text, and its text associations
/// as further stories, each with the first picture found beside it.
fn read(
    o: &Obj<'_>,
    base: &Url,
    tz: Tz,
    depth: usize,
    inherited: Option<&Image>,
    out: &mut ParsedFeed,
) -> Result<(), AgencyError> {
    let assoc = associations(o);
    let beside = assoc
        .iter()
        .filter(|a| is_picture(a))
        .find_map(|a| picture(a, base))
        .or_else(|| inherited.cloned());
    let composite = o.kind() == Some("composite");
    if depth == 0 && is_picture(o) {
        let image = picture(o, base);
        let (item, wire) = item(o, base, tz, image)?;
        agency::accept(item, wire, FORMAT, out);
    } else if (composite && has_body(o))
        || (!composite && (has_text(o) || (depth == 0 && assoc.is_empty())))
    {
        let (item, wire) = item(o, base, tz, beside.clone())?;
        agency::accept(item, wire, FORMAT, out);
    }
    if depth < MAX_DEPTH {
        for a in assoc.iter().filter(|a| !is_picture(a)) {
            if has_text(a) || a.kind() == Some("composite") {
                read(a, base, tz, depth + 1, beside.as_ref(), out)?;
            }
        }
    }
    Ok(())
}

fn item(
    o: &Obj<'_>,
    base: &Url,
    tz: Tz,
    image: Option<Image>,
) -> Result<(Item, Wire), AgencyError> {
    let id = match o.strict("uri")?.or(o.strict("guid")?) {
        Some(id) => id.trim().to_string(),
        None => {
            return Err(AgencyError::NotNinjs {
                reason: format!("{} has no \"uri\"", o.at),
            })
        }
    };
    let title = match o.strict("headline")? {
        Some(h) => plain_text(h),
        None => pick(o.array("headlines"), &["main", ""])
            .map(|(v, html)| {
                if html {
                    fold_whitespace(&html_to_text(v))
                } else {
                    plain_text(v)
                }
            })
            .or_else(|| o.str("title").map(plain_text))
            .unwrap_or_default(),
    };
    let summary_html = o
        .str("description_html")
        .and_then(|h| html_field(h, false, base))
        .or_else(|| {
            o.str("description_text")
                .and_then(|t| html_field(t, true, base))
        })
        .or_else(|| {
            pick(o.array("descriptions"), &["summary", "drol:summary", ""])
                .and_then(|(v, html)| html_field(v, !html, base))
        });
    let content_html = match (o.strict("body_html")?, o.strict("body_xhtml")?) {
        (Some(h), _) | (None, Some(h)) => html_field(h, false, base),
        (None, None) => match pick(o.array("bodies"), &["main", ""]) {
            Some((v, true)) => html_field(v, false, base),
            Some((v, false)) => agency::text_paragraphs(v),
            None => o.strict("body_text")?.and_then(agency::text_paragraphs),
        },
    };
    let subjects: Vec<Subject> = o
        .array("subject")
        .iter()
        .chain(o.array("subjects"))
        .filter_map(Value::as_object)
        .map(|s| {
            let get = |k: &str| s.get(k).and_then(Value::as_str).map(str::trim);
            Subject {
                code: ["qcode", "code", "literal", "uri"]
                    .iter()
                    .find_map(|k| get(k).filter(|c| !c.is_empty()))
                    .unwrap_or("")
                    .to_string(),
                name: get("name").filter(|n| !n.is_empty()).map(plain_text),
            }
        })
        .filter(|s| !s.code.is_empty() || s.name.is_some())
        .collect();
    let date = |key: &str| o.str(key).and_then(|d| agency::date(d, tz));
    let versioncreated = date("versioncreated");
    let firstcreated = date("firstcreated");
    let published = firstcreated
        .or(versioncreated)
        .or_else(|| date("contentcreated"));
    let rightsinfo = o.map.get("rightsinfo").and_then(Value::as_object);
    let wire = Wire {
        format: match o.map.get("standard").and_then(|s| s.get("version")) {
            Some(Value::String(v)) => format!("{FORMAT} {v}"),
            _ => FORMAT.to_string(),
        },
        version: o.scalar("version").as_deref().and_then(agency::version),
        version_created: versioncreated,
        embargoed: agency::embargo(FORMAT, &id, o.str("embargoed"), tz)?,
        pubstatus: agency::pubstatus(FORMAT, &id, o.scalar("pubstatus").as_deref())?,
        urgency: o.scalar("urgency").as_deref().and_then(agency::urgency),
        rights: agency::rights(
            o.str("copyrightholder").map(str::to_string),
            o.str("copyrightnotice").map(str::to_string),
            o.str("usageterms").map(str::to_string),
        )
        .or_else(|| {
            rightsinfo
                .and_then(|r| r.get("linkedrights"))
                .and_then(Value::as_str)
                .map(str::to_string)
        }),
        ednote: o.str("ednote").map(fold_whitespace),
        signals: signals(o),
        located: o.str("located").map(fold_whitespace).or_else(|| {
            o.array("places")
                .iter()
                .chain(o.array("place"))
                .find_map(|p| p.get("name").and_then(Value::as_str))
                .map(fold_whitespace)
        }),
        subjects,
    };
    // An http(s) uri is the story's page, as an RSS guid that is a permalink.
    let link = url::Url::parse(&id)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let item = Item {
        guid: Some(id),
        link,
        title,
        summary_html,
        content_html,
        authors: o.str("by").and_then(agency::byline).into_iter().collect(),
        categories: agency::subject_categories(&wire.subjects),
        published,
        updated: versioncreated.filter(|v| Some(*v) != published),
        image,
        lang: o.str("language").and_then(clean_lang),
        ..Item::default()
    };
    Ok((item, wire))
}

/// Signals in an agency profile: strings, or objects with a code.
fn signals(o: &Obj<'_>) -> Vec<String> {
    o.array("signal")
        .iter()
        .chain(o.array("signals"))
        .filter_map(|s| match s {
            Value::String(s) => Some(agency::code(s)),
            Value::Object(m) => ["qcode", "code", "uri", "literal"]
                .iter()
                .find_map(|k| m.get(*k).and_then(Value::as_str))
                .map(agency::code),
            _ => None,
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// The value of the first entry of a 2.x text array (`headlines`, `descriptions`, `bodies`)
/// whose role is one of `roles` (`""` matches an entry without role), else the first; with
/// whether it is HTML.
fn pick<'a>(entries: &'a [Value], roles: &[&str]) -> Option<(&'a str, bool)> {
    let value = |e: &'a Value| -> Option<(&'a str, bool)> {
        let v = e.get("value")?.as_str()?;
        let html = e
            .get("contenttype")
            .and_then(Value::as_str)
            .is_some_and(|c| c.contains("html"));
        Some((v, html)).filter(|(v, _)| !v.trim().is_empty())
    };
    let role = |e: &'a Value| e.get("role").and_then(Value::as_str).unwrap_or("");
    roles
        .iter()
        .find_map(|r| entries.iter().filter(|e| role(e) == *r).find_map(value))
        .or_else(|| entries.iter().find_map(value))
}

/// An associated picture as the story's image: its best rendition, caption and credit.
fn picture(o: &Obj<'_>, base: &Url) -> Option<Image> {
    let mut image = rendition(o, base)?;
    image.caption = caption(o);
    image.credit = credit(o);
    Some(image)
}

fn caption(o: &Obj<'_>) -> Option<String> {
    o.str("description_text")
        .map(plain_text)
        .or_else(|| {
            o.str("description_html")
                .map(|h| fold_whitespace(&html_to_text(h)))
        })
        .or_else(|| {
            pick(o.array("descriptions"), &["caption", "drol:caption", ""])
                .map(|(v, _)| fold_whitespace(&html_to_text(v)))
        })
        .or_else(|| o.str("body_text").map(plain_text))
        .or_else(|| o.str("headline").map(plain_text))
        .filter(|c| !c.is_empty())
}

fn credit(o: &Obj<'_>) -> Option<String> {
    [
        "creditline",
        "credit",
        "by",
        "copyrightnotice",
        "copyrightholder",
    ]
    .iter()
    .find_map(|k| o.str(k))
    .map(fold_whitespace)
    .filter(|c| !c.is_empty())
}

/// The largest image rendition (1.x map or 2.x array).
fn rendition(o: &Obj<'_>, base: &Url) -> Option<Image> {
    let list: Vec<&Map<String, Value>> = match o.map.get("renditions")? {
        Value::Object(m) => m.values().filter_map(Value::as_object).collect(),
        Value::Array(a) => a.iter().filter_map(Value::as_object).collect(),
        _ => return None,
    };
    list.into_iter()
        .filter_map(|r| {
            let href = r.get("href")?.as_str()?;
            let url = base.join(href.trim()).ok()?;
            if !matches!(url.scheme(), "http" | "https") {
                return None;
            }
            let mime = r
                .get("contenttype")
                .or_else(|| r.get("mimetype"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let is_image = mime.as_deref().map_or_else(
                || {
                    let p = url.path().to_ascii_lowercase();
                    [".jpg", ".jpeg", ".png", ".gif", ".webp"]
                        .iter()
                        .any(|e| p.ends_with(e))
                },
                |m| m.starts_with("image/"),
            );
            let width = r.get("width").and_then(Value::as_u64).unwrap_or(0);
            is_image.then(|| {
                (
                    width,
                    Image {
                        url: url.to_string(),
                        caption: None,
                        credit: None,
                        mime,
                        length: r.get("sizeinbytes").and_then(Value::as_u64),
                    },
                )
            })
        })
        // The first of the widest: agencies list the original before smaller copies.
        .fold(None::<(u64, Image)>, |best, (w, img)| match best {
            Some((bw, _)) if bw >= w => best,
            _ => Some((w, img)),
        })
        .map(|(_, img)| img)
}
