// compileWebhook: a definition compiled once decides deliveries exactly as evaluateDelivery does
// with the plain definition, over GitHub's real payloads; invalid definitions throw with every
// problem; a freed handle refuses to decide.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  PipehookError,
  SECRET,
  assertDecision,
  assertNoSecret,
  evaluateDelivery,
  githubDelivery,
  githubPayloads,
  hmacDefinition,
  ipDefinition,
  openDefinition,
  pipehook,
  validInput,
} from "./helpers.mjs";

const { compileWebhook } = pipehook;

describe("compileWebhook", () => {
  test("compiled_decides_every_payload_like_the_plain_definition", () => {
    const payloads = githubPayloads();
    assert.ok(payloads.length >= 4);
    const rules = [
      [{ jsonPath: "$.repository.full_name", matchEquals: "{Repo}" }],
      [{ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }, { jsonPath: "$.sender.login" }],
      [{ jsonPath: "$.action", matchEquals: "opened" }],
    ];
    let accepted = 0, filtered = 0;
    for (const filters of rules) {
      const def = hmacDefinition(filters);
      const compiled = compileWebhook(def);
      for (const p of payloads) {
        const options = { actionConfiguration: { Branch: "master", Repo: p.json.repository?.full_name ?? "x" } };
        const delivery = githubDelivery(p.raw, { event: p.event });
        const expected = evaluateDelivery(def, delivery, options);
        assert.deepEqual(compiled.evaluateDelivery(delivery, options), expected, p.file);
        assert.deepEqual(evaluateDelivery(compiled, delivery, options), expected, p.file);
        if (expected.outcome === "accepted") accepted++;
        if (expected.outcome === "filtered") filtered++;
      }
    }
    assert.ok(accepted > 0 && filtered > 0, "both outcomes are exercised");
  });

  test("compiled_checks_signatures_and_ip_ranges", () => {
    const body = '{"ref":"refs/heads/main"}';
    const hmac = compileWebhook(hmacDefinition());
    assert.equal(hmac.authentication, "GITHUB_HMAC");
    assertDecision(hmac.evaluateDelivery(githubDelivery(body)), "accepted");
    assertDecision(hmac.evaluateDelivery(githubDelivery(body, { secret: "another-secret" })), "unauthorized");
    assertDecision(hmac.evaluateDelivery({ headers: {}, body }), "unauthorized");
    const ip = compileWebhook(ipDefinition("10.0.0.0/8"));
    assert.equal(ip.authentication, "IP");
    assertDecision(ip.evaluateDelivery({ headers: {}, body, sourceIp: "10.1.2.3" }), "accepted");
    assertDecision(ip.evaluateDelivery({ headers: {}, body, sourceIp: "11.1.2.3" }), "forbidden");
  });

  test("compiled_accepts_put_webhook_input_and_list_item", () => {
    const body = '{"ref":"refs/heads/main","after":"abc"}';
    const input = validInput();
    const fromInput = compileWebhook(input);
    const fromItem = compileWebhook({ definition: input.webhook, url: "https://example.test/x", arn: "arn:aws:codepipeline:us-east-1:1:webhook:my-hook" });
    const delivery = githubDelivery(body, { secret: input.webhook.authenticationConfiguration.SecretToken });
    const options = { actionConfiguration: { Branch: "main" } };
    assert.deepEqual(fromInput.evaluateDelivery(delivery, options), evaluateDelivery(input, delivery, options));
    assert.deepEqual(fromItem.evaluateDelivery(delivery, options), evaluateDelivery(input, delivery, options));
  });

  test("compiled_reads_each_deliverys_action_configuration", () => {
    // The handle keeps the last configuration it read; a different one must be read afresh.
    const compiled = compileWebhook(openDefinition([{ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }]));
    const delivery = { headers: {}, body: '{"ref":"refs/heads/main"}' };
    for (const [branch, outcome] of [["main", "accepted"], ["main", "accepted"], ["dev", "filtered"], ["main", "accepted"]]) {
      assertDecision(compiled.evaluateDelivery(delivery, { actionConfiguration: { Branch: branch } }), outcome);
    }
    assertDecision(compiled.evaluateDelivery(delivery), "filtered");
    assertDecision(compiled.evaluateDelivery(delivery, { actionConfiguration: { Branch: "main" } }), "accepted");
  });

  test("compiled_is_a_snapshot_so_later_edits_to_the_definition_do_not_reach_it", () => {
    const def = openDefinition([{ jsonPath: "$.ref", matchEquals: "refs/heads/main" }]);
    const compiled = compileWebhook(def);
    def.filters[0].matchEquals = "refs/heads/other";
    const delivery = { headers: {}, body: '{"ref":"refs/heads/main"}' };
    assertDecision(compiled.evaluateDelivery(delivery), "accepted");
    // evaluateDelivery with the plain (edited) definition sees the edit.
    assertDecision(evaluateDelivery(def, delivery), "filtered");
  });

  test("compile_invalid_definition_throws_every_problem", () => {
    const bad = { ...hmacDefinition([{ jsonPath: "$[", matchEquals: "x" }]), name: "bad name!", authenticationConfiguration: {} };
    assert.throws(
      () => compileWebhook(bad),
      (e) => {
        assert.ok(e instanceof PipehookError);
        assert.ok(e.problems.length >= 3, JSON.stringify(e.problems));
        assert.ok(e.problems.some((p) => p.path === "webhook.filters[0].jsonPath"));
        assert.ok(e.problems.some((p) => p.path === "webhook.name"));
        return true;
      },
    );
  });

  test("compile_errors_and_decisions_never_contain_the_secret", () => {
    const compiled = compileWebhook(hmacDefinition());
    assertNoSecret(compiled.evaluateDelivery(githubDelivery('{"a":1}')), SECRET);
    assertNoSecret(compiled.evaluateDelivery({ headers: { "X-Hub-Signature-256": "sha256=zz" }, body: "{" }), SECRET);
    assert.ok(!JSON.stringify(compiled).includes(SECRET), "the compiled handle does not expose the secret");
    assert.throws(() => compileWebhook({ ...hmacDefinition(), name: "" }), (e) => !JSON.stringify(e.problems).includes(SECRET) && !e.message.includes(SECRET));
  });

  test("freed_compiled_webhook_refuses_to_decide", () => {
    const compiled = compileWebhook(openDefinition());
    assertDecision(compiled.evaluateDelivery({ headers: {}, body: "{}" }), "accepted");
    compiled.free();
    compiled.free(); // twice is harmless
    assert.throws(() => compiled.evaluateDelivery({ headers: {}, body: "{}" }), /freed/);
  });

  test("headers_with_odd_characters_cross_intact", () => {
    // Headers cross into wasm as one JSON array: quotes, backslashes, newlines and non-ASCII in
    // names or values must neither break that nor smuggle in a header.
    const body = '{"a":1}';
    const compiled = compileWebhook(hmacDefinition());
    const good = githubDelivery(body).headers["X-Hub-Signature-256"];
    const odd = { 'X-Odd"\\\n': 'v"\\\n\u2028é', "X-Hub-Signature-256": good };
    assertDecision(compiled.evaluateDelivery({ headers: odd, body }), "accepted");
    const smuggle = { "X-Note": `x", "X-Hub-Signature-256", "${good}` };
    assertDecision(compiled.evaluateDelivery({ headers: smuggle, body }), "unauthorized");
  });
});
