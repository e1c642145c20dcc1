// Secret rotation through the installed package: `evaluateDelivery(…, { previousSecretToken })`
// honours the SecretToken a rotation replaced, says which secret matched, and never shows either.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, test } from "node:test";

import {
  INSTALL_DIR,
  SECRET,
  assertDecision,
  assertNoSecret,
  evaluateDelivery,
  githubDelivery,
  githubPayloads,
  hmac1,
  hmac256,
  hmacDefinition,
  ipDefinition,
  loadWeb,
  openDefinition,
  pipehook,
} from "./helpers.mjs";

const OLD = "pk9-old-secret-Rt2w";
const push = githubPayloads(["push"]).find((p) => p.json.ref.startsWith("refs/heads/")).raw.toString("utf8");
const rules = [{ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }];
const branch = JSON.parse(push).ref.replace("refs/heads/", "");
const options = (extra) => ({ actionConfiguration: { Branch: branch }, ...extra });

describe("previousSecretToken", () => {
  const def = hmacDefinition(rules);

  test("a_delivery_signed_with_the_previous_secret_is_accepted_and_says_so", () => {
    const d = evaluateDelivery(def, githubDelivery(push, { secret: OLD }), options({ previousSecretToken: OLD }));
    assertDecision(d, "accepted");
    assert.equal(d.matchedSecret, "previous");
    assert.match(d.reason, /previous SecretToken/);
    assert.equal(d.revision, JSON.parse(push).after);
    assertNoSecret(d, OLD);
    assertNoSecret(d, SECRET);
  });

  test("the_current_secret_still_matches_as_current", () => {
    const d = evaluateDelivery(def, githubDelivery(push), options({ previousSecretToken: OLD }));
    assertDecision(d, "accepted");
    assert.equal(d.matchedSecret, "current");
    assert.doesNotMatch(d.reason, /previous/);
    // And without the option, the same.
    assert.equal(evaluateDelivery(def, githubDelivery(push), options()).matchedSecret, "current");
  });

  test("without_the_option_the_previous_secret_is_refused", () => {
    const d = evaluateDelivery(def, githubDelivery(push, { secret: OLD }), options());
    assertDecision(d, "unauthorized");
    assert.equal(d.matchedSecret, undefined);
  });

  test("a_third_secret_is_refused_and_the_refusal_says_nothing_of_a_rotation", () => {
    const third = evaluateDelivery(def, githubDelivery(push, { secret: "a-third-one" }), options({ previousSecretToken: OLD }));
    const plain = evaluateDelivery(def, githubDelivery(push, { secret: "a-third-one" }), options());
    assertDecision(third, "unauthorized");
    assert.deepEqual(third, plain);
    assert.doesNotMatch(third.reason, /previous/);
  });

  test("the_legacy_sha1_header_alone_works_with_the_previous_secret_but_never_downgrades", () => {
    const sha1Only = { headers: { "X-Hub-Signature": hmac1(OLD, push) }, body: push };
    assert.equal(evaluateDelivery(def, sha1Only, options({ previousSecretToken: OLD })).matchedSecret, "previous");
    const wrong256 = { headers: { "X-Hub-Signature-256": hmac256("nope", push), "X-Hub-Signature": hmac1(OLD, push) }, body: push };
    assertDecision(evaluateDelivery(def, wrong256, options({ previousSecretToken: OLD })), "unauthorized");
  });

  test("a_filtered_delivery_signed_with_the_previous_secret_keeps_its_trace", () => {
    const d = evaluateDelivery(def, githubDelivery(push, { secret: OLD }), { actionConfiguration: { Branch: "other" }, previousSecretToken: OLD });
    assertDecision(d, "filtered");
    assert.equal(d.matchedSecret, "previous");
    assert.equal(d.filters.length, 1);
    assert.match(d.reason, /^filtered: filter rule 1 .*previous SecretToken/);
  });

  test("a_compiled_webhook_takes_it_too", () => {
    const compiled = pipehook.compileWebhook(def);
    try {
      assert.equal(compiled.evaluateDelivery(githubDelivery(push, { secret: OLD }), options({ previousSecretToken: OLD })).matchedSecret, "previous");
      assertDecision(compiled.evaluateDelivery(githubDelivery(push, { secret: OLD }), options()), "unauthorized");
    } finally {
      compiled.free();
    }
  });

  test("ip_and_unauthenticated_webhooks_ignore_it", () => {
    const open = evaluateDelivery(openDefinition(rules), githubDelivery(push, { secret: OLD }), options({ previousSecretToken: OLD }));
    assertDecision(open, "accepted");
    assert.equal(open.matchedSecret, undefined);
    const ip = evaluateDelivery(ipDefinition("10.0.0.0/8", rules), { ...githubDelivery(push), sourceIp: "10.1.2.3" }, options({ previousSecretToken: OLD }));
    assertDecision(ip, "accepted");
    assert.equal(ip.matchedSecret, undefined);
  });

  test("anything_but_a_non_empty_string_is_a_type_error", () => {
    for (const bad of ["", 42, {}, ["x"], true]) {
      assert.throws(() => evaluateDelivery(def, githubDelivery(push), { previousSecretToken: bad }), TypeError, JSON.stringify(bad));
    }
    // null and undefined mean "none".
    for (const none of [null, undefined]) {
      assert.equal(evaluateDelivery(def, githubDelivery(push, { secret: OLD }), options({ previousSecretToken: none })).outcome, "unauthorized");
    }
  });

  test("the_web_entry_decides_alike", async () => {
    const web = await loadWeb();
    const require = createRequire(join(INSTALL_DIR, "index.js"));
    await web.default(readFileSync(require.resolve("pipehook/pipehook_bg.wasm")));
    const d = web.evaluateDelivery(def, githubDelivery(push, { secret: OLD }), options({ previousSecretToken: OLD }));
    assert.deepEqual(d, evaluateDelivery(def, githubDelivery(push, { secret: OLD }), options({ previousSecretToken: OLD })));
    assert.equal(d.matchedSecret, "previous");
  });
});
