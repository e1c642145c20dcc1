//! Compiled filter rules: JSONPath selection with Jayway JsonPath's conventions
//! (what AWS uses) and comparison of what was selected with `matchEquals`.
//!
//! CONTRACT (stub: to be implemented): the signatures below are what the rest of the core uses.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::model::WebhookFilterRule;

/// Why a JSONPath does not parse, in the parser's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError {
    pub reason: String,
}

/// A JSONPath parsed once.
#[derive(Clone, Debug)]
pub struct CompiledPath {
    source: String,
    definite: bool,
}

pub fn compile_path(path: &str) -> Result<CompiledPath, PathError> {
    let _ = path;
    Err(PathError { reason: "not implemented".into() })
}

impl CompiledPath {
    pub fn as_str(&self) -> &str {
        &self.source
    }
    /// Jayway's "definite" path: only names and single indexes, no wildcard, `..`, filter, slice or union.
    pub fn is_definite(&self) -> bool {
        self.definite
    }
    /// The selected values: at most one for a definite path, the node list otherwise.
    pub fn select<'a>(&self, doc: &'a Value) -> Vec<&'a Value> {
        let _ = doc;
        Vec::new()
    }
}

/// The text a selected value is compared by: a string's characters; any other value's compact JSON.
pub fn json_text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

/// The `{Key}` placeholder names in a matchEquals value, in order.
pub fn placeholders(match_equals: &str) -> Vec<&str> {
    let _ = match_equals;
    Vec::new()
}

/// matchEquals with every `{Key}` that names a configuration key replaced by its value.
pub fn substitute(match_equals: &str, configuration: &BTreeMap<String, String>) -> String {
    let _ = configuration;
    match_equals.to_string()
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
    pub selected: Vec<Value>,
    pub passed: bool,
}

impl CompiledFilter {
    pub fn evaluate(&self, doc: &Value, configuration: &BTreeMap<String, String>) -> FilterTrace {
        let _ = (doc, configuration);
        FilterTrace { json_path: self.rule.json_path.clone(), expected: None, selected: vec![], passed: false }
    }
}
