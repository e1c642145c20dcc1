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
    let mut w = Wire { numbers: Vec::with_capacity(128), texts: String::with_capacity(512) };
    w.number(d.status as usize);
    w.number(d.revision.is_some() as usize | (d.matched_secret.is_some() as usize) << 1);
    w.text(outcome_name(d.outcome));
    w.text(&d.reason);
    if let Some(revision) = &d.revision {
        w.text(revision);
    }
    if let Some(matched) = &d.matched_secret {
        w.text(match matched {
            MatchedSecret::Current => "current",
            MatchedSecret::Previous => "previous",
        });
    }
    w.number(d.filters.len());
    for t in &d.filters {
        w.number(t.expected.is_some() as usize | (t.passed as usize) << 1);
        w.number(t.selected_count);
        w.text(&t.json_path);
        if let Some(expected) = &t.expected {
            w.text(expected);
        }
        w.number(t.selected.len());
        for v in &t.selected {
            match v {
                serde_json::Value::String(s) => {
                    w.number(0);
                    w.text(s);
                }
                other => {
                    w.number(1);
                    w.text(&other.to_string());
                }
            }
        }
    }
    let Wire { numbers, texts } = w;
    let mut out = String::with_capacity(numbers.len() + 1 + texts.len());
    // Digits and commas only.
    out.extend(numbers.iter().map(|&b| char::from(b)));
    out.push('/');
    out.push_str(&texts);
    out
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

struct Wire {
    numbers: Vec<u8>,
    texts: String,
}

impl Wire {
    /// `n` in decimal and its comma (without the formatting machinery, a few times slower here).
    fn number(&mut self, mut n: usize) {
        if n < 10 {
            self.numbers.push(b'0' + n as u8);
        } else {
            let mut digits = [0u8; 20];
            let mut at = digits.len();
            while n > 0 {
                at -= 1;
                digits[at] = b'0' + (n % 10) as u8;
                n /= 10;
            }
            self.numbers.extend_from_slice(&digits[at..]);
        }
        self.numbers.push(b',');
    }

    fn text(&mut self, text: &str) {
        let units = if text.is_ascii() { text.len() } else { text.encode_utf16().count() };
        self.number(units);
        self.texts.push_str(text);
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
