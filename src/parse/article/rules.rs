//! What a source asks of article extraction: its CSS selectors, the teaser labels and its
//! time zone, compiled once from config. A leaf module (it depends on `parse::html` only),
//! so that `body`, `meta` and the article reader share it without importing each other.

use crate::parse::html::{normalize_label, BadSelector, CssSelector};

/// Fewer characters of body text than this is not an article (teaser stubs, error pages).
pub const MIN_BODY_CHARS: usize = 200;

/// Labels that head a recommendation section when the source configures none.
pub const DEFAULT_TEASER_LABELS: &[&str] = &[
    "Empfohlen",
    "Recommended",
    "Mehr zum Thema",
    "Das könnte Sie auch interessieren",
    "Auch interessant",
    "Related",
];

/// Per-source extraction overrides (from config) and the teaser section labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractRules {
    /// Selector of the article body; replaces the Readability heuristic.
    pub body: Option<CssSelector>,
    /// Selector of the teaser section(s); replaces the label search when it matches.
    pub teasers: Option<CssSelector>,
    /// Selector of the byline element.
    pub byline: Option<CssSelector>,
    /// Texts that head a teaser section, matched case- and whitespace-insensitively.
    pub teaser_labels: Vec<String>,
    /// The zone of page times that name none ("30.11.2026, 08:30 Uhr"): the source's
    /// `timezone` (UTC when config names none).
    pub timezone: chrono_tz::Tz,
}

impl ExtractRules {
    /// Rules from config strings, each selector compiled here once.
    pub fn new(
        body: Option<&str>,
        teasers: Option<&str>,
        byline: Option<&str>,
        teaser_labels: Vec<String>,
    ) -> Result<Self, BadSelector> {
        Ok(Self {
            body: body.map(CssSelector::parse).transpose()?,
            teasers: teasers.map(CssSelector::parse).transpose()?,
            byline: byline.map(CssSelector::parse).transpose()?,
            teaser_labels,
            timezone: chrono_tz::UTC,
        })
    }

    pub(crate) fn normalized_labels(&self) -> Vec<String> {
        self.teaser_labels
            .iter()
            .map(|l| normalize_label(l))
            .collect()
    }
}

impl Default for ExtractRules {
    fn default() -> Self {
        Self {
            body: None,
            teasers: None,
            byline: None,
            teaser_labels: DEFAULT_TEASER_LABELS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            timezone: chrono_tz::UTC,
        }
    }
}

/// Checks a CSS selector from config; the error names the selector and what the parser
/// did not accept.
pub fn validate_selector(sel: &str) -> Result<(), BadSelector> {
    CssSelector::parse(sel).map(|_| ())
}
