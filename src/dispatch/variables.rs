//! `pipehook:variable:<Name>` tags: a JSONPath per pipeline variable, compiled once per pipeline
//! (per isolate) with the filter engine's own entry points and bounds ([`crate::filter`]), and
//! selecting the variables' values from an accepted delivery's payload.
//!
//! What a path selects becomes the value: a string as it is, any other value as its compact
//! JSON (an indefinite path's whole node list, as Jayway answers it, e.g. `["a","b"]`).
//! Selecting nothing, `null`, an empty string or an empty list leaves the variable out, so the
//! pipeline's own default applies (the model allows no empty value). A value over 1000
//! characters (the model's `PipelineVariableValue`) is an error: the start is not made, and the
//! execution says which variable and why, rather than sending a cut value.
//!
//! When every path is definite, the payload is scanned for just those values
//! ([`crate::scan::ScanPlan`]), as a delivery's filters are; otherwise it is parsed whole.

use std::io;

use serde_json::Value;

use crate::filter::{compile_path, CompiledFilter, CompiledPath};
use crate::model::{PipelineVariable, WebhookFilterRule};
use crate::scan::ScanPlan;

use super::tags::VariableTag;

/// The model's `PipelineVariableList` maximum.
pub const MAX_VARIABLES: usize = 50;
/// The model's `PipelineVariableName` maximum.
pub const VARIABLE_NAME_MAX: usize = 128;
/// The model's `PipelineVariableValue` maximum, in characters.
pub const VARIABLE_VALUE_MAX: usize = 1000;
/// A filter rule's `jsonPath` bounds, which variable paths share.
const PATH_MAX: usize = 150;

/// Checks a variable tag's value as a filter's `jsonPath` is checked: 1..150 characters that
/// compile. The reason when it does not.
pub fn check_variable_path(path: &str) -> Result<CompiledPath, String> {
    let n = path.chars().count();
    if n == 0 || n > PATH_MAX {
        return Err(format!("a JSONPath is 1 to {PATH_MAX} characters, this one is {n}"));
    }
    compile_path(path).map_err(|e| e.reason)
}

/// Why the variables could not be given to the start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VariableError {
    /// The payload is not JSON (cannot happen for an accepted delivery, whose payload was read).
    Payload(String),
    /// A selected value is longer than [`VARIABLE_VALUE_MAX`] characters (`chars`: at least).
    TooLong { name: String, chars: usize },
}

impl VariableError {
    pub fn message(&self) -> String {
        match self {
            Self::Payload(why) => format!("the variables could not be selected: {why}"),
            Self::TooLong { name, chars } => format!(
                "variable '{name}' selected a value of {chars}{} characters; pipeline variables are at most {VARIABLE_VALUE_MAX}",
                if *chars > VARIABLE_VALUE_MAX * 4 { "+" } else { "" }
            ),
        }
    }
}

/// A pipeline's variable tags, compiled.
#[derive(Clone, Debug, Default)]
pub struct CompiledVariables {
    variables: Vec<(String, CompiledPath)>,
    /// The scan plan when every path is definite.
    plan: Option<ScanPlan>,
}

impl CompiledVariables {
    /// Compiles the (already checked) variable tags; the first reason one does not compile.
    pub fn compile(tags: &[VariableTag]) -> Result<Self, String> {
        let mut variables = Vec::with_capacity(tags.len());
        for tag in tags {
            let path = check_variable_path(&tag.path).map_err(|why| format!("variable '{}': {why}", tag.name))?;
            variables.push((tag.name.clone(), path));
        }
        // The filters' own plan builder, over the variables' paths.
        let as_rules: Vec<CompiledFilter> = variables
            .iter()
            .map(|(_, path)| CompiledFilter {
                rule: WebhookFilterRule { json_path: path.as_str().to_string(), match_equals: None },
                path: path.clone(),
            })
            .collect();
        let plan = if variables.is_empty() { None } else { ScanPlan::for_filters(&as_rules) };
        Ok(Self { variables, plan })
    }

    pub fn is_empty(&self) -> bool {
        self.variables.is_empty()
    }

    /// The variables of a delivery (its headers, for a form-encoded body, and its body).
    pub fn select(&self, headers: &[(String, String)], body: &[u8]) -> Result<Vec<PipelineVariable>, VariableError> {
        if self.variables.is_empty() {
            return Ok(Vec::new());
        }
        let doc = crate::delivery::parse_payload(self.plan.as_ref(), headers, body).map_err(|(_, why)| VariableError::Payload(why))?;
        self.select_from(&doc)
    }

    /// The variables `doc` gives, in tag order.
    pub fn select_from(&self, doc: &Value) -> Result<Vec<PipelineVariable>, VariableError> {
        let mut out = Vec::with_capacity(self.variables.len());
        for (name, path) in &self.variables {
            let nodes = path.select(doc);
            let value = if path.is_definite() {
                match nodes.first().map(|v| v.as_ref()) {
                    None | Some(Value::Null) => continue,
                    Some(v) => text_of(name, v)?,
                }
            } else if nodes.is_empty() {
                continue;
            } else {
                bounded_json(name, &nodes)?
            };
            if !value.is_empty() {
                out.push(PipelineVariable { name: name.clone(), value });
            }
        }
        Ok(out)
    }
}

fn text_of(name: &str, v: &Value) -> Result<String, VariableError> {
    match v {
        Value::String(s) => {
            let chars = s.chars().count();
            if chars > VARIABLE_VALUE_MAX {
                return Err(VariableError::TooLong { name: name.into(), chars });
            }
            Ok(s.clone())
        }
        other => bounded_json(name, other),
    }
}

/// The compact JSON of `v` if it has at most [`VARIABLE_VALUE_MAX`] characters, written without
/// ever holding more than four times that (a selection may be a whole 25 MB payload).
fn bounded_json<T: serde::Serialize + ?Sized>(name: &str, v: &T) -> Result<String, VariableError> {
    let limit = VARIABLE_VALUE_MAX * 4;
    let mut w = Capped { out: Vec::new(), limit };
    let too_long = || VariableError::TooLong { name: name.into(), chars: limit + 1 };
    serde_json::to_writer(&mut w, v).map_err(|_| too_long())?;
    let text = String::from_utf8(w.out).map_err(|_| too_long())?;
    let chars = text.chars().count();
    if chars > VARIABLE_VALUE_MAX {
        return Err(VariableError::TooLong { name: name.into(), chars });
    }
    Ok(text)
}

struct Capped {
    out: Vec<u8>,
    limit: usize,
}

impl io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.out.len() + buf.len() > self.limit {
            return Err(io::Error::other("over the limit"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
