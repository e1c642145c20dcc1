// SPEC §4: any input, however large or deeply nested, gets a decision or a clear error:
// never a crash, a hang, or a poisoned module. Kept in its own file (its own process) so a
// trapped wasm instance cannot disturb the other tests.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  SECRET,
  assertDecision,
  evaluateDelivery,
  hmac256,
  hmacDefinition,
  openDefinition,
  validInput,
  validateWebhook,
} from "./helpers.mjs";

const MB = 1024 * 1024;

/** A JSON body of exactly `size` bytes: {"ref":"refs/heads/main","pad":"xxxx…"}. */
function bodyOfSize(size) {
  const head = '{"ref":"refs/heads/main","pad":"';
  const tail = '"}';
  return Buffer.from(head + "x".repeat(size - head.length - tail.length) + tail);
}

/** The module still answers normally after whatever came before. */
function assertStillWorks() {
  assert.deepEqual(validateWebhook(validInput()), { valid: true, problems: [] });
  const d = evaluateDelivery(openDefinition([{ jsonPath: "$.a", matchEquals: "1" }]), { headers: {}, body: '{"a":1}' });
  assertDecision(d, "accepted");
}

/** Calls fn; a thrown Error is acceptable ("a clear error") if it has a message. Returns the value or the error. */
function decisionOrClearError(fn) {
  try {
    return fn();
  } catch (e) {
    assert.ok(e instanceof Error, `threw a non-Error: ${e}`);
    assert.ok(e.message.length > 0, "the error says something");
    assert.ok(!(e instanceof WebAssembly.RuntimeError), `a wasm trap is a crash: ${e.message}`);
    return e;
  }
}

describe("large bodies", { timeout: 120_000 }, () => {
  const def = hmacDefinition([{ jsonPath: "$.ref", matchEquals: "refs/heads/main" }]);

  test("limits_25_mb_signed_body_is_accepted", () => {
    const body = bodyOfSize(25 * MB);
    const d = evaluateDelivery(def, { headers: { "X-Hub-Signature-256": hmac256(SECRET, body) }, body: new Uint8Array(body) });
    assertDecision(d, "accepted");
    assertStillWorks();
  });

  test("limits_25_mb_body_as_string_is_accepted", () => {
    const body = bodyOfSize(25 * MB).toString("utf8");
    const d = evaluateDelivery(def, { headers: { "X-Hub-Signature-256": hmac256(SECRET, body) }, body });
    assertDecision(d, "accepted");
  });

  test("limits_25_mb_body_selected_whole_by_root_path", () => {
    const body = bodyOfSize(25 * MB);
    const d = evaluateDelivery(openDefinition([{ jsonPath: "$" }, { jsonPath: "$..pad" }]), { headers: {}, body });
    assertDecision(d, "accepted");
    assertStillWorks();
  });

  // Beyond GitHub's 25 MB maximum. The contract lists malformed as 400; the shipped index.d.ts
  // documents 413 for an oversized body (SPEC §2 "Limits"): either is a clear decision.
  test("limits_body_over_25_mb_is_refused_as_malformed", () => {
    const body = bodyOfSize(25 * MB + 1);
    const d = evaluateDelivery(def, { headers: { "X-Hub-Signature-256": hmac256(SECRET, body) }, body });
    assert.equal(d.outcome, "malformed", d.reason);
    assert.ok([400, 413].includes(d.status), `status ${d.status}`);
    assertStillWorks();
  });

  test("limits_many_small_values_body_is_decided", () => {
    // ~24 MB of a 3-million-element array: many nodes, not just many bytes.
    const body = "[" + Array.from({ length: 3_000_000 }, (_, i) => i % 10).join(",") + "]";
    const d = decisionOrClearError(() =>
      evaluateDelivery(openDefinition([{ jsonPath: "$[*]", matchEquals: "7" }]), { headers: {}, body }),
    );
    if (!(d instanceof Error)) assertDecision(d);
    assertStillWorks();
  });
});

describe("trace size", { timeout: 120_000 }, () => {
  // The probe: 100 objects nested around one long string, under `$..*`, selects the
  // string again at every level. The decision is bounded in bytes however large the body.
  const nested = (size) => {
    const head = '{"a":'.repeat(100) + '"';
    const tail = '"' + "}".repeat(100);
    return head + "x".repeat(size - head.length - tail.length) + tail;
  };
  for (const size of [1 * MB, 6 * MB]) {
    test(`limits_descendants_of_a_${size / MB}_mb_nested_body_give_a_bounded_decision`, () => {
      const d = evaluateDelivery(openDefinition([{ jsonPath: "$..*", matchEquals: "nope" }]), { headers: {}, body: nested(size) });
      assertDecision(d, "filtered");
      const bytes = JSON.stringify(d).length;
      assert.ok(bytes <= 100 * 1024, `a ${bytes} byte decision for a ${size} byte body`);
      assert.equal(d.filters[0].selectedCount, 100, "the count stays exact");
      assert.ok(d.filters[0].selected.some((v) => typeof v === "string" && v.includes("…[cut: ")), "a cut value says so");
      const passing = evaluateDelivery(openDefinition([{ jsonPath: "$..*" }]), { headers: {}, body: nested(size) });
      assertDecision(passing, "accepted");
      assert.ok(JSON.stringify(passing).length <= 100 * 1024);
      assertStillWorks();
    });
  }

  test("limits_a_huge_revision_is_cut_with_its_length", () => {
    const ref = "r".repeat(3 * MB);
    const d = evaluateDelivery(openDefinition([]), { headers: {}, body: JSON.stringify({ ref }) });
    assertDecision(d, "accepted");
    assert.ok(d.revision.length < 4096 && d.revision.endsWith(`…[cut: ${ref.length} bytes]`), d.revision.slice(-40));
  });
});

describe("deep nesting", { timeout: 120_000 }, () => {
  for (const [label, body] of [
    ["100k_unclosed_brackets", "[".repeat(100_000)],
    ["100k_balanced_brackets", "[".repeat(100_000) + "]".repeat(100_000)],
    ["100k_nested_objects", '{"a":'.repeat(100_000) + "1" + "}".repeat(100_000)],
  ]) {
    test(`limits_${label}_body_is_a_decision`, () => {
      const def = openDefinition([{ jsonPath: "$..a" }]);
      const d = decisionOrClearError(() => evaluateDelivery(def, { headers: {}, body }));
      if (!(d instanceof Error)) {
        assertDecision(d);
        assert.notEqual(d.outcome, "accepted");
      }
      assertStillWorks();
    });
    test(`limits_${label}_signed_body_is_a_decision`, () => {
      const d = decisionOrClearError(() =>
        evaluateDelivery(hmacDefinition([]), { headers: { "X-Hub-Signature-256": hmac256(SECRET, body) }, body }),
      );
      if (!(d instanceof Error)) assertDecision(d);
      assertStillWorks();
    });
    test(`limits_${label}_as_validate_text_is_a_problem`, () => {
      const r = decisionOrClearError(() => validateWebhook(body));
      if (!(r instanceof Error)) {
        assert.equal(r.valid, false);
        assert.ok(r.problems.length >= 1);
      }
      assertStillWorks();
    });
  }

  test("limits_moderately_deep_body_under_rule_is_decided", () => {
    // 120 levels: deep, but a real payload could be; it must be parsed and filtered.
    const body = '{"a":'.repeat(120) + '"leaf"' + "}".repeat(120);
    const d = decisionOrClearError(() =>
      evaluateDelivery(openDefinition([{ jsonPath: "$..a", matchEquals: "leaf" }]), { headers: {}, body }),
    );
    if (!(d instanceof Error)) assertDecision(d);
    assertStillWorks();
  });

  test("limits_deep_object_definition_is_a_problem_or_clear_error", () => {
    let deep = {};
    let cur = deep;
    for (let i = 0; i < 5_000; i++) cur = cur.a = {};
    const input = validInput();
    input.webhook.filters[0].extra = deep;
    decisionOrClearError(() => validateWebhook(input));
    const r = decisionOrClearError(() => validateWebhook({ webhook: deep }));
    if (!(r instanceof Error)) assert.equal(r.valid, false);
    assertStillWorks();
  });
});

describe("odd inputs", () => {
  test("limits_long_json_path_and_match_equals_on_big_values", () => {
    const body = JSON.stringify({ s: "y".repeat(5 * MB) });
    const d = evaluateDelivery(openDefinition([{ jsonPath: "$.s", matchEquals: "y".repeat(150) }]), { headers: {}, body });
    assertDecision(d, "filtered");
  });
  test("limits_huge_headers_are_decided", () => {
    const d = evaluateDelivery(hmacDefinition(), {
      headers: { "X-Hub-Signature-256": "sha256=" + "a".repeat(1 * MB), "X-Other": "b".repeat(MB) },
      body: "{}",
    });
    assertDecision(d, "unauthorized");
  });
  test("limits_lone_surrogates_in_definition_do_not_crash", () => {
    const input = validInput();
    input.webhook.name = "bad\ud800name";
    const r = decisionOrClearError(() => validateWebhook(input));
    if (!(r instanceof Error)) assert.equal(r.valid, false);
    assertStillWorks();
  });
  test("limits_non_object_inputs_do_not_crash", () => {
    for (const input of [null, undefined, 0, true, [], "null", "[]", "42", '"x"']) {
      const r = decisionOrClearError(() => validateWebhook(input));
      if (!(r instanceof Error)) assert.equal(r.valid, false, JSON.stringify(input));
    }
    for (const def of [null, undefined, 0, "x", [], {}]) {
      decisionOrClearError(() => evaluateDelivery(def, { headers: {}, body: "{}" }));
    }
    assertStillWorks();
  });
});
