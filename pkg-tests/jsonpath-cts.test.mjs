// The JSONPath Compliance Test Suite (RFC 9535) through the installed package, one test per case.
//
// - invalid_selector: validateWebhook must give valid:false with an
//   InvalidWebhookFilterPatternException at webhook.filters[0].jsonPath.
// - otherwise: the selector as a rule without matchEquals in an UNAUTHENTICATED webhook, with the
//   CTS document as the body, must select the CTS `result` (or one of `results`). The trace's
//   `selected` is always an array, like the CTS node list.
//
// AWS evaluates filters with Jayway JsonPath, not RFC 9535; where the two disagree, the case is in
// EXPECTED_FAILURES with the reason, and runs as a `todo` (reported, not failing the suite).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { cts, evaluateDelivery, openDefinition, validateWebhook } from "./helpers.mjs";

/** CTS case name -> why pipehook (Jayway conventions) differs from RFC 9535. Keep short. */
export const EXPECTED_FAILURES = {};

const cases = cts();

describe("JSONPath CTS", () => {
  cases.forEach((c, i) => {
    const reason = EXPECTED_FAILURES[c.name];
    const options = reason ? { todo: reason } : {};
    if (c.invalid_selector) {
      test(`cts ${i}: ${c.name} (invalid selector)`, options, () => {
        const result = validateWebhook(openDefinition([{ jsonPath: c.selector }]));
        assert.equal(result.valid, false, `selector ${JSON.stringify(c.selector)} must be rejected`);
        const p = result.problems.find(
          (p) => p.type === "InvalidWebhookFilterPatternException" && p.path === "webhook.filters[0].jsonPath",
        );
        assert.ok(p, `an InvalidWebhookFilterPatternException at webhook.filters[0].jsonPath; got ${JSON.stringify(result.problems)}`);
      });
    } else {
      test(`cts ${i}: ${c.name}`, options, () => {
        const decision = evaluateDelivery(openDefinition([{ jsonPath: c.selector }]), {
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(c.document),
        });
        assert.equal(decision.filters.length, 1, `a trace for the rule (${decision.outcome}: ${decision.reason})`);
        const { selected } = decision.filters[0];
        assert.ok(Array.isArray(selected));
        const accepted = c.results ?? [c.result];
        assert.ok(
          accepted.some((r) => {
            try {
              assert.deepStrictEqual(selected, r);
              return true;
            } catch {
              return false;
            }
          }),
          `selector ${JSON.stringify(c.selector)} selected ${JSON.stringify(selected)}; expected ${accepted
            .map((r) => JSON.stringify(r))
            .join(" or ")}`,
        );
        // A rule without matchEquals passes exactly when something other than null is selected.
        const passes = selected.some((v) => v !== null);
        assert.equal(decision.filters[0].passed, passes, "passed agrees with the selection");
        assert.equal(decision.outcome, passes ? "accepted" : "filtered");
      });
    }
  });
});
