use super::*;
use serde_json::json;

fn valid_input() -> Value {
    json!({
        "webhook": {
            "name": "my-webhook",
            "targetPipeline": "my-pipeline",
            "targetAction": "Source",
            "filters": [{"jsonPath": "$.ref", "matchEquals": "refs/heads/{Branch}"}],
            "authentication": "GITHUB_HMAC",
            "authenticationConfiguration": {"SecretToken": "s3cr3t-token"}
        },
        "tags": [{"key": "team", "value": "build"}]
    })
}

fn pipeline() -> PipelineDeclaration {
    serde_json::from_value(json!({
        "name": "my-pipeline",
        "roleArn": "arn:aws:iam::123456789012:role/x",
        "stages": [
            {"name": "Source", "actions": [{"name": "Source", "configuration": {"Branch": "main", "Owner": "o", "Repo": "r"}}]},
            {"name": "Build", "actions": [{"name": "Build", "configuration": {"ProjectName": "p"}}]}
        ]
    }))
    .unwrap()
}

/// Problems for `input` after `edit`, as (type, path) pairs.
fn problems_after(edit: impl FnOnce(&mut Value)) -> Vec<Problem> {
    let mut input = valid_input();
    edit(&mut input);
    match validate_put_webhook(&input, None) {
        Ok(_) => Vec::new(),
        Err(p) => p,
    }
}

fn kinds_and_paths(problems: &[Problem]) -> Vec<(&'static str, &str)> {
    problems.iter().map(|p| (p.kind.aws_type(), p.path.as_str())).collect()
}

fn assert_single(problems: &[Problem], kind: &str, path: &str) -> String {
    assert_eq!(kinds_and_paths(problems), vec![(kind, path)], "{problems:#?}");
    problems[0].message.clone()
}

#[test]
fn validate_valid_input_gives_typed_webhook_and_tags() {
    let valid = validate_put_webhook(&valid_input(), None).unwrap();
    assert_eq!(valid.webhook.name(), "my-webhook");
    assert_eq!(valid.webhook.definition().filters[0].match_equals.as_deref(), Some("refs/heads/{Branch}"));
    assert_eq!(valid.webhook.filters().len(), 1);
    assert!(matches!(valid.webhook.auth(), Authenticator::GithubHmac(_)));
    assert_eq!(valid.tags, vec![Tag { key: "team".into(), value: "build".into() }]);
}

#[test]
fn validate_input_not_an_object_is_one_problem() {
    let problems = validate_put_webhook(&json!([1, 2]), None).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::Validation);
}

#[test]
fn validate_missing_webhook_is_validation_exception_at_webhook() {
    let problems = problems_after(|v| {
        v.as_object_mut().unwrap().remove("webhook");
    });
    let message = assert_single(&problems, "ValidationException", "webhook");
    assert_eq!(message, "Value null at 'webhook' failed to satisfy constraint: Member must not be null");
}

#[test]
fn validate_names_follow_length_and_pattern_rules() {
    for member in ["name", "targetPipeline", "targetAction"] {
        let path = format!("webhook.{member}");

        let problems = problems_after(|v| v["webhook"][member] = json!("a b"));
        let message = assert_single(&problems, "ValidationException", &path);
        assert_eq!(
            message,
            format!(r"Value 'a b' at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9.@\-_]+")
        );

        let problems = problems_after(|v| v["webhook"][member] = json!("x".repeat(101)));
        let message = assert_single(&problems, "ValidationException", &path);
        assert!(message.ends_with("Member must have length less than or equal to 100"), "{message}");

        assert!(problems_after(|v| v["webhook"][member] = json!("A.z@0-_".repeat(14) + "xx")).is_empty());

        // An empty string breaks both the length and the pattern, as AWS reports.
        let problems = problems_after(|v| v["webhook"][member] = json!(""));
        assert_eq!(kinds_and_paths(&problems), vec![("ValidationException", path.as_str()); 2]);
        assert!(problems[0].message.contains("length greater than or equal to 1"));

        let problems = problems_after(|v| {
            v["webhook"].as_object_mut().unwrap().remove(member);
        });
        assert_single(&problems, "ValidationException", &path);

        let problems = problems_after(|v| v["webhook"][member] = json!(42));
        let message = assert_single(&problems, "ValidationException", &path);
        assert!(message.contains("must be a string"), "{message}");
    }
}

#[test]
fn validate_names_count_characters_not_bytes() {
    let problems = problems_after(|v| v["webhook"]["name"] = json!("é"));
    // Outside the pattern, but one character: only the pattern problem.
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.contains("regular expression"));
}

#[test]
fn validate_filters_required_but_may_be_empty() {
    let problems = problems_after(|v| {
        v["webhook"].as_object_mut().unwrap().remove("filters");
    });
    assert_single(&problems, "ValidationException", "webhook.filters");
    assert!(problems_after(|v| v["webhook"]["filters"] = json!([])).is_empty());
    let problems = problems_after(|v| v["webhook"]["filters"] = json!({"jsonPath": "$.ref"}));
    assert_single(&problems, "ValidationException", "webhook.filters");
}

#[test]
fn validate_at_most_five_filters() {
    let rule = json!({"jsonPath": "$.ref"});
    assert!(problems_after(|v| v["webhook"]["filters"] = json!(vec![rule.clone(); 5])).is_empty());
    let problems = problems_after(|v| v["webhook"]["filters"] = json!(vec![rule.clone(); 6]));
    let message = assert_single(&problems, "ValidationException", "webhook.filters");
    assert!(message.ends_with("Member must have length less than or equal to 5"), "{message}");
}

#[test]
fn validate_json_path_length_and_presence() {
    let problems = problems_after(|v| v["webhook"]["filters"][0]["jsonPath"] = json!(""));
    let message = assert_single(&problems, "ValidationException", "webhook.filters[0].jsonPath");
    assert!(message.contains("length greater than or equal to 1"));

    let long = format!("$.{}", "a".repeat(149));
    let problems = problems_after(|v| v["webhook"]["filters"][0]["jsonPath"] = json!(long));
    let message = assert_single(&problems, "ValidationException", "webhook.filters[0].jsonPath");
    assert!(message.contains("length less than or equal to 150"));

    let problems = problems_after(|v| {
        v["webhook"]["filters"][0].as_object_mut().unwrap().remove("jsonPath");
    });
    assert_single(&problems, "ValidationException", "webhook.filters[0].jsonPath");

    let problems = problems_after(|v| v["webhook"]["filters"][0] = json!("$.ref"));
    assert_single(&problems, "ValidationException", "webhook.filters[0]");
}

#[test]
fn validate_json_path_that_does_not_parse_is_filter_pattern_exception() {
    for bad in ["$.ref[0", "$ref", "$[?(@.a==]", "$..", "$.a..", "$.a b"] {
        let problems = problems_after(|v| v["webhook"]["filters"][0]["jsonPath"] = json!(bad));
        let message = assert_single(&problems, "InvalidWebhookFilterPatternException", "webhook.filters[0].jsonPath");
        assert!(message.contains(bad), "{message}");
    }
}

#[test]
fn validate_json_path_problem_carries_its_column() {
    let problems = problems_after(|v| v["webhook"]["filters"][0]["jsonPath"] = json!("$.commits[?(@.id foo 1)]"));
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].column, Some(18));
    assert!(problems[0].message.contains("at column 18: 'foo' is not a filter operator"), "{}", problems[0].message);
    // Paths Jayway reads leniently are valid: no `$`, names with '-', trailing spaces.
    for ok in ["ref", ".ref", "$.head_commit.author.user-name", "$.ref ", "$.commits.length()"] {
        assert!(problems_after(|v| v["webhook"]["filters"][0]["jsonPath"] = json!(ok)).is_empty(), "{ok}");
    }
}

#[test]
fn validate_match_equals_optional_with_length_limits() {
    assert!(problems_after(|v| {
        v["webhook"]["filters"][0].as_object_mut().unwrap().remove("matchEquals");
    })
    .is_empty());
    let problems = problems_after(|v| v["webhook"]["filters"][0]["matchEquals"] = json!(""));
    assert_single(&problems, "ValidationException", "webhook.filters[0].matchEquals");
    let problems = problems_after(|v| v["webhook"]["filters"][0]["matchEquals"] = json!("x".repeat(151)));
    let message = assert_single(&problems, "ValidationException", "webhook.filters[0].matchEquals");
    assert!(message.contains("length less than or equal to 150"));
    assert!(problems_after(|v| v["webhook"]["filters"][0]["matchEquals"] = json!("x".repeat(150))).is_empty());
    let problems = problems_after(|v| v["webhook"]["filters"][0]["matchEquals"] = json!(true));
    assert_single(&problems, "ValidationException", "webhook.filters[0].matchEquals");
}

#[test]
fn validate_authentication_required_and_enumerated() {
    let problems = problems_after(|v| v["webhook"]["authentication"] = json!("OAUTH"));
    let message = assert_single(&problems, "ValidationException", "webhook.authentication");
    assert!(message.contains("Member must satisfy enum value set: [GITHUB_HMAC, IP, UNAUTHENTICATED]"), "{message}");
    let problems = problems_after(|v| {
        v["webhook"].as_object_mut().unwrap().remove("authentication");
    });
    assert_single(&problems, "ValidationException", "webhook.authentication");
}

#[test]
fn validate_authentication_configuration_required_object() {
    let problems = problems_after(|v| {
        v["webhook"].as_object_mut().unwrap().remove("authenticationConfiguration");
    });
    assert_single(&problems, "ValidationException", "webhook.authenticationConfiguration");
    let problems = problems_after(|v| v["webhook"]["authenticationConfiguration"] = json!("token"));
    assert_single(&problems, "ValidationException", "webhook.authenticationConfiguration");
}

const AUTH: &str = "InvalidWebhookAuthenticationParametersException";
const TOKEN_AT: &str = "webhook.authenticationConfiguration.SecretToken";
const RANGE_AT: &str = "webhook.authenticationConfiguration.AllowedIPRange";

#[test]
fn validate_github_hmac_needs_secret_token_and_no_range() {
    let problems = problems_after(|v| v["webhook"]["authenticationConfiguration"] = json!({}));
    assert_single(&problems, AUTH, TOKEN_AT);
    let problems = problems_after(|v| {
        v["webhook"]["authenticationConfiguration"]["AllowedIPRange"] = json!("10.0.0.0/8");
    });
    assert_single(&problems, AUTH, RANGE_AT);
}

#[test]
fn validate_secret_token_length_is_checked_without_echoing_it() {
    let secret = "S".repeat(101);
    let problems = problems_after(|v| v["webhook"]["authenticationConfiguration"]["SecretToken"] = json!(secret));
    let message = assert_single(&problems, "ValidationException", TOKEN_AT);
    assert!(!message.contains(&secret[..20]), "{message}");
    assert!(message.contains("****"));
    let problems = problems_after(|v| v["webhook"]["authenticationConfiguration"]["SecretToken"] = json!(""));
    // Empty counts as set but too short: a length problem, not "missing".
    assert_single(&problems, "ValidationException", TOKEN_AT);
}

#[test]
fn validate_lowercase_secret_token_is_flagged_with_a_hint() {
    let problems = problems_after(|v| v["webhook"]["authenticationConfiguration"] = json!({"secretToken": "x"}));
    let paths = kinds_and_paths(&problems);
    assert!(paths.contains(&(AUTH, "webhook.authenticationConfiguration.secretToken")), "{paths:?}");
    assert!(paths.contains(&(AUTH, TOKEN_AT)), "{paths:?}");
    assert!(problems.iter().any(|p| p.message.contains("did you mean 'SecretToken'")));
}

fn ip_webhook(range: Value) -> impl FnOnce(&mut Value) {
    move |v| {
        v["webhook"]["authentication"] = json!("IP");
        v["webhook"]["authenticationConfiguration"] = json!({"AllowedIPRange": range});
    }
}

#[test]
fn validate_ip_accepts_ipv4_and_ipv6_cidrs() {
    for range in ["10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32", "::1/128", "0.0.0.0/0"] {
        assert!(problems_after(ip_webhook(json!(range))).is_empty(), "{range}");
    }
}

#[test]
fn validate_ip_refuses_invalid_ranges() {
    for range in ["10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0.0", "10.0.0.0/33", "10.0.0/8", "example.com/8", "2001:db8::/129", "any"] {
        let problems = problems_after(ip_webhook(json!(range)));
        let message = assert_single(&problems, AUTH, RANGE_AT);
        assert!(message.contains("CIDR"), "{message}");
    }
}

#[test]
fn validate_ip_needs_range_and_no_secret() {
    let problems = problems_after(|v| {
        v["webhook"]["authentication"] = json!("IP");
    });
    // The GITHUB_HMAC token left in place is wrong for IP, and the range is missing.
    assert_eq!(kinds_and_paths(&problems), vec![(AUTH, TOKEN_AT), (AUTH, RANGE_AT)]);
    let problems = problems_after(ip_webhook(json!("x".repeat(101))));
    assert_single(&problems, "ValidationException", RANGE_AT);
}

#[test]
fn validate_unauthenticated_takes_no_properties() {
    let problems = problems_after(|v| v["webhook"]["authentication"] = json!("UNAUTHENTICATED"));
    assert_single(&problems, AUTH, TOKEN_AT);
    let problems = problems_after(|v| {
        v["webhook"]["authentication"] = json!("UNAUTHENTICATED");
        v["webhook"]["authenticationConfiguration"] = json!({"AllowedIPRange": "10.0.0.0/8"});
    });
    assert_single(&problems, AUTH, RANGE_AT);
    assert!(problems_after(|v| {
        v["webhook"]["authentication"] = json!("UNAUTHENTICATED");
        v["webhook"]["authenticationConfiguration"] = json!({});
    })
    .is_empty());
}

#[test]
fn validate_tags_limits() {
    let tags: Vec<Value> = (0..51).map(|i| json!({"key": format!("k{i}"), "value": "v"})).collect();
    let problems = problems_after(|v| v["tags"] = json!(tags));
    assert_single(&problems, "TooManyTagsException", "tags");
    let tags: Vec<Value> = (0..50).map(|i| json!({"key": format!("k{i}"), "value": "v"})).collect();
    assert!(problems_after(|v| v["tags"] = json!(tags)).is_empty());
}

#[test]
fn validate_tag_keys_and_values() {
    let problems = problems_after(|v| {
        v["tags"] = json!([
            {"key": "ok", "value": ""},
            {"key": "AWS:reserved", "value": "v"},
            {"key": "ok", "value": "dup"},
            {"key": "", "value": "v"},
            {"key": "k".repeat(129), "value": "v"},
            {"key": "long", "value": "v".repeat(257)},
            {"key": "novalue"}
        ])
    });
    assert_eq!(
        kinds_and_paths(&problems),
        vec![
            ("ValidationException", "tags[3].key"),
            ("ValidationException", "tags[4].key"),
            ("ValidationException", "tags[5].value"),
            ("ValidationException", "tags[6].value"),
            ("InvalidTagsException", "tags[1].key"),
            ("InvalidTagsException", "tags[2].key"),
        ]
    );
    assert!(problems_after(|v| v["tags"] = json!([{"key": "k".repeat(128), "value": "v".repeat(256)}])).is_empty());
}

#[test]
fn validate_reports_every_problem_at_once_model_constraints_first() {
    let input = json!({
        "webhook": {
            "name": "bad name",
            "targetPipeline": "",
            "filters": [{"jsonPath": "$.[", "matchEquals": ""}, {"jsonPath": "$.ok"}],
            "authentication": "GITHUB_HMAC",
            "authenticationConfiguration": {"AllowedIPRange": "10.0.0.0/8"}
        },
        "tags": [{"key": "aws:x", "value": "y"}]
    });
    let problems = validate_put_webhook(&input, None).unwrap_err();
    let got = kinds_and_paths(&problems);
    assert_eq!(
        got,
        vec![
            ("ValidationException", "webhook.name"),
            ("ValidationException", "webhook.targetPipeline"),
            ("ValidationException", "webhook.targetPipeline"),
            ("ValidationException", "webhook.targetAction"),
            ("ValidationException", "webhook.filters[0].matchEquals"),
            ("InvalidWebhookFilterPatternException", "webhook.filters[0].jsonPath"),
            (AUTH, RANGE_AT),
            (AUTH, TOKEN_AT),
            ("InvalidTagsException", "tags[0].key"),
        ]
    );
}

#[test]
fn validate_with_pipeline_accepts_matching_target_and_placeholders() {
    let valid = validate_put_webhook(&valid_input(), Some(&pipeline()));
    assert!(valid.is_ok(), "{:?}", valid.err());
}

#[test]
fn validate_with_pipeline_unknown_pipeline_is_pipeline_not_found() {
    let mut input = valid_input();
    input["webhook"]["targetPipeline"] = json!("other");
    let problems = validate_put_webhook(&input, Some(&pipeline())).unwrap_err();
    assert_single(&problems, "PipelineNotFoundException", "webhook.targetPipeline");
}

#[test]
fn validate_with_pipeline_target_action_must_be_in_first_stage() {
    let mut input = valid_input();
    input["webhook"]["targetAction"] = json!("Build");
    let problems = validate_put_webhook(&input, Some(&pipeline())).unwrap_err();
    let message = assert_single(&problems, "ValidationException", "webhook.targetAction");
    assert!(message.contains("stage 'Build'"), "{message}");
    input["webhook"]["targetAction"] = json!("Nope");
    let problems = validate_put_webhook(&input, Some(&pipeline())).unwrap_err();
    assert_single(&problems, "ValidationException", "webhook.targetAction");
}

#[test]
fn validate_with_pipeline_placeholders_must_name_configuration_keys() {
    let mut input = valid_input();
    input["webhook"]["filters"] = json!([
        {"jsonPath": "$.ref", "matchEquals": "refs/heads/{Branch}"},
        {"jsonPath": "$.repository.name", "matchEquals": "{Repo}-{Missing}"}
    ]);
    let problems = validate_put_webhook(&input, Some(&pipeline())).unwrap_err();
    let message = assert_single(&problems, "InvalidWebhookFilterPatternException", "webhook.filters[1].matchEquals");
    assert!(message.contains("{Missing}") && message.contains("Branch, Owner, Repo"), "{message}");
    // Without a pipeline, placeholders cannot be checked and are not.
    assert!(validate_put_webhook(&input, None).is_ok());
}

#[test]
fn validate_text_reports_json_syntax_with_line_and_column() {
    let problems = validate_text("{\n  \"webhook\": {,\n}", None).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::Serialization);
    assert!(problems[0].message.contains("line 2 column"), "{}", problems[0].message);
}

#[test]
fn validate_document_accepts_bare_definition() {
    let bare = valid_input()["webhook"].clone();
    let valid = validate_document(&bare, None).unwrap();
    assert_eq!(valid.webhook.name(), "my-webhook");
    let mut broken = bare;
    broken["name"] = json!("a b");
    let problems = validate_document(&broken, None).unwrap_err();
    assert_single(&problems, "ValidationException", "webhook.name");
}

#[test]
fn validate_webhook_definition_recompiles_a_stored_definition() {
    let stored = serde_json::to_value(validate_put_webhook(&valid_input(), None).unwrap().webhook.definition()).unwrap();
    let again = validate_webhook_definition(&stored, None).unwrap();
    assert_eq!(again.definition().authentication_configuration.secret_token.as_ref().unwrap().expose(), "s3cr3t-token");
}

#[test]
fn validate_never_echoes_a_secret_token() {
    let secret = "TOPSECRET-never-show-me";
    let cases = [
        json!({"authentication": "IP", "authenticationConfiguration": {"SecretToken": secret, "AllowedIPRange": "bad"}}),
        json!({"authentication": "UNAUTHENTICATED", "authenticationConfiguration": {"SecretToken": secret}}),
        json!({"authentication": "BAD", "authenticationConfiguration": {"SecretToken": secret}}),
        json!({"authentication": "GITHUB_HMAC", "authenticationConfiguration": {"SecretToken": format!("{secret}{}", "x".repeat(100))}}),
    ];
    for case in cases {
        let mut input = valid_input();
        for (k, v) in case.as_object().unwrap() {
            input["webhook"][k] = v.clone();
        }
        let problems = validate_put_webhook(&input, None).unwrap_err();
        let all = format!("{problems:?} {}", serde_json::to_string(&problems).unwrap());
        assert!(!all.contains("TOPSECRET"), "{all}");
    }
}

#[test]
fn validate_over_limit_values_are_echoed_whole() {
    let value = "v".repeat(257);
    let problems = problems_after(|v| v["tags"] = json!([{"key": "k", "value": value}]));
    let message = assert_single(&problems, "ValidationException", "tags[0].value");
    assert!(message.starts_with(&format!("Value '{value}' at 'tags[0].value'")), "{message}");
}

#[test]
fn validate_long_values_are_cut_in_messages() {
    let problems = problems_after(|v| v["webhook"]["name"] = json!("x".repeat(1_000_000)));
    assert!(problems.iter().all(|p| p.message.len() < 2_000), "messages must stay short");
}
