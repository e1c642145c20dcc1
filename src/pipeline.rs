//! PipelineDeclaration checks: enough of what CodePipeline refuses that a
//! stored pipeline is a sound webhook target (names, the first stage, action
//! configuration), plus the tag-list rules CreatePipeline and TagResource share.
//!
//! Like [`crate::validate`], every problem is reported at once, each with its
//! AWS exception and member path; the API answers the first kind.
//!
//! ```
//! use serde_json::json;
//! let p = json!({"name": "app", "roleArn": "arn:aws:iam::123456789012:role/r",
//!   "artifactStore": {"type": "S3", "location": "bucket"},
//!   "stages": [
//!     {"name": "Source", "actions": [{"name": "Src", "actionTypeId":
//!       {"category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "1"},
//!       "configuration": {"Branch": "main"}}]},
//!     {"name": "Build", "actions": [{"name": "B", "actionTypeId":
//!       {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"}}]}]});
//! let declared = pipehook::pipeline::validate_pipeline(&p).unwrap();
//! assert_eq!(declared.source_action("Src").unwrap().configuration["Branch"], "main");
//!
//! let problems = pipehook::pipeline::validate_pipeline(&json!({"name": "a b"})).unwrap_err();
//! assert!(problems.iter().all(|p| p.path.starts_with("pipeline")));
//! ```

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::model::PipelineDeclaration;
use crate::problem::{Problem, ProblemKind};

/// The exceptions a pipeline declaration or a tag list can raise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PipelineProblemKind {
    Validation,
    InvalidStructure,
    InvalidStageDeclaration,
    InvalidActionDeclaration,
    InvalidBlockerDeclaration,
    TooManyTags,
    InvalidTags,
}

impl PipelineProblemKind {
    pub fn aws_type(self) -> &'static str {
        match self {
            Self::Validation => "ValidationException",
            Self::InvalidStructure => "InvalidStructureException",
            Self::InvalidStageDeclaration => "InvalidStageDeclarationException",
            Self::InvalidActionDeclaration => "InvalidActionDeclarationException",
            Self::InvalidBlockerDeclaration => "InvalidBlockerDeclarationException",
            Self::TooManyTags => "TooManyTagsException",
            Self::InvalidTags => "InvalidTagsException",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineProblem {
    pub kind: PipelineProblemKind,
    pub path: String,
    pub message: String,
}

impl PipelineProblem {
    fn new(kind: PipelineProblemKind, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { kind, path: path.into(), message: message.into() }
    }
}

impl From<Problem> for PipelineProblem {
    /// Model-constraint and tag problems are worded by the core's [`Problem`] constructors.
    fn from(p: Problem) -> Self {
        let kind = match p.kind {
            ProblemKind::TooManyTags => PipelineProblemKind::TooManyTags,
            ProblemKind::InvalidTags => PipelineProblemKind::InvalidTags,
            _ => PipelineProblemKind::Validation,
        };
        Self { kind, path: p.path, message: p.message }
    }
}

/// The first problem's exception with every message of that kind, as
/// [`crate::aws_error`] does for webhooks.
pub fn pipeline_error(problems: &[PipelineProblem]) -> Option<(PipelineProblemKind, String)> {
    let kind = problems.first()?.kind;
    let messages: Vec<&str> =
        problems.iter().filter(|p| p.kind == kind).map(|p| p.message.as_str()).collect();
    let joined = messages.join("; ");
    Some(match kind {
        PipelineProblemKind::Validation => {
            let n = messages.len();
            let noun = if n == 1 { "error" } else { "errors" };
            (kind, format!("{n} validation {noun} detected: {joined}"))
        }
        _ => (kind, joined),
    })
}

const NAME_PATTERN: &str = r"[A-Za-z0-9.@\-_]+";
const CATEGORIES: [&str; 7] = ["Source", "Build", "Deploy", "Test", "Invoke", "Approval", "Compute"];
const OWNERS: [&str; 3] = ["AWS", "ThirdParty", "Custom"];

/// Checks a PipelineDeclaration (the `pipeline` member of CreatePipeline or
/// UpdatePipeline), reporting paths under `pipeline`.
pub fn validate_pipeline(value: &Value) -> Result<PipelineDeclaration, Vec<PipelineProblem>> {
    let mut problems = Vec::new();
    let root = "pipeline";
    let Some(obj) = value.as_object() else {
        return Err(vec![Problem::missing(root).into()]);
    };

    name(obj, root, "name", &mut problems);
    match obj.get("roleArn") {
        None | Some(Value::Null) => problems.push(Problem::missing("pipeline.roleArn").into()),
        Some(Value::String(s)) => {
            if s.chars().count() > 1024 {
                problems.push(Problem::max_length("pipeline.roleArn", s, 1024).into());
            }
            if !is_role_arn(s) {
                problems.push(
                    Problem::constraint(
                        "pipeline.roleArn",
                        Some(s),
                        r"Member must satisfy regular expression pattern: arn:aws(-[\w]+)*:iam::[0-9]{12}:role/.*",
                    )
                    .into(),
                );
            }
        }
        Some(_) => problems.push(not_a("pipeline.roleArn", "string")),
    }
    if let Some(v) = obj.get("version").filter(|v| !v.is_null()) {
        match v.as_i64() {
            Some(n) if n >= 1 => {}
            Some(n) => problems.push(
                Problem::constraint(
                    "pipeline.version",
                    Some(&n.to_string()),
                    "Member must have value greater than or equal to 1",
                )
                .into(),
            ),
            None => problems.push(not_a("pipeline.version", "integer")),
        }
    }
    enumerated(obj, root, "pipelineType", &["V1", "V2"], &mut problems);
    enumerated(obj, root, "executionMode", &["QUEUED", "SUPERSEDED", "PARALLEL"], &mut problems);

    // Exactly one of artifactStore / artifactStores.
    let store = obj.get("artifactStore").filter(|v| !v.is_null());
    let stores = obj.get("artifactStores").filter(|v| !v.is_null());
    match (store, stores) {
        (Some(s), None) => artifact_store(s, "pipeline.artifactStore", &mut problems),
        (None, Some(Value::Object(m))) => {
            for (region, s) in m {
                artifact_store(s, &format!("pipeline.artifactStores.{region}"), &mut problems);
            }
        }
        (None, Some(_)) => problems.push(not_a("pipeline.artifactStores", "map")),
        (Some(_), Some(_)) => problems.push(PipelineProblem::new(
            PipelineProblemKind::InvalidStructure,
            "pipeline",
            "Pipeline declares both artifactStore and artifactStores; use only one of them",
        )),
        (None, None) => problems.push(PipelineProblem::new(
            PipelineProblemKind::InvalidStructure,
            "pipeline",
            "Pipeline must have an artifactStore or artifactStores",
        )),
    }

    match obj.get("stages") {
        None | Some(Value::Null) => problems.push(Problem::missing("pipeline.stages").into()),
        Some(Value::Array(stages)) => stages_problems(stages, &mut problems),
        Some(_) => problems.push(not_a("pipeline.stages", "list")),
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    serde_json::from_value(value.clone()).map_err(|e| {
        vec![PipelineProblem::new(
            PipelineProblemKind::Validation,
            root,
            format!("1 validation error detected: pipeline is not a PipelineDeclaration: {e}"),
        )]
    })
}

fn stages_problems(stages: &[Value], problems: &mut Vec<PipelineProblem>) {
    if stages.len() < 2 {
        problems.push(PipelineProblem::new(
            PipelineProblemKind::InvalidStructure,
            "pipeline.stages",
            format!("Pipeline has {} stage(s); a pipeline must contain at least two stages", stages.len()),
        ));
    }
    let mut stage_names = HashSet::new();
    for (i, stage) in stages.iter().enumerate() {
        let path = format!("pipeline.stages[{i}]");
        let Some(stage) = stage.as_object() else {
            problems.push(not_a(&path, "StageDeclaration"));
            continue;
        };
        if let Some(n) = name(stage, &path, "name", problems) {
            if !stage_names.insert(n.to_string()) {
                problems.push(PipelineProblem::new(
                    PipelineProblemKind::InvalidStageDeclaration,
                    format!("{path}.name"),
                    format!("Stage name '{n}' is used more than once; stage names must be unique within a pipeline"),
                ));
            }
        }
        if let Some(blockers) = stage.get("blockers").and_then(Value::as_array) {
            for (j, b) in blockers.iter().enumerate() {
                let ok = b
                    .get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| !n.is_empty() && n.chars().count() <= 100)
                    && b.get("type").and_then(Value::as_str) == Some("Schedule");
                if !ok {
                    problems.push(PipelineProblem::new(
                        PipelineProblemKind::InvalidBlockerDeclaration,
                        format!("{path}.blockers[{j}]"),
                        "A blocker needs a name (1..100 characters) and type 'Schedule'",
                    ));
                }
            }
        }
        let actions = match stage.get("actions") {
            None | Some(Value::Null) => {
                problems.push(Problem::missing(&format!("{path}.actions")).into());
                continue;
            }
            Some(Value::Array(a)) => a,
            Some(_) => {
                problems.push(not_a(&format!("{path}.actions"), "list"));
                continue;
            }
        };
        if actions.is_empty() {
            problems.push(PipelineProblem::new(
                PipelineProblemKind::InvalidStageDeclaration,
                format!("{path}.actions"),
                format!("Stage {} must contain at least one action", stage_label(stage, i)),
            ));
        }
        let mut action_names = HashSet::new();
        for (j, action) in actions.iter().enumerate() {
            let apath = format!("{path}.actions[{j}]");
            let Some(action) = action.as_object() else {
                problems.push(not_a(&apath, "ActionDeclaration"));
                continue;
            };
            if let Some(n) = name(action, &apath, "name", problems) {
                if !action_names.insert(n.to_string()) {
                    problems.push(PipelineProblem::new(
                        PipelineProblemKind::InvalidActionDeclaration,
                        format!("{apath}.name"),
                        format!("Action name '{n}' is used more than once in stage {}; action names must be unique within a stage", stage_label(stage, i)),
                    ));
                }
            }
            let category = action_type(action, &apath, problems);
            if let Some(category) = category {
                let source = category == "Source";
                if i == 0 && !source {
                    problems.push(PipelineProblem::new(
                        PipelineProblemKind::InvalidStructure,
                        format!("{apath}.actionTypeId.category"),
                        format!("The first stage may contain only Source actions; action {} has category {category}", action_label(action, j)),
                    ));
                } else if i > 0 && source {
                    problems.push(PipelineProblem::new(
                        PipelineProblemKind::InvalidStructure,
                        format!("{apath}.actionTypeId.category"),
                        format!(
                            "Source actions must be in the first stage; action {} is in stage {}",
                            action_label(action, j),
                            stage_label(stage, i)
                        ),
                    ));
                }
            }
            if let Some(v) = action.get("runOrder").filter(|v| !v.is_null()) {
                match v.as_i64() {
                    Some(n) if (1..=999).contains(&n) => {}
                    Some(n) => problems.push(
                        Problem::constraint(
                            &format!("{apath}.runOrder"),
                            Some(&n.to_string()),
                            if n < 1 {
                                "Member must have value greater than or equal to 1"
                            } else {
                                "Member must have value less than or equal to 999"
                            },
                        )
                        .into(),
                    ),
                    None => problems.push(not_a(&format!("{apath}.runOrder"), "integer")),
                }
            }
            match action.get("configuration") {
                None | Some(Value::Null) => {}
                Some(Value::Object(cfg)) => configuration(cfg, &apath, problems),
                Some(_) => problems.push(not_a(&format!("{apath}.configuration"), "map")),
            }
        }
    }
}

fn configuration(cfg: &Map<String, Value>, apath: &str, problems: &mut Vec<PipelineProblem>) {
    for (k, v) in cfg {
        let kpath = format!("{apath}.configuration");
        let klen = k.chars().count();
        if klen == 0 {
            problems.push(Problem::min_length(&kpath, k, 1).into());
        } else if klen > 50 {
            problems.push(
                Problem::constraint(
                    &kpath,
                    None,
                    "Map keys must satisfy constraint: [Member must have length less than or equal to 50]",
                )
                .into(),
            );
        }
        match v {
            Value::String(s) if s.is_empty() => problems.push(
                Problem::constraint(
                    &kpath,
                    None,
                    "Map value must satisfy constraint: [Member must have length greater than or equal to 1]",
                )
                .into(),
            ),
            Value::String(s) if s.chars().count() > 1000 => problems.push(
                Problem::constraint(
                    &kpath,
                    None,
                    "Map value must satisfy constraint: [Member must have length less than or equal to 1000]",
                )
                .into(),
            ),
            Value::String(_) => {}
            _ => problems.push(not_a(&format!("{kpath}.{k}"), "string")),
        }
    }
}

/// Checks `actionTypeId`; returns its category when that is valid.
fn action_type<'a>(
    action: &'a Map<String, Value>,
    apath: &str,
    problems: &mut Vec<PipelineProblem>,
) -> Option<&'a str> {
    let tpath = format!("{apath}.actionTypeId");
    let t = match action.get("actionTypeId") {
        None | Some(Value::Null) => {
            problems.push(Problem::missing(&tpath).into());
            return None;
        }
        Some(Value::Object(t)) => t,
        Some(_) => {
            problems.push(not_a(&tpath, "ActionTypeId"));
            return None;
        }
    };
    let category = enumerated(t, &tpath, "category", &CATEGORIES, problems);
    if t.get("category").is_none_or(Value::is_null) {
        problems.push(Problem::missing(&format!("{tpath}.category")).into());
    }
    enumerated(t, &tpath, "owner", &OWNERS, problems);
    if t.get("owner").is_none_or(Value::is_null) {
        problems.push(Problem::missing(&format!("{tpath}.owner")).into());
    }
    for (member, max) in [("provider", 35), ("version", 9)] {
        let path = format!("{tpath}.{member}");
        match t.get(member) {
            None | Some(Value::Null) => problems.push(Problem::missing(&path).into()),
            Some(Value::String(s)) => {
                if s.is_empty() {
                    problems.push(Problem::min_length(&path, s, 1).into());
                } else if s.chars().count() > max {
                    problems.push(Problem::max_length(&path, s, max).into());
                }
                if !s.is_empty() && !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                    problems.push(
                        Problem::constraint(
                            &path,
                            Some(s),
                            "Member must satisfy regular expression pattern: [0-9A-Za-z_-]+",
                        )
                        .into(),
                    );
                }
            }
            Some(_) => problems.push(not_a(&path, "string")),
        }
    }
    category
}

fn artifact_store(store: &Value, path: &str, problems: &mut Vec<PipelineProblem>) {
    let Some(store) = store.as_object() else {
        problems.push(not_a(path, "ArtifactStore"));
        return;
    };
    match store.get("type") {
        None | Some(Value::Null) => problems.push(Problem::missing(&format!("{path}.type")).into()),
        Some(_) => {
            enumerated(store, path, "type", &["S3"], problems);
        }
    }
    let lpath = format!("{path}.location");
    match store.get("location") {
        None | Some(Value::Null) => problems.push(Problem::missing(&lpath).into()),
        Some(Value::String(s)) => {
            let n = s.chars().count();
            if n < 3 {
                problems.push(Problem::min_length(&lpath, s, 3).into());
            } else if n > 63 {
                problems.push(Problem::max_length(&lpath, s, 63).into());
            }
            if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
                problems.push(
                    Problem::constraint(
                        &lpath,
                        Some(s),
                        r"Member must satisfy regular expression pattern: [a-zA-Z0-9\-\.]+",
                    )
                    .into(),
                );
            }
        }
        Some(_) => problems.push(not_a(&lpath, "string")),
    }
}

/// A required name member (PipelineName, StageName, ActionName share the rules).
fn name<'a>(
    obj: &'a Map<String, Value>,
    parent: &str,
    member: &str,
    problems: &mut Vec<PipelineProblem>,
) -> Option<&'a str> {
    let path = format!("{parent}.{member}");
    match obj.get(member) {
        None | Some(Value::Null) => {
            problems.push(Problem::missing(&path).into());
            None
        }
        Some(Value::String(s)) => {
            let before = problems.len();
            if s.is_empty() {
                problems.push(Problem::min_length(&path, s, 1).into());
            } else if s.chars().count() > 100 {
                problems.push(Problem::max_length(&path, s, 100).into());
            }
            if !s.is_empty() && !is_name(s) {
                problems.push(
                    Problem::constraint(
                        &path,
                        Some(s),
                        &format!("Member must satisfy regular expression pattern: {NAME_PATTERN}"),
                    )
                    .into(),
                );
            }
            (problems.len() == before).then_some(s.as_str())
        }
        Some(_) => {
            problems.push(not_a(&path, "string"));
            None
        }
    }
}

/// An optional enumerated string member; returns it when valid.
fn enumerated<'a>(
    obj: &'a Map<String, Value>,
    parent: &str,
    member: &str,
    allowed: &[&str],
    problems: &mut Vec<PipelineProblem>,
) -> Option<&'a str> {
    let path = format!("{parent}.{member}");
    match obj.get(member) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Some(s.as_str()),
        Some(Value::String(s)) => {
            problems.push(
                Problem::constraint(
                    &path,
                    Some(s),
                    &format!("Member must satisfy enum value set: [{}]", allowed.join(", ")),
                )
                .into(),
            );
            None
        }
        Some(_) => {
            problems.push(not_a(&path, "string"));
            None
        }
    }
}

/// Checks a TagList (CreatePipeline `tags`, TagResource `tags`) already merged
/// with any existing tags, with the same rules as PutWebhook's tags.
pub fn validate_tags(tags: &Value, path: &str) -> Vec<PipelineProblem> {
    crate::validate::validate_tags(tags, path).err().unwrap_or_default().into_iter().map(PipelineProblem::from).collect()
}

fn not_a(path: &str, what: &str) -> PipelineProblem {
    PipelineProblem::new(
        PipelineProblemKind::Validation,
        path,
        format!("Value at '{path}' failed to satisfy constraint: Member must be a {what}"),
    )
}

fn stage_label(stage: &Map<String, Value>, i: usize) -> String {
    stage.get("name").and_then(Value::as_str).map_or_else(|| format!("#{}", i + 1), |n| format!("'{n}'"))
}

fn action_label(action: &Map<String, Value>, j: usize) -> String {
    action.get("name").and_then(Value::as_str).map_or_else(|| format!("#{}", j + 1), |n| format!("'{n}'"))
}

fn is_name(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-' | '_'))
}

/// `arn:aws(-[\w]+)*:iam::[0-9]{12}:role/.*`, matched against the whole string.
fn is_role_arn(s: &str) -> bool {
    let Some(mut rest) = s.strip_prefix("arn:aws") else { return false };
    while let Some(r) = rest.strip_prefix('-') {
        let word = r.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(r.len());
        if word == 0 {
            return false;
        }
        rest = &r[word..];
    }
    let Some(rest) = rest.strip_prefix(":iam::") else { return false };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits == 12 && rest[12..].starts_with(":role/") && !rest.contains('\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn action(name: &str, category: &str) -> Value {
        json!({"name": name, "actionTypeId": {"category": category, "owner": "AWS", "provider": "CodeBuild", "version": "1"}})
    }

    fn good() -> Value {
        json!({"name": "my-pipeline", "roleArn": "arn:aws:iam::123456789012:role/pipeline",
               "artifactStore": {"type": "S3", "location": "my-bucket"},
               "stages": [
                 {"name": "Source", "actions": [{"name": "Source", "actionTypeId":
                   {"category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "1"},
                   "configuration": {"Owner": "octo", "Repo": "hello", "Branch": "main"}}]},
                 {"name": "Build", "actions": [action("Build", "Build")]}]})
    }

    fn kinds(v: &Value) -> Vec<(PipelineProblemKind, String)> {
        validate_pipeline(v).unwrap_err().into_iter().map(|p| (p.kind, p.path)).collect()
    }

    #[test]
    fn validate_pipeline_good_declaration_round_trips() {
        let p = validate_pipeline(&good()).unwrap();
        assert_eq!(p.name, "my-pipeline");
        assert_eq!(p.source_action("Source").unwrap().configuration["Branch"], "main");
        assert_eq!(serde_json::to_value(&p).unwrap(), good());
    }

    #[test]
    fn validate_pipeline_non_object_is_validation() {
        assert_eq!(kinds(&json!("x")), vec![(PipelineProblemKind::Validation, "pipeline".into())]);
    }

    #[test]
    fn validate_pipeline_missing_members_all_reported() {
        let k = kinds(&json!({"artifactStore": {"type": "S3", "location": "bkt"}}));
        assert!(k.contains(&(PipelineProblemKind::Validation, "pipeline.name".into())));
        assert!(k.contains(&(PipelineProblemKind::Validation, "pipeline.roleArn".into())));
        assert!(k.contains(&(PipelineProblemKind::Validation, "pipeline.stages".into())));
    }

    #[test]
    fn validate_pipeline_bad_name_pattern_and_length() {
        let mut p = good();
        p["name"] = json!("a b");
        let e = validate_pipeline(&p).unwrap_err();
        assert_eq!(
            e[0].message,
            r"Value 'a b' at 'pipeline.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9.@\-_]+"
        );
        p["name"] = json!("x".repeat(101));
        assert_eq!(kinds(&p), vec![(PipelineProblemKind::Validation, "pipeline.name".into())]);
    }

    #[test]
    fn validate_pipeline_bad_role_arn_is_validation() {
        for arn in ["arn:aws:iam::12345:role/x", "nope", "arn:aws-:iam::123456789012:role/x"] {
            let mut p = good();
            p["roleArn"] = json!(arn);
            assert_eq!(
                kinds(&p),
                vec![(PipelineProblemKind::Validation, "pipeline.roleArn".into())],
                "{arn}"
            );
        }
        let mut p = good();
        p["roleArn"] = json!("arn:aws-cn:iam::123456789012:role/x");
        assert!(validate_pipeline(&p).is_ok());
    }

    #[test]
    fn validate_pipeline_one_stage_is_invalid_structure() {
        let mut p = good();
        p["stages"].as_array_mut().unwrap().pop();
        assert_eq!(kinds(&p), vec![(PipelineProblemKind::InvalidStructure, "pipeline.stages".into())]);
    }

    #[test]
    fn validate_pipeline_source_outside_first_stage_is_invalid_structure() {
        let mut p = good();
        p["stages"][1]["actions"] = json!([action("Src2", "Source")]);
        assert_eq!(kinds(&p)[0].0, PipelineProblemKind::InvalidStructure);
        let mut p = good();
        p["stages"][0]["actions"] = json!([action("Build0", "Build")]);
        assert_eq!(kinds(&p)[0].0, PipelineProblemKind::InvalidStructure);
    }

    #[test]
    fn validate_pipeline_duplicate_stage_names_is_invalid_stage() {
        let mut p = good();
        p["stages"][1]["name"] = json!("Source");
        assert_eq!(
            kinds(&p),
            vec![(PipelineProblemKind::InvalidStageDeclaration, "pipeline.stages[1].name".into())]
        );
    }

    #[test]
    fn validate_pipeline_empty_stage_is_invalid_stage() {
        let mut p = good();
        p["stages"][1]["actions"] = json!([]);
        assert_eq!(
            kinds(&p),
            vec![(PipelineProblemKind::InvalidStageDeclaration, "pipeline.stages[1].actions".into())]
        );
    }

    #[test]
    fn validate_pipeline_duplicate_action_names_is_invalid_action() {
        let mut p = good();
        p["stages"][1]["actions"] = json!([action("B", "Build"), action("B", "Test")]);
        assert_eq!(
            kinds(&p),
            vec![(
                PipelineProblemKind::InvalidActionDeclaration,
                "pipeline.stages[1].actions[1].name".into()
            )]
        );
    }

    #[test]
    fn validate_pipeline_bad_action_type_reported() {
        let mut p = good();
        p["stages"][1]["actions"][0]["actionTypeId"] =
            json!({"category": "Nope", "owner": "Me", "provider": "bad provider", "version": ""});
        let k = kinds(&p);
        assert_eq!(k.len(), 4, "{k:?}");
        assert!(k.iter().all(|(kind, _)| *kind == PipelineProblemKind::Validation));
    }

    #[test]
    fn validate_pipeline_configuration_must_be_strings() {
        let mut p = good();
        p["stages"][0]["actions"][0]["configuration"] = json!({"Branch": 3, "Empty": ""});
        assert_eq!(kinds(&p).len(), 2);
    }

    #[test]
    fn validate_pipeline_artifact_store_rules() {
        let mut p = good();
        p.as_object_mut().unwrap().remove("artifactStore");
        assert_eq!(kinds(&p), vec![(PipelineProblemKind::InvalidStructure, "pipeline".into())]);
        let mut p = good();
        p["artifactStore"] = json!({"type": "GCS", "location": "x"});
        assert_eq!(kinds(&p).len(), 2);
        let mut p = good();
        p["artifactStores"] = json!({"us-east-1": {"type": "S3", "location": "bkt"}});
        assert_eq!(kinds(&p)[0].0, PipelineProblemKind::InvalidStructure);
    }

    #[test]
    fn validate_pipeline_run_order_and_version_ranges() {
        let mut p = good();
        p["stages"][1]["actions"][0]["runOrder"] = json!(1000);
        p["version"] = json!(0);
        assert_eq!(kinds(&p).len(), 2);
    }

    #[test]
    fn validate_pipeline_bad_blocker_is_invalid_blocker() {
        let mut p = good();
        p["stages"][1]["blockers"] = json!([{"name": "b", "type": "Other"}]);
        assert_eq!(kinds(&p)[0].0, PipelineProblemKind::InvalidBlockerDeclaration);
    }

    #[test]
    fn pipeline_error_joins_first_kind_with_prefix() {
        let mut p = good();
        p["name"] = json!("a b");
        p["roleArn"] = json!("x");
        let (kind, msg) = pipeline_error(&validate_pipeline(&p).unwrap_err()).unwrap();
        assert_eq!(kind.aws_type(), "ValidationException");
        assert!(msg.starts_with("2 validation errors detected: "), "{msg}");
    }

    #[test]
    fn validate_tags_rules() {
        assert!(validate_tags(&json!([{"key": "a", "value": ""}]), "tags").is_empty());
        let many: Vec<Value> = (0..51).map(|i| json!({"key": format!("k{i}"), "value": "v"})).collect();
        assert_eq!(validate_tags(&Value::Array(many), "tags")[0].kind, PipelineProblemKind::TooManyTags);
        let bad = validate_tags(
            &json!([{"key": "aws:x", "value": "v"}, {"key": "k", "value": "v"}, {"key": "k", "value": "v"}]),
            "tags",
        );
        assert_eq!(bad.iter().filter(|p| p.kind == PipelineProblemKind::InvalidTags).count(), 2);
        assert_eq!(validate_tags(&json!([{"key": ""}]), "tags").len(), 2);
    }
}
