// evaluateDelivery(definition, …) compiles each definition once and recognises it again on later
// calls: by its JSON text, and for the same object by comparing it with the data it had. These
// tests edit definitions in place, evict them, and vary the headers the core reads, and check the
// decisions stay those of a fresh compilation.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  SECRET,
  assertDecision,
  evaluateDelivery,
  githubDelivery,
  githubPayloads,
  hmac256,
  hmacDefinition,
  openDefinition,
  pipehook,
} from "./helpers.mjs";

const { compileWebhook } = pipehook;
const PUSH = '{"ref":"refs/heads/main","repository":{"full_name":"o/r"},"after":"abc"}';

describe("evaluateDelivery's definition cache", () => {
  test("a_definition_edited_in_place_is_decided_by_its_new_rules", () => {
    const def = openDefinition([{ jsonPath: "$.ref", matchEquals: "refs/heads/main" }]);
    const delivery = { headers: { "content-type": "application/json" }, body: PUSH };
    // Unchanged, call after call (from the third call on, recognised by its snapshot) …
    for (let i = 0; i < 4; i++) assertDecision(evaluateDelivery(def, delivery), "accepted");
    // … and every kind of edit is seen at once.
    def.filters[0].matchEquals = "refs/heads/other";
    assertDecision(evaluateDelivery(def, delivery), "filtered");
    assertDecision(evaluateDelivery(def, delivery), "filtered");
    assertDecision(evaluateDelivery(def, delivery), "filtered");
    def.filters[0].matchEquals = "refs/heads/main";
    assertDecision(evaluateDelivery(def, delivery), "accepted");
    def.filters[0].matchEquals = "refs/heads/other";
    assertDecision(evaluateDelivery(def, delivery), "filtered");
    def.filters.push({ jsonPath: "$.nope" });
    def.filters[0].matchEquals = "refs/heads/main";
    const twoRules = evaluateDelivery(def, delivery);
    assertDecision(twoRules, "filtered");
    assert.equal(twoRules.filters.length, 2);
    def.filters.pop();
    assertDecision(evaluateDelivery(def, delivery), "accepted");
    // A key added, removed or reordered is a different definition too.
    def.filters[0] = { matchEquals: "refs/heads/x", jsonPath: "$.ref" };
    assertDecision(evaluateDelivery(def, delivery), "filtered");
  });

  test("a_secret_changed_in_place_takes_effect_at_once", () => {
    const def = hmacDefinition();
    const signedWithOld = githubDelivery(PUSH);
    for (let i = 0; i < 3; i++) assertDecision(evaluateDelivery(def, signedWithOld), "accepted");
    def.authenticationConfiguration.SecretToken = "a-new-secret-1234";
    assertDecision(evaluateDelivery(def, signedWithOld), "unauthorized");
    assertDecision(evaluateDelivery(def, githubDelivery(PUSH, { secret: "a-new-secret-1234" })), "accepted");
    def.authenticationConfiguration.SecretToken = SECRET;
    assertDecision(evaluateDelivery(def, signedWithOld), "accepted");
  });

  test("definitions_that_are_not_plain_data_are_still_read_as_json_stringify_reads_them", () => {
    class Rule {
      constructor(path, value) {
        this.jsonPath = path;
        this.matchEquals = value;
      }
    }
    const rule = new Rule("$.ref", "refs/heads/main");
    const def = openDefinition([rule]);
    const delivery = { headers: {}, body: PUSH };
    assertDecision(evaluateDelivery(def, delivery), "accepted");
    rule.matchEquals = "refs/heads/other";
    assertDecision(evaluateDelivery(def, delivery), "filtered");
    // toJSON decides what the definition says, call after call.
    let branch = "main";
    const viaToJson = openDefinition([{ toJSON: () => ({ jsonPath: "$.ref", matchEquals: `refs/heads/${branch}` }) }]);
    assertDecision(evaluateDelivery(viaToJson, delivery), "accepted");
    branch = "other";
    assertDecision(evaluateDelivery(viaToJson, delivery), "filtered");
    // A getter is read on every call.
    const withGetter = openDefinition([]);
    Object.defineProperty(withGetter, "filters", { enumerable: true, get: () => [{ jsonPath: "$.ref", matchEquals: `refs/heads/${branch}` }] });
    assertDecision(evaluateDelivery(withGetter, delivery), "filtered");
    branch = "main";
    assertDecision(evaluateDelivery(withGetter, delivery), "accepted");
  });

  test("members_an_altered_object_prototype_lends_are_not_the_definitions_nor_the_headers", () => {
    // JSON.stringify and Object.entries read own members only; an enumerable member of
    // Object.prototype (a polluted prototype) must not stand in for one a definition lost.
    // Only the rule inherits from Object.prototype here (the other objects have none), so the rule
    // is the one place a lent member could hide.
    const bare = (o) => Object.assign(Object.create(null), o);
    const def = bare({ ...openDefinition([{ jsonPath: "$.ref", matchEquals: "refs/heads/other" }]), authenticationConfiguration: bare({}) });
    const delivery = { headers: { "content-type": "application/json" }, body: PUSH };
    for (let i = 0; i < 3; i++) assertDecision(evaluateDelivery(def, delivery), "filtered");
    try {
      Object.prototype.matchEquals = "refs/heads/other";
      delete def.filters[0].matchEquals;
      // Without matchEquals the rule passes on any value: the definition's own data decides.
      assertDecision(evaluateDelivery(def, delivery), "accepted");
      assertDecision(evaluateDelivery(def, delivery), "accepted");
    } finally {
      delete Object.prototype.matchEquals;
    }
    // Nor does a signature header lent by the prototype sign a delivery.
    const signed = hmacDefinition();
    try {
      Object.prototype["x-hub-signature-256"] = hmac256(SECRET, PUSH);
      assertDecision(evaluateDelivery(signed, { headers: {}, body: PUSH }), "unauthorized");
      assertDecision(compileWebhook(signed).evaluateDelivery({ headers: { "x-github-event": "push" }, body: PUSH }), "unauthorized");
    } finally {
      delete Object.prototype["x-hub-signature-256"];
    }
    assertDecision(evaluateDelivery(signed, { headers: { "x-hub-signature-256": hmac256(SECRET, PUSH) }, body: PUSH }), "accepted");
  });

  test("a_non_enumerable_toJSON_decides_what_the_definition_says", () => {
    const def = openDefinition([{ jsonPath: "$.ref", matchEquals: "refs/heads/main" }]);
    const delivery = { headers: {}, body: PUSH };
    for (let i = 0; i < 3; i++) assertDecision(evaluateDelivery(def, delivery), "accepted");
    Object.defineProperty(def.filters[0], "toJSON", { enumerable: false, value: () => ({ jsonPath: "$.ref", matchEquals: "refs/heads/x" }) });
    assertDecision(evaluateDelivery(def, delivery), "filtered");
  });

  test("a_definition_evicted_by_many_others_is_compiled_again", () => {
    const first = openDefinition([{ jsonPath: "$.ref", matchEquals: "refs/heads/main" }]);
    const delivery = { headers: {}, body: PUSH };
    assertDecision(evaluateDelivery(first, delivery), "accepted");
    for (let i = 0; i < 100; i++) {
      assertDecision(evaluateDelivery(openDefinition([{ jsonPath: "$.ref", matchEquals: `refs/heads/b${i}` }]), delivery), "filtered");
    }
    assertDecision(evaluateDelivery(first, delivery), "accepted");
    first.filters[0].matchEquals = "refs/heads/b1";
    assertDecision(evaluateDelivery(first, delivery), "filtered");
  });
});

describe("headers passed to the core", () => {
  // The package hands the core only the headers it reads (signature headers, content type); any
  // other header, in any form, must leave the decision as it was.
  test("every_header_form_and_extra_header_gives_the_same_decision", () => {
    const def = hmacDefinition([{ jsonPath: "$.repository.full_name" }]);
    const compiled = compileWebhook(def);
    for (const p of githubPayloads()) {
      const base = githubDelivery(p.raw, { event: p.event });
      const expected = evaluateDelivery(def, base);
      const pairs = Object.entries(base.headers);
      const noisy = { ...Object.fromEntries(pairs.map(([k, v]) => [k.toUpperCase(), v])), "X-Extra": "1", "content-length": "12", "X-Hub-Signature-2560": "sha256=00" };
      for (const headers of [base.headers, pairs, new Headers(base.headers), noisy]) {
        assert.deepEqual(evaluateDelivery(def, { headers, body: p.raw }), expected, p.file);
        assert.deepEqual(compiled.evaluateDelivery({ headers, body: p.raw }), expected, p.file);
      }
    }
  });

  test("the_sha256_header_decides_wherever_it_comes_and_sha1_only_without_it", () => {
    const def = hmacDefinition();
    const good256 = hmac256(SECRET, PUSH);
    const bad1 = "sha1=" + "0".repeat(40);
    // A wrong SHA-1 header before or after a right SHA-256 one: the SHA-256 one decides.
    assertDecision(evaluateDelivery(def, { headers: [["X-Hub-Signature", bad1], ["X-Hub-Signature-256", good256]], body: PUSH }), "accepted");
    assertDecision(evaluateDelivery(def, { headers: [["X-Hub-Signature-256", good256], ["x-hub-signature", bad1]], body: PUSH }), "accepted");
    // The same header twice (names differing in case): the first value counts, as in the core.
    assertDecision(evaluateDelivery(def, { headers: [["x-hub-signature-256", good256], ["X-Hub-Signature-256", bad1]], body: PUSH }), "accepted");
    assertDecision(evaluateDelivery(def, { headers: [["X-Hub-Signature-256", "sha256=" + "0".repeat(64)], ["x-hub-signature-256", good256]], body: PUSH }), "unauthorized");
    // Only a wrong SHA-1: refused.
    assertDecision(evaluateDelivery(def, { headers: { "X-HUB-SIGNATURE": bad1 }, body: PUSH }), "unauthorized");
  });

  test("a_form_encoded_delivery_is_recognised_by_its_content_type_in_any_case", () => {
    const def = openDefinition([{ jsonPath: "$.ref", matchEquals: "refs/heads/main" }]);
    const body = "payload=" + encodeURIComponent(PUSH);
    for (const name of ["content-type", "Content-Type", "CONTENT-TYPE"]) {
      assertDecision(evaluateDelivery(def, { headers: { [name]: "application/x-www-form-urlencoded" }, body }), "accepted", name);
    }
    assertDecision(evaluateDelivery(def, { headers: {}, body }), "malformed");
  });
});
