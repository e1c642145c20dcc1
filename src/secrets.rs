//! Secret action configuration properties in pipeline declarations.
//!
//! AWS marks some configuration properties of an action type as secret
//! (`ActionConfigurationProperty.secret`, as ListActionTypes answers it) and hides them "from
//! all calls except GetJobDetails, GetThirdPartyJobDetails, PollForJobs and
//! PollForThirdPartyJobs": GetPipeline, CreatePipeline and UpdatePipeline answer them as `****`.
//! For the built-in action types that is the GitHub version 1 source action's `OAuthToken`
//! (the CodePipeline user guide: "The value for OAuthToken remains masked because AWS
//! CodePipeline uses it to access the GitHub repository"). Custom action types declare their
//! own, which pipehook does not store (it has no CreateCustomActionType).
//!
//! Here: which properties are secret ([`secret_properties`]); masking them in a declaration
//! about to be answered ([`mask_pipeline`]); keeping the stored value when an update sends the
//! mask back, as AWS does for an action left where it was ([`keep_masked`]); and keeping them
//! out of a webhook filter's `{Key}` placeholders ([`is_secret_property_name`]), whose
//! `expected` value a filtered delivery's answer shows the sender.
//!
//! ```
//! use serde_json::json;
//! let mut p = json!({"stages": [{"name": "Source", "actions": [{"name": "Src",
//!   "actionTypeId": {"category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "1"},
//!   "configuration": {"Branch": "main", "OAuthToken": "ghp_secret"}}]}]});
//! let stored = p.clone();
//! pipehook::secrets::mask_pipeline(&mut p);
//! assert_eq!(p["stages"][0]["actions"][0]["configuration"]["OAuthToken"], "****");
//! assert_eq!(p["stages"][0]["actions"][0]["configuration"]["Branch"], "main");
//! // Sent back as answered, the mask keeps the stored token.
//! pipehook::secrets::keep_masked(&mut p, &stored);
//! assert_eq!(p, stored);
//! ```

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::ActionDeclaration;
use crate::redact::REDACTED;

/// An action type as (owner, provider, version).
type ActionType = (&'static str, &'static str, &'static str);

/// Built-in action types with secret configuration properties.
const SECRET_PROPERTIES: &[(ActionType, &[&str])] = &[(("ThirdParty", "GitHub", "1"), &["OAuthToken"])];

/// The secret configuration properties of the action type `action_type_id` (an
/// ActionTypeId: `{"category", "owner", "provider", "version"}`).
pub fn secret_properties(action_type_id: &Value) -> &'static [&'static str] {
    let field = |name: &str| action_type_id.get(name).and_then(Value::as_str).unwrap_or_default();
    let id = (field("owner"), field("provider"), field("version"));
    SECRET_PROPERTIES.iter().find(|(t, _)| *t == id).map_or(&[], |(_, props)| props)
}

/// Whether a configuration key is secret for some built-in action type. For a configuration
/// seen without its action type (a filter's `{Key}` values).
pub fn is_secret_property_name(key: &str) -> bool {
    SECRET_PROPERTIES.iter().any(|(_, props)| props.contains(&key))
}

/// Whether a configuration value is the mask an answer shows (AWS documents `*****` too).
fn is_mask(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b == b'*')
}

/// Every action of a PipelineDeclaration (JSON) with its stage name.
fn actions_mut(pipeline: &mut Value) -> impl Iterator<Item = (String, &mut Value)> {
    pipeline
        .get_mut("stages")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .flat_map(|stage| {
            let stage_name = stage.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
            stage
                .get_mut("actions")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
                .map(move |action| (stage_name.clone(), action))
        })
}

/// Replaces each action's secret configuration properties with `****`.
pub fn mask_pipeline(pipeline: &mut Value) {
    for (_, action) in actions_mut(pipeline) {
        let secret = secret_properties(action.get("actionTypeId").unwrap_or(&Value::Null));
        if let Some(configuration) = action.get_mut("configuration").and_then(Value::as_object_mut) {
            for (key, value) in configuration.iter_mut() {
                if secret.contains(&key.as_str()) && !value.is_null() {
                    *value = Value::String(REDACTED.to_string());
                }
            }
        }
    }
}

/// For UpdatePipeline: a secret property given as the mask keeps the value `stored` has for
/// the same action (same stage, same action name, same action type). A masked value with no
/// such action to keep it from (a new, renamed or moved action, another type) stays as given.
pub fn keep_masked(pipeline: &mut Value, stored: &Value) {
    let mut stored = stored.clone();
    let previous: Vec<(String, Value)> = actions_mut(&mut stored).map(|(s, a)| (s, a.clone())).collect();
    for (stage, action) in actions_mut(pipeline) {
        let type_id = action.get("actionTypeId").cloned().unwrap_or(Value::Null);
        let secret = secret_properties(&type_id);
        let name = action.get("name").cloned();
        let Some(before) = previous
            .iter()
            .find(|(s, a)| *s == stage && a.get("name") == name.as_ref() && a.get("actionTypeId") == Some(&type_id))
            .and_then(|(_, a)| a.get("configuration"))
        else {
            continue;
        };
        if let Some(configuration) = action.get_mut("configuration").and_then(Value::as_object_mut) {
            for (key, value) in configuration.iter_mut() {
                let masked = value.as_str().is_some_and(is_mask);
                if masked && secret.contains(&key.as_str()) {
                    if let Some(kept) = before.get(key).filter(|v| v.is_string()) {
                        *value = kept.clone();
                    }
                }
            }
        }
    }
}

/// The configuration an action offers a webhook filter's `{Key}` placeholders: all of it but
/// its secret properties.
pub fn public_configuration(action: &ActionDeclaration) -> BTreeMap<String, String> {
    let secret = secret_properties(action.other.get("actionTypeId").unwrap_or(&Value::Null));
    action.configuration.iter().filter(|(k, _)| !secret.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn github(stage: &str, name: &str, token: &str) -> Value {
        json!({"name": stage, "actions": [{"name": name,
            "actionTypeId": {"category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "1"},
            "configuration": {"Owner": "o", "Repo": "r", "Branch": "main", "OAuthToken": token}}]})
    }

    fn build() -> Value {
        json!({"name": "Build", "actions": [{"name": "B",
            "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
            "configuration": {"ProjectName": "p", "OAuthToken": "not-a-secret-here"}}]})
    }

    fn token(p: &Value) -> &Value {
        &p["stages"][0]["actions"][0]["configuration"]["OAuthToken"]
    }

    #[test]
    fn secret_properties_follow_the_action_type() {
        let github = json!({"category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "1"});
        assert_eq!(secret_properties(&github), ["OAuthToken"]);
        for other in [
            json!({"category": "Source", "owner": "AWS", "provider": "CodeStarSourceConnection", "version": "1"}),
            json!({"category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "2"}),
            json!(null),
            json!("GitHub"),
        ] {
            assert!(secret_properties(&other).is_empty(), "{other}");
        }
    }

    #[test]
    fn mask_pipeline_masks_only_secret_properties_of_their_action_type() {
        let mut p = json!({"stages": [github("Source", "Src", "ghp_1"), build()]});
        mask_pipeline(&mut p);
        assert_eq!(token(&p), "****");
        assert_eq!(p["stages"][0]["actions"][0]["configuration"]["Branch"], "main");
        assert_eq!(p["stages"][1]["actions"][0]["configuration"]["OAuthToken"], "not-a-secret-here");
        // Anything else is left alone, whatever its shape.
        for mut odd in [json!({}), json!({"stages": 1}), json!({"stages": [null, {"actions": [null, {"configuration": 3}]}]})] {
            let before = odd.clone();
            mask_pipeline(&mut odd);
            assert_eq!(odd, before);
        }
    }

    #[test]
    fn keep_masked_keeps_the_same_actions_secret_only() {
        let stored = json!({"stages": [github("Source", "Src", "ghp_stored"), build()]});
        for mask in ["****", "*****", "*"] {
            let mut p = json!({"stages": [github("Source", "Src", mask), build()]});
            keep_masked(&mut p, &stored);
            assert_eq!(token(&p), "ghp_stored", "{mask}");
        }
        // A new value is a new value.
        let mut p = json!({"stages": [github("Source", "Src", "ghp_new"), build()]});
        keep_masked(&mut p, &stored);
        assert_eq!(token(&p), "ghp_new");
        // Renamed, moved to another stage or of another type: nothing to keep.
        for mut p in [
            json!({"stages": [github("Source", "Other", "****"), build()]}),
            json!({"stages": [github("Fetch", "Src", "****"), build()]}),
        ] {
            keep_masked(&mut p, &stored);
            assert_eq!(token(&p), "****");
        }
        let mut v2 = json!({"stages": [github("Source", "Src", "****"), build()]});
        v2["stages"][0]["actions"][0]["actionTypeId"]["version"] = json!("2");
        keep_masked(&mut v2, &stored);
        assert_eq!(token(&v2), "****");
    }

    #[test]
    fn public_configuration_leaves_secrets_out() {
        let p: crate::model::PipelineDeclaration =
            serde_json::from_value(json!({"name": "p", "stages": [github("Source", "Src", "ghp_1"), build()]})).unwrap();
        let source = public_configuration(&p.stages[0].actions[0]);
        assert_eq!(source.keys().collect::<Vec<_>>(), ["Branch", "Owner", "Repo"]);
        assert!(public_configuration(&p.stages[1].actions[0]).contains_key("OAuthToken"));
    }
}
