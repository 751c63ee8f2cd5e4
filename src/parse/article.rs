//! Article pages: headline, body, image credit and the teaser section ("Empfohlen").
//! (Temporary stand-in while the real extractor is built on its own branch.)

use crate::model::{Article, Teaser};
use url::Url;

#[derive(Debug, Clone)]
pub struct ExtractRules {
    pub body: Option<String>,
    pub teasers: Option<String>,
    pub byline: Option<String>,
    pub teaser_labels: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ArticleError {
    #[error("not an article: {0}")]
    NotAnArticle(String),
}

pub fn extract_article(
    _html: &[u8],
    _page_url: &Url,
    _rules: &ExtractRules,
) -> Result<Article, ArticleError> {
    Err(ArticleError::NotAnArticle("extractor not built yet".into()))
}

pub fn extract_teasers(_html: &[u8], _page_url: &Url, _rules: &ExtractRules) -> Vec<Teaser> {
    vec![]
}

pub fn extract_links(
    _html: &[u8],
    _page_url: &Url,
    _selector: &str,
) -> Result<Vec<Url>, ArticleError> {
    Ok(vec![])
}
