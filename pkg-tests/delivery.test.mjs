// SPEC §2: deciding deliveries through the installed package: signatures, IP ranges, bodies,
// filters and placeholders, over GitHub's real payloads.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  GITHUB_VECTOR,
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
  openDefinition,
  sign,
} from "./helpers.mjs";

const enc = (s) => new TextEncoder().encode(s);

describe("GitHub's signature test vector", () => {
  const def = hmacDefinition([], GITHUB_VECTOR.secret);
  test("signature_vector_matches_github_docs", async () => {
    assert.equal(await sign(GITHUB_VECTOR.secret, GITHUB_VECTOR.body), GITHUB_VECTOR.signature);
    assert.equal(hmac256(GITHUB_VECTOR.secret, GITHUB_VECTOR.body), GITHUB_VECTOR.signature);
  });
  // "Hello, World!" is not JSON: a correct signature gets past authentication to the body check.
  test("signature_vector_correct_passes_authentication_then_body_is_malformed", () => {
    const d = evaluateDelivery(def, { headers: { "X-Hub-Signature-256": GITHUB_VECTOR.signature }, body: GITHUB_VECTOR.body });
    assertDecision(d, "malformed");
  });
  test("signature_vector_one_bit_off_is_unauthorized", () => {
    const wrong = GITHUB_VECTOR.signature.slice(0, -1) + "f";
    const d = evaluateDelivery(def, { headers: { "X-Hub-Signature-256": wrong }, body: GITHUB_VECTOR.body });
    assertDecision(d, "unauthorized");
  });
  test("signature_vector_as_bytes_and_lowercase_header", () => {
    const d = evaluateDelivery(def, {
      headers: { "x-hub-signature-256": GITHUB_VECTOR.signature },
      body: enc(GITHUB_VECTOR.body),
    });
    assertDecision(d, "malformed");
  });
});

describe("GitHub payloads", () => {
  const payloads = githubPayloads();
  test("fixtures_present", () => {
    for (const kind of ["push", "ping", "pull_request", "release"]) {
      assert.ok(payloads.some((p) => p.event === kind), `a ${kind} fixture`);
    }
  });

  /** Rules that a payload of this kind satisfies, built from the payload itself. */
  function acceptingRules(p) {
    const j = p.json;
    // Organisation-level pings carry no repository.
    const rules = j.repository
      ? [{ jsonPath: "$.repository.full_name", matchEquals: j.repository.full_name }]
      : [{ jsonPath: "$.organization.login", matchEquals: j.organization.login }];
    switch (p.event) {
      case "push":
        rules.push({ jsonPath: "$.ref", matchEquals: j.ref }, { jsonPath: "$.after" });
        break;
      case "ping":
        // hook_id is a number: compared by its JSON text.
        rules.push({ jsonPath: "$.hook_id", matchEquals: String(j.hook_id) }, { jsonPath: "$.zen" });
        break;
      case "pull_request":
        rules.push(
          { jsonPath: "$.action", matchEquals: j.action },
          { jsonPath: "$.pull_request.base.ref", matchEquals: j.pull_request.base.ref },
          { jsonPath: "$.pull_request.merged", matchEquals: String(j.pull_request.merged) },
        );
        break;
      case "release":
        rules.push(
          { jsonPath: "$.action", matchEquals: j.action },
          { jsonPath: "$.release.tag_name", matchEquals: j.release.tag_name },
          { jsonPath: "$.release.prerelease", matchEquals: String(j.release.prerelease) },
        );
        break;
    }
    return rules.slice(0, 5);
  }

  for (const p of payloads) {
    describe(p.file, () => {
      test("payload_signed_json_matching_rules_is_accepted", async () => {
        const rules = acceptingRules(p);
        const body = p.raw.toString("utf8");
        const signature = await sign(SECRET, body);
        const d = evaluateDelivery(hmacDefinition(rules), {
          headers: { "Content-Type": "application/json", "X-GitHub-Event": p.event, "X-Hub-Signature-256": signature },
          body: new Uint8Array(p.raw),
        });
        assertDecision(d, "accepted");
        assert.equal(d.filters.length, rules.length);
        rules.forEach((r, k) => {
          assert.equal(d.filters[k].jsonPath, r.jsonPath);
          assert.equal(d.filters[k].passed, true);
          assert.equal(d.filters[k].selected.length, 1, "a definite path selects one value");
          if (r.matchEquals !== undefined) assert.equal(d.filters[k].expected, r.matchEquals);
        });
        if (p.event === "push") assert.equal(d.revision, p.json.after);
        assertNoSecret(d, SECRET);
      });

      test("payload_signed_json_one_rule_not_matching_is_filtered", async () => {
        const rules = acceptingRules(p);
        rules[rules.length - 1] = { ...rules[rules.length - 1], jsonPath: rules[rules.length - 1].jsonPath, matchEquals: "no-such-value" };
        const body = p.raw.toString("utf8");
        const d = evaluateDelivery(
          hmacDefinition(rules),
          githubDelivery(body, { event: p.event, headers: { "X-Hub-Signature-256": await sign(SECRET, body) } }),
        );
        assertDecision(d, "filtered");
        const failed = d.filters.filter((f) => !f.passed);
        assert.ok(failed.length >= 1);
        assert.equal(failed[0].jsonPath, rules[rules.length - 1].jsonPath);
        assert.equal(failed[0].expected, "no-such-value");
        assertNoSecret(d, SECRET);
      });

      test("payload_form_encoded_signed_over_raw_body_is_accepted", async () => {
        const body = "payload=" + encodeURIComponent(p.raw.toString("utf8"));
        const d = evaluateDelivery(hmacDefinition(acceptingRules(p)), {
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            "X-GitHub-Event": p.event,
            "X-Hub-Signature-256": await sign(SECRET, body),
          },
          body,
        });
        assertDecision(d, "accepted");
      });

      test("payload_with_wrong_secret_is_unauthorized_and_unfiltered", () => {
        const d = evaluateDelivery(
          hmacDefinition(acceptingRules(p)),
          githubDelivery(p.raw.toString("utf8"), { secret: "not-the-secret", event: p.event }),
        );
        assertDecision(d, "unauthorized");
        assert.equal(d.filters.length, 0, "nothing is revealed about the filters");
        assertNoSecret(d, SECRET);
      });
    });
  }
});

describe("signatures", () => {
  const body = JSON.stringify({ ref: "refs/heads/main", after: "abc" });
  const def = hmacDefinition([{ jsonPath: "$.ref", matchEquals: "refs/heads/main" }]);
  const decide = (headers, b = body) => evaluateDelivery(def, { headers: { "Content-Type": "application/json", ...headers }, body: b });

  test("signature_sha256_correct_is_accepted", () =>
    assertDecision(decide({ "X-Hub-Signature-256": hmac256(SECRET, body) }), "accepted"));
  test("signature_header_names_are_case_insensitive", () => {
    assertDecision(decide({ "x-hub-signature-256": hmac256(SECRET, body) }), "accepted");
    assertDecision(decide({ "X-HUB-SIGNATURE-256": hmac256(SECRET, body) }), "accepted");
    assertDecision(decide({ "x-hub-signature": hmac1(SECRET, body) }), "accepted");
  });
  test("signature_missing_is_unauthorized", () => assertDecision(decide({}), "unauthorized"));
  test("signature_wrong_is_unauthorized", () =>
    assertDecision(decide({ "X-Hub-Signature-256": hmac256("other", body) }), "unauthorized"));
  test("signature_over_other_body_is_unauthorized", () =>
    assertDecision(decide({ "X-Hub-Signature-256": hmac256(SECRET, body + " ") }), "unauthorized"));
  for (const [label, value] of [
    ["empty", ""],
    ["prefix_only", "sha256="],
    ["no_prefix", hmac256(SECRET, body).slice(7)],
    ["wrong_algorithm_prefix", "sha1=" + hmac256(SECRET, body).slice(7)],
    ["non_hex", "sha256=" + "z".repeat(64)],
    ["truncated", hmac256(SECRET, body).slice(0, -2)],
    ["too_long", hmac256(SECRET, body) + "00"],
    ["odd_length", hmac256(SECRET, body).slice(0, -1)],
    ["two_values", `${hmac256(SECRET, body)}, ${hmac256(SECRET, body)}`],
  ]) {
    test(`signature_malformed_${label}_is_unauthorized`, () =>
      assertDecision(decide({ "X-Hub-Signature-256": value }), "unauthorized"));
  }
  test("signature_sha1_only_correct_is_accepted", () =>
    assertDecision(decide({ "X-Hub-Signature": hmac1(SECRET, body) }), "accepted"));
  test("signature_sha1_only_wrong_is_unauthorized", () =>
    assertDecision(decide({ "X-Hub-Signature": hmac1("other", body) }), "unauthorized"));
  test("signature_sha1_only_malformed_is_unauthorized", () =>
    assertDecision(decide({ "X-Hub-Signature": "sha1=xyz" }), "unauthorized"));
  test("signature_sha256_wrong_with_sha1_right_is_unauthorized_no_downgrade", () =>
    assertDecision(
      decide({ "X-Hub-Signature-256": hmac256("other", body), "X-Hub-Signature": hmac1(SECRET, body) }),
      "unauthorized",
    ));
  test("signature_sha256_malformed_with_sha1_right_is_unauthorized_no_downgrade", () =>
    assertDecision(decide({ "X-Hub-Signature-256": "garbage", "X-Hub-Signature": hmac1(SECRET, body) }), "unauthorized"));
  test("signature_sha256_empty_with_sha1_right_is_unauthorized_no_downgrade", () =>
    assertDecision(decide({ "X-Hub-Signature-256": "", "X-Hub-Signature": hmac1(SECRET, body) }), "unauthorized"));
  test("signature_sha256_right_with_sha1_wrong_is_accepted", () =>
    assertDecision(
      decide({ "X-Hub-Signature-256": hmac256(SECRET, body), "X-Hub-Signature": hmac1("other", body) }),
      "accepted",
    ));
  test("signature_checked_before_body_so_bad_json_with_bad_signature_is_unauthorized", () =>
    assertDecision(decide({ "X-Hub-Signature-256": hmac256("other", "{") }, "{"), "unauthorized"));
  test("signature_right_over_bad_json_is_malformed_400", () => {
    const d = assertDecision(decide({ "X-Hub-Signature-256": hmac256(SECRET, "{not json") }, "{not json"), "malformed");
    assert.equal(d.status, 400);
  });
  test("signature_decisions_never_contain_the_secret", () => {
    for (const headers of [{}, { "X-Hub-Signature-256": "sha256=00" }, { "X-Hub-Signature-256": hmac256(SECRET, body) }]) {
      assertNoSecret(decide(headers), SECRET);
    }
  });
  test("signature_over_non_utf8_bytes_is_verified_on_raw_bytes", () => {
    // Latin-1 é inside a JSON string: not UTF-8. The HMAC is over the bytes as sent.
    const bytes = Uint8Array.from([...enc('{"ref":"caf'), 0xe9, ...enc('"}')]);
    const d = evaluateDelivery(hmacDefinition(), {
      headers: { "X-Hub-Signature-256": hmac256(SECRET, bytes) },
      body: bytes,
    });
    assertDecision(d);
    assert.notEqual(d.outcome, "unauthorized", "authentication uses the raw bytes");
  });
});

describe("IP ranges", () => {
  const body = '{"ref":"refs/heads/main"}';
  const decide = (range, sourceIp) => {
    const delivery = { headers: { "Content-Type": "application/json" }, body };
    if (sourceIp !== undefined) delivery.sourceIp = sourceIp;
    return evaluateDelivery(ipDefinition(range), delivery);
  };
  for (const [range, ip, outcome] of [
    ["10.0.0.0/8", "10.1.2.3", "accepted"],
    ["10.0.0.0/8", "10.255.255.255", "accepted"],
    ["10.0.0.0/8", "11.0.0.0", "forbidden"],
    ["10.0.0.0/8", "9.255.255.255", "forbidden"],
    ["192.30.252.0/22", "192.30.255.254", "accepted"],
    ["192.30.252.0/22", "192.31.0.1", "forbidden"],
    ["203.0.113.7/32", "203.0.113.7", "accepted"],
    ["203.0.113.7/32", "203.0.113.8", "forbidden"],
    ["0.0.0.0/0", "198.51.100.1", "accepted"],
    ["2001:db8::/32", "2001:db8::1", "accepted"],
    ["2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "accepted"],
    ["2001:db8::/32", "2001:db9::1", "forbidden"],
    ["2606:50c0::/32", "2606:50c0:8000::154", "accepted"],
    ["::1/128", "::1", "accepted"],
    ["2001:db8::/32", "10.0.0.1", "forbidden"],
    ["10.0.0.0/8", "2001:db8::1", "forbidden"],
    ["10.0.0.0/8", "not-an-ip", "forbidden"],
    ["10.0.0.0/8", "", "forbidden"],
  ]) {
    test(`ip_${range}_from_${ip || "empty"}_is_${outcome}`, () => {
      const d = assertDecision(decide(range, ip), outcome);
      if (outcome === "forbidden") assert.equal(d.filters.length, 0);
    });
  }
  test("ip_missing_source_is_forbidden", () => assertDecision(decide("10.0.0.0/8"), "forbidden"));
  test("ip_forwarded_for_header_is_not_the_source", () => {
    const d = evaluateDelivery(ipDefinition("10.0.0.0/8"), {
      headers: { "X-Forwarded-For": "10.0.0.1", "CF-Connecting-IP": "10.0.0.1" },
      body,
      sourceIp: "192.0.2.1",
    });
    assertDecision(d, "forbidden");
  });
});

describe("bodies", () => {
  const open = (filters) => openDefinition(filters);
  test("body_malformed_json_is_malformed_400", () => {
    for (const body of ["{", "", "not json", '{"a":1}{"b":2}', "\u0000"]) {
      const d = evaluateDelivery(open([]), { headers: { "Content-Type": "application/json" }, body });
      assertDecision(d, "malformed", JSON.stringify(body));
      assert.equal(d.status, 400);
    }
  });
  test("body_form_encoded_payload_field_is_parsed", () => {
    const json = JSON.stringify({ ref: "refs/heads/main", note: "a+b & c=d" });
    const body = `payload=${encodeURIComponent(json)}`;
    const d = evaluateDelivery(open([{ jsonPath: "$.note", matchEquals: "a+b & c=d" }]), {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body,
    });
    assertDecision(d, "accepted");
  });
  test("body_form_encoded_with_plus_for_space_is_decoded", () => {
    const body = "payload=" + encodeURIComponent(JSON.stringify({ note: "a b" })).replaceAll("%20", "+");
    const d = evaluateDelivery(open([{ jsonPath: "$.note", matchEquals: "a b" }]), {
      headers: { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" },
      body,
    });
    assertDecision(d, "accepted");
  });
  test("body_form_encoded_without_payload_field_is_malformed", () => {
    const d = evaluateDelivery(open([]), {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "other=1",
    });
    assertDecision(d, "malformed");
  });
  test("body_form_encoded_payload_not_json_is_malformed", () => {
    const d = evaluateDelivery(open([]), {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "payload=%7Bnope",
    });
    assertDecision(d, "malformed");
  });
  test("body_string_and_bytes_give_the_same_decision", () => {
    const body = JSON.stringify({ a: "é ✓ 𝄞" });
    const def = open([{ jsonPath: "$.a", matchEquals: "é ✓ 𝄞" }]);
    const a = evaluateDelivery(def, { headers: {}, body });
    const b = evaluateDelivery(def, { headers: {}, body: enc(body) });
    assertDecision(a, "accepted");
    assert.deepEqual(a, b);
  });
});

describe("filters", () => {
  const doc = {
    ref: "refs/heads/main",
    n: 42,
    f: 1.5,
    t: true,
    fl: false,
    z: null,
    empty: "",
    o: { a: 1, b: [1, 2] },
    arr: ["x", "y"],
    commits: [
      { id: "c1", author: { name: "alice" }, added: ["a.txt"] },
      { id: "c2", author: { name: "bob" }, added: [] },
    ],
  };
  const body = JSON.stringify(doc);
  const decide = (filters, actionConfiguration) =>
    evaluateDelivery(openDefinition(filters), { headers: {}, body }, actionConfiguration ? { actionConfiguration } : undefined);
  const one = (rule, outcome, actionConfiguration) => {
    const d = assertDecision(decide([rule], actionConfiguration), outcome, JSON.stringify(rule));
    assert.equal(d.filters.length, 1);
    assert.equal(d.filters[0].passed, outcome === "accepted");
    return d.filters[0];
  };

  test("filter_empty_list_passes", () => assertDecision(decide([]), "accepted"));
  test("filter_string_equal_passes_and_traces_selection", () => {
    const t = one({ jsonPath: "$.ref", matchEquals: "refs/heads/main" }, "accepted");
    assert.deepEqual(t, { jsonPath: "$.ref", expected: "refs/heads/main", selected: ["refs/heads/main"], selectedCount: 1, passed: true });
  });
  test("filter_string_differs_is_filtered_with_trace", () => {
    const t = one({ jsonPath: "$.ref", matchEquals: "refs/heads/dev" }, "filtered");
    assert.deepEqual(t, { jsonPath: "$.ref", expected: "refs/heads/dev", selected: ["refs/heads/main"], selectedCount: 1, passed: false });
  });
  test("filter_compares_whole_string_not_prefix", () => one({ jsonPath: "$.ref", matchEquals: "refs/heads/mai" }, "filtered"));
  test("filter_compare_is_case_sensitive", () => one({ jsonPath: "$.ref", matchEquals: "refs/heads/MAIN" }, "filtered"));
  test("filter_number_compared_by_text", () => {
    one({ jsonPath: "$.n", matchEquals: "42" }, "accepted");
    one({ jsonPath: "$.f", matchEquals: "1.5" }, "accepted");
    one({ jsonPath: "$.n", matchEquals: "42.0" }, "filtered");
  });
  test("filter_boolean_compared_by_text", () => {
    one({ jsonPath: "$.t", matchEquals: "true" }, "accepted");
    one({ jsonPath: "$.fl", matchEquals: "false" }, "accepted");
    one({ jsonPath: "$.t", matchEquals: "True" }, "filtered");
  });
  test("filter_null_compared_by_text", () => one({ jsonPath: "$.z", matchEquals: "null" }, "accepted"));
  test("filter_object_compared_by_compact_json", () =>
    one({ jsonPath: "$.o", matchEquals: '{"a":1,"b":[1,2]}' }, "accepted"));
  test("filter_object_compared_in_document_key_order", () => {
    const d = evaluateDelivery(openDefinition([{ jsonPath: "$.o", matchEquals: '{"b":1,"a":2}' }]), {
      headers: {},
      body: '{"o": {"b": 1, "a": 2}}',
    });
    assertDecision(d, "accepted");
  });
  test("filter_array_compared_by_compact_json", () => one({ jsonPath: "$.arr", matchEquals: '["x","y"]' }, "accepted"));
  test("filter_missing_path_selects_nothing_and_fails", () => {
    const t = one({ jsonPath: "$.nope", matchEquals: "x" }, "filtered");
    assert.deepEqual(t.selected, []);
  });
  test("filter_without_match_equals_passes_on_present_value", () => {
    const t = one({ jsonPath: "$.ref" }, "accepted");
    assert.equal(t.expected, undefined);
    assert.deepEqual(t.selected, ["refs/heads/main"]);
  });
  test("filter_without_match_equals_passes_on_false_and_empty_string", () => {
    one({ jsonPath: "$.fl" }, "accepted");
    one({ jsonPath: "$.empty" }, "accepted");
  });
  test("filter_without_match_equals_fails_on_missing", () => one({ jsonPath: "$.nope" }, "filtered"));
  test("filter_without_match_equals_fails_on_null", () => one({ jsonPath: "$.z" }, "filtered"));
  test("filter_indefinite_path_over_commits_passes_if_any_matches", () => {
    const t = one({ jsonPath: "$.commits[*].author.name", matchEquals: "bob" }, "accepted");
    assert.deepEqual(t.selected, ["alice", "bob"]);
  });
  test("filter_indefinite_path_over_commits_fails_if_none_matches", () => {
    const t = one({ jsonPath: "$.commits[*].author.name", matchEquals: "carol" }, "filtered");
    assert.deepEqual(t.selected, ["alice", "bob"]);
  });
  test("filter_deep_scan_selects_a_list", () => {
    const t = one({ jsonPath: "$..id", matchEquals: "c2" }, "accepted");
    assert.deepEqual(t.selected, ["c1", "c2"]);
  });
  test("filter_filter_expression_over_commits", () => {
    const t = one({ jsonPath: "$.commits[?(@.author.name == 'alice')].id", matchEquals: "c1" }, "accepted");
    assert.deepEqual(t.selected, ["c1"]);
  });
  test("filter_indefinite_path_selecting_nothing_fails", () => {
    const t = one({ jsonPath: "$.commits[*].nope" }, "filtered");
    assert.deepEqual(t.selected, []);
  });
  test("filter_definite_index_selects_one", () => {
    const t = one({ jsonPath: "$.commits[1].id", matchEquals: "c2" }, "accepted");
    assert.deepEqual(t.selected, ["c2"]);
  });
  test("filter_bracket_notation_selects_one", () => one({ jsonPath: "$['ref']", matchEquals: "refs/heads/main" }, "accepted"));
  test("filter_all_rules_must_pass", () => {
    const d = assertDecision(
      decide([
        { jsonPath: "$.ref", matchEquals: "refs/heads/main" },
        { jsonPath: "$.n", matchEquals: "41" },
        { jsonPath: "$.t", matchEquals: "true" },
      ]),
      "filtered",
    );
    assert.equal(d.filters[0].passed, true);
    assert.equal(d.filters[1].passed, false);
    assert.ok(d.reason.length > 0);
  });
  test("filter_placeholder_is_replaced_from_action_configuration", () => {
    const t = one({ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }, "accepted", { Branch: "main" });
    assert.equal(t.expected, "refs/heads/main");
  });
  test("filter_placeholder_with_other_branch_is_filtered", () => {
    const t = one({ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }, "filtered", { Branch: "dev" });
    assert.equal(t.expected, "refs/heads/dev");
  });
  test("filter_several_placeholders_are_replaced", () => {
    const t = one({ jsonPath: "$.ref", matchEquals: "{Prefix}/{Branch}" }, "accepted", { Prefix: "refs/heads", Branch: "main" });
    assert.equal(t.expected, "refs/heads/main");
  });
  test("filter_placeholder_without_configuration_does_not_match_the_branch", () =>
    one({ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }, "filtered"));
  test("filter_placeholder_follows_a_configuration_object_changed_between_deliveries", () => {
    // The package keeps the text of the last configuration it saw: a change made in place to the
    // same object (a member changed, added or removed) must still be read.
    const config = { Branch: "main" };
    const rule = { jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" };
    assert.equal(one(rule, "accepted", config).expected, "refs/heads/main");
    config.Branch = "dev";
    assert.equal(one(rule, "filtered", config).expected, "refs/heads/dev");
    delete config.Branch;
    config.Other = "x";
    assert.equal(one(rule, "filtered", config).expected, "refs/heads/{Branch}");
    config.Branch = "main";
    assert.equal(one(rule, "accepted", config).expected, "refs/heads/main");
    const deep = { Branch: { toJSON: () => "main" } }; // converted as JSON.stringify converts it
    assert.equal(one(rule, "filtered", deep).expected, 'refs/heads/"main"');
  });
});

describe("the decision object", () => {
  // The core sends a decision to the package as a flat array, which the package rebuilds: the
  // object must come out with the members, their order and their absences of the Decision type.
  const body = '{"ref":"refs/heads/main","after":"abc123","n":1,"o":{"k":[true,null]}}';
  const rules = [
    { jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" },
    { jsonPath: "$.o" },
    { jsonPath: "$.missing" },
  ];
  test("an_accepted_decision_has_every_member_in_order_and_expected_only_where_a_rule_has_one", () => {
    const d = evaluateDelivery(openDefinition(rules.slice(0, 2)), { headers: {}, body }, { actionConfiguration: { Branch: "main" } });
    assert.equal(
      JSON.stringify(d),
      '{"outcome":"accepted","status":200,"reason":"accepted: all 2 filter rules passed","filters":[' +
        '{"jsonPath":"$.ref","expected":"refs/heads/main","selected":["refs/heads/main"],"selectedCount":1,"passed":true},' +
        '{"jsonPath":"$.o","selected":[{"k":[true,null]}],"selectedCount":1,"passed":true}],"revision":"abc123"}',
    );
  });
  test("a_filtered_decision_has_no_revision_and_traces_every_rule", () => {
    const d = evaluateDelivery(openDefinition(rules), { headers: {}, body });
    assert.deepEqual(Object.keys(d), ["outcome", "status", "reason", "filters"]);
    assert.equal(d.outcome, "filtered");
    assert.deepEqual(
      d.filters.map((t) => [Object.keys(t), t.passed]),
      [
        [["jsonPath", "expected", "selected", "selectedCount", "passed"], false],
        [["jsonPath", "selected", "selectedCount", "passed"], true],
        [["jsonPath", "selected", "selectedCount", "passed"], false],
      ],
    );
  });
  test("texts_of_any_characters_and_values_of_any_kind_come_through_whole", () => {
    // The core sends texts by their lengths in UTF-16 units: characters outside the BMP, NUL,
    // commas and digits (the numbers' own characters) must come through as they were.
    const texts = ["", "a,b,1,", "12,34", "nul\u0000in", "é€😀 mixed", "\u{1F600}", '\t\n"\\', "x".repeat(300)];
    const doc = { after: "😀rev,1", s: texts, n: 12.5, t: true, z: null, arr: [1, "two", { clé: "€😀" }], clé: "välue\u0000" };
    const body = JSON.stringify(doc);
    const paths = [...texts.map((_, i) => `$.s[${i}]`), "$.n", "$.t", "$.arr", "$['clé']", "$.arr[2]['clé']"];
    for (let i = 0; i < paths.length; i += 4) {
      const rules = paths.slice(i, i + 4).map((jsonPath) => {
        const value = JSONPath(jsonPath);
        return typeof value === "string" && value.length > 0 && value.length <= 150 ? { jsonPath, matchEquals: value } : { jsonPath };
      });
      for (const b of [body, new TextEncoder().encode(body)]) {
        const d = evaluateDelivery(openDefinition(rules), { headers: {}, body: b });
        // Only an empty string selected and no matchEquals filters ("" is not null, so it passes).
        assertDecision(d, "accepted", JSON.stringify(rules));
        assert.equal(d.revision, doc.after);
        d.filters.forEach((t, k) => {
          assert.deepEqual(t.selected, [JSONPath(rules[k].jsonPath)], rules[k].jsonPath);
          assert.equal(t.jsonPath, rules[k].jsonPath);
          assert.equal(t.expected, rules[k].matchEquals);
          assert.equal(t.selectedCount, 1);
        });
      }
    }
    function JSONPath(path) {
      const steps = [...path.matchAll(/\.(\w+)|\[(\d+)\]|\['([^']+)'\]/g)].map((m) => m[1] ?? (m[2] !== undefined ? +m[2] : m[3]));
      return steps.reduce((v, k) => v[k], doc);
    }
  });

  test("a_selected_secret_token_member_is_shown_redacted_in_the_trace_and_the_reason", () => {
    // A payload's own SecretToken, selected with an object: the trace and the reason are output.
    const payload = '{"hook":{"config":{"SecretToken":"payload-s3cret","url":"https://e.example"}}}';
    for (const jsonPath of ["$.hook.config", "$.hook", "$..config"]) {
      const d = evaluateDelivery(openDefinition([{ jsonPath, matchEquals: "never" }]), { headers: {}, body: payload });
      assert.equal(d.outcome, "filtered", d.reason);
      assertNoSecret(d, "payload-s3cret");
      assert.match(d.reason, /"SecretToken":"\*\*\*\*"/);
      assert.equal(JSON.stringify(d.filters[0].selected).includes('"SecretToken":"****"'), true, jsonPath);
    }
    // The rule compares the payload's own values.
    const d = evaluateDelivery(openDefinition([{ jsonPath: "$.hook.config.SecretToken", matchEquals: "payload-s3cret" }]), { headers: {}, body: payload });
    assert.equal(d.outcome, "accepted", d.reason);
  });
  test("a_refused_decision_has_no_filters_and_no_revision", () => {
    const d = evaluateDelivery(hmacDefinition(rules), { headers: {}, body });
    assert.deepEqual(d, { outcome: "unauthorized", status: 401, reason: d.reason, filters: [] });
    assert.ok(d.reason.length > 0);
  });
});

describe("invalid definitions", () => {
  test("evaluate_invalid_definition_throws_pipehook_error_with_problems", () => {
    const def = hmacDefinition([{ jsonPath: "$[" }]);
    def.name = "a b";
    assert.throws(
      () => evaluateDelivery(def, { headers: {}, body: "{}" }),
      (e) => {
        assert.ok(e instanceof Error);
        assert.equal(e.name, "PipehookError");
        assert.ok(Array.isArray(e.problems) && e.problems.length >= 2, JSON.stringify(e.problems));
        assert.ok(e.problems.some((p) => p.path === "webhook.name"));
        assertNoSecret(e.message, SECRET);
        assertNoSecret(e.problems, SECRET);
        return true;
      },
    );
  });
  test("evaluate_missing_secret_token_throws", () => {
    const def = hmacDefinition();
    def.authenticationConfiguration = {};
    assert.throws(() => evaluateDelivery(def, { headers: {}, body: "{}" }), { name: "PipehookError" });
  });
});
