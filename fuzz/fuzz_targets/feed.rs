//! Fuzz target: any bytes as a feed body (RSS, Atom, RDF, JSON Feed, agency formats) must
//! parse or fail with an error, never panic or hang.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("https://agentur.example/feed.xml").expect("static URL");
    let _ = wirefeed::parse::feed::parse_feed(data, &base);
    let _ = wirefeed::parse::looks_like_html(data);
});
