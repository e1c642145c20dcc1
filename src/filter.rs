//! What a webhook filter rule adds to a JSONPath (SPEC §2 step 4): `{Key}` placeholders in
//! `matchEquals`, the comparison of what the path selected with it, and the trace that says
//! why a rule passed or failed. Paths themselves (Jayway's dialect) are [`crate::jsonpath`].
//!
//! A rule passes when any selected value's text equals matchEquals (a string by its
//! characters, anything else by its compact JSON), or, without matchEquals, when it selected
//! anything that is not null.
//!
//! ```
//! use pipehook::filter::compile_path;
//! let doc = serde_json::json!({"ref": "refs/heads/main", "commits": [{"id": "a"}, {"id": "b"}]});
//! let p = compile_path("$.ref").unwrap();
//! assert!(p.is_definite());
//! assert_eq!(*p.select(&doc)[0], doc["ref"]);
//! let p = compile_path("$.commits[*].id").unwrap();
//! assert!(!p.is_definite());
//! assert_eq!(p.select(&doc).len(), 2);
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io;

use serde::Serialize;
use serde_json::Value;

use crate::model::WebhookFilterRule;

pub use crate::jsonpath::{
    compile as compile_path, JsonPath as CompiledPath, PathError, Selection, Step, MAX_NESTING, MAX_SELECTED, MAX_STEPS,
};

/// The most values a [`FilterTrace`] shows in `selected` (its byte bounds: [`crate::trace`]).
pub use crate::trace::MAX_TRACE_VALUES;

/// The text a selected value is compared by: a string's characters; any other value's compact JSON.
pub fn json_text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

/// `json_text(v) == expected`, without writing out more of `v` than `expected` is long
/// (a selected object may be the whole payload).
fn text_equals(v: &Value, expected: &str) -> bool {
    match v {
        Value::String(s) => s == expected,
        other => {
            let mut w = PrefixWriter { rest: expected.as_bytes() };
            serde_json::to_writer(&mut w, other).is_ok() && w.rest.is_empty()
        }
    }
}

/// Consumes the expected text as serde_json writes; fails at the first byte that differs.
struct PrefixWriter<'e> {
    rest: &'e [u8],
}

impl io::Write for PrefixWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.rest.strip_prefix(buf) {
            Some(rest) => {
                self.rest = rest;
                Ok(buf.len())
            }
            None => Err(io::Error::other("differs")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The `{Key}` placeholders of a matchEquals value as (byte range, key), in order.
fn placeholder_spans(s: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            if bytes[i] == b'{' {
                let start = i;
                let mut j = i + 1;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                if j > start + 1 && j < bytes.len() && bytes[j] == b'}' {
                    i = j + 1;
                    return Some((start, j + 1, &s[start + 1..j]));
                }
            }
            i += 1;
        }
        None
    })
}

/// The `{Key}` placeholder names in a matchEquals value, in order.
///
/// ```
/// use pipehook::filter::placeholders;
/// assert_eq!(placeholders("refs/heads/{Branch}"), vec!["Branch"]);
/// assert!(placeholders(r#"{"a":1}"#).is_empty());
/// ```
pub fn placeholders(match_equals: &str) -> Vec<&str> {
    placeholder_spans(match_equals).map(|(_, _, key)| key).collect()
}

/// matchEquals with every `{Key}` that names a configuration key replaced by its value.
///
/// ```
/// use std::collections::BTreeMap;
/// use pipehook::filter::substitute;
/// let conf = BTreeMap::from([("Branch".to_string(), "main".to_string())]);
/// assert_eq!(substitute("refs/heads/{Branch}", &conf), "refs/heads/main");
/// assert_eq!(substitute("{Other}", &conf), "{Other}");
/// ```
pub fn substitute(match_equals: &str, configuration: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(match_equals.len());
    let mut copied = 0;
    for (start, end, key) in placeholder_spans(match_equals) {
        if let Some(value) = configuration.get(key) {
            out.push_str(&match_equals[copied..start]);
            out.push_str(value);
            copied = end;
        }
    }
    out.push_str(&match_equals[copied..]);
    out
}

/// One rule, compiled.
#[derive(Clone, Debug)]
pub struct CompiledFilter {
    pub rule: WebhookFilterRule,
    pub path: CompiledPath,
}

/// How one rule fared against one payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterTrace {
    pub json_path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The selected values in order, as [`crate::trace`] shows them: at most
    /// [`MAX_TRACE_VALUES`] of them in at most [`crate::trace::MAX_TRACE_BYTES`] of JSON, a value
    /// too long for [`crate::trace::MAX_VALUE_BYTES`] cut and marked ([`crate::trace::CUT`]).
    pub selected: Vec<Value>,
    /// How many values the path selected in all; more than `selected.len()`
    /// when the trace was cut.
    pub selected_count: usize,
    pub passed: bool,
}

impl CompiledFilter {
    /// Runs the rule on a payload: selection, `{Key}` substitution, comparison.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use pipehook::filter::{compile_path, CompiledFilter};
    /// use pipehook::model::WebhookFilterRule;
    /// let rule = WebhookFilterRule { json_path: "$.ref".into(), match_equals: Some("refs/heads/{Branch}".into()) };
    /// let f = CompiledFilter { path: compile_path(&rule.json_path).unwrap(), rule };
    /// let conf = BTreeMap::from([("Branch".to_string(), "main".to_string())]);
    /// let t = f.evaluate(&serde_json::json!({"ref": "refs/heads/main"}), &conf);
    /// assert!(t.passed);
    /// assert_eq!(t.expected.as_deref(), Some("refs/heads/main"));
    /// ```
    pub fn evaluate(&self, doc: &Value, configuration: &BTreeMap<String, String>) -> FilterTrace {
        self.test(doc, configuration).into_trace()
    }

    /// Runs the rule without building its trace: what a caller that may not need the trace
    /// gets first ([`Tested::into_trace`] builds it).
    pub fn test<'a>(&'a self, doc: &'a Value, configuration: &BTreeMap<String, String>) -> Tested<'a> {
        self.tested(self.path.select(doc), configuration)
    }

    /// [`Self::test`] on what the rule's path selected, however it was read (the single-pass
    /// scan reads a definite path's value without a document).
    pub fn tested<'a>(&'a self, nodes: Vec<Cow<'a, Value>>, configuration: &BTreeMap<String, String>) -> Tested<'a> {
        let expected = self.rule.match_equals.as_deref().map(|m| substitute(m, configuration));
        let passed = match &expected {
            Some(e) => nodes.iter().any(|v| text_equals(v, e)),
            None => nodes.iter().any(|v| !v.is_null()),
        };
        Tested { rule: &self.rule, expected, nodes, passed }
    }
}

/// A rule run on a payload: the selection itself (references into the payload), not yet copied.
pub struct Tested<'a> {
    rule: &'a WebhookFilterRule,
    expected: Option<String>,
    nodes: Vec<Cow<'a, Value>>,
    pub passed: bool,
}

impl Tested<'_> {
    /// The rule's trace, bounded in bytes whatever was selected ([`crate::trace`]).
    pub fn into_trace(self) -> FilterTrace {
        let cap = crate::trace::MAX_VALUE_BYTES;
        FilterTrace {
            json_path: self.rule.json_path.clone(),
            expected: self.expected.map(|e| crate::trace::shown_text(&e, cap).unwrap_or(e)),
            selected_count: self.nodes.len(),
            selected: crate::trace::shown_values(self.nodes),
            passed: self.passed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn conf(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn rule(path: &str, match_equals: Option<&str>) -> CompiledFilter {
        CompiledFilter {
            rule: WebhookFilterRule { json_path: path.into(), match_equals: match_equals.map(Into::into) },
            path: compile_path(path).unwrap_or_else(|e| panic!("{path}: {}", e.reason)),
        }
    }

    fn passes(path: &str, match_equals: Option<&str>, doc: &Value) -> bool {
        rule(path, match_equals).evaluate(doc, &BTreeMap::new()).passed
    }

    fn push() -> Value {
        json!({
            "ref": "refs/heads/main",
            "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
            "created": false,
            "forced": true,
            "base_ref": null,
            "size": 3,
            "ratio": 1.5,
            "repository": {"name": "pipehook", "full name": "o/pipehook", "owner": {"login": "o"}},
            "commits": [
                {"id": "a1", "message": "first", "added": ["x.rs"]},
                {"id": "b2", "message": "second", "added": []},
                {"id": "c3", "message": "third", "added": ["y.rs", "z.rs"]}
            ],
            "head_commit": {"b": 1, "a": [1, "two", null]}
        })
    }

    #[test]
    fn json_text_strings_by_characters_others_by_compact_json() {
        assert_eq!(json_text(&json!("a\"b")), "a\"b");
        assert_eq!(json_text(&json!(3)), "3");
        assert_eq!(json_text(&json!(1.5)), "1.5");
        assert_eq!(json_text(&json!(true)), "true");
        assert_eq!(json_text(&json!(null)), "null");
        assert_eq!(json_text(&json!({"b": 1, "a": [1, "x"]})), r#"{"b":1,"a":[1,"x"]}"#);
        assert_eq!(json_text(&json!([])), "[]");
    }

    #[test]
    fn text_equals_agrees_with_json_text() {
        let big = Value::Array((0..10_000).map(|i| json!({"i": i})).collect());
        for v in [json!("x"), json!(3), json!(-0.5), json!(false), json!(null), json!({"b": 1, "a": [1, "x"]}), json!([]), big] {
            let t = json_text(&v).into_owned();
            assert!(text_equals(&v, &t));
            assert!(!text_equals(&v, &t[..t.len() - 1]));
            assert!(!text_equals(&v, &format!("{t} ")));
        }
        assert!(!text_equals(&json!("3"), "\"3\""));
    }

    #[test]
    fn evaluate_compares_string_number_bool_null_object_array() {
        let doc = push();
        assert!(passes("$.ref", Some("refs/heads/main"), &doc));
        assert!(!passes("$.ref", Some("refs/heads/dev"), &doc));
        assert!(!passes("$.ref", Some("\"refs/heads/main\""), &doc));
        assert!(passes("$.size", Some("3"), &doc));
        assert!(!passes("$.size", Some("3.0"), &doc));
        assert!(passes("$.ratio", Some("1.5"), &doc));
        assert!(passes("$.forced", Some("true"), &doc));
        assert!(passes("$.created", Some("false"), &doc));
        assert!(passes("$.base_ref", Some("null"), &doc));
        assert!(passes("$.head_commit", Some(r#"{"b":1,"a":[1,"two",null]}"#), &doc));
        assert!(!passes("$.head_commit", Some(r#"{"a":[1,"two",null],"b":1}"#), &doc));
        assert!(!passes("$.head_commit", Some(r#"{"b": 1, "a": [1, "two", null]}"#), &doc));
        assert!(passes("$.head_commit.a", Some(r#"[1,"two",null]"#), &doc));
        assert!(passes("$.commits[1].added", Some("[]"), &doc));
    }

    #[test]
    fn evaluate_list_passes_when_any_element_matches() {
        let doc = push();
        assert!(passes("$.commits[*].id", Some("b2"), &doc));
        assert!(passes("$..added[*]", Some("z.rs"), &doc));
        assert!(!passes("$.commits[*].id", Some("d4"), &doc));
        assert!(passes("$.head_commit.a[*]", Some("null"), &doc));
    }

    #[test]
    fn evaluate_empty_selection_fails() {
        let doc = push();
        assert!(!passes("$.nope", Some("x"), &doc));
        assert!(!passes("$.commits[?(@.id == 'zz')]", Some("x"), &doc));
        let t = rule("$.nope", Some("x")).evaluate(&doc, &BTreeMap::new());
        assert_eq!(t.selected, Vec::<Value>::new());
        assert!(!passes("$.nope", None, &doc));
        assert!(!passes("$.commits[?(@.nope)]", None, &doc));
    }

    #[test]
    fn evaluate_without_match_equals_needs_something_non_null() {
        let doc = push();
        assert!(passes("$.ref", None, &doc));
        assert!(passes("$.created", None, &doc));
        assert!(passes("$.commits[1].added", None, &doc));
        assert!(!passes("$.base_ref", None, &doc));
        assert!(!passes("$.head_commit.a[2]", None, &doc));
        assert!(passes("$.head_commit.a[*]", None, &doc));
        assert!(!passes("$.head_commit.a[2:]", None, &doc));
    }

    #[test]
    fn evaluate_trace_reports_path_expected_selected() {
        let doc = push();
        let f = rule("$.commits[*].id", Some("{Branch}-{Nope}"));
        let t = f.evaluate(&doc, &conf(&[("Branch", "main")]));
        assert_eq!(t.json_path, "$.commits[*].id");
        assert_eq!(t.expected.as_deref(), Some("main-{Nope}"));
        assert_eq!(t.selected, vec![json!("a1"), json!("b2"), json!("c3")]);
        assert!(!t.passed);
        let shown = serde_json::to_value(&t).unwrap();
        assert_eq!(shown, json!({"jsonPath": "$.commits[*].id", "expected": "main-{Nope}", "selected": ["a1", "b2", "c3"], "selectedCount": 3, "passed": false}));
        let t = rule("$.ref", None).evaluate(&doc, &BTreeMap::new());
        assert_eq!(serde_json::to_value(&t).unwrap(), json!({"jsonPath": "$.ref", "selected": ["refs/heads/main"], "selectedCount": 1, "passed": true}));
    }

    #[test]
    fn evaluate_trace_redacts_secret_token_members_at_any_depth() {
        let doc = json!({"a": {"SecretToken": "x1", "b": [{"SecretToken": {"deep": "x2"}}, "SecretToken"]}});
        let t = rule("$.a", None).evaluate(&doc, &BTreeMap::new());
        assert_eq!(t.selected, vec![json!({"SecretToken": "****", "b": [{"SecretToken": "****"}, "SecretToken"]})]);
        // The document itself is left as it was: only the trace's copy is redacted.
        assert_eq!(doc["a"]["SecretToken"], "x1");
        let t = rule("$.a.SecretToken", Some("x1")).evaluate(&doc, &BTreeMap::new());
        assert!(t.passed, "the comparison sees the payload's value");
        assert_eq!(t.selected, vec![json!("x1")], "a selected string is a value, not a member");
    }

    #[test]
    fn evaluate_substitutes_placeholders_before_comparing() {
        let doc = push();
        let f = rule("$.ref", Some("refs/heads/{Branch}"));
        assert!(f.evaluate(&doc, &conf(&[("Branch", "main")])).passed);
        assert!(!f.evaluate(&doc, &conf(&[("Branch", "dev")])).passed);
        assert!(!f.evaluate(&doc, &BTreeMap::new()).passed);
    }

    #[test]
    fn evaluate_trace_copies_are_bounded() {
        let doc = Value::Array((0..1000).map(|i| json!([i])).collect());
        let t = rule("$[*]", Some("[999]")).evaluate(&doc, &BTreeMap::new());
        assert!(t.passed);
        assert_eq!(t.selected.len(), MAX_TRACE_VALUES);
        assert_eq!(t.selected_count, 1000);
        let big = Value::Array((0..100_000i64).map(Value::from).collect());
        let t = rule("$", None).evaluate(&big, &BTreeMap::new());
        assert!(t.passed);
        let shown = t.selected[0].as_str().unwrap();
        assert!(shown.starts_with("[0,1,2,") && shown.contains(crate::trace::CUT), "{shown}");
        assert_eq!(t.selected_count, 1);
    }

    #[test]
    fn placeholders_are_braced_word_characters() {
        assert_eq!(placeholders("refs/heads/{Branch}"), vec!["Branch"]);
        assert_eq!(placeholders("{a}{B_2}x{c}"), vec!["a", "B_2", "c"]);
        assert_eq!(placeholders("{{Branch}}"), vec!["Branch"]);
        assert!(placeholders(r#"{"a":1}"#).is_empty());
        assert!(placeholders("{}").is_empty());
        assert!(placeholders("{a-b}").is_empty());
        assert!(placeholders("{a b}").is_empty());
        assert!(placeholders("{abc").is_empty());
        assert!(placeholders("{é}").is_empty());
        assert!(placeholders("").is_empty());
    }

    #[test]
    fn substitute_replaces_known_keys_and_keeps_unknown_ones() {
        let c = conf(&[("Branch", "main"), ("Repo", "{Branch}"), ("Empty", "")]);
        assert_eq!(substitute("refs/heads/{Branch}", &c), "refs/heads/main");
        assert_eq!(substitute("{Unknown}/{Branch}", &c), "{Unknown}/main");
        assert_eq!(substitute("{Branch}{Branch}", &c), "mainmain");
        assert_eq!(substitute("{Repo}", &c), "{Branch}", "a value is not substituted again");
        assert_eq!(substitute("x{Empty}y", &c), "xy");
        assert_eq!(substitute(r#"{"a":{Branch}}"#, &c), r#"{"a":main}"#);
        assert_eq!(substitute("é{Branch}é", &c), "émainé");
        assert_eq!(substitute("no placeholders", &c), "no placeholders");
    }
}
