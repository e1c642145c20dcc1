// Concurrent PutWebhook / DeleteWebhook / deliveries against one webhook, and
// the 300-webhook quota. KV has no transactions: what must hold is that the
// state every client can observe afterwards is consistent.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CodePipelineClient,
  CreatePipelineCommand,
  DeleteWebhookCommand,
  ListPipelineExecutionsCommand,
  ListWebhooksCommand,
  PutWebhookCommand,
} from "@aws-sdk/client-codepipeline";
import { CREDENTIALS, REGION, SECRET_MARKER, leaks, pipelineDeclaration, startWorker } from "./lib/worker.mjs";

let w;
let client;

const openHook = (name, pipeline, filters = []) => ({
  name,
  targetPipeline: pipeline,
  targetAction: "Source",
  filters,
  authentication: "UNAUTHENTICATED",
  authenticationConfiguration: {},
});

async function allExecutions(pipelineName) {
  const out = [];
  let nextToken;
  do {
    const page = await client.send(new ListPipelineExecutionsCommand({ pipelineName, maxResults: 100, nextToken }));
    out.push(...page.pipelineExecutionSummaries);
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

async function allWebhooks() {
  const out = [];
  let NextToken;
  do {
    const page = await client.send(new ListWebhooksCommand({ MaxResults: 100, NextToken }));
    out.push(...page.webhooks);
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

before(async () => {
  w = await startWorker();
  client = new CodePipelineClient({ endpoint: w.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("race") }));
  await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("quota") }));
});

after(async () => {
  await w?.close();
});

describe("concurrency", () => {
  it("concurrent_put_delete_deliver_leave_consistent_state", async () => {
    const { webhook } = await client.send(new PutWebhookCommand({ webhook: openHook("racer", "race") }));
    const url = webhook.url;
    const ops = [];
    const outcomes = { put: [], del: [], deliver: [] };
    for (let i = 0; i < 60; i++) {
      if (i % 4 === 0) {
        ops.push(
          client
            .send(new PutWebhookCommand({ webhook: openHook("racer", "race", i % 8 ? [] : [{ jsonPath: "$.ref" }]) }))
            .then((r) => outcomes.put.push(["ok", r.webhook.url]), (e) => outcomes.put.push([e.name])),
        );
      } else if (i % 7 === 0) {
        ops.push(client.send(new DeleteWebhookCommand({ name: "racer" })).then(() => outcomes.del.push("ok"), (e) => outcomes.del.push(e.name)));
      } else {
        ops.push(
          fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ref: "refs/heads/main", n: i }) })
            .then(async (r) => outcomes.deliver.push([r.status, await r.json()])),
        );
      }
    }
    await Promise.all(ops);

    // Every answer is one a client can act on.
    for (const [s] of outcomes.put) assert.ok(["ok", "ConcurrentModificationException"].includes(s), s);
    assert.ok(outcomes.del.every((s) => s === "ok"));
    for (const [status, body] of outcomes.deliver) {
      assert.ok([200, 404].includes(status), `${status} ${JSON.stringify(body)}`);
      if (status === 200) assert.ok(["accepted", "filtered"].includes(body.outcome));
    }

    // Exactly one execution per accepted delivery.
    const accepted = outcomes.deliver.filter(([s, b]) => s === 200 && b.outcome === "accepted");
    const execs = await allExecutions("race");
    assert.equal(execs.length, accepted.length);
    assert.deepEqual(new Set(execs.map((e) => e.pipelineExecutionId)), new Set(accepted.map(([, b]) => b.pipelineExecutionId)));

    // The listing, KV and the URL agree on whether the webhook exists.
    const listed = (await allWebhooks()).filter((h) => h.definition.name === "racer");
    const stored = await w.kv.get("webhook/racer");
    assert.equal(listed.length, stored ? 1 : 0);
    if (listed.length === 1) {
      const live = listed[0].url;
      const r = await fetch(live, { method: "POST", body: JSON.stringify({ ref: "x" }) });
      assert.equal(r.status, 200, "a listed webhook's URL resolves");
      assert.equal(JSON.parse(stored).token, new URL(live).searchParams.get("t"));
    }
    // And a final PutWebhook always converges to a working webhook.
    const final = (await client.send(new PutWebhookCommand({ webhook: openHook("racer", "race") }))).webhook;
    const r = await fetch(final.url, { method: "POST", body: "{}" });
    assert.equal(r.status, 200);
  });

  it("concurrent_creates_of_distinct_webhooks_are_all_listed", async () => {
    const names = Array.from({ length: 40 }, (_, i) => `burst-${String(i).padStart(2, "0")}`);
    const results = await Promise.all(names.map((n) => client.send(new PutWebhookCommand({ webhook: openHook(n, "race") }))));
    assert.equal(new Set(results.map((r) => r.webhook.url)).size, names.length, "distinct URLs");
    const listed = (await allWebhooks()).map((h) => h.definition.name).filter((n) => n.startsWith("burst-"));
    assert.deepEqual(listed, names);
  });

  it("concurrent_creates_of_one_name_leave_one_live_url", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => client.send(new PutWebhookCommand({ webhook: openHook("same-name", "race") }))),
    );
    const ok = results.filter((r) => r.status === "fulfilled").map((r) => r.value.webhook.url);
    for (const r of results.filter((r) => r.status === "rejected")) assert.equal(r.reason.name, "ConcurrentModificationException");
    assert.ok(ok.length >= 1);
    const listed = (await allWebhooks()).filter((h) => h.definition.name === "same-name");
    assert.equal(listed.length, 1);
    const res = await fetch(listed[0].url, { method: "POST", body: "{}" });
    assert.equal(res.status, 200);
  });
});

describe("quota", () => {
  it("put_webhook_beyond_300_is_limit_exceeded_and_update_still_works", async () => {
    const existing = (await allWebhooks()).length;
    const needed = 300 - existing;
    for (let i = 0; i < needed; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, needed - i) }, (_, j) =>
          client.send(new PutWebhookCommand({ webhook: { ...openHook(`quota-${i + j}`, "quota"), authentication: "GITHUB_HMAC", authenticationConfiguration: { SecretToken: `${SECRET_MARKER}${i + j}` } } })),
        ),
      );
    }
    assert.equal((await allWebhooks()).length, 300);
    await assert.rejects(client.send(new PutWebhookCommand({ webhook: openHook("one-too-many", "quota") })), (e) => {
      assert.equal(e.name, "LimitExceededException");
      assert.equal(e.$metadata.httpStatusCode, 400);
      return true;
    });
    // Updating an existing one is not a new webhook.
    await client.send(new PutWebhookCommand({ webhook: openHook("quota-0", "quota", [{ jsonPath: "$.ref" }]) }));
    await client.send(new DeleteWebhookCommand({ name: "quota-1" }));
    await client.send(new PutWebhookCommand({ webhook: openHook("one-more", "quota") }));
  });
});

describe("secrets", () => {
  it("no_response_contains_a_secret_token", () => {
    assert.deepEqual(leaks(w.responses), []);
  });
});
