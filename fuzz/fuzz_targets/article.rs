//! Fuzz target: any bytes as an article or section page: article extraction, teasers and
//! section links must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirefeed::parse::article::{
    extract_article, extract_links, extract_teasers, CssSelector, ExtractRules,
};

fuzz_target!(|data: &[u8]| {
    let page =
        url::Url::parse("https://www.beispiel-kurier.de/politik/a.html").expect("static URL");
    let rules = ExtractRules::default();
    let links = CssSelector::parse("article a").expect("static selector");
    let _ = extract_article(data, &page, &rules);
    let _ = extract_teasers(data, &page, &rules);
    let _ = extract_links(data, &page, &links);
});
