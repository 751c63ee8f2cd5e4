//! The `wire` section: how the newsroom's agencies mark corrections and kill notices in
//! plain text (title prefixes, phrases), read by `lifecycle` beside the IPTC fields.

use super::yaml::{Checker, SNode};
use crate::lifecycle::WireRules;

impl Checker<'_> {
    pub(super) fn wire(&mut self, node: Option<&SNode>) -> WireRules {
        let mut rules = WireRules::default();
        let Some(node) = node else { return rules };
        let mut f = self.fields(node, "wire");
        let mut list = |c: &mut Self, key: &'static str, into: &mut Vec<String>| {
            if let Some(n) = f.get(key) {
                let given: Vec<String> = c
                    .string_list(n, &format!("wire.{key}"))
                    .into_iter()
                    .map(|s| s.value.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                // An empty list switches the text rule off; the IPTC fields still count.
                *into = given;
            }
        };
        list(self, "correction_prefixes", &mut rules.correction_prefixes);
        list(self, "kill_notices", &mut rules.kill_notices);
        self.finish(f);
        rules
    }
}
