//! Fuzz target: link normalization (the dedup key of a story's link) on any URL a feed can
//! carry, joined against a page as content links are: never panics, and is idempotent.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let base =
        url::Url::parse("https://www.beispiel-kurier.de/politik/a.html").expect("static URL");
    let Ok(url) = base.join(text) else {
        return;
    };
    let key = wirefeed::store::dedup::normalize_link(&url);
    if let Ok(again) = url::Url::parse(&url.to_string()) {
        assert_eq!(key, wirefeed::store::dedup::normalize_link(&again), "{url}");
    }
});
