//! Validation problems and the AWS exception each one maps to, defined once.

use serde::Serialize;
use std::fmt;

/// The AWS exceptions a webhook definition can raise. The variant name is the
/// exception name without the `Exception` suffix; [`ProblemKind::aws_type`] is
/// the only place the wire name is spelt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    /// The input is not JSON at all (what AWS JSON 1.1 answers for unreadable input).
    Serialization,
    Validation,
    InvalidWebhookFilterPattern,
    InvalidWebhookAuthenticationParameters,
    TooManyTags,
    InvalidTags,
    PipelineNotFound,
    LimitExceeded,
}

impl ProblemKind {
    pub fn aws_type(self) -> &'static str {
        match self {
            Self::Serialization => "SerializationException",
            Self::Validation => "ValidationException",
            Self::InvalidWebhookFilterPattern => "InvalidWebhookFilterPatternException",
            Self::InvalidWebhookAuthenticationParameters => {
                "InvalidWebhookAuthenticationParametersException"
            }
            Self::TooManyTags => "TooManyTagsException",
            Self::InvalidTags => "InvalidTagsException",
            Self::PipelineNotFound => "PipelineNotFoundException",
            Self::LimitExceeded => "LimitExceededException",
        }
    }
}

impl Serialize for ProblemKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.aws_type())
    }
}

/// One thing wrong with an input: its exception, where it is, and why.
/// `path` uses AWS's member path form: `webhook.filters[0].jsonPath`, `tags[3].key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: ProblemKind,
    pub message: String,
    pub path: String,
    /// Where in the string value at `path` the problem is: a 1-based column counted in
    /// characters (Unicode scalar values), for editors to underline. Only for problems inside a
    /// string, such as a JSONPath that does not compile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Problem {
    pub fn new(kind: ProblemKind, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { kind, path: path.into(), message: message.into(), column: None }
    }

    /// The same problem, pointing at a column of the string value at its path.
    pub fn at_column(self, column: usize) -> Self {
        Self { column: Some(column), ..self }
    }

    /// A model constraint broken, worded as AWS words it (without the
    /// `1 validation error detected: ` prefix, which [`aws_error`] adds).
    /// `value` is `None` where AWS prints `null`.
    pub fn constraint(path: &str, value: Option<&str>, constraint: &str) -> Self {
        let shown = match value {
            Some(v) => format!("'{v}'"),
            None => "null".to_string(),
        };
        Self::new(
            ProblemKind::Validation,
            path,
            format!("Value {shown} at '{path}' failed to satisfy constraint: {constraint}"),
        )
    }

    pub fn missing(path: &str) -> Self {
        Self::constraint(path, None, "Member must not be null")
    }

    pub fn min_length(path: &str, value: &str, min: usize) -> Self {
        Self::constraint(
            path,
            Some(value),
            &format!("Member must have length greater than or equal to {min}"),
        )
    }

    pub fn max_length(path: &str, value: &str, max: usize) -> Self {
        Self::constraint(
            path,
            Some(value),
            &format!("Member must have length less than or equal to {max}"),
        )
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.kind.aws_type(), self.path, self.message)
    }
}

/// What the API answers for a list of problems: AWS raises one exception, so
/// this picks the first problem's kind and joins every message of that kind,
/// with AWS's `N validation error(s) detected: ` prefix for ValidationException.
/// Returns `None` for an empty list.
pub fn aws_error(problems: &[Problem]) -> Option<(ProblemKind, String)> {
    let kind = problems.first()?.kind;
    let messages: Vec<&str> =
        problems.iter().filter(|p| p.kind == kind).map(|p| p.message.as_str()).collect();
    let joined = messages.join("; ");
    let message = if kind == ProblemKind::Validation {
        let n = messages.len();
        let noun = if n == 1 { "error" } else { "errors" };
        format!("{n} validation {noun} detected: {joined}")
    } else {
        joined
    };
    Some((kind, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_error_single_validation_problem_has_aws_prefix() {
        let p = Problem::constraint(
            "webhook.name",
            Some("a b"),
            r"Member must satisfy regular expression pattern: [A-Za-z0-9.@\-_]+",
        );
        let (kind, message) = aws_error(&[p]).unwrap();
        assert_eq!(kind, ProblemKind::Validation);
        assert_eq!(
            message,
            r"1 validation error detected: Value 'a b' at 'webhook.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9.@\-_]+"
        );
    }

    #[test]
    fn aws_error_picks_first_kind_and_joins_only_that_kind() {
        let problems = vec![
            Problem::new(ProblemKind::InvalidTags, "tags[0].key", "bad key"),
            Problem::missing("webhook.name"),
            Problem::new(ProblemKind::InvalidTags, "tags[1].key", "other key"),
        ];
        let (kind, message) = aws_error(&problems).unwrap();
        assert_eq!(kind, ProblemKind::InvalidTags);
        assert_eq!(message, "bad key; other key");
    }

    #[test]
    fn aws_error_counts_several_validation_errors() {
        let problems = vec![Problem::missing("webhook.name"), Problem::missing("webhook.filters")];
        let (_, message) = aws_error(&problems).unwrap();
        assert!(message.starts_with("2 validation errors detected: "), "{message}");
        assert!(message.contains("'webhook.filters'"));
    }

    #[test]
    fn aws_error_empty_is_none() {
        assert!(aws_error(&[]).is_none());
    }

    #[test]
    fn problem_serialises_with_type_message_path() {
        let p = Problem::missing("webhook");
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "ValidationException");
        assert_eq!(v["path"], "webhook");
        assert_eq!(v["message"], "Value null at 'webhook' failed to satisfy constraint: Member must not be null");
        assert!(v.get("column").is_none(), "no column unless the problem has one");
    }

    #[test]
    fn problem_serialises_its_column_when_it_has_one() {
        let p = Problem::new(ProblemKind::InvalidWebhookFilterPattern, "webhook.filters[0].jsonPath", "x").at_column(4);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["column"], 4);
        assert_eq!(v.as_object().unwrap().len(), 4);
    }
}
