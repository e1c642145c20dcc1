//! StartPipelineExecution's `variables` and `sourceRevisions`, checked as the service model
//! defines them (`PipelineVariableList`, `SourceRevisionOverrideList`), every problem at once:
//!
//! - `variables`: 1 to 50 of `{name, value}`, name 1..128 characters of `[A-Za-z0-9@\-_]`, value
//!   1..1000 characters;
//! - `sourceRevisions`: at most 50 of `{actionName, revisionType, revisionValue}`, actionName
//!   1..100 characters of `[A-Za-z0-9.@\-_]`, revisionType one of the model's four, revisionValue
//!   1..1500 characters.
//!
//! Beyond the model, and as clear errors rather than a silent choice: a variable name or an
//! action name given twice, and an override for an action that is not in the pipeline's first
//! stage (where source actions are), are refused.
//!
//! ```
//! use serde_json::json;
//! use pipehook::start::validate_start_overrides;
//! let ok = validate_start_overrides(&json!({"name": "app", "variables": [{"name": "BRANCH", "value": "main"}]}), None).unwrap();
//! assert_eq!(ok.variables[0].value, "main");
//! let long = "x".repeat(1001);
//! let problems = validate_start_overrides(&json!({"variables": [{"name": "B", "value": long}]}), None).unwrap_err();
//! assert_eq!(problems[0].path, "variables[0].value");
//! ```

use std::collections::HashSet;

use serde_json::Value;

use crate::dispatch::tags::is_variable_name;
use crate::dispatch::variables::{MAX_VARIABLES, VARIABLE_NAME_MAX, VARIABLE_VALUE_MAX};
use crate::model::{PipelineDeclaration, PipelineVariable, SourceRevisionOverride};
use crate::problem::{Problem, ProblemKind};
use crate::validate::{check_length, echo, expect_object, finish, required_string, wrong_type};

/// The model's `SourceRevisionType` values.
pub const REVISION_TYPES: [&str; 4] = ["COMMIT_ID", "IMAGE_DIGEST", "S3_OBJECT_VERSION_ID", "S3_OBJECT_KEY"];
const MAX_OVERRIDES: usize = 50;
const REVISION_MAX: usize = 1500;
const ACTION_NAME_MAX: usize = 100;

/// What a StartPipelineExecution input overrides, checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StartOverrides {
    pub variables: Vec<PipelineVariable>,
    pub source_revisions: Vec<SourceRevisionOverride>,
}

/// Checks `variables` and `sourceRevisions` of a StartPipelineExecution input; with the
/// pipeline, also that each override names an action of its first stage.
pub fn validate_start_overrides(
    input: &Value,
    pipeline: Option<&PipelineDeclaration>,
) -> Result<StartOverrides, Vec<Problem>> {
    let mut problems = Vec::new();
    let variables = check_variables(input.get("variables"), &mut problems);
    let source_revisions = check_overrides(input.get("sourceRevisions"), pipeline, &mut problems);
    finish(problems, || StartOverrides { variables, source_revisions })
}

/// A list member: `None` when absent or null; a wrong type is a problem.
fn list<'a>(value: Option<&'a Value>, path: &str, problems: &mut Vec<Problem>) -> Option<&'a [Value]> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(items),
        Some(other) => {
            problems.push(wrong_type(path, other, "a list"));
            None
        }
    }
}

fn check_count(n: usize, path: &str, what: &str, min: usize, max: usize, problems: &mut Vec<Problem>) {
    let shown = format!("[{n} {what}]");
    if n < min {
        problems.push(Problem::constraint(path, Some(&shown), &format!("Member must have length greater than or equal to {min}")));
    } else if n > max {
        problems.push(Problem::constraint(path, Some(&shown), &format!("Member must have length less than or equal to {max}")));
    }
}

/// A ValidationException when `key` was seen before in the list.
fn once<'a>(
    seen: &mut HashSet<&'a str>,
    key: Option<&'a str>,
    path: &str,
    problems: &mut Vec<Problem>,
    message: impl FnOnce(&str) -> String,
) {
    if let Some(k) = key.filter(|k| !seen.insert(k)) {
        problems.push(Problem::new(ProblemKind::Validation, path, message(k)));
    }
}

fn check_variables(value: Option<&Value>, problems: &mut Vec<Problem>) -> Vec<PipelineVariable> {
    let Some(items) = list(value, "variables", problems) else { return Vec::new() };
    check_count(items.len(), "variables", "variables", 1, MAX_VARIABLES, problems);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("variables[{i}]");
        let Some(v) = expect_object(item, &path, problems) else { continue };
        let name_at = format!("{path}.name");
        let name = required_string(v.get("name"), &name_at, problems).filter(|n| {
            let ok = check_length(n, &name_at, 1, VARIABLE_NAME_MAX, false, problems);
            if ok && !is_variable_name(n) {
                problems.push(Problem::constraint(
                    &name_at,
                    Some(&echo(n)),
                    r"Member must satisfy regular expression pattern: [A-Za-z0-9@\-_]+",
                ));
                return false;
            }
            ok
        });
        let value_at = format!("{path}.value");
        let value = required_string(v.get("value"), &value_at, problems)
            .filter(|s| check_length(s, &value_at, 1, VARIABLE_VALUE_MAX, false, problems));
        once(&mut seen, name, &name_at, problems, |n| format!("Variable '{n}' at '{name_at}' is given more than once"));
        if let (Some(name), Some(value)) = (name, value) {
            out.push(PipelineVariable { name: name.into(), value: value.into() });
        }
    }
    out
}

fn check_overrides(
    value: Option<&Value>,
    pipeline: Option<&PipelineDeclaration>,
    problems: &mut Vec<Problem>,
) -> Vec<SourceRevisionOverride> {
    let Some(items) = list(value, "sourceRevisions", problems) else { return Vec::new() };
    check_count(items.len(), "sourceRevisions", "overrides", 0, MAX_OVERRIDES, problems);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("sourceRevisions[{i}]");
        let Some(o) = expect_object(item, &path, problems) else { continue };
        let action_at = format!("{path}.actionName");
        let action = required_string(o.get("actionName"), &action_at, problems)
            .filter(|a| check_action(a, &action_at, pipeline, problems));
        let type_at = format!("{path}.revisionType");
        let revision_type = required_string(o.get("revisionType"), &type_at, problems).filter(|t| {
            let ok = REVISION_TYPES.contains(t);
            if !ok {
                problems.push(Problem::constraint(
                    &type_at,
                    Some(&echo(t)),
                    &format!("Member must satisfy enum value set: [{}]", REVISION_TYPES.join(", ")),
                ));
            }
            ok
        });
        let value_at = format!("{path}.revisionValue");
        let revision = required_string(o.get("revisionValue"), &value_at, problems)
            .filter(|r| check_length(r, &value_at, 1, REVISION_MAX, false, problems));
        once(&mut seen, action, &action_at, problems, |a| {
            format!("Action '{a}' at '{action_at}' has more than one source revision override")
        });
        if let (Some(a), Some(t), Some(r)) = (action, revision_type, revision) {
            out.push(SourceRevisionOverride { action_name: a.into(), revision_type: t.into(), revision_value: r.into() });
        }
    }
    out
}

fn check_action(name: &str, path: &str, pipeline: Option<&PipelineDeclaration>, problems: &mut Vec<Problem>) -> bool {
    if !check_length(name, path, 1, ACTION_NAME_MAX, false, problems) {
        return false;
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-' | '_')) {
        problems.push(Problem::constraint(
            path,
            Some(&echo(name)),
            r"Member must satisfy regular expression pattern: [A-Za-z0-9.@\-_]+",
        ));
        return false;
    }
    let Some(pipeline) = pipeline else { return true };
    if pipeline.source_action(name).is_some() {
        return true;
    }
    let first: Vec<&str> =
        pipeline.stages.first().map(|s| s.actions.iter().map(|a| a.name.as_str()).collect()).unwrap_or_default();
    problems.push(Problem::new(
        ProblemKind::Validation,
        path,
        format!(
            "Action '{}' at '{path}' is not a source action of pipeline '{}' (its first stage has: {})",
            echo(name),
            pipeline.name,
            first.join(", ")
        ),
    ));
    false
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pipeline() -> PipelineDeclaration {
        serde_json::from_value(json!({"name": "app", "stages": [
            {"name": "Source", "actions": [{"name": "Source"}, {"name": "Other"}]},
            {"name": "Build", "actions": [{"name": "Build"}]}]}))
        .unwrap()
    }

    fn paths(input: serde_json::Value) -> Vec<String> {
        validate_start_overrides(&input, Some(&pipeline())).unwrap_err().into_iter().map(|p| p.path).collect()
    }

    #[test]
    fn valid_overrides_are_kept_in_order() {
        let input = json!({"variables": [{"name": "A-b_@1", "value": "x"}, {"name": "B", "value": "é".repeat(1000)}],
            "sourceRevisions": [{"actionName": "Source", "revisionType": "COMMIT_ID", "revisionValue": "abc"}]});
        let ok = validate_start_overrides(&input, Some(&pipeline())).unwrap();
        assert_eq!(ok.variables.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["A-b_@1", "B"]);
        assert_eq!(ok.source_revisions[0].revision_value, "abc");
        assert_eq!(validate_start_overrides(&json!({"name": "app"}), None).unwrap(), StartOverrides::default());
    }

    #[test]
    fn every_broken_constraint_is_reported_with_its_path() {
        let got = paths(json!({
            "variables": [{"name": "bad name", "value": ""}, {"value": "x"}, {"name": "A", "value": "y".repeat(1001)}, {"name": "A", "value": "z"}],
            "sourceRevisions": [{"actionName": "Build", "revisionType": "GIT", "revisionValue": ""}, {"revisionType": "COMMIT_ID", "revisionValue": "x"}]}));
        assert_eq!(got, [
            "variables[0].name", "variables[0].value", "variables[1].name", "variables[2].value", "variables[3].name",
            "sourceRevisions[0].actionName", "sourceRevisions[0].revisionType", "sourceRevisions[0].revisionValue", "sourceRevisions[1].actionName",
        ]);
    }

    #[test]
    fn list_bounds_and_types() {
        let many: Vec<_> = (0..51).map(|i| json!({"name": format!("V{i}"), "value": "v"})).collect();
        let problems = validate_start_overrides(&json!({"variables": many}), None).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("less than or equal to 50"), "{}", problems[0].message);
        let empty = validate_start_overrides(&json!({"variables": []}), None).unwrap_err();
        assert!(empty[0].message.contains("greater than or equal to 1"));
        assert_eq!(paths(json!({"variables": "x", "sourceRevisions": [3]})), ["variables", "sourceRevisions[0]"]);
    }

    #[test]
    fn an_override_of_a_later_stage_action_names_the_first_stage() {
        let p = validate_start_overrides(
            &json!({"sourceRevisions": [{"actionName": "Build", "revisionType": "COMMIT_ID", "revisionValue": "a"}]}),
            Some(&pipeline()),
        )
        .unwrap_err();
        assert!(p[0].message.contains("not a source action of pipeline 'app' (its first stage has: Source, Other)"), "{}", p[0].message);
    }
}
