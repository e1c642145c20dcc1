use serde_json::{json, Value};

use super::message::{event_name, is_commit_id, MESSAGE_VERSION};
use super::outcome::{judge, retry_delay_s, scrub, summary, DEFAULT_RETRY_BASE_S, SUMMARY_MAX};
use super::*;
use crate::model::{PipelineVariable, Tag};
use crate::problem::ProblemKind;

fn tag(key: &str, value: &str) -> Tag {
    Tag { key: key.into(), value: value.into() }
}

// --- targets ---

#[test]
fn target_arn_parses_with_region_account_and_name() {
    let DispatchTarget::Aws(p) = DispatchTarget::parse("arn:aws:codepipeline:eu-west-1:111122223333:my-app.prod").unwrap() else {
        panic!("not an ARN")
    };
    assert_eq!((p.region.as_str(), p.account.as_str(), p.name.as_str()), ("eu-west-1", "111122223333", "my-app.prod"));
    assert_eq!(p.default_endpoint(), "https://codepipeline.eu-west-1.amazonaws.com");
    let DispatchTarget::Aws(cn) = DispatchTarget::parse("arn:aws-cn:codepipeline:cn-north-1:111122223333:a").unwrap() else { panic!() };
    assert_eq!(cn.default_endpoint(), "https://codepipeline.cn-north-1.amazonaws.com.cn");
    assert!(DispatchTarget::parse("arn:aws-us-gov:codepipeline:us-gov-west-1:111122223333:a").is_ok());
}

#[test]
fn target_bad_arns_say_which_part_is_wrong() {
    for (arn, part) in [
        ("arn:aws:codepipeline:us-east-1:111122223333", "six"),
        ("arn:aws:codebuild:us-east-1:111122223333:a", "codebuild"),
        ("arn:azure:codepipeline:us-east-1:111122223333:a", "partition"),
        ("arn:aws:codepipeline:US-EAST-1:111122223333:a", "region"),
        ("arn:aws:codepipeline:us-east-1:1234:a", "12 digits"),
        ("arn:aws:codepipeline:us-east-1:111122223333:a b", "pipeline name"),
        ("arn:aws:codepipeline:us-east-1:111122223333:webhook:a", "pipeline name"),
    ] {
        let e = DispatchTarget::parse(arn).unwrap_err();
        assert!(e.0.contains(part), "{arn}: {e}");
    }
}

#[test]
fn target_urls_https_anywhere_http_only_to_loopback() {
    for ok in ["https://ci.example.com/hook?x=1", "http://127.0.0.1:8080/h", "http://127.8.9.10/", "http://localhost:3000/", "http://[::1]:9/"] {
        assert!(matches!(DispatchTarget::parse(ok), Ok(DispatchTarget::Http(_))), "{ok}");
    }
    for (bad, why) in [
        ("http://ci.example.com/hook", "loopback"),
        ("http://10.0.0.1/", "loopback"),
        ("ftp://example.com/", "scheme"),
        ("https://user:pass@example.com/", "password"),
        ("https://token@example.com/", "user name"),
        ("not a url", "not a URL"),
        ("", "not a URL"),
    ] {
        let e = DispatchTarget::parse(bad).unwrap_err();
        assert!(e.0.contains(why), "{bad}: {e}");
    }
}

#[test]
fn target_description_hides_the_urls_path_and_query() {
    let t = DispatchTarget::parse("https://hooks.example.com/services/T0/B0/SECRETPATH?token=abc").unwrap();
    assert_eq!(t.describe(), "POST https://hooks.example.com/…");
    assert_eq!(DispatchTarget::parse("https://h.example/").unwrap().describe(), "POST https://h.example/");
}

#[test]
fn aws_endpoint_override_and_default() {
    let DispatchTarget::Aws(p) = DispatchTarget::parse("arn:aws:codepipeline:us-west-2:111122223333:a").unwrap() else { panic!() };
    assert_eq!(p.endpoint(None).unwrap().as_str(), "https://codepipeline.us-west-2.amazonaws.com/");
    assert_eq!(p.endpoint(Some("http://127.0.0.1:9999")).unwrap().as_str(), "http://127.0.0.1:9999/");
    assert!(p.endpoint(Some("ftp://x")).is_err());
    assert!(p.endpoint(Some("nonsense")).is_err());
}

// --- tags ---

#[test]
fn tags_valid_dispatch_and_variables_have_no_problem() {
    let tags = [
        tag("team", "ci"),
        tag("pipehook:dispatch", "arn:aws:codepipeline:us-east-1:111122223333:app"),
        tag("pipehook:variable:COMMIT", "$.after"),
        tag("pipehook:variable:AUTHORS", "$.commits[*].author.name"),
    ];
    assert!(check_pipeline_tags(&tags, "tags").is_empty());
    let s = dispatch_settings(&tags).unwrap();
    assert_eq!(s.target, "arn:aws:codepipeline:us-east-1:111122223333:app");
    assert_eq!(s.variables.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["COMMIT", "AUTHORS"]);
    assert!(dispatch_settings(&[tag("pipehook:variable:A", "$.a")]).is_none());
}

#[test]
fn tags_every_bad_value_is_an_invalid_tags_problem_naming_the_allowed_forms() {
    let tags = [
        tag("pipehook:dispatch", "ftp://example.com/"),
        tag("pipehook:variable:bad name", "$.a"),
        tag("pipehook:variable:OK", "$."),
        tag("pipehook:variable:LONG", &format!("$.{}", "a".repeat(160))),
        tag("pipehook:dispach", "https://x.example/"),
    ];
    let problems = check_pipeline_tags(&tags, "tags");
    assert_eq!(problems.len(), 5, "{problems:#?}");
    assert!(problems.iter().all(|p| p.kind == ProblemKind::InvalidTags));
    assert!(problems[0].message.contains("an https:// URL") && problems[0].message.contains("pipeline ARN"), "{}", problems[0].message);
    assert!(problems[1].message.contains("[A-Za-z0-9@\\-_]"));
    assert!(problems[2].message.contains("not a JSONPath"));
    assert!(problems[3].message.contains("1 to 150"));
    assert!(problems[4].message.contains("not a pipehook tag"));
}

#[test]
fn tags_more_than_fifty_variables_are_refused() {
    let tags: Vec<Tag> = (0..51).map(|i| tag(&format!("pipehook:variable:V{i}"), "$.a")).collect();
    let problems = check_pipeline_tags(&tags, "tags");
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.contains("at most 50 variables"));
    assert!(check_pipeline_tags(&tags[..50], "tags").is_empty());
}

// --- variables ---

fn compiled(pairs: &[(&str, &str)]) -> CompiledVariables {
    let tags: Vec<VariableTag> = pairs.iter().map(|(n, p)| VariableTag { name: n.to_string(), path: p.to_string() }).collect();
    CompiledVariables::compile(&tags).unwrap()
}

fn push() -> Value {
    json!({"ref": "refs/heads/main", "after": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "head_commit": null, "empty": "", "n": 3, "ok": true,
        "repository": {"full_name": "octo/hello", "owner": {"login": "octo"}},
        "commits": [{"id": "a", "author": {"name": "A"}}, {"id": "b", "author": {"name": "B"}}]})
}

fn vars(v: &[PipelineVariable]) -> Vec<(&str, &str)> {
    v.iter().map(|v| (v.name.as_str(), v.value.as_str())).collect()
}

#[test]
fn variables_strings_as_is_others_as_compact_json_nothing_left_out() {
    let c = compiled(&[
        ("REF", "$.ref"),
        ("OWNER", "$.repository.owner"),
        ("N", "$.n"),
        ("OK", "$.ok"),
        ("IDS", "$.commits[*].id"),
        ("MISSING", "$.nope"),
        ("NULL", "$.head_commit"),
        ("EMPTY", "$.empty"),
        ("NONE", "$.commits[?(@.id == 'z')]"),
    ]);
    let got = c.select_from(&push()).unwrap();
    assert_eq!(
        vars(&got),
        [("REF", "refs/heads/main"), ("OWNER", r#"{"login":"octo"}"#), ("N", "3"), ("OK", "true"), ("IDS", r#"["a","b"]"#)]
    );
}

#[test]
fn variables_from_bytes_match_the_document_scanned_or_parsed_and_form_encoded() {
    let body = push().to_string();
    let definite = compiled(&[("REF", "$.ref"), ("AFTER", "$.after"), ("OWNER", "$.repository.owner.login")]);
    let indefinite = compiled(&[("REF", "$.ref"), ("NAMES", "$..author.name")]);
    let json_headers = [("content-type".to_string(), "application/json".to_string())];
    assert_eq!(definite.select(&json_headers, body.as_bytes()).unwrap(), definite.select_from(&push()).unwrap());
    assert_eq!(vars(&indefinite.select(&json_headers, body.as_bytes()).unwrap())[1], ("NAMES", r#"["A","B"]"#));
    let form: String = form_urlencoded::Serializer::new(String::new()).append_pair("payload", &body).finish();
    let form_headers = [("content-type".to_string(), "application/x-www-form-urlencoded".to_string())];
    assert_eq!(definite.select(&form_headers, form.as_bytes()).unwrap(), definite.select_from(&push()).unwrap());
}

#[test]
fn variables_value_over_1000_characters_is_an_error_naming_it() {
    let c = compiled(&[("MSG", "$.message"), ("ALL", "$")]);
    let doc = json!({"message": "é".repeat(1001)});
    let e = c.select_from(&doc).unwrap_err();
    assert_eq!(e, VariableError::TooLong { name: "MSG".into(), chars: 1001 });
    assert!(e.message().contains("'MSG'") && e.message().contains("1001") && e.message().contains("at most 1000"));
    let exactly = json!({"message": "é".repeat(1000)});
    let c = compiled(&[("MSG", "$.message")]);
    assert_eq!(c.select_from(&exactly).unwrap()[0].value.chars().count(), 1000);
    // A whole large document is refused without being written out whole.
    let big = json!({"x": "y".repeat(5_000_000)});
    let c = compiled(&[("ALL", "$")]);
    assert!(matches!(c.select_from(&big), Err(VariableError::TooLong { .. })));
}

#[test]
fn variables_that_do_not_compile_are_refused_at_compile() {
    let tags = [VariableTag { name: "X".into(), path: "$.".into() }];
    assert!(CompiledVariables::compile(&tags).unwrap_err().contains("variable 'X'"));
}

// --- ids ---

#[test]
fn execution_id_for_delivery_is_a_stable_v8_uuid_distinct_per_input() {
    let a = execution_id_for_delivery("arn:w", "t", "d1");
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "8");
    assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    assert!(a.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(a, execution_id_for_delivery("arn:w", "t", "d1"));
    assert_ne!(a, execution_id_for_delivery("arn:w", "t", "d2"));
    assert_ne!(a, execution_id_for_delivery("arn:w", "t2", "d1"));
    assert_ne!(a, execution_id_for_delivery("arn:w2", "t", "d1"));
    // Length-prefixed parts: moving a character between parts changes the id.
    assert_ne!(execution_id_for_delivery("ab", "c", "d"), execution_id_for_delivery("a", "bc", "d"));
}

#[test]
fn delivery_and_event_headers_are_bounded() {
    assert_eq!(delivery_id(Some(" 72d3162e-cc78-11e3-81ab-4c9367dc0958 ")), Some("72d3162e-cc78-11e3-81ab-4c9367dc0958"));
    assert_eq!(delivery_id(Some("")), None);
    assert_eq!(delivery_id(Some(&"a".repeat(129))), None);
    assert_eq!(delivery_id(Some("a b")), None);
    assert_eq!(delivery_id(None), None);
    assert_eq!(event_name(Some("push")), Some("push"));
    assert_eq!(event_name(Some(&"e".repeat(65))), None);
}

// --- messages ---

fn message(target: &str, v2: bool, revision: Option<&str>, variables: Vec<PipelineVariable>) -> DispatchMessage {
    DispatchMessage {
        version: MESSAGE_VERSION,
        execution: ExecutionRef { pipeline: "app".into(), incarnation: "inc".into(), id: "0b5c7d1e-8f2a-8b3c-9d4e-5f6a7b8c9d0e".into(), started_ms: 1 },
        target: target.into(),
        start: StartDetails {
            webhook_name: "hook".into(),
            webhook_arn: "arn:aws:codepipeline:us-east-1:123456789012:webhook:hook".into(),
            trigger_detail: None,
            delivery_id: Some("d-1".into()),
            event: Some("push".into()),
            source_action: "Source".into(),
            source_revision: revision.map(str::to_string),
            v2,
            variables,
        },
    }
}

const SHA: &str = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

#[test]
fn aws_input_has_name_token_variables_and_v2_commit_override() {
    let arn = "arn:aws:codepipeline:us-east-1:111122223333:real-app";
    let DispatchTarget::Aws(p) = DispatchTarget::parse(arn).unwrap() else { panic!() };
    let vars = vec![PipelineVariable { name: "BRANCH".into(), value: "main".into() }];
    let m = message(arn, true, Some(SHA), vars.clone());
    assert_eq!(
        m.aws_start_input(&p),
        json!({"name": "real-app", "clientRequestToken": m.execution.id,
               "variables": [{"name": "BRANCH", "value": "main"}],
               "sourceRevisions": [{"actionName": "Source", "revisionType": "COMMIT_ID", "revisionValue": SHA}]})
    );
    // V1, a tag name, a deleted branch's zero commit: no override; no variables: no member.
    for m in [message(arn, false, Some(SHA), vec![]), message(arn, true, Some("v1.0.0"), vec![]), message(arn, true, Some(&"0".repeat(40)), vec![])] {
        assert_eq!(m.aws_start_input(&p), json!({"name": "real-app", "clientRequestToken": m.execution.id}));
    }
    // The message round-trips through the queue's JSON.
    let text = serde_json::to_string(&m).unwrap();
    assert_eq!(serde_json::from_str::<DispatchMessage>(&text).unwrap(), m);
}

#[test]
fn http_body_has_every_member() {
    let vars = vec![PipelineVariable { name: "BRANCH".into(), value: "main".into() }];
    let m = message("https://ci.example.com/", true, Some(SHA), vars);
    let body: Value = serde_json::from_str(&m.http_body()).unwrap();
    assert_eq!(
        body,
        json!({"pipelineName": "app", "pipelineExecutionId": m.execution.id, "webhookName": "hook",
               "webhookArn": m.start.webhook_arn, "deliveryId": "d-1", "event": "push", "sourceRevision": SHA,
               "variables": {"BRANCH": "main"},
               "trigger": {"triggerType": "Webhook", "triggerDetail": m.start.webhook_arn}})
    );
    let mut bare = message("https://ci.example.com/", false, None, vec![]);
    bare.start.delivery_id = None;
    bare.start.event = None;
    let body: Value = serde_json::from_str(&bare.http_body()).unwrap();
    assert_eq!((&body["deliveryId"], &body["event"], &body["sourceRevision"], &body["variables"]), (&Value::Null, &Value::Null, &Value::Null, &json!({})));
    // A redelivery names itself as the trigger; a message without the member (sent before it
    // existed) still reads.
    bare.start.trigger_detail = Some("arn:…:webhook:hook (redelivery r of delivery d)".into());
    let body: Value = serde_json::from_str(&bare.http_body()).unwrap();
    assert_eq!(body["trigger"]["triggerDetail"], "arn:…:webhook:hook (redelivery r of delivery d)");
    let text = serde_json::to_string(&m).unwrap();
    assert!(!text.contains("triggerDetail") && !text.contains("trigger_detail"), "{text}");
    let read: DispatchMessage = serde_json::from_str(&text).unwrap();
    assert_eq!(read.start.trigger_detail, None);
}

#[test]
fn commit_ids_are_full_hex_and_not_zero() {
    assert!(is_commit_id(SHA));
    assert!(is_commit_id(&"ab".repeat(32)));
    assert!(!is_commit_id(&SHA[..39]));
    assert!(!is_commit_id("refs/heads/main"));
    assert!(!is_commit_id(&"0".repeat(40)));
}

// --- signature ---

#[test]
fn standard_webhooks_signature_matches_the_specification_example() {
    let key = SigningKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    assert_eq!(key.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, r#"{"test": 2432232314}"#), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    // The prefix is optional, as in the reference libraries.
    let bare = SigningKey::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    assert_eq!(bare.sign("a", 1, "b"), key.sign("a", 1, "b"));
    assert_ne!(key.sign("a", 1, "b"), key.sign("a", 2, "b"));
}

#[test]
fn signing_secret_errors_never_quote_the_secret() {
    for bad in ["whsec_not base64!!", "whsec_c2hvcnQ=", ""] {
        let e = SigningKey::parse(bad).unwrap_err();
        assert!(e.contains("DISPATCH_SIGNING_SECRET"), "{e}");
        assert!(bad.len() < 6 || !e.contains(&bad[6..]), "{e}");
    }
    assert_eq!(format!("{:?}", SigningKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap()), "SigningKey(****)");
}

// --- outcomes ---

fn http() -> DispatchTarget {
    DispatchTarget::parse("https://ci.example.com/hook").unwrap()
}

fn aws() -> DispatchTarget {
    DispatchTarget::parse("arn:aws:codepipeline:us-east-1:111122223333:app").unwrap()
}

fn status(status: u16, body: &str) -> Answer {
    Answer::Status { status, body: body.into() }
}

#[test]
fn retry_delays_are_2_4_8_16_by_default_and_scale_with_the_base() {
    let d: Vec<u32> = (1..MAX_ATTEMPTS).map(|a| retry_delay_s(DEFAULT_RETRY_BASE_S, a)).collect();
    assert_eq!(d, [2, 4, 8, 16]);
    assert_eq!((1..MAX_ATTEMPTS).map(|a| retry_delay_s(0, a)).collect::<Vec<_>>(), [0, 0, 0, 0]);
    assert_eq!(retry_delay_s(1, 4), 8);
    assert_eq!(retry_delay_s(u32::MAX, 5), 43_200);
}

#[test]
fn judge_2xx_delivered_408_429_5xx_timeouts_network_retried_others_given_up() {
    assert_eq!(judge(&http(), &status(202, "")), Verdict::Delivered { status: 202, aws_execution_id: None });
    for s in [408, 429, 500, 502, 503, 504, 599] {
        assert!(matches!(judge(&http(), &status(s, "")), Verdict::Retry(_)), "{s}");
    }
    assert!(matches!(judge(&http(), &Answer::TimedOut), Verdict::Retry(r) if r.contains("10 s")));
    assert!(matches!(judge(&http(), &Answer::Network("connection refused".into())), Verdict::Retry(r) if r.contains("connection refused")));
    for s in [400, 401, 403, 404, 410, 422] {
        assert!(matches!(judge(&http(), &status(s, "")), Verdict::GiveUp(_)), "{s}");
    }
    assert!(matches!(judge(&http(), &status(301, "")), Verdict::GiveUp(r) if r.contains("redirects")));
    assert_eq!(judge(&http(), &status(400, "bad\npayload")), Verdict::GiveUp("HTTP 400: bad payload".into()));
}

#[test]
fn judge_aws_reads_the_execution_id_and_retries_throttling_and_conflicts() {
    assert_eq!(
        judge(&aws(), &status(200, r#"{"pipelineExecutionId":"abc"}"#)),
        Verdict::Delivered { status: 200, aws_execution_id: Some("abc".into()) }
    );
    let throttled = judge(&aws(), &status(400, r#"{"__type":"com.amazonaws.codepipeline#ThrottlingException","message":"Rate exceeded"}"#));
    assert_eq!(throttled, Verdict::Retry("HTTP 400 ThrottlingException: Rate exceeded".into()));
    assert!(matches!(judge(&aws(), &status(400, r#"{"__type":"ConflictException"}"#)), Verdict::Retry(_)));
    let refused = judge(&aws(), &status(400, r#"{"__type":"PipelineNotFoundException","message":"no such pipeline"}"#));
    assert_eq!(refused, Verdict::GiveUp("HTTP 400 PipelineNotFoundException: no such pipeline".into()));
    assert!(matches!(judge(&aws(), &status(403, r#"{"__type":"AccessDeniedException","Message":"denied"}"#)), Verdict::GiveUp(r) if r.contains("AccessDenied") && r.contains("denied")));
}

#[test]
fn scrub_replaces_every_secret_and_leaves_short_strings() {
    let text = "echo: AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG and AKIDEXAMPLE again, a b";
    assert_eq!(scrub(text, &["AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", "a"]), "echo: **** / **** and **** again, a b");
}

#[test]
fn summaries_say_where_and_what_and_stay_short() {
    assert_eq!(summary::queued(&aws()), "Queued: StartPipelineExecution of arn:aws:codepipeline:us-east-1:111122223333:app");
    assert_eq!(summary::queued(&http()), "Queued: POST https://ci.example.com/…");
    assert_eq!(
        summary::retrying(&http(), 2, "HTTP 503", 4),
        "Attempt 2 of 5 failed (HTTP 503); next attempt in 4 s: POST https://ci.example.com/…"
    );
    assert_eq!(
        summary::delivered(&aws(), 1, 200, Some("e-1")),
        "Started arn:aws:codepipeline:us-east-1:111122223333:app as AWS execution e-1 (attempt 1)"
    );
    assert_eq!(summary::delivered(&http(), 3, 200, None), "Delivered: POST https://ci.example.com/… answered HTTP 200 (attempt 3)");
    assert_eq!(summary::failed(&http(), 5, "network error: refused", true), "Failed after 5 attempts (network error: refused): POST https://ci.example.com/…");
    assert_eq!(summary::failed(&http(), 1, "HTTP 400", false), "Failed (HTTP 400, not retried) at attempt 1: POST https://ci.example.com/…");
    let long = summary::not_started(Some(&aws()), &"x".repeat(1000));
    assert_eq!(long.chars().count(), SUMMARY_MAX);
    assert!(long.ends_with('…'));
}

#[test]
fn webhook_tags_may_not_be_pipehook_tags() {
    let problems = super::tags::check_webhook_tags(&[tag("team", "ci"), tag("pipehook:dispatch", "https://x.example/")], "tags");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::InvalidTags);
    assert!(problems[0].message.contains("goes on the webhook's target pipeline"));
    let put = json!({"webhook": {"name": "w", "targetPipeline": "p", "targetAction": "Source", "filters": [],
        "authentication": "UNAUTHENTICATED", "authenticationConfiguration": {}},
        "tags": [{"key": "pipehook:variable:X", "value": "$.a"}]});
    let problems = crate::validate_put_webhook(&put, None).unwrap_err();
    assert_eq!(problems[0].kind, ProblemKind::InvalidTags);
}
