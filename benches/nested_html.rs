//! Nested-HTML benchmark: how long publishing one story whose description is N nested
//! `<div>`s takes (issue 11, item 1), per stage: plain text, sanitizing, and each renderer.
//!
//! The `ammonia` column is the sanitizer alone on the unbounded markup: what each of the six
//! sanitizer calls per story (summary and content, three formats) cost before nesting was
//! bounded.
//!
//! `cargo bench --bench nested_html` (options: `-- 10000 25000 …` for other depths,
//! `--skip-unbounded` to leave out the quadratic column, which takes minutes from 50,000).

use std::time::{Duration, Instant};
use wirefeed::model::{Story, StoryId};
use wirefeed::publish::{render_atom, render_json, render_rss, sanitize_html, Entry, FeedMeta};

fn nested(depth: usize) -> String {
    let mut s = String::with_capacity(depth * 11 + 64);
    for _ in 0..depth {
        s.push_str("<div>");
    }
    s.push_str("Eine erfundene Meldung aus dem Rathaus.");
    for _ in 0..depth {
        s.push_str("</div>");
    }
    s
}

fn story(html: String) -> Story {
    let now = chrono::Utc::now();
    Story {
        id: StoryId::new("0123456789abcdef0123456789abcdef"),
        source: "bench".into(),
        sources: vec!["bench".into()],
        guid: None,
        link: url::Url::parse("https://www.beispiel-kurier.de/a.html").ok(),
        alternates: vec![],
        seen_guids: vec![],
        title: "Tief verschachtelt".into(),
        summary_html: Some(html.clone()),
        content_html: Some(html),
        content_text: None,
        authors: vec![],
        categories: vec![],
        image: None,
        enclosures: vec![],
        lang: None,
        published: Some(now),
        first_seen: now,
        updated: now,
        version: 1,
        status: Default::default(),
        urgency: None,
        tags: vec![],
        fingerprint: String::new(),
        wire: None,
        life: None,
    }
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn main() {
    let skip_unbounded = std::env::args().any(|a| a == "--skip-unbounded");
    let depths: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let depths = if depths.is_empty() {
        vec![10_000, 25_000, 50_000, 100_000]
    } else {
        depths
    };
    let meta = FeedMeta {
        id: "bench".into(),
        title: "Bench".into(),
        description: String::new(),
        base_url: url::Url::parse("https://feeds.beispiel.de/").expect("static URL"),
        lang: None,
        hubs: vec![],
        stylesheet: None,
        author: "Bench".into(),
        empty_updated: None,
    };
    let base = url::Url::parse("https://www.beispiel-kurier.de/a.html").expect("static URL");
    println!(
        "depth     ammonia   text      sanitize  entry     rss       atom      json      all three"
    );
    for depth in depths {
        let html = nested(depth);
        let (_, unbounded) = if skip_unbounded {
            ((), Duration::ZERO)
        } else {
            time(|| drop(ammonia::clean(&html)))
        };
        let (_, text) = time(|| wirefeed::text::html_to_text(&html));
        let (_, sanitize) = time(|| sanitize_html(&html, &base));
        let s = story(html);
        let (entry, from_story) = time(|| Entry::from_story(&s));
        let entries = [entry];
        let (_, rss) = time(|| render_rss(&meta, &entries));
        let (_, atom) = time(|| render_atom(&meta, &entries));
        let (_, json) = time(|| render_json(&meta, &entries));
        println!(
            "{depth:<9} {:<9.3} {:<9.3} {:<9.3} {:<9.3} {:<9.3} {:<9.3} {:<9.3} {:.3} s",
            unbounded.as_secs_f64(),
            text.as_secs_f64(),
            sanitize.as_secs_f64(),
            from_story.as_secs_f64(),
            rss.as_secs_f64(),
            atom.as_secs_f64(),
            json.as_secs_f64(),
            (from_story + rss + atom + json).as_secs_f64(),
        );
    }
}
