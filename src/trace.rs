//! What a trace shows of a selection, bounded in bytes.
//!
//! A trace is output (an answer to the sender, the page, the CLI), built from values the
//! sender chose: one selected value may be most of a 25 MB body, and a path such as `$..*`
//! selects it again at every level of nesting. So a trace shows each selected value in at most
//! [`MAX_VALUE_BYTES`] of JSON, and a rule's values in at most [`MAX_TRACE_BYTES`] in all. A
//! value that does not fit is shown as a string: its first bytes (a string's characters, any
//! other value's compact JSON) followed by a marker starting with [`CUT`]; values past the
//! budget are left out, which `selectedCount` (always the exact count) shows. Nothing is
//! written beyond what is shown: a cut value costs its shown bytes, however large it is.
//!
//! A payload's own `SecretToken` (and other secret) members are shown as `****`
//! ([`crate::redact`]): a trace, and the reason rendered from it, is output.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// The most values a trace shows.
pub const MAX_TRACE_VALUES: usize = 100;
/// The most bytes of JSON one shown value takes (a cut one included).
pub const MAX_VALUE_BYTES: usize = 2048;
/// The most bytes of JSON a rule's shown values take in all.
pub const MAX_TRACE_BYTES: usize = 16 * 1024;
/// How a cut value's shown text ends: `…[cut: 1048576 bytes]` for a string (its length),
/// `…[cut: over 2048 bytes]` for any other value.
pub const CUT: &str = "…[cut: ";
/// A value is not started with less room than this left; the rest are counted, not shown.
const MIN_SHOWN: usize = 64;

/// The first selected values that fit the bounds, each whole or cut: as a JSON array, at
/// most [`MAX_TRACE_BYTES`]. A value owned here and shown whole is moved, not copied.
pub fn shown_values(nodes: Vec<Cow<'_, Value>>) -> Vec<Value> {
    // The brackets, then each value with its comma.
    let mut room = MAX_TRACE_BYTES - 2;
    let mut out = Vec::with_capacity(nodes.len().min(MAX_TRACE_VALUES));
    for node in nodes.into_iter().take(MAX_TRACE_VALUES) {
        if room < MIN_SHOWN + 1 {
            break;
        }
        let shown = shown(node, (room - 1).min(MAX_VALUE_BYTES));
        room = room.saturating_sub(json_len(&shown) + 1);
        out.push(shown);
    }
    out
}

/// `value` as a trace shows it in at most `cap` bytes of JSON (`cap` at least [`MIN_SHOWN`]).
pub fn shown_value(value: &Value, cap: usize) -> Value {
    shown(Cow::Borrowed(value), cap)
}

fn shown(value: Cow<'_, Value>, cap: usize) -> Value {
    if let Value::String(s) = &*value {
        return match shown_text(s, cap) {
            Some(text) => Value::String(text),
            None => value.into_owned(),
        };
    }
    let mut w = Capped { buf: Vec::new(), cap };
    if serde_json::to_writer(&mut w, &Redacted(&value)).is_ok() {
        // It fits: a small value, whole (and redacted).
        let mut copy = value.into_owned();
        crate::redact(&mut copy);
        return copy;
    }
    let marker = format!("{CUT}over {cap} bytes]");
    let written = match std::str::from_utf8(&w.buf) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&w.buf[..e.valid_up_to()]).unwrap_or_default(),
    };
    Value::String(prefix_within(written, cap.saturating_sub(2 + escaped_len(&marker))).to_string() + &marker)
}

/// A string shown in at most `cap` bytes of JSON: `None` when it fits whole, else its first
/// characters and the marker. For `expected` values and the revision as well as selections.
pub fn shown_text(s: &str, cap: usize) -> Option<String> {
    // No character takes more than 6 bytes escaped: most strings fit without counting.
    if s.len() * 6 + 2 <= cap || (s.len() + 2 <= cap && escaped_len(s) + 2 <= cap) {
        return None;
    }
    let marker = format!("{CUT}{} bytes]", s.len());
    let keep = prefix_within(s, cap.saturating_sub(2 + escaped_len(&marker)));
    Some(format!("{keep}{marker}"))
}

/// The longest prefix of `s` whose JSON-escaped form takes at most `budget` bytes.
fn prefix_within(s: &str, budget: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        used += escaped_char_len(c);
        if used > budget {
            return &s[..i];
        }
    }
    s
}

/// Bytes of `c` inside a JSON string as serde_json writes it.
fn escaped_char_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{08}' | '\u{0c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// Bytes of `s` inside a JSON string, counted by bytes: a non-ASCII character's UTF-8 bytes are
/// written as they are, so only ASCII bytes can take more than themselves.
fn escaped_len(s: &str) -> usize {
    s.bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum()
}

/// Bytes of compact JSON a shown value takes (shown values are small).
fn json_len(v: &Value) -> usize {
    match v {
        Value::String(s) => escaped_len(s) + 2,
        other => serde_json::to_vec(other).map_or(0, |b| b.len()),
    }
}

/// A writer that takes `cap` bytes and then fails, which stops serde_json at once.
struct Capped {
    buf: Vec<u8>,
    cap: usize,
}

impl Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let room = self.cap - self.buf.len();
        if bytes.len() > room {
            self.buf.extend_from_slice(&bytes[..room]);
            return Err(io::Error::other("cut"));
        }
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A value serialised with its secret members shown as `****`, without copying it.
struct Redacted<'a>(&'a Value);

impl Serialize for Redacted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (key, member) in map {
                    if crate::redact::is_secret(key, member) {
                        out.serialize_entry(key, crate::REDACTED)?;
                    } else {
                        out.serialize_entry(key, &Redacted(member))?;
                    }
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Redacted(item))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn len(v: &Value) -> usize {
        serde_json::to_string(v).unwrap().len()
    }

    #[test]
    fn escaped_len_is_the_length_serde_json_writes() {
        for s in ["", "plain", "q\"b\\n\nr\rt\tb\u{8}f\u{c}", "\u{1}\u{1f}\u{7f}", "é€😀 mixed \u{0}"] {
            assert_eq!(escaped_len(s) + 2, serde_json::to_string(s).unwrap().len(), "{s:?}");
            assert_eq!(escaped_len(s), s.chars().map(escaped_char_len).sum::<usize>(), "{s:?}");
        }
    }

    #[test]
    fn shown_value_small_values_are_whole_and_redacted() {
        let v = json!({"a": [1, "two", null], "SecretToken": "s3cr3t"});
        assert_eq!(shown_value(&v, MAX_VALUE_BYTES), json!({"a": [1, "two", null], "SecretToken": "****"}));
        assert_eq!(shown_value(&json!("short"), MAX_VALUE_BYTES), json!("short"));
    }

    #[test]
    fn shown_value_long_string_is_cut_with_its_length() {
        let s = "é".repeat(10_000);
        let shown = shown_value(&Value::String(s.clone()), 300);
        let text = shown.as_str().unwrap();
        assert!(len(&shown) <= 300, "{}", len(&shown));
        assert!(text.starts_with("éé") && text.ends_with(&format!("{CUT}{} bytes]", s.len())), "{text}");
    }

    #[test]
    fn shown_value_escapes_count_towards_the_bound() {
        for c in ['"', '\u{1}', '\n', 'x', '€', '😀'] {
            let s: String = std::iter::repeat_n(c, 5000).collect();
            for cap in [MIN_SHOWN, 100, 101, 102, 103, MAX_VALUE_BYTES] {
                let shown = shown_value(&Value::String(s.clone()), cap);
                assert!(len(&shown) <= cap, "{c:?} cap {cap}: {}", len(&shown));
                let nested = json!({"k": [s.clone()]});
                let shown = shown_value(&nested, cap);
                assert!(len(&shown) <= cap, "{c:?} cap {cap}: {}", len(&shown));
                assert!(shown.as_str().unwrap().ends_with(&format!("{CUT}over {cap} bytes]")));
            }
        }
    }

    #[test]
    fn shown_value_cut_object_never_shows_a_secret() {
        let v = json!({"SecretToken": "s3cr3t-value", "pad": "x".repeat(10_000)});
        let shown = shown_value(&v, 200);
        assert!(shown.as_str().unwrap().starts_with(r#"{"SecretToken":"****","pad":"xxx"#), "{shown}");
    }

    #[test]
    fn shown_values_keep_within_the_trace_budget() {
        let big = Value::String("y".repeat(1 << 20));
        let nodes: Vec<Cow<'_, Value>> = std::iter::repeat_n(Cow::Borrowed(&big), 1000).collect();
        let shown = shown_values(nodes);
        assert!(len(&Value::Array(shown.clone())) <= MAX_TRACE_BYTES);
        assert!(shown.len() < MAX_TRACE_VALUES && shown.len() >= MAX_TRACE_BYTES / MAX_VALUE_BYTES);
        let small: Vec<Value> = (0..1000).map(|i| json!(i)).collect();
        let refs: Vec<Cow<'_, Value>> = small.iter().map(Cow::Borrowed).collect();
        assert_eq!(shown_values(refs).len(), MAX_TRACE_VALUES);
    }
}
