// The installed package as a Bun or Deno user imports it (run from the folder it is installed in,
// by pkg-tests/runtimes.test.mjs): both entries, validation of each input kind, a delivery.
// Plain assertions, so the same file runs in every runtime; exits 1 on any failure.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import * as main from "pipehook";
import init, * as web from "pipehook/web";

const SECRET = "It's a Secret to Everybody";
const BODY = "Hello, World!";
// GitHub's documented test vector (docs: "Validating webhook deliveries").
const SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

const definition = {
  name: "my-hook",
  targetPipeline: "my-pipeline",
  targetAction: "Source",
  filters: [],
  authentication: "GITHUB_HMAC",
  authenticationConfiguration: { SecretToken: SECRET },
};
const TEMPLATE = `Resources:
  Hook:
    Type: AWS::CodePipeline::Webhook
    Properties:
      Name: bad name
      Authentication: GITHUB_HMAC
      AuthenticationConfiguration:
        SecretToken: !Ref Secret
      Filters: [{ JsonPath: "$.ref" }]
      TargetPipeline: p
      TargetAction: a
      TargetPipelineVersion: 1
`;
const HCL = `resource "aws_codepipeline_webhook" "w" {
  name            = "w"
  authentication  = "UNAUTHENTICATED"
  target_action   = "a"
  target_pipeline = "p"
  filter {
    json_path    = "$.ref[0"
    match_equals = "x"
  }
}
`;

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e?.stack ?? e).split("\n").join("\n  ")}`);
  }
}

async function suite(label, api) {
  await check(`${label}: a valid definition is valid`, () => {
    assert.deepEqual(api.validateWebhook({ webhook: definition }), { valid: true, problems: [] });
  });
  await check(`${label}: every problem of an invalid definition, with its place in the text`, () => {
    const text = JSON.stringify({ webhook: { ...definition, name: "a b", filters: [{ jsonPath: "$[" }] } }, null, 2);
    const r = api.validateWebhook(text);
    assert.deepEqual(r.problems.map((p) => p.path).sort(), ["webhook.filters[0].jsonPath", "webhook.name"]);
    assert.equal(r.problems.find((p) => p.path === "webhook.name").location.line, 3);
  });
  await check(`${label}: a CloudFormation template's problem is named by its path, line and column`, () => {
    const r = api.validateWebhook(TEMPLATE);
    assert.equal(r.format, "cloudformation-yaml");
    const [p] = r.problems;
    assert.equal(p.path, "Resources.Hook.Properties.Name");
    assert.deepEqual([p.location.line, p.location.column], [5, 13]);
    assert.match(r.notes[0].message, /resolved at deploy time/);
  });
  await check(`${label}: a Terraform file's problem is named by its address`, () => {
    const r = api.validateWebhook(HCL);
    assert.equal(r.format, "terraform-hcl");
    assert.deepEqual(r.problems.map((p) => [p.type, p.path, p.location.line]), [
      ["InvalidWebhookFilterPatternException", "aws_codepipeline_webhook.w.filter[0].json_path", 7],
    ]);
  });
  await check(`${label}: a signed push is accepted, a forged one is not`, () => {
    const rule = { ...definition, filters: [{ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }] };
    const push = JSON.stringify({ ref: "refs/heads/main", after: "6113728f27ae82c7b1a177c8d03f9e96e0adf246" });
    const signed = "sha256=" + createHmac("sha256", SECRET).update(push).digest("hex");
    const ok = api.evaluateDelivery(rule, { headers: { "X-Hub-Signature-256": signed }, body: push }, { actionConfiguration: { Branch: "main" } });
    assert.equal(ok.outcome, "accepted", ok.reason);
    assert.equal(ok.revision, "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
    const forged = api.evaluateDelivery(rule, { headers: { "X-Hub-Signature-256": SIGNATURE }, body: push });
    assert.equal(forged.outcome, "unauthorized");
    assert.ok(!JSON.stringify(forged).includes(SECRET));
  });
  await check(`${label}: GitHub's test vector verifies`, () => {
    // The body is no JSON, so the delivery is malformed: but only once the signature has passed.
    const d = api.evaluateDelivery(definition, { headers: { "X-Hub-Signature-256": SIGNATURE }, body: BODY });
    assert.equal(d.outcome, "malformed", d.reason);
  });
}

await suite("pipehook", main);
await check("pipehook/web: refuses to work before init()", () => assert.throws(() => web.validateWebhook({}), /init/));
await init();
await suite("pipehook/web", web);

console.log(`${passed} passed, ${failed} failed`);
if (failed > 0) process.exitCode = 1;
