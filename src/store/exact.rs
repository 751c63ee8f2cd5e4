//! Exact duplicate keys: the normalized link under which two URLs are one page, and the
//! content fingerprint under which two texts are one text.

use super::words::for_each_norm_char;
use url::Url;

/// Query parameters that only track the reader (campaigns, click ids, analytics) and never
/// select content. Compared case-insensitively; entries ending in `*` are prefixes.
///
/// `utm_*` (Google Analytics campaigns), `fbclid` (Facebook), `gclid`, `dclid`, `gbraid`,
/// `wbraid` (Google Ads), `msclkid` (Microsoft Ads), `mc_cid`, `mc_eid` (Mailchimp), `igshid`
/// (Instagram), `_ga`, `_gl` (Google cross-domain), `yclid` (Yandex), `twclid` (X/Twitter),
/// `ttclid` (TikTok), `li_fat_id` (LinkedIn), `ref_src`, `ref_url` (share widgets),
/// `wt_mc`, `wt_zmc` (Webtrekk/Mapp, common on German news sites), `at_*` (AT Internet /
/// Piano), `xtor` (AT Internet), `ocid` (MSN), `cmpid` (campaign id).
pub const TRACKING_PARAMS: &[&str] = &[
    "utm_*",
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "_ga",
    "_gl",
    "yclid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "ref_src",
    "ref_url",
    "wt_mc",
    "wt_zmc",
    "at_*",
    "xtor",
    "ocid",
    "cmpid",
];

fn is_tracking_param(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    TRACKING_PARAMS.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => key.starts_with(prefix),
        None => key == *p,
    })
}

/// The key under which two links count as the same page.
///
/// Rules: scheme and host lower-cased; default port, fragment and user info dropped;
/// tracking parameters ([`TRACKING_PARAMS`]) dropped; the remaining query pairs sorted; a
/// trailing slash on the path ignored; a trailing dot on the host ignored.
///
/// `http` and `https` give the same key, and so do `www.example.de` and `example.de`: agency
/// mirrors and older feeds differ only there, and no news site serves different stories on
/// those spellings. The key therefore has no scheme for http(s) links
/// (`example.de/politik/a?id=1`); other schemes keep theirs. Path case is kept (paths are
/// case-sensitive on most servers). The key is for comparison only, not a fetchable URL.
pub fn normalize_link(url: &Url) -> String {
    let scheme = url.scheme().to_ascii_lowercase();
    let web = scheme == "http" || scheme == "https";
    let mut out = String::with_capacity(url.as_str().len());
    if !web {
        out.push_str(&scheme);
        out.push(':');
        if url.has_host() {
            out.push_str("//");
        }
    }
    if let Some(host) = url.host_str() {
        let host = host.to_ascii_lowercase();
        let host = host.trim_end_matches('.');
        let host = if web {
            host.strip_prefix("www.").unwrap_or(host)
        } else {
            host
        };
        out.push_str(host);
        // `port()` is None for the scheme's default port; http(s) share the key, so an
        // explicit :80 on https or :443 on http is kept as written.
        if let Some(port) = url.port() {
            out.push(':');
            out.push_str(&port.to_string());
        }
    }
    let path = url.path();
    let path = path.trim_end_matches('/');
    if !path.is_empty() {
        out.push_str(path);
    }
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking_param(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if !pairs.is_empty() {
        pairs.sort();
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        out.push('?');
        out.push_str(&query);
    }
    out
}

/// Exact-content fingerprint of a story: 32 hex chars of BLAKE3 over the normalized title
/// and text.
///
/// Normalization folds case (Unicode), keeps only letters and digits (umlauts and ß stay
/// as they are; a decomposed "u" + combining diaeresis counts as "ü"; other combining marks
/// are dropped) and removes punctuation and whitespace entirely, so quote styles, dashes and
/// line breaks do not change it. Title and text are kept apart by a separator, so text
/// moved into the title gives another fingerprint.
pub fn fingerprint(title: &str, text: &str) -> String {
    // The normalized text goes to the hasher through a small buffer rather than a copy of
    // the whole story: every delivered item is fingerprinted.
    let mut hasher = blake3::Hasher::new();
    let mut buf = [0u8; 512];
    let mut len = 0;
    let mut push = |c: char| {
        if len + 4 > buf.len() {
            hasher.update(&buf[..len]);
            len = 0;
        }
        len += c.encode_utf8(&mut buf[len..]).len();
    };
    for_each_norm_char(title, |c| c.into_iter().for_each(&mut push));
    push('\u{1f}');
    for_each_norm_char(text, |c| c.into_iter().for_each(&mut push));
    hasher.update(&buf[..len]);
    hasher.finalize().to_hex()[..32].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        normalize_link(&Url::parse(s).expect("test url"))
    }

    #[test]
    fn link_scheme_and_host_case_fold_and_default_port_drops() {
        assert_eq!(
            norm("HTTPS://Example.DE:443/Politik/Artikel"),
            "example.de/Politik/Artikel"
        );
        assert_eq!(norm("http://example.de:80/a"), "example.de/a");
        assert_eq!(norm("http://example.de:8080/a"), "example.de:8080/a");
    }

    #[test]
    fn link_http_https_and_www_are_one_story() {
        let a = norm("https://www.example.de/politik/pflegereform-100.html");
        assert_eq!(a, norm("http://example.de/politik/pflegereform-100.html"));
        assert_eq!(a, norm("https://example.de/politik/pflegereform-100.html"));
        assert_eq!(a, "example.de/politik/pflegereform-100.html");
        // Only a leading "www." goes; other subdomains are other sites.
        assert_ne!(
            norm("https://regional.example.de/a"),
            norm("https://example.de/a")
        );
    }

    #[test]
    fn link_fragment_and_userinfo_drop() {
        assert_eq!(norm("https://example.de/a#kommentare"), "example.de/a");
        assert_eq!(norm("https://user:pw@example.de/a"), "example.de/a");
    }

    #[test]
    fn link_tracking_parameters_drop() {
        let clean = norm("https://example.de/a?id=7");
        for tracked in [
            "https://example.de/a?id=7&utm_source=twitter&utm_medium=social",
            "https://example.de/a?fbclid=IwAR0abc&id=7",
            "https://example.de/a?id=7&gclid=x&dclid=y&msclkid=z",
            "https://example.de/a?id=7&mc_cid=1&mc_eid=2&igshid=3&_ga=4&yclid=5&ref_src=twsrc",
            "https://example.de/a?id=7&wt_mc=rss.feed&at_medium=rss&xtor=RSS-1",
            "https://example.de/a?UTM_Campaign=x&id=7",
        ] {
            assert_eq!(norm(tracked), clean, "{tracked}");
        }
        assert_eq!(norm("https://example.de/a?utm_source=rss"), "example.de/a");
    }

    #[test]
    fn link_query_pairs_sort_and_content_params_stay() {
        assert_eq!(
            norm("https://example.de/a?b=2&a=1"),
            norm("https://example.de/a?a=1&b=2")
        );
        assert_ne!(
            norm("https://example.de/artikel?id=1"),
            norm("https://example.de/artikel?id=2")
        );
        assert_eq!(norm("https://example.de/a?"), "example.de/a");
    }

    #[test]
    fn link_trailing_slash_is_ignored() {
        assert_eq!(norm("https://example.de/a/"), norm("https://example.de/a"));
        assert_eq!(norm("https://example.de/"), norm("https://example.de"));
        assert_eq!(norm("https://example.de/"), "example.de");
        // Path case is significant.
        assert_ne!(norm("https://example.de/A"), norm("https://example.de/a"));
    }

    #[test]
    fn link_other_schemes_keep_their_scheme() {
        assert_eq!(
            norm("ftp://Example.de/spool/a.xml"),
            "ftp://example.de/spool/a.xml"
        );
        assert_ne!(norm("ftp://example.de/a"), norm("https://example.de/a"));
        assert_eq!(norm("urn:uuid:1234#x"), "urn:uuid:1234");
    }

    #[test]
    fn fingerprint_ignores_case_punctuation_whitespace_and_quote_style() {
        let a = fingerprint(
            "Bundesrat billigt Pflegereform",
            "„Das ist ein guter Tag“, sagte die Ministerin.\nDie Länder stimmten zu.",
        );
        let b = fingerprint(
            "BUNDESRAT  billigt Pflegereform!",
            "\"Das ist ein guter Tag\" - sagte die Ministerin   Die Länder stimmten zu",
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn fingerprint_is_the_hash_of_the_whole_normalized_text_as_stores_keep_it() {
        // Stored stories carry their fingerprint: however it is computed, it must stay the
        // BLAKE3 of title, separator and text as normalized, across buffer boundaries too.
        let title = "Größter Ausbau für Straßenbahn – „Linie 7“";
        let text =
            "Die Stadtwerke Düsseldorf bauen aus. Öffnung 2027, Kosten 12,5 Mio. €.\n".repeat(40);
        let mut norm = String::new();
        for_each_norm_char(title, |c| norm.extend(c));
        norm.push('\u{1f}');
        for_each_norm_char(&text, |c| norm.extend(c));
        assert!(norm.len() > 2_000);
        let expected = blake3::hash(norm.as_bytes()).to_hex()[..32].to_string();
        assert_eq!(fingerprint(title, &text), expected);
        assert_eq!(
            fingerprint("", ""),
            blake3::hash("\u{1f}".as_bytes()).to_hex()[..32].to_string()
        );
    }

    #[test]
    fn fingerprint_keeps_umlauts_and_composes_decomposed_ones() {
        assert_ne!(fingerprint("Bären", ""), fingerprint("Baren", ""));
        assert_eq!(fingerprint("Bu\u{308}rger", ""), fingerprint("Bürger", ""));
        assert_eq!(fingerprint("ÜBER", ""), fingerprint("über", ""));
    }

    #[test]
    fn fingerprint_changes_with_content_and_keeps_title_apart() {
        assert_ne!(
            fingerprint("Unfall auf der A7", "Zwei Verletzte."),
            fingerprint("Unfall auf der A7", "Drei Verletzte.")
        );
        assert_ne!(fingerprint("ab", "c"), fingerprint("a", "bc"));
    }
}
