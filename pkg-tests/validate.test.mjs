// SPEC §1: every rule of a PutWebhook input, through the installed package.
// Each rule: breaking it yields the right exception type, path and AWS message.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  SECRET,
  assertNoSecret,
  assertProblem,
  hmacDefinition,
  pipelineDeclaration,
  validInput,
  validateWebhook,
} from "./helpers.mjs";

const V = "ValidationException";
const AUTH = "InvalidWebhookAuthenticationParametersException";
const PATTERN = "[A-Za-z0-9.@\\-_]+";

const nullMsg = (path) => `Value null at '${path}' failed to satisfy constraint: Member must not be null`;
const minMsg = (path, value, n = 1) =>
  `Value '${value}' at '${path}' failed to satisfy constraint: Member must have length greater than or equal to ${n}`;
const maxMsg = (path, value, n) =>
  `Value '${value}' at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${n}`;
const patternMsg = (path, value) =>
  `Value '${value}' at '${path}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${PATTERN}`;

/** validInput() changed by `mutate`, validated; asserts invalid and returns the problems. */
function problemsOf(mutate, options) {
  const input = validInput();
  mutate(input);
  const result = validateWebhook(input, options);
  assert.equal(result.valid, false, "input should be invalid");
  assert.ok(Array.isArray(result.problems) && result.problems.length > 0);
  for (const p of result.problems) {
    const { column, ...rest } = p;
    assert.deepEqual(Object.keys(rest).sort(), ["message", "path", "type"]);
    for (const v of Object.values(rest)) assert.equal(typeof v, "string");
    // A column only where a string value has one place at fault: a JSONPath that does not compile.
    if (column !== undefined) {
      assert.equal(p.type, "InvalidWebhookFilterPatternException");
      assert.ok(Number.isInteger(column) && column >= 1, `column ${column}`);
    }
  }
  assertNoSecret(result, SECRET);
  return result.problems;
}

function assertValid(mutate, options) {
  const input = validInput();
  mutate(input);
  const result = validateWebhook(input, options);
  assert.deepEqual(result, { valid: true, problems: [] });
}

describe("a valid input", () => {
  test("validate_valid_put_webhook_input_has_no_problems", () => assertValid(() => {}));
  test("validate_tags_absent_is_valid", () => assertValid((i) => delete i.tags));
  test("validate_empty_filters_is_valid", () => assertValid((i) => (i.webhook.filters = [])));
  test("validate_five_filters_is_valid", () =>
    assertValid((i) => (i.webhook.filters = Array.from({ length: 5 }, (_, k) => ({ jsonPath: `$.a${k}` })))));
  test("validate_rule_without_match_equals_is_valid", () =>
    assertValid((i) => (i.webhook.filters = [{ jsonPath: "$.ref" }])));
  test("validate_every_allowed_name_character_is_valid", () => assertValid((i) => (i.webhook.name = ".@-_Az09")));
  test("validate_names_of_100_chars_are_valid", () =>
    assertValid((i) => {
      i.webhook.name = "n".repeat(100);
      i.webhook.targetPipeline = "p".repeat(100);
      i.webhook.targetAction = "a".repeat(100);
    }));
  test("validate_json_path_and_match_equals_of_150_chars_are_valid", () =>
    assertValid((i) => (i.webhook.filters = [{ jsonPath: "$." + "a".repeat(148), matchEquals: "m".repeat(150) }])));
  test("validate_ip_v4_range_is_valid", () =>
    assertValid((i) => {
      i.webhook.authentication = "IP";
      i.webhook.authenticationConfiguration = { AllowedIPRange: "10.0.0.0/8" };
    }));
  test("validate_ip_v6_range_is_valid", () =>
    assertValid((i) => {
      i.webhook.authentication = "IP";
      i.webhook.authenticationConfiguration = { AllowedIPRange: "2001:db8::/32" };
    }));
  test("validate_unauthenticated_with_empty_configuration_is_valid", () =>
    assertValid((i) => {
      i.webhook.authentication = "UNAUTHENTICATED";
      i.webhook.authenticationConfiguration = {};
    }));
  test("validate_fifty_tags_and_empty_tag_value_are_valid", () =>
    assertValid((i) => (i.tags = Array.from({ length: 50 }, (_, k) => ({ key: `k${k}`, value: k ? "v" : "" })))));
  test("validate_tag_key_128_and_value_256_chars_are_valid", () =>
    assertValid((i) => (i.tags = [{ key: "k".repeat(128), value: "v".repeat(256) }])));
  test("validate_bare_definition_is_treated_as_webhook", () => {
    assert.deepEqual(validateWebhook(validInput().webhook), { valid: true, problems: [] });
  });
  test("validate_json_string_is_parsed", () => {
    assert.deepEqual(validateWebhook(JSON.stringify(validInput())), { valid: true, problems: [] });
  });
  test("validate_does_not_mutate_the_callers_input", () => {
    const input = validInput();
    input.webhook.name = "a b";
    input.tags.push({ key: "aws:x", value: "y" });
    const copy = structuredClone(input);
    validateWebhook(input);
    assert.deepEqual(input, copy);
  });
});

describe("webhook", () => {
  test("validate_webhook_missing_is_validation_exception", () => {
    const result = validateWebhook({ tags: [] });
    assert.equal(result.valid, false);
    assertProblem(result.problems, { type: V, path: "webhook", message: nullMsg("webhook") });
  });
});

for (const field of ["name", "targetPipeline", "targetAction"]) {
  const path = `webhook.${field}`;
  describe(path, () => {
    test(`validate_${field}_missing_is_null_validation`, () =>
      assertProblem(problemsOf((i) => delete i.webhook[field]), { type: V, path, message: nullMsg(path) }));
    test(`validate_${field}_empty_is_min_length_validation`, () =>
      assertProblem(problemsOf((i) => (i.webhook[field] = "")), { type: V, path, message: minMsg(path, "") }));
    test(`validate_${field}_101_chars_is_max_length_validation`, () => {
      const long = "x".repeat(101);
      assertProblem(problemsOf((i) => (i.webhook[field] = long)), { type: V, path, message: maxMsg(path, long, 100) });
    });
    test(`validate_${field}_with_space_breaks_pattern`, () =>
      assertProblem(problemsOf((i) => (i.webhook[field] = "a b")), { type: V, path, message: patternMsg(path, "a b") }));
    test(`validate_${field}_pattern_must_match_whole_string`, () =>
      assertProblem(problemsOf((i) => (i.webhook[field] = "good-name/x")), {
        type: V,
        path,
        message: patternMsg(path, "good-name/x"),
      }));
  });
}

describe("webhook.filters", () => {
  test("validate_filters_missing_is_null_validation", () =>
    assertProblem(problemsOf((i) => delete i.webhook.filters), {
      type: V,
      path: "webhook.filters",
      message: nullMsg("webhook.filters"),
    }));
  test("validate_six_filters_is_max_length_validation", () =>
    assertProblem(
      problemsOf((i) => (i.webhook.filters = Array.from({ length: 6 }, (_, k) => ({ jsonPath: `$.a${k}` })))),
      {
        type: V,
        path: "webhook.filters",
        message: /^Value .* at 'webhook\.filters' failed to satisfy constraint: Member must have length less than or equal to 5$/s,
      },
    ));
  test("validate_json_path_missing_is_null_validation", () =>
    assertProblem(problemsOf((i) => (i.webhook.filters = [{ matchEquals: "x" }])), {
      type: V,
      path: "webhook.filters[0].jsonPath",
      message: nullMsg("webhook.filters[0].jsonPath"),
    }));
  test("validate_json_path_empty_is_min_length_validation", () =>
    assertProblem(problemsOf((i) => (i.webhook.filters = [{ jsonPath: "" }])), {
      type: V,
      path: "webhook.filters[0].jsonPath",
      message: minMsg("webhook.filters[0].jsonPath", ""),
    }));
  test("validate_json_path_151_chars_is_max_length_validation", () => {
    const long = "$." + "a".repeat(149);
    assertProblem(problemsOf((i) => (i.webhook.filters = [{ jsonPath: long }])), {
      type: V,
      path: "webhook.filters[0].jsonPath",
      message: maxMsg("webhook.filters[0].jsonPath", long, 150),
    });
  });
  test("validate_json_path_syntax_error_is_filter_pattern_exception", () => {
    const p = assertProblem(problemsOf((i) => (i.webhook.filters = [{ jsonPath: "$[" }])), {
      type: "InvalidWebhookFilterPatternException",
      path: "webhook.filters[0].jsonPath",
    });
    assert.ok(p.message.length > 0);
  });
  test("validate_json_path_problem_says_where_with_a_column", () => {
    const p = assertProblem(problemsOf((i) => (i.webhook.filters = [{ jsonPath: "$.commits[?(@.id foo 1)]" }])), {
      type: "InvalidWebhookFilterPatternException",
      path: "webhook.filters[0].jsonPath",
    });
    assert.equal(p.column, 18);
    assert.match(p.message, /at column 18: 'foo' is not a filter operator/);
    const other = assertProblem(problemsOf((i) => (i.webhook.name = "a b")), { type: "ValidationException", path: "webhook.name" });
    assert.equal("column" in other, false, "no column where a problem has no place in a string");
  });
  test("validate_json_paths_jayway_reads_leniently_are_valid", () => {
    for (const jsonPath of ["ref", ".ref", "$.head_commit.author.user-name", "$.ref ", "$.commits.length()", "$.commits[*].modified[?(@ =~ /src\\/.*/)]", "$['ref','after']"]) {
      assertValid((i) => (i.webhook.filters = [{ jsonPath }]));
    }
  });
  test("validate_json_paths_jayway_refuses_are_refused", () => {
    for (const jsonPath of ["$[?@.a]", "$[?(match(@.a, 'x'))]", "$[::2]", "$ref", " $.ref"]) {
      assertProblem(problemsOf((i) => (i.webhook.filters = [{ jsonPath }])), { type: "InvalidWebhookFilterPatternException", path: "webhook.filters[0].jsonPath" });
    }
  });
  test("validate_json_path_syntax_error_names_its_rule_index", () =>
    assertProblem(
      problemsOf((i) => (i.webhook.filters = [{ jsonPath: "$.a" }, { jsonPath: "$.b" }, { jsonPath: "$..[" }])),
      { type: "InvalidWebhookFilterPatternException", path: "webhook.filters[2].jsonPath" },
    ));
  test("validate_match_equals_empty_is_min_length_validation", () =>
    assertProblem(problemsOf((i) => (i.webhook.filters = [{ jsonPath: "$.a", matchEquals: "" }])), {
      type: V,
      path: "webhook.filters[0].matchEquals",
      message: minMsg("webhook.filters[0].matchEquals", ""),
    }));
  test("validate_match_equals_151_chars_is_max_length_validation", () => {
    const long = "m".repeat(151);
    assertProblem(problemsOf((i) => (i.webhook.filters = [{ jsonPath: "$.a", matchEquals: long }])), {
      type: V,
      path: "webhook.filters[0].matchEquals",
      message: maxMsg("webhook.filters[0].matchEquals", long, 150),
    });
  });
});

describe("webhook.authentication", () => {
  test("validate_authentication_missing_is_null_validation", () =>
    assertProblem(problemsOf((i) => delete i.webhook.authentication), {
      type: V,
      path: "webhook.authentication",
      message: nullMsg("webhook.authentication"),
    }));
  test("validate_authentication_unknown_breaks_enum", () => {
    const p = assertProblem(problemsOf((i) => (i.webhook.authentication = "OAUTH")), {
      type: V,
      path: "webhook.authentication",
      message: /^Value 'OAUTH' at 'webhook\.authentication' failed to satisfy constraint: Member must satisfy enum value set: \[.*\]$/,
    });
    for (const v of ["GITHUB_HMAC", "IP", "UNAUTHENTICATED"]) assert.ok(p.message.includes(v), p.message);
  });
  test("validate_authentication_configuration_missing_is_null_validation", () =>
    assertProblem(problemsOf((i) => delete i.webhook.authenticationConfiguration), {
      type: V,
      path: "webhook.authenticationConfiguration",
      message: nullMsg("webhook.authenticationConfiguration"),
    }));
});

describe("webhook.authenticationConfiguration", () => {
  const CONF = "webhook.authenticationConfiguration";
  const TOKEN = `${CONF}.SecretToken`;
  const RANGE = `${CONF}.AllowedIPRange`;
  const setAuth = (authentication, configuration) => (i) => {
    i.webhook.authentication = authentication;
    i.webhook.authenticationConfiguration = configuration;
  };
  // The contract lists both the member and the configuration as possible paths; a problem
  // about one member may sit on either.
  test("validate_github_hmac_without_secret_token_is_auth_parameters_exception", () =>
    assertProblem(problemsOf(setAuth("GITHUB_HMAC", {})), { type: AUTH, path: [TOKEN, CONF] }));
  test("validate_github_hmac_with_allowed_ip_range_is_auth_parameters_exception", () =>
    assertProblem(problemsOf(setAuth("GITHUB_HMAC", { SecretToken: SECRET, AllowedIPRange: "10.0.0.0/8" })), {
      type: AUTH,
      path: [RANGE, CONF],
    }));
  test("validate_secret_token_101_chars_is_rejected_without_showing_it", () => {
    const long = "S".repeat(101);
    const problems = problemsOf(setAuth("GITHUB_HMAC", { SecretToken: long }));
    const p = assertProblem(problems, { type: [V, AUTH], path: TOKEN });
    assert.match(p.message, /length less than or equal to 100/);
    assertNoSecret(problems, long);
  });
  test("validate_secret_token_empty_is_rejected", () =>
    assertProblem(problemsOf(setAuth("GITHUB_HMAC", { SecretToken: "" })), { type: [V, AUTH], path: TOKEN }));
  test("validate_ip_without_allowed_ip_range_is_auth_parameters_exception", () =>
    assertProblem(problemsOf(setAuth("IP", {})), { type: AUTH, path: [RANGE, CONF] }));
  for (const bad of ["not-a-cidr", "10.0.0.0/33", "300.0.0.0/8", "2001:db8::/129", "10.0.0.0/8 "]) {
    test(`validate_ip_range_${JSON.stringify(bad)}_is_auth_parameters_exception`, () =>
      assertProblem(problemsOf(setAuth("IP", { AllowedIPRange: bad })), { type: AUTH, path: [RANGE, CONF] }));
  }
  test("validate_ip_range_101_chars_is_rejected", () =>
    assertProblem(problemsOf(setAuth("IP", { AllowedIPRange: "1".repeat(101) })), { type: [V, AUTH], path: RANGE }));
  test("validate_ip_with_secret_token_is_auth_parameters_exception", () => {
    const problems = problemsOf(setAuth("IP", { AllowedIPRange: "10.0.0.0/8", SecretToken: SECRET }));
    assertProblem(problems, { type: AUTH, path: [TOKEN, CONF] });
  });
  test("validate_unauthenticated_with_secret_token_is_auth_parameters_exception", () =>
    assertProblem(problemsOf(setAuth("UNAUTHENTICATED", { SecretToken: SECRET })), {
      type: AUTH,
      path: [TOKEN, CONF],
    }));
  test("validate_unauthenticated_with_allowed_ip_range_is_auth_parameters_exception", () =>
    assertProblem(problemsOf(setAuth("UNAUTHENTICATED", { AllowedIPRange: "10.0.0.0/8" })), {
      type: AUTH,
      path: [RANGE, CONF],
    }));
});

describe("tags", () => {
  test("validate_51_tags_is_too_many_tags", () =>
    assertProblem(problemsOf((i) => (i.tags = Array.from({ length: 51 }, (_, k) => ({ key: `k${k}`, value: "v" })))), {
      type: "TooManyTagsException",
      path: "tags",
    }));
  test("validate_tag_key_with_aws_prefix_is_invalid_tags", () =>
    assertProblem(
      problemsOf((i) => (i.tags = [{ key: "a", value: "" }, { key: "b", value: "" }, { key: "c", value: "" }, { key: "aws:x", value: "y" }])),
      { type: "InvalidTagsException", path: "tags[3].key" },
    ));
  test("validate_duplicate_tag_keys_is_invalid_tags", () =>
    assertProblem(problemsOf((i) => (i.tags = [{ key: "team", value: "a" }, { key: "team", value: "b" }])), {
      type: "InvalidTagsException",
      path: ["tags[1].key", "tags"],
    }));
  test("validate_tag_key_empty_is_min_length_validation", () =>
    assertProblem(problemsOf((i) => (i.tags = [{ key: "", value: "v" }])), {
      type: V,
      path: "tags[0].key",
      message: minMsg("tags[0].key", ""),
    }));
  test("validate_tag_key_129_chars_is_max_length_validation", () => {
    const long = "k".repeat(129);
    assertProblem(problemsOf((i) => (i.tags = [{ key: long, value: "v" }])), {
      type: V,
      path: "tags[0].key",
      message: maxMsg("tags[0].key", long, 128),
    });
  });
  test("validate_tag_value_257_chars_is_max_length_validation", () => {
    const long = "v".repeat(257);
    assertProblem(problemsOf((i) => (i.tags = [{ key: "k", value: long }])), {
      type: V,
      path: "tags[0].value",
      message: maxMsg("tags[0].value", long, 256),
    });
  });
  test("validate_tag_key_missing_is_null_validation", () =>
    assertProblem(problemsOf((i) => (i.tags = [{ value: "v" }])), {
      type: V,
      path: "tags[0].key",
      message: nullMsg("tags[0].key"),
    }));
  test("validate_tag_value_missing_is_null_validation", () =>
    assertProblem(problemsOf((i) => (i.tags = [{ key: "k" }])), {
      type: V,
      path: "tags[0].value",
      message: nullMsg("tags[0].value"),
    }));
});

describe("every problem at once", () => {
  test("validate_many_broken_rules_are_all_reported", () => {
    const problems = problemsOf((i) => {
      i.webhook.name = "a b";
      delete i.webhook.targetPipeline;
      i.webhook.targetAction = "x".repeat(101);
      i.webhook.filters = [{ jsonPath: "$[" }, { jsonPath: "$.a", matchEquals: "" }];
      i.webhook.authentication = "GITHUB_HMAC";
      i.webhook.authenticationConfiguration = { AllowedIPRange: "10.0.0.0/8" };
      i.tags = [{ key: "aws:x", value: "v".repeat(257) }];
    });
    const expected = [
      { type: V, path: "webhook.name" },
      { type: V, path: "webhook.targetPipeline" },
      { type: V, path: "webhook.targetAction" },
      { type: "InvalidWebhookFilterPatternException", path: "webhook.filters[0].jsonPath" },
      { type: V, path: "webhook.filters[1].matchEquals" },
      { type: AUTH, path: ["webhook.authenticationConfiguration", "webhook.authenticationConfiguration.SecretToken", "webhook.authenticationConfiguration.AllowedIPRange"] },
      { type: "InvalidTagsException", path: "tags[0].key" },
      { type: V, path: "tags[0].value" },
    ];
    for (const e of expected) assertProblem(problems, e);
    assert.ok(problems.length >= expected.length);
  });
  test("validate_bare_definition_reports_paths_under_webhook", () => {
    const def = hmacDefinition([{ jsonPath: "$[" }]);
    def.name = "a b";
    const result = validateWebhook(def);
    assert.equal(result.valid, false);
    assertProblem(result.problems, { type: V, path: "webhook.name", message: patternMsg("webhook.name", "a b") });
    assertProblem(result.problems, { type: "InvalidWebhookFilterPatternException", path: "webhook.filters[0].jsonPath" });
  });
  test("validate_wrong_json_types_are_problems_not_throws", () => {
    for (const input of [
      { webhook: { ...hmacDefinition(), name: 123 } },
      { webhook: { ...hmacDefinition(), filters: "x" } },
      { webhook: { ...hmacDefinition(), filters: [null] } },
      { webhook: { ...hmacDefinition(), authenticationConfiguration: [] } },
      { webhook: hmacDefinition(), tags: {} },
      { webhook: "x" },
      { webhook: null },
    ]) {
      const result = validateWebhook(input);
      assert.equal(result.valid, false, JSON.stringify(input));
      assert.ok(result.problems.length > 0);
    }
  });
});

describe("a string input", () => {
  test("validate_unparseable_string_is_serialization_exception_with_line_and_column", () => {
    const result = validateWebhook('{\n  "webhook": {\n    "name": ,\n  }\n}');
    assert.equal(result.valid, false);
    assert.equal(result.problems.length, 1);
    const [p] = result.problems;
    assert.equal(p.type, "SerializationException");
    assert.equal(p.path, "");
    assert.match(p.message, /line 3 column \d+/);
  });
  test("validate_empty_string_is_serialization_exception", () => {
    const result = validateWebhook("");
    assert.equal(result.valid, false);
    assert.equal(result.problems[0].type, "SerializationException");
  });
  test("validate_string_reports_same_problems_as_object", () => {
    const input = validInput();
    input.webhook.name = "a b";
    const fromText = validateWebhook(JSON.stringify(input));
    // Text also says where each problem is; otherwise the two agree.
    assert.ok(fromText.problems.every((p) => p.location), JSON.stringify(fromText));
    const unplaced = { ...fromText, problems: fromText.problems.map(({ location, ...p }) => p) };
    assert.deepEqual(unplaced, validateWebhook(input));
  });
  test("validate_text_problems_carry_line_and_column", () => {
    const text = '{\n  "webhook": {\n    "name": "a b",\n    "targetPipeline": "p",\n    "targetAction": "a",\n    "filters": [{"jsonPath": "$["}],\n    "authentication": "UNAUTHENTICATED",\n    "authenticationConfiguration": {}\n  }\n}';
    const { problems } = validateWebhook(text);
    const at = (path) => problems.find((p) => p.path === path)?.location;
    assert.deepEqual(at("webhook.name"), { line: 3, column: 13, endLine: 3, endColumn: 18, offset: text.indexOf('"a b"'), endOffset: text.indexOf('"a b"') + 5 });
    assert.equal(at("webhook.filters[0].jsonPath").line, 6);
    assert.equal(text.slice(at("webhook.filters[0].jsonPath").offset, at("webhook.filters[0].jsonPath").endOffset), '"$["');
  });
});

describe("with a pipeline", () => {
  const pipeline = pipelineDeclaration();
  test("validate_against_matching_pipeline_is_valid", () => assertValid(() => {}, { pipeline }));
  test("validate_target_pipeline_other_than_given_is_pipeline_not_found", () =>
    assertProblem(problemsOf((i) => (i.webhook.targetPipeline = "other-pipeline"), { pipeline }), {
      type: "PipelineNotFoundException",
      path: "webhook.targetPipeline",
    }));
  test("validate_target_action_outside_first_stage_is_validation", () =>
    assertProblem(problemsOf((i) => (i.webhook.targetAction = "Build"), { pipeline }), {
      type: V,
      path: "webhook.targetAction",
    }));
  test("validate_target_action_unknown_is_validation", () =>
    assertProblem(problemsOf((i) => (i.webhook.targetAction = "Nope"), { pipeline }), {
      type: V,
      path: "webhook.targetAction",
    }));
  test("validate_placeholder_not_in_action_configuration_is_filter_pattern_exception", () =>
    assertProblem(
      problemsOf((i) => (i.webhook.filters = [{ jsonPath: "$.ref" }, { jsonPath: "$.ref", matchEquals: "refs/heads/{Nope}" }]), { pipeline }),
      { type: "InvalidWebhookFilterPatternException", path: "webhook.filters[1].matchEquals" },
    ));
  test("validate_placeholder_in_action_configuration_is_valid", () =>
    assertValid((i) => (i.webhook.filters = [{ jsonPath: "$.repository.name", matchEquals: "{Repo}" }]), { pipeline }));
  test("validate_pipeline_checks_do_not_hide_definition_problems", () => {
    const problems = problemsOf((i) => {
      i.webhook.name = "a b";
      i.webhook.targetAction = "Build";
    }, { pipeline });
    assertProblem(problems, { type: V, path: "webhook.name" });
    assertProblem(problems, { type: V, path: "webhook.targetAction" });
  });
});
