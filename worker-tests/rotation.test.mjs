// Secret rotation without downtime: after PutWebhook changes a GITHUB_HMAC SecretToken, the
// previous one is accepted for SECRET_ROTATION_GRACE_S (here a few seconds, to see the window
// close), and the answer says so with its expiry; a third secret is refused; 0 turns it off.
// Neither secret shows in any answer.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import { SECRET_MARKER, callApi, deliverSigned, fixturesDir, githubWebhook, leaks, pipelineDeclaration, startWorker } from "./lib/worker.mjs";

const GRACE_S = 5;
const A = `${SECRET_MARKER}rotation-a`;
const B = `${SECRET_MARKER}rotation-b`;
const C = `${SECRET_MARKER}rotation-c`;
const push = fs
  .readdirSync(fixturesDir)
  .filter((f) => f.startsWith("push"))
  .map((f) => fs.readFileSync(path.join(fixturesDir, f), "utf8"))
  .find((text) => JSON.parse(text).ref.startsWith("refs/heads/"));
const branch = JSON.parse(push).ref.replace("refs/heads/", "");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function ok(endpoint, operation, input) {
  const r = await callApi(endpoint, operation, input);
  assert.equal(r.status, 200, `${operation}: ${r.text}`);
  return r.json;
}

/** Creates the pipeline and webhook `name` with `secret`; answers the webhook's URL. */
async function webhook(endpoint, name, secret, filters) {
  await ok(endpoint, "CreatePipeline", { pipeline: pipelineDeclaration(name, { branch }) });
  return (await ok(endpoint, "PutWebhook", { webhook: githubWebhook(name, name, secret, filters) })).webhook.url;
}

const rotate = (endpoint, name, secret, filters) => ok(endpoint, "PutWebhook", { webhook: githubWebhook(name, name, secret, filters) });

function assertAcceptedWith(r, secret) {
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.outcome, "accepted", r.text);
  assert.ok(r.json.pipelineExecutionId, r.text);
  if (secret === "current") {
    assert.equal(r.json.matchedSecret, undefined, r.text);
    assert.equal(r.json.previousSecretExpires, undefined, r.text);
  } else {
    assert.equal(r.json.matchedSecret, "previous", r.text);
  }
}

function assertRefused(r) {
  assert.equal(r.status, 401, r.text);
  // The refusal is the same whether or not a rotation is under way: it reveals nothing.
  assert.deepEqual(r.json, { outcome: "unauthorized", message: "The delivery's signature is missing or does not verify." });
}

describe("secret rotation (SECRET_ROTATION_GRACE_S)", () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { SECRET_ROTATION_GRACE_S: String(GRACE_S) } });
  });
  after(() => w?.close());

  test("the previous secret is accepted inside the window, says so with its expiry, and is refused after", async () => {
    const url = await webhook(w.endpoint, "rot", A);
    assertAcceptedWith(await deliverSigned(url, push, { secret: A }), "current");

    const rotatedAt = Date.now();
    const { webhook: item } = await rotate(w.endpoint, "rot", B);
    // Kept with the record and the delivery view, where deliveries read it.
    const token = new URL(item.url).searchParams.get("t");
    assert.equal(JSON.parse(await w.kv.get("webhook/rot")).previousSecret.SecretToken, A);
    assert.equal(JSON.parse(await w.kv.get(`token/${token}`)).previousSecret.SecretToken, A);
    // Several in a row: the first after an API write decides on the general way, the next ones
    // (webhook and key in this isolate's memo) on the synchronous way; both try the previous secret.
    for (let i = 0; i < 3; i++) {
      const r = await deliverSigned(url, push, { secret: A });
      assertAcceptedWith(r, "previous");
      const expires = Date.parse(r.json.previousSecretExpires);
      assert.ok(expires >= rotatedAt + GRACE_S * 1000 - 1000 && expires <= Date.now() + GRACE_S * 1000, r.json.previousSecretExpires);
      assert.match(r.json.reason, /signed with the webhook's previous SecretToken.*; it is accepted until \d{4}-\d\d-\d\dT[\d:.]+Z: give the sender the new one$/);
      const execution = await ok(w.endpoint, "GetPipelineExecution", { pipelineName: "rot", pipelineExecutionId: r.json.pipelineExecutionId });
      assert.equal(execution.pipelineExecution.status, "InProgress");
    }
    assertAcceptedWith(await deliverSigned(url, push, { secret: B }), "current");
    // GitHub's legacy SHA-1 header alone, signed with the previous secret.
    const sha1 = `sha1=${createHmac("sha1", A).update(push).digest("hex")}`;
    assertAcceptedWith(await deliverSigned(url, push, { signature: false, headers: { "x-hub-signature": sha1 } }), "previous");
    // A third secret is refused.
    assertRefused(await deliverSigned(url, push, { secret: C }));

    const expires = Date.parse((await deliverSigned(url, push, { secret: A })).json.previousSecretExpires);
    await sleep(Math.max(0, expires - Date.now()) + 250);
    assertRefused(await deliverSigned(url, push, { secret: A }));
    assertRefused(await deliverSigned(url, push, { secret: A }));
    assertAcceptedWith(await deliverSigned(url, push, { secret: B }), "current");

    // The next PutWebhook (here with the same secret) drops the expired one from storage.
    await rotate(w.endpoint, "rot", B);
    assert.equal(JSON.parse(await w.kv.get("webhook/rot")).previousSecret, undefined);
    assert.equal(JSON.parse(await w.kv.get(`token/${token}`)).previousSecret, undefined);
    assertRefused(await deliverSigned(url, push, { secret: A }));
  });

  test("a filtered delivery signed with the previous secret keeps its trace and says so", async () => {
    const url = await webhook(w.endpoint, "rot-filtered", A, [{ jsonPath: "$.ref", matchEquals: "refs/heads/never" }]);
    await rotate(w.endpoint, "rot-filtered", B, [{ jsonPath: "$.ref", matchEquals: "refs/heads/never" }]);
    const r = await deliverSigned(url, push, { secret: A });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.outcome, "filtered");
    assert.equal(r.json.matchedSecret, "previous");
    assert.ok(Date.parse(r.json.previousSecretExpires) > Date.now());
    assert.equal(r.json.filters.length, 1);
    assert.match(r.json.reason, /^filtered: filter rule 1 .*previous SecretToken.*accepted until/);
    // With the current secret: the trace names the current one.
    const current = await deliverSigned(url, push, { secret: B });
    assert.equal(current.json.matchedSecret, "current");
    assert.equal(current.json.previousSecretExpires, undefined);
  });

  test("a third secret replaces the first: only the one just replaced stays valid", async () => {
    const url = await webhook(w.endpoint, "rot-third", A);
    await rotate(w.endpoint, "rot-third", B);
    await rotate(w.endpoint, "rot-third", C);
    assertRefused(await deliverSigned(url, push, { secret: A }));
    assertAcceptedWith(await deliverSigned(url, push, { secret: B }), "previous");
    assertAcceptedWith(await deliverSigned(url, push, { secret: C }), "current");
  });

  test("neither secret shows in any answer", async () => {
    const { webhooks } = await ok(w.endpoint, "ListWebhooks", {});
    assert.ok(webhooks.length >= 3);
    for (const item of webhooks) {
      assert.equal(item.definition.authenticationConfiguration.SecretToken, "****");
      assert.equal(JSON.stringify(item).includes("previous"), false, JSON.stringify(item));
    }
    assert.deepEqual(leaks(w.responses), []);
  });
});

describe("SECRET_ROTATION_GRACE_S=0", () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { SECRET_ROTATION_GRACE_S: "0" } });
  });
  after(() => w?.close());

  test("turns rotation off: the replaced secret is refused at once, and none is kept", async () => {
    const url = await webhook(w.endpoint, "rot-off", A);
    await rotate(w.endpoint, "rot-off", B);
    assertRefused(await deliverSigned(url, push, { secret: A }));
    assertAcceptedWith(await deliverSigned(url, push, { secret: B }), "current");
    assert.equal(JSON.parse(await w.kv.get("webhook/rot-off")).previousSecret, undefined);
    assert.deepEqual(leaks(w.responses), []);
  });
});
