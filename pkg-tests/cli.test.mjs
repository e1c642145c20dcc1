// The CLI as a user runs it: `npx pipehook …` from the folder where the package is installed.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";

import {
  FIXTURES,
  INSTALL_DIR,
  SECRET,
  hmac256,
  hmacDefinition,
  ipDefinition,
  openDefinition,
  pipelineDeclaration,
  validInput,
  validateWebhook,
} from "./helpers.mjs";

const dir = join(INSTALL_DIR, `cli-${process.pid}`);
mkdirSync(dir, { recursive: true });

function file(name, content) {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" || Buffer.isBuffer(content) ? content : JSON.stringify(content, null, 2));
  return path;
}

/**
 * Runs `npx --no -- pipehook ...args` in the install folder (--no: never fetch from the registry;
 * `--`: so npx does not take --help for itself). npm's own warnings are dropped from stderr.
 */
function pipehook(args, { input } = {}) {
  const r = spawnSync("npx", ["--no", "--", "pipehook", ...args], {
    cwd: INSTALL_DIR,
    encoding: "utf8",
    input,
    env: { ...process.env, NO_COLOR: "1", npm_config_update_notifier: "false" },
    timeout: 60_000,
  });
  assert.equal(r.error, undefined, String(r.error));
  const stderr = r.stderr.replace(/^npm (warn|notice|WARN)\b.*\n/gm, "");
  return { code: r.status, stdout: r.stdout, stderr, all: r.stdout + stderr };
}

const lines = (text) => text.split("\n").filter(Boolean);
const problemLine = (p) => `${p.type} ${p.path}: ${p.message}`;

describe("pipehook --help and usage", () => {
  test("cli_help_prints_usage_and_exits_0", () => {
    for (const args of [["--help"], ["-h"], ["help"], ["validate", "--help"]]) {
      const r = pipehook(args);
      assert.equal(r.code, 0, r.all);
      assert.match(r.stdout, /Usage:/);
      assert.match(r.stdout, /pipehook validate FILE/);
      assert.match(r.stdout, /pipehook evaluate --webhook FILE --payload FILE/);
    }
  });
  test("cli_usage_errors_exit_2_with_message_on_stderr", () => {
    for (const args of [
      [],
      ["frobnicate"],
      ["validate"],
      ["validate", "a.json", "b.json"],
      ["validate", "--bogus", "x"],
      ["validate", "x.json", "--webhook", "y.json"],
      ["evaluate"],
      ["evaluate", "--webhook", "w.json"],
      ["evaluate", "--payload", "p.json"],
      ["evaluate", "--webhook", "w.json", "--payload", "p.json", "--header", "no colon"],
      ["evaluate", "--webhook"],
    ]) {
      const r = pipehook(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.all}`);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^pipehook: /);
    }
  });
});

describe("pipehook validate", () => {
  test("cli_validate_valid_input_prints_valid_exit_0", () => {
    const r = pipehook(["validate", file("valid.json", validInput())]);
    assert.equal(r.code, 0, r.all);
    assert.equal(r.stdout, "valid\n");
  });
  test("cli_validate_bare_definition_is_valid", () => {
    const r = pipehook(["validate", file("bare.json", hmacDefinition([{ jsonPath: "$.ref" }]))]);
    assert.equal(r.code, 0, r.all);
    assert.equal(r.stdout, "valid\n");
  });
  test("cli_validate_invalid_input_prints_every_problem_exit_1", () => {
    const input = validInput();
    input.webhook.name = "a b";
    input.webhook.filters = [{ jsonPath: "$[" }];
    input.tags = [{ key: "aws:x", value: "y" }];
    const r = pipehook(["validate", file("invalid.json", input)]);
    assert.equal(r.code, 1, r.all);
    const expected = validateWebhook(input).problems.map(problemLine);
    assert.deepEqual(lines(r.stdout), expected);
    assert.ok(
      lines(r.stdout).includes(
        "ValidationException webhook.name: Value 'a b' at 'webhook.name' failed to satisfy constraint: " +
          "Member must satisfy regular expression pattern: [A-Za-z0-9.@\\-_]+",
      ),
      r.stdout,
    );
    assert.ok(lines(r.stdout).some((l) => l.startsWith("InvalidWebhookFilterPatternException webhook.filters[0].jsonPath: ")));
    assert.ok(lines(r.stdout).some((l) => l.startsWith("InvalidTagsException tags[0].key: ")));
  });
  test("cli_validate_never_prints_the_secret_token", () => {
    const long = "L0ngSecret-".repeat(10); // 110 chars: too long, so it is a problem
    const inputs = [
      { webhook: { ...hmacDefinition(), authenticationConfiguration: { SecretToken: long } } },
      { webhook: { ...openDefinition(), authenticationConfiguration: { SecretToken: SECRET } } },
      { webhook: { ...ipDefinition("10.0.0.0/8"), authenticationConfiguration: { AllowedIPRange: "10.0.0.0/8", SecretToken: SECRET } } },
    ];
    inputs.forEach((input, k) => {
      const path = file(`secret-${k}.json`, input);
      for (const args of [["validate", path], ["validate", path, "--json"]]) {
        const r = pipehook(args);
        assert.equal(r.code, 1, r.all);
        assert.ok(!r.all.includes(long) && !r.all.includes(SECRET), `secret printed:\n${r.all}`);
      }
    });
  });
  test("cli_validate_json_output_is_the_library_result", () => {
    const input = validInput();
    input.webhook.targetAction = "";
    const path = file("json-out.json", input);
    const r = pipehook(["validate", path, "--json"]);
    assert.equal(r.code, 1, r.all);
    assert.deepEqual(JSON.parse(r.stdout), validateWebhook(readFileSync(path, "utf8")));
  });
  test("cli_validate_reads_standard_input", () => {
    const r = pipehook(["validate", "-"], { input: JSON.stringify(validInput()) });
    assert.equal(r.code, 0, r.all);
    assert.equal(r.stdout, "valid\n");
  });
  test("cli_validate_missing_file_exits_2", () => {
    const r = pipehook(["validate", join(dir, "does-not-exist.json")]);
    assert.equal(r.code, 2, r.all);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /does-not-exist\.json/);
  });
  test("cli_validate_not_json_exits_2_with_line_and_column", () => {
    const r = pipehook(["validate", file("broken.json", '{\n  "webhook": {\n    "name": ,\n')]);
    assert.equal(r.code, 2, r.all);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /broken\.json/);
    assert.match(r.stderr, /line 3/);
  });
  test("cli_validate_with_pipeline_checks_target", () => {
    const pipeline = file("pipeline.json", pipelineDeclaration());
    const ok = pipehook(["validate", file("for-pipeline.json", validInput()), "--pipeline", pipeline]);
    assert.equal(ok.code, 0, ok.all);
    const input = validInput();
    input.webhook.targetPipeline = "elsewhere";
    input.webhook.filters = [{ jsonPath: "$.ref", matchEquals: "refs/heads/{Nope}" }];
    const bad = pipehook(["validate", file("wrong-pipeline.json", input), "--pipeline", pipeline]);
    assert.equal(bad.code, 1, bad.all);
    assert.ok(lines(bad.stdout).some((l) => l.startsWith("PipelineNotFoundException webhook.targetPipeline: ")), bad.stdout);
  });
  test("cli_validate_accepts_get_pipeline_output", () => {
    const pipeline = file("get-pipeline.json", { pipeline: pipelineDeclaration(), metadata: { pipelineArn: "arn" } });
    const input = validInput();
    input.webhook.targetAction = "Build";
    const r = pipehook(["validate", file("build-action.json", input), "--pipeline", pipeline]);
    assert.equal(r.code, 1, r.all);
    assert.ok(lines(r.stdout).some((l) => l.startsWith("ValidationException webhook.targetAction: ")), r.stdout);
  });
  test("cli_validate_unreadable_pipeline_exits_2", () => {
    for (const content of ["nope", "[]", "42"]) {
      const r = pipehook(["validate", file("v2.json", validInput()), "--pipeline", file("bad-pipeline.json", content)]);
      assert.equal(r.code, 2, r.all);
      assert.match(r.stderr, /bad-pipeline\.json/);
    }
  });
});

describe("pipehook evaluate", () => {
  const pushRaw = readFileSync(join(FIXTURES, "github-payloads/push.with-new-branch.payload.json"));
  const push = JSON.parse(pushRaw.toString("utf8"));
  const payload = file("push.json", pushRaw);
  const rules = [
    { jsonPath: "$.ref", matchEquals: push.ref },
    { jsonPath: "$.commits[*].id" },
  ];
  const webhook = file("hmac-input.json", { webhook: hmacDefinition(rules), tags: [] });
  const signature = `X-Hub-Signature-256: ${hmac256(SECRET, pushRaw)}`;

  test("cli_evaluate_accepted_prints_decision_and_trace_exit_0", () => {
    const r = pipehook(["evaluate", "--webhook", webhook, "--payload", payload, "--header", signature, "--header", "X-GitHub-Event: push"]);
    assert.equal(r.code, 0, r.all);
    const out = lines(r.stdout);
    assert.ok(out.includes("outcome: accepted"), r.stdout);
    assert.ok(out.includes("status: 200"), r.stdout);
    assert.ok(out.some((l) => l.startsWith("reason: ")), r.stdout);
    assert.ok(out.includes(`rule 1: pass $.ref`), r.stdout);
    assert.ok(out.includes(`  expected: ${JSON.stringify(push.ref)}`), r.stdout);
    assert.ok(out.includes(`  selected: ${JSON.stringify([push.ref])}`), r.stdout);
    assert.ok(out.includes(`rule 2: pass $.commits[*].id`), r.stdout);
    assert.ok(out.includes(`revision: ${push.after}`), r.stdout);
    assert.ok(!r.all.includes(SECRET));
  });
  test("cli_evaluate_bare_definition_and_lowercase_header", () => {
    const bare = file("hmac-bare.json", hmacDefinition(rules));
    const r = pipehook(["evaluate", "--webhook", bare, "--payload", payload, "--header", `x-hub-signature-256:${hmac256(SECRET, pushRaw)}`]);
    assert.equal(r.code, 0, r.all);
  });
  test("cli_evaluate_filtered_shows_failing_rule_exit_1", () => {
    const hook = file("hmac-dev.json", { webhook: hmacDefinition([{ jsonPath: "$.ref", matchEquals: "refs/heads/dev" }]) });
    const r = pipehook(["evaluate", "--webhook", hook, "--payload", payload, "--header", signature]);
    assert.equal(r.code, 1, r.all);
    const out = lines(r.stdout);
    assert.ok(out.includes("outcome: filtered"), r.stdout);
    assert.ok(out.includes("status: 200"), r.stdout);
    assert.ok(out.includes("rule 1: fail $.ref"), r.stdout);
    assert.ok(out.includes('  expected: "refs/heads/dev"'), r.stdout);
  });
  test("cli_evaluate_unsigned_is_unauthorized_exit_1", () => {
    const r = pipehook(["evaluate", "--webhook", webhook, "--payload", payload]);
    assert.equal(r.code, 1, r.all);
    assert.ok(lines(r.stdout).includes("outcome: unauthorized"), r.stdout);
    assert.ok(lines(r.stdout).includes("status: 401"), r.stdout);
    assert.ok(!r.all.includes(SECRET));
  });
  test("cli_evaluate_sign_computes_the_signature", () => {
    const r = pipehook(["evaluate", "--webhook", webhook, "--payload", payload, "--sign"]);
    assert.equal(r.code, 0, r.all);
    assert.ok(!r.all.includes(SECRET));
  });
  test("cli_evaluate_ip_inside_and_outside_and_missing", () => {
    const hook = file("ip.json", { webhook: ipDefinition("192.0.2.0/24") });
    const inside = pipehook(["evaluate", "--webhook", hook, "--payload", payload, "--source-ip", "192.0.2.10"]);
    assert.equal(inside.code, 0, inside.all);
    const outside = pipehook(["evaluate", "--webhook", hook, "--payload", payload, "--source-ip", "198.51.100.1"]);
    assert.equal(outside.code, 1, outside.all);
    assert.ok(lines(outside.stdout).includes("outcome: forbidden"), outside.stdout);
    assert.ok(lines(outside.stdout).includes("status: 403"), outside.stdout);
    const missing = pipehook(["evaluate", "--webhook", hook, "--payload", payload]);
    assert.equal(missing.code, 1, missing.all);
    assert.ok(lines(missing.stdout).includes("outcome: forbidden"), missing.stdout);
  });
  test("cli_evaluate_action_config_fills_placeholders", () => {
    const hook = file("placeholder.json", { webhook: openDefinition([{ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }]) });
    const branch = push.ref.replace("refs/heads/", "");
    const ok = pipehook(["evaluate", "--webhook", hook, "--payload", payload, "--action-config", file("config.json", { Branch: branch })]);
    assert.equal(ok.code, 0, ok.all);
    assert.ok(lines(ok.stdout).includes(`  expected: ${JSON.stringify(push.ref)}`), ok.stdout);
    const other = pipehook(["evaluate", "--webhook", hook, "--payload", payload, "--action-config", file("config2.json", { Branch: "nope" })]);
    assert.equal(other.code, 1, other.all);
    const bad = pipehook(["evaluate", "--webhook", hook, "--payload", payload, "--action-config", file("config3.json", [1])]);
    assert.equal(bad.code, 2, bad.all);
  });
  test("cli_evaluate_form_encoded_payload", () => {
    const form = "payload=" + encodeURIComponent(pushRaw.toString("utf8"));
    const r = pipehook([
      "evaluate", "--webhook", webhook, "--payload", file("push.form", form),
      "--header", "Content-Type: application/x-www-form-urlencoded",
      "--header", `X-Hub-Signature-256: ${hmac256(SECRET, form)}`,
    ]);
    assert.equal(r.code, 0, r.all);
  });
  test("cli_evaluate_malformed_payload_is_a_decision_exit_1", () => {
    const hook = file("open.json", { webhook: openDefinition() });
    const r = pipehook(["evaluate", "--webhook", hook, "--payload", file("bad-payload.json", "{nope")]);
    assert.equal(r.code, 1, r.all);
    assert.ok(lines(r.stdout).includes("outcome: malformed"), r.stdout);
    assert.ok(lines(r.stdout).includes("status: 400"), r.stdout);
  });
  test("cli_evaluate_json_output_redacts_the_definition", () => {
    const r = pipehook(["evaluate", "--webhook", webhook, "--payload", payload, "--header", signature, "--json"]);
    assert.equal(r.code, 0, r.all);
    const out = JSON.parse(r.stdout);
    assert.equal(out.decision.outcome, "accepted");
    assert.equal(out.webhook.authenticationConfiguration.SecretToken, "****");
    assert.ok(!r.all.includes(SECRET));
  });
  test("cli_evaluate_invalid_definition_exits_2_listing_problems_without_secret", () => {
    const def = hmacDefinition([{ jsonPath: "$[" }]);
    def.name = "a b";
    def.authenticationConfiguration.AllowedIPRange = "10.0.0.0/8";
    const r = pipehook(["evaluate", "--webhook", file("invalid-def.json", { webhook: def }), "--payload", payload]);
    assert.equal(r.code, 2, r.all);
    assert.match(r.stderr, /ValidationException webhook\.name: /);
    assert.match(r.stderr, /InvalidWebhookFilterPatternException webhook\.filters\[0\]\.jsonPath: /);
    assert.ok(!r.all.includes(SECRET));
  });
  test("cli_evaluate_unreadable_inputs_exit_2", () => {
    const missing = join(dir, "missing.json");
    for (const args of [
      ["--webhook", missing, "--payload", payload],
      ["--webhook", webhook, "--payload", missing],
      ["--webhook", file("not-json.json", "webhook?"), "--payload", payload],
      ["--webhook", file("array.json", "[]"), "--payload", payload],
      ["--webhook", webhook, "--payload", payload, "--action-config", missing],
    ]) {
      const r = pipehook(["evaluate", ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.all}`);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^pipehook: /);
    }
  });
});
