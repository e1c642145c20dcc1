//! One small module per operation family. Each handler takes the request's
//! JSON input and answers the output shape of the service model.

pub mod deliveries;
pub mod executions;
pub mod pipelines;
pub mod tags;
pub mod third_party;
pub mod webhooks;

use pipehook::Problem;
use serde_json::Value;

use crate::api::ApiError;

const NAME_PATTERN: &str = r"[A-Za-z0-9.@\-_]+";

/// Input checks for the small members (names, page sizes, tokens), collected
/// so one answer lists every problem of the first kind, as the core does.
#[derive(Default)]
pub struct Checks {
    problems: Vec<Problem>,
    /// A member of the wrong JSON type: AWS fails to deserialise before validating.
    serialization: Option<String>,
}

impl Checks {
    fn wrong_type(&mut self, member: &str, expected: &str) {
        self.serialization.get_or_insert_with(|| {
            format!("Start of structure or map found where not expected, or wrong type for '{member}': expected {expected}")
        });
    }

    /// An optional string member with length bounds.
    pub fn string(
        &mut self,
        input: &Value,
        member: &str,
        required: bool,
        min: usize,
        max: usize,
    ) -> Option<String> {
        match input.get(member) {
            None | Some(Value::Null) => {
                if required {
                    self.problems.push(Problem::missing(member));
                }
                None
            }
            Some(Value::String(s)) => {
                let n = s.chars().count();
                if n < min {
                    self.problems.push(Problem::min_length(member, s, min));
                    None
                } else if n > max {
                    self.problems.push(Problem::max_length(member, s, max));
                    None
                } else {
                    Some(s.clone())
                }
            }
            Some(_) => {
                self.wrong_type(member, "string");
                None
            }
        }
    }

    /// A PipelineName / WebhookName member: 1..100 characters of `[A-Za-z0-9.@\-_]`.
    pub fn name(&mut self, input: &Value, member: &str) -> Option<String> {
        let s = self.string(input, member, true, 1, 100)?;
        if s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-' | '_')) {
            Some(s)
        } else {
            self.problems.push(Problem::constraint(
                member,
                Some(&s),
                &format!("Member must satisfy regular expression pattern: {NAME_PATTERN}"),
            ));
            None
        }
    }

    /// An optional integer member within `min..=max`.
    pub fn int(&mut self, input: &Value, member: &str, min: i64, max: i64) -> Option<i64> {
        match input.get(member) {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64() {
                Some(n) if n < min => {
                    self.problems.push(Problem::constraint(
                        member,
                        Some(&n.to_string()),
                        &format!("Member must have value greater than or equal to {min}"),
                    ));
                    None
                }
                Some(n) if n > max => {
                    self.problems.push(Problem::constraint(
                        member,
                        Some(&n.to_string()),
                        &format!("Member must have value less than or equal to {max}"),
                    ));
                    None
                }
                Some(n) => Some(n),
                None => {
                    self.wrong_type(member, "integer");
                    None
                }
            },
        }
    }

    /// A required id member of the model's PipelineExecutionId form: a lower-case UUID.
    pub fn uuid(&mut self, input: &Value, member: &str) -> Option<String> {
        let id = self.string(input, member, true, 1, 100)?;
        if is_uuid(&id) {
            return Some(id);
        }
        self.problems.push(Problem::constraint(
            member,
            Some(&id),
            "Member must satisfy regular expression pattern: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        ));
        None
    }

    /// An optional boolean member.
    pub fn boolean(&mut self, input: &Value, member: &str) -> Option<bool> {
        match input.get(member) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.wrong_type(member, "boolean");
                None
            }
        }
    }

    pub fn problem(&mut self, p: Problem) {
        self.problems.push(p);
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if let Some(m) = self.serialization {
            return Err(ApiError::SerializationException(m));
        }
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::from_problems(&self.problems))
        }
    }
}

/// A NextToken names the listing it belongs to, so one from another listing is refused.
pub fn decode_next_token(kind: &str, token: Option<String>) -> Result<Option<String>, ApiError> {
    match token {
        None => Ok(None),
        Some(t) => match t.strip_prefix(kind).and_then(|r| r.strip_prefix(':')) {
            Some(cursor) if !cursor.is_empty() => Ok(Some(cursor.to_string())),
            _ => Err(ApiError::InvalidNextTokenException("The nextToken is not valid.".into())),
        },
    }
}

pub fn encode_next_token(kind: &str, cursor: Option<String>) -> Option<String> {
    cursor.map(|c| format!("{kind}:{c}"))
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}
