//! Fuzz target: the sanitizer on any text. Its output, parsed again as a feed reader parses
//! it, must hold no script, style, iframe, form, object or embed element, no event handler
//! or style attribute and no `javascript:`/`vbscript:`/`data:` URL; and nesting beyond
//! `MAX_DEPTH` must not survive.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scraper::Html;
use wirefeed::publish::sanitize::{sanitize_html, MAX_DEPTH};

fn danger(html: &str) -> Option<String> {
    let doc = Html::parse_fragment(html);
    for node in doc.tree.nodes() {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        let name = el.name();
        if matches!(
            name,
            "script"
                | "style"
                | "iframe"
                | "frame"
                | "form"
                | "input"
                | "object"
                | "embed"
                | "base"
                | "meta"
                | "link"
                | "svg"
                | "math"
        ) {
            return Some(format!("<{name}>"));
        }
        for (attr, value) in el.attrs() {
            let v: String = value
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect::<String>()
                .to_ascii_lowercase();
            if attr.starts_with("on")
                || attr == "style"
                || ["javascript:", "vbscript:", "data:"]
                    .iter()
                    .any(|s| v.starts_with(s))
            {
                return Some(format!("{attr}={value:?} on <{name}>"));
            }
        }
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let Ok(html) = std::str::from_utf8(data) else {
        return;
    };
    let base =
        url::Url::parse("https://www.beispiel-kurier.de/politik/a.html").expect("static URL");
    let out = sanitize_html(html, &base);
    if let Some(d) = danger(&out) {
        panic!("{d} survived sanitizing {html:?}: {out:?}");
    }
    let again = sanitize_html(&out, &base);
    if let Some(d) = danger(&again) {
        panic!("{d} appeared after sanitizing twice {html:?}: {again:?}");
    }
    // Each nesting level needs at least one "<x>" in the output.
    let depth = Html::parse_fragment(&out)
        .tree
        .nodes()
        .map(|n| n.ancestors().count())
        .max()
        .unwrap_or(0);
    assert!(
        depth <= MAX_DEPTH * 3 + 8,
        "nesting {depth} survived in {out:?}"
    );
});
