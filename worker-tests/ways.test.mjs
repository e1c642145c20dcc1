// A delivery is decided one of two ways (worker/src/delivery.rs): synchronously,
// with no Rust task, when its webhook is fresh in the isolate's memo, its MAC key
// already imported and its body of declared length; or the general (async) way,
// which reads KV, imports keys and streams bodies. Both must answer alike. One
// Worker runs with the memo (repeats of a delivery within a second take the
// synchronous way), one without (DELIVERY_CACHE_MS=0: always the general way);
// every kind of delivery goes to both, and the answers are compared whole.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { CodePipelineClient, CreatePipelineCommand, ListPipelineExecutionsCommand, PutWebhookCommand } from "@aws-sdk/client-codepipeline";
import { CREDENTIALS, REGION, SECRET_MARKER, deliverSigned, fixturesDir, githubWebhook, leaks, pipelineDeclaration, startWorker } from "./lib/worker.mjs";

const SECRET = `${SECRET_MARKER}ways`;
const push = fs.readFileSync(path.join(fixturesDir, "push.with-new-branch.payload.json"), "utf8");
const pushTo = (branch) => JSON.stringify({ ...JSON.parse(push), ref: `refs/heads/${branch}` });
const hmac = (alg, secret, body) => createHmac(alg, secret).update(body).digest("hex");
const sha1 = (body, secret = SECRET) => `sha1=${hmac("sha1", secret, body)}`;

/** Each kind of delivery: the webhook it goes to, its body, and how it is signed. */
const CASES = [
  { name: "accepted", hook: "signed", body: pushTo("master") },
  { name: "filtered", hook: "signed", body: pushTo("other") },
  { name: "wrong_signature", hook: "signed", body: pushTo("master"), secret: "not-the-secret" },
  { name: "no_signature", hook: "signed", body: pushTo("master"), signature: null },
  { name: "legacy_sha1_signature", hook: "signed", body: pushTo("master"), signature: null, headers: (b) => ({ "x-hub-signature": sha1(b) }) },
  { name: "wrong_legacy_signature", hook: "signed", body: pushTo("master"), signature: null, headers: (b) => ({ "x-hub-signature": sha1(b, "x") }) },
  { name: "malformed_json", hook: "signed", body: '{"ref": "refs/heads/master", ' },
  { name: "not_utf8", hook: "signed", body: Buffer.from([0x7b, 0x22, 0x72, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
  { name: "ip_allowed", hook: "by-ip", body: pushTo("master"), signature: null, headers: () => ({ "cf-connecting-ip": "192.0.2.77" }) },
  { name: "ip_refused", hook: "by-ip", body: pushTo("master"), signature: null, headers: () => ({ "cf-connecting-ip": "198.51.100.7" }) },
  { name: "unauthenticated_filtered", hook: "open", body: pushTo("other"), signature: null },
  { name: "unauthenticated_accepted", hook: "open", body: pushTo("master"), signature: null },
  // A payload's own SecretToken member, selected into the filtered answer's trace, is redacted.
  { name: "selected_secret_token", hook: "selects", body: JSON.stringify({ hook: { config: { SecretToken: `${SECRET_MARKER}payload`, url: "https://example.com/h" } } }) },
];

/** What may differ between two answers to the same delivery: the new execution's id. */
function comparable({ status, json, text }) {
  if (json?.pipelineExecutionId) {
    assert.match(json.pipelineExecutionId, /^[0-9a-f-]{36}$/);
    json = { ...json, pipelineExecutionId: "<id>" };
  }
  return { status, answer: json ?? text };
}

async function setUp(vars) {
  const w = await startWorker({ vars });
  const client = new CodePipelineClient({ endpoint: w.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("ways", { branch: "master" }) }));
  const put = async (def) => (await client.send(new PutWebhookCommand({ webhook: def }))).webhook.url;
  const urls = {
    signed: await put(githubWebhook("signed", "ways", SECRET)),
    "by-ip": await put({ ...githubWebhook("by-ip", "ways", SECRET), authentication: "IP", authenticationConfiguration: { AllowedIPRange: "192.0.2.0/24" } }),
    open: await put({ ...githubWebhook("open", "ways", SECRET), authentication: "UNAUTHENTICATED", authenticationConfiguration: {} }),
    selects: await put(githubWebhook("selects", "ways", SECRET, [{ jsonPath: "$.hook.config", matchEquals: "never" }])),
  };
  const executions = async () =>
    (await client.send(new ListPipelineExecutionsCommand({ pipelineName: "ways", maxResults: 100 }))).pipelineExecutionSummaries.length;
  return { w, urls, executions };
}

async function deliver(urls, c) {
  const headers = c.headers?.(c.body) ?? {};
  let signature = c.signature;
  if (signature === undefined) {
    // octokit signs strings; a body that is not UTF-8 is signed over its bytes, as GitHub would.
    signature = Buffer.isBuffer(c.body) ? `sha256=${hmac("sha256", c.secret ?? SECRET, c.body)}` : await sign(c.secret ?? SECRET, c.body);
  }
  return deliverSigned(urls[c.hook], c.body, { signature, headers });
}

describe("the synchronous and the general way decide alike", () => {
  let memo, general;
  const outcomes = new Set();

  before(async () => {
    [memo, general] = await Promise.all([setUp({}), setUp({ DELIVERY_CACHE_MS: "0" })]);
  });
  after(async () => {
    await Promise.all([memo?.w.close(), general?.w.close()]);
  });

  for (const c of CASES) {
    it(`${c.name}_answers_the_same_both_ways`, async () => {
      const expected = comparable(await deliver(general.urls, c));
      outcomes.add(expected.answer.outcome);
      // The first delivery may read KV and import a key; the repeats, within the
      // memo's second, are decided synchronously.
      for (let i = 0; i < 3; i++) {
        const r = await deliver(memo.urls, c);
        assert.deepEqual(comparable(r), expected, `${c.name}, delivery ${i + 1} to the memoising Worker`);
      }
    });
  }

  it("every_accepted_delivery_stored_its_execution_both_ways", async () => {
    const accepted = CASES.filter((c) => ["accepted", "legacy_sha1_signature", "ip_allowed", "unauthenticated_accepted"].includes(c.name)).length;
    assert.equal(await general.executions(), accepted);
    assert.equal(await memo.executions(), 3 * accepted);
  });

  it("a_selected_secret_token_is_shown_redacted_both_ways", async () => {
    const c = CASES.find((c) => c.name === "selected_secret_token");
    for (const w of [memo, general]) {
      const r = await deliver(w.urls, c);
      assert.equal(r.json.outcome, "filtered", r.text);
      assert.deepEqual(r.json.filters[0].selected, [{ SecretToken: "****", url: "https://example.com/h" }]);
    }
  });

  it("no_answer_either_way_holds_the_secret", () => {
    assert.deepEqual(leaks(memo.w.responses), []);
    assert.deepEqual(leaks(general.w.responses), []);
  });

  it("the_kinds_compared_cover_every_outcome", () => {
    // So that the comparison above cannot pass on a battery that lost a kind of answer.
    assert.deepEqual([...outcomes].sort(), ["accepted", "filtered", "forbidden", "malformed", "unauthorized"]);
  });
});
