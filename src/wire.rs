//! A [`Decision`] as the npm package's JavaScript reads it (`decisionFromWire` in js/api.js): the
//! text the wasm surface ([`crate::wasm`]) answers each delivery with.
//!
//! Its numbers, a `/`, then its texts one after another, each text's length among the numbers (in
//! UTF-16 units, as JS counts them). The host takes each text with one `substring` rather than
//! parsing JSON, which took V8 three times as long as the rest of turning a decision into its
//! object: no escapes, no quotes, no string scanned twice.
//!
//! The numbers, each followed by a comma: `status, flags (1: a revision, 2: a matched secret),
//! |outcome|, |reason|, |revision|?, |matchedSecret|?, rules`, then per rule `flags (1: expected,
//! 2: passed), selectedCount, |jsonPath|, |expected|?, shown`, and per shown value `kind (0: a
//! string, 1: any other value as JSON), |value|`. The texts come in the same order.

use crate::{Decision, MatchedSecret, Outcome};

/// The decision as wire text (see the module docs).
pub fn decision(d: &Decision) -> String {
    // Two passes over the same items: the numbers (a text's length in its place), then the texts.
    let mut numbers = Numbers(String::with_capacity(64 + text_bytes(d)));
    items(d, &mut |item| match item {
        Item::Number(n) => numbers.push(n),
        Item::Text(text) => numbers.push(if text.is_ascii() { text.len() } else { text.encode_utf16().count() }),
    });
    let Numbers(mut out) = numbers;
    out.push('/');
    items(d, &mut |item| {
        if let Item::Text(text) = item {
            out.push_str(text);
        }
    });
    out
}

enum Item<'a> {
    Number(usize),
    Text(&'a str),
}

/// The decision's items in wire order.
fn items(d: &Decision, each: &mut impl FnMut(Item<'_>)) {
    each(Item::Number(d.status as usize));
    each(Item::Number(d.revision.is_some() as usize | (d.matched_secret.is_some() as usize) << 1));
    each(Item::Text(outcome_name(d.outcome)));
    each(Item::Text(&d.reason));
    if let Some(revision) = &d.revision {
        each(Item::Text(revision));
    }
    if let Some(matched) = &d.matched_secret {
        each(Item::Text(match matched {
            MatchedSecret::Current => "current",
            MatchedSecret::Previous => "previous",
        }));
    }
    each(Item::Number(d.filters.len()));
    for t in &d.filters {
        each(Item::Number(t.expected.is_some() as usize | (t.passed as usize) << 1));
        each(Item::Number(t.selected_count));
        each(Item::Text(&t.json_path));
        if let Some(expected) = &t.expected {
            each(Item::Text(expected));
        }
        each(Item::Number(t.selected.len()));
        for v in &t.selected {
            match v {
                serde_json::Value::String(s) => {
                    each(Item::Number(0));
                    each(Item::Text(s));
                }
                // Written twice (once per pass): trace values other than strings are rare.
                other => {
                    each(Item::Number(1));
                    each(Item::Text(&other.to_string()));
                }
            }
        }
    }
}

/// About how many bytes the decision's texts take (for one allocation).
fn text_bytes(d: &Decision) -> usize {
    let selected = |t: &crate::FilterTrace| t.selected.iter().map(|v| v.as_str().map_or(64, str::len)).sum::<usize>();
    let rules: usize = d.filters.iter().map(|t| t.json_path.len() + t.expected.as_ref().map_or(0, String::len) + selected(t)).sum();
    16 + d.reason.len() + d.revision.as_ref().map_or(0, String::len) + rules
}

/// The name an outcome serialises as (serde's, checked by a test), without serde.
fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Accepted => "accepted",
        Outcome::Unauthorized => "unauthorized",
        Outcome::Forbidden => "forbidden",
        Outcome::Filtered => "filtered",
        Outcome::Malformed => "malformed",
    }
}

/// The numbers being written: each in decimal and a comma.
struct Numbers(String);

impl Numbers {
    /// Without the formatting machinery, a few times slower here.
    fn push(&mut self, n: usize) {
        // Most numbers are one digit: a two-byte copy of the digit and its comma.
        const SMALL: &str = "0,1,2,3,4,5,6,7,8,9,";
        if n < 10 {
            self.0.push_str(&SMALL[2 * n..2 * n + 2]);
            return;
        }
        // Then two digits (most texts' lengths).
        if n < 100 {
            self.0.push(char::from(b'0' + (n / 10) as u8));
            self.0.push_str(&SMALL[2 * (n % 10)..2 * (n % 10) + 2]);
            return;
        }
        let mut digits = [b','; 21];
        let mut at = 20;
        let mut rest = n;
        while rest > 0 {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        // Digits and a comma: ASCII.
        self.0.push_str(std::str::from_utf8(&digits[at..]).unwrap_or(","));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_is_its_numbers_then_its_texts() {
        let d = Decision {
            outcome: Outcome::Accepted,
            status: 200,
            reason: "r".into(),
            filters: vec![
                crate::FilterTrace {
                    json_path: "$.é".into(),
                    expected: Some("😀".into()),
                    selected: vec![serde_json::json!("😀"), serde_json::json!({"a": [1, null]})],
                    selected_count: 12,
                    passed: true,
                },
                crate::FilterTrace { json_path: "$.b".into(), expected: None, selected: vec![], selected_count: 0, passed: false },
            ],
            revision: Some("a/b".into()),
            matched_secret: Some(MatchedSecret::Previous),
        };
        assert_eq!(
            decision(&d),
            "200,3,8,1,3,8,2,3,12,3,2,2,0,2,1,14,0,0,3,0,/acceptedra/bprevious$.é😀😀{\"a\":[1,null]}$.b"
        );
    }

    #[test]
    fn the_wire_names_outcomes_and_secrets_as_serde_does() {
        use crate::Outcome::*;
        for outcome in [Accepted, Unauthorized, Forbidden, Filtered, Malformed] {
            assert_eq!(serde_json::to_value(outcome).unwrap(), outcome_name(outcome));
        }
        for (matched, name) in [(MatchedSecret::Current, "current"), (MatchedSecret::Previous, "previous")] {
            assert_eq!(serde_json::to_value(matched).unwrap(), name);
        }
    }
}
