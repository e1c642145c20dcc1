// The page's pure helpers (www/lib/*.js), run in Node: the same modules the
// browser loads, checked against independent implementations.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createHmac } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";

import { hmacSha256, signSha256 } from "../www/lib/sign.js";
import { parseJson } from "../www/lib/json-text.js";
import {
  classifyInput,
  decodeFragment,
  encodeFragment,
  holdsSecret,
  parseHeaders,
  redactSecrets,
  setHeader,
} from "../www/lib/inputs.js";
import { samples } from "../www/lib/examples.js";

const SAMPLES = new URL("../www/samples/", import.meta.url);

test("sign_spec_test_vector_matches", async () => {
  assert.equal(
    await signSha256("It's a Secret to Everybody", "Hello, World!"),
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
  );
});

test("sign_fallback_without_webcrypto_matches_octokit", async () => {
  // octokit refuses an empty payload, so "" is checked against node:crypto below.
  const bodies = ["a", "é ü 💥", "x".repeat(55), "x".repeat(56), "x".repeat(64), "x".repeat(1000)];
  bodies.push(await readFile(new URL("push.with-new-branch.payload.json", SAMPLES), "utf8"));
  const secrets = ["s", "It's a Secret to Everybody", "k".repeat(64), "k".repeat(65), "ключ"];
  const enc = new TextEncoder();
  for (const secret of secrets) {
    for (const body of bodies) {
      const hex = Buffer.from(hmacSha256(enc.encode(secret), enc.encode(body))).toString("hex");
      assert.equal("sha256=" + hex, await sign(secret, body), `secret of ${secret.length}, body of ${body.length}`);
    }
    const empty = Buffer.from(hmacSha256(enc.encode(secret), new Uint8Array(0))).toString("hex");
    assert.equal(empty, createHmac("sha256", secret).update("").digest("hex"));
  }
});

test("sign_webcrypto_matches_octokit", async () => {
  const body = await readFile(new URL("push.payload.json", SAMPLES), "utf8");
  assert.equal(await signSha256("top secret", body), await sign("top secret", body));
});

test("json_syntax_error_has_line_and_column", () => {
  const text = '{\n  "webhook": {\n    "name": "a"\n    "filters": []\n  }\n}';
  const r = parseJson(text);
  assert.equal(r.ok, false);
  assert.deepEqual([r.line, r.column], [4, 5]);
  assert.match(r.message, /Expected ',' or '}'/);
});

test("json_syntax_errors_each_located", () => {
  const cases = [
    ["", 1, 1, /Empty/],
    ["{", 1, 2, /end of input/],
    ['{"a": 1,}', 1, 9, /Trailing comma/],
    ["[1, 2,]", 1, 7, /Trailing comma/],
    ["{'a': 1}", 1, 2, /double-quoted/],
    ['{"a": "x\ny"}', 1, 9, /Unterminated/],
    ['{"a": tru}', 1, 7, /expected a value/],
    ['{"a": 01}', 1, 8, /Expected ',' or '}'/],
    ['{"a": 1} x', 1, 10, /after the end/],
    ['{"a": "\\q"}', 1, 8, /Bad escape/],
    ['{\n"a": -}', 2, 6, /Invalid number/],
  ];
  for (const [text, line, column, message] of cases) {
    const r = parseJson(text);
    assert.equal(r.ok, false, JSON.stringify(text));
    assert.deepEqual([r.line, r.column], [line, column], JSON.stringify(text));
    assert.match(r.message, message, JSON.stringify(text));
  }
  assert.deepEqual(parseJson(' {"a": [1, 2.5e3, "\\u00e9", true, null]} ').value, { a: [1, 2500, "é", true, null] });
});

test("classify_list_webhooks_maps_paths_to_the_item", () => {
  const { kind, items } = classifyInput({
    webhooks: [
      { definition: { name: "a" }, url: "u" },
      { definition: { name: "b" }, url: "u", tags: [{ key: "aws:x", value: "" }] },
    ],
  });
  assert.equal(kind, "list-webhooks");
  assert.equal(items.length, 2);
  assert.deepEqual(items[1].input, { webhook: { name: "b" }, tags: [{ key: "aws:x", value: "" }] });
  assert.equal(items[1].mapPath("webhook.name"), "webhooks[1].definition.name");
  assert.equal(items[1].mapPath("webhook"), "webhooks[1].definition");
  assert.equal(items[1].mapPath("tags[0].key"), "webhooks[1].tags[0].key");
  assert.equal(items[0].label, "a");
  assert.equal(items[1].mapPath("pipeline"), "pipeline", "a problem with the pasted pipeline is not the item's");
});

test("classify_other_shapes", () => {
  assert.equal(classifyInput({ webhook: { name: "a" } }).kind, "put-webhook-input");
  assert.equal(classifyInput({ webhook: { definition: { name: "a" }, url: "u" } }).kind, "put-webhook-output");
  assert.equal(classifyInput({ name: "a", filters: [] }).kind, "webhook-definition");
  assert.equal(classifyInput([1]).kind, "unknown");
  const item = classifyInput({ webhook: { definition: { name: "a" }, url: "u" } }).items[0];
  assert.equal(item.mapPath("webhook.name"), "webhook.definition.name");
});

test("share_fragment_round_trips_without_secret", () => {
  const input = {
    webhook: { name: "ü", authenticationConfiguration: { SecretToken: "hunter2" } },
    other: [{ SecretToken: "again" }],
  };
  const redacted = redactSecrets(input);
  assert.equal(holdsSecret(input), true);
  assert.equal(holdsSecret(redacted), false);
  assert.equal(input.webhook.authenticationConfiguration.SecretToken, "hunter2", "input left untouched");
  const fragment = encodeFragment(redacted);
  assert.doesNotMatch(fragment, /hunter2/);
  assert.match(fragment, /^#def=[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeFragment(fragment), redacted);
  assert.equal(decodeFragment("#other"), null);
});

test("headers_parse_and_set", () => {
  const { headers, errors } = parseHeaders("Content-Type: application/json\n\nx-github-event: push\nX-GitHub-Event: ping\nbad line");
  assert.deepEqual(headers, { "Content-Type": "application/json", "X-GitHub-Event": "ping" });
  assert.deepEqual(errors, ['Line 5: expected "Name: value"']);
  assert.equal(setHeader("A: 1\nx-hub-signature-256: old\n", "X-Hub-Signature-256", "new"), "A: 1\nX-Hub-Signature-256: new");
  assert.equal(setHeader("A: 1", "B", "2"), "A: 1\nB: 2");
});

test("samples_are_the_named_github_events", async () => {
  for (const s of samples) {
    const payload = JSON.parse(await readFile(new URL(s.file, SAMPLES), "utf8"));
    if (s.id === "delete-tag") assert.equal(payload.ref_type, "tag");
    if (s.id === "push-tag-deleted") assert.equal(payload.ref, "refs/tags/simple-tag");
    if (s.id === "push-new-branch") assert.equal(payload.ref, "refs/heads/master");
    if (s.event === "pull_request") assert.equal(payload.action, "opened");
    if (s.event === "release") assert.equal(payload.action, "published");
    if (s.event === "ping") assert.ok(payload.zen);
  }
  await readFile(new URL("LICENSE", SAMPLES), "utf8");
});
