//! The outward-facing keys: `base_url` (the public URL of feeds_dir), `serve` (the address
//! `wirefeed run` listens on), `websub.hubs` and `site` (the newsroom's name and the HTML
//! pages' strings).

use super::model::SiteConfig;
use super::yaml::{Checker, Fields, Node, SNode};
use std::net::SocketAddr;
use url::Url;

impl Checker<'_> {
    /// `base_url`, required, always ending in `/` so that file names join onto it.
    pub(super) fn base_url(&mut self, top: &mut Fields<'_>, root: &SNode) -> Option<Url> {
        match top.get("base_url") {
            Some(n) => self.url(n, "base_url").map(|mut u| {
                if !u.path().ends_with('/') {
                    let p = format!("{}/", u.path());
                    u.set_path(&p);
                }
                u
            }),
            None => {
                self.problem(root, "missing key `base_url`: the public URL of feeds_dir, e.g. base_url: http://localhost:8080/");
                None
            }
        }
    }

    pub(super) fn serve_address(&mut self, n: &SNode) -> Option<SocketAddr> {
        let text = self.string(n, "serve")?;
        match text.parse::<SocketAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                self.problem(
                    n,
                    format!("serve `{text}` must be an address and port like 127.0.0.1:8080"),
                );
                None
            }
        }
    }

    pub(super) fn websub(&mut self, node: Option<&SNode>) -> Vec<Url> {
        let Some(node) = node else { return vec![] };
        let mut f = self.fields(node, "websub");
        let hubs = self
            .read(&mut f, "hubs", |c, h| {
                let list = match &h.value {
                    Node::Seq(items) => items.clone(),
                    _ => {
                        c.problem(h, "websub.hubs must be a list of URLs");
                        vec![]
                    }
                };
                Some(list.iter().filter_map(|u| c.url(u, "websub hub")).collect())
            })
            .unwrap_or_default();
        self.finish(f);
        hubs
    }

    pub(super) fn site(&mut self, node: Option<&SNode>) -> SiteConfig {
        let mut site = SiteConfig {
            name: "wirefeed".into(),
            author: String::new(),
            strings: Vec::new(),
        };
        if let Some(node) = node {
            let mut f = self.fields(node, "site");
            if let Some(v) = self.read(&mut f, "name", |c, n| c.string(n, "site.name")) {
                site.name = v.trim().to_string();
            }
            if let Some(v) = self.read(&mut f, "author", |c, n| c.string(n, "site.author")) {
                site.author = v.trim().to_string();
            }
            if let Some(n) = f.get("strings") {
                let mut s = self.fields(n, "site.strings");
                for (key, value) in s.entries_of(crate::publish::PAGE_STRING_KEYS) {
                    if let Some(v) = self.string(value, &format!("site.strings.{key}")) {
                        site.strings.push((key.to_string(), v));
                    }
                }
                self.finish(s);
            }
            self.finish(f);
        }
        if site.author.is_empty() {
            site.author = site.name.clone();
        }
        site
    }
}
