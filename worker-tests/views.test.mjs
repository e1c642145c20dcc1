// What a delivery reads stays in step with the API (worker/src/views.rs): a
// delivery reads one key (token/<token>, the delivery view) or none (the
// isolate's memo), and every API write that changes what it would decide
// reaches the very next delivery. Run twice: with the memo (the default) and
// without it (DELIVERY_CACHE_MS=0, one KV read per delivery). Real Miniflare
// and KV; the only direct KV writes recreate storage as earlier versions of
// the Worker left it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { sign } from "@octokit/webhooks-methods";
import {
  CodePipelineClient,
  CreatePipelineCommand,
  DeletePipelineCommand,
  DeleteWebhookCommand,
  GetPipelineExecutionCommand,
  ListPipelineExecutionsCommand,
  ListWebhooksCommand,
  PutWebhookCommand,
  TagResourceCommand,
  UpdatePipelineCommand,
} from "@aws-sdk/client-codepipeline";
import { ACCOUNT, CREDENTIALS, REGION, SECRET_MARKER, deliverSigned, fixturesDir, githubWebhook, leaks, pipelineDeclaration, startWorker } from "./lib/worker.mjs";

const SECRET = `${SECRET_MARKER}views`;
const pushBody = fs.readFileSync(path.join(fixturesDir, "push.with-new-branch.payload.json"), "utf8");
// The same push to another branch.
const pushTo = (branch) => JSON.stringify({ ...JSON.parse(pushBody), ref: `refs/heads/${branch}` });

const deliver = (url, body, { secret = SECRET } = {}) => deliverSigned(url, body, { secret });

/** A delivery sent chunked (no Content-Length): the Worker streams it instead of reading one buffer. */
function deliverChunked(url, body, { secret = SECRET } = {}) {
  return new Promise(async (resolve, reject) => {
    const sig = await sign(secret, body);
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, method: "POST", path: u.pathname + u.search,
        headers: { "content-type": "application/json", "transfer-encoding": "chunked", "x-hub-signature-256": sig } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, json: JSON.parse(Buffer.concat(chunks).toString("utf8")) }));
      },
    );
    req.on("error", reject);
    const bytes = Buffer.from(body);
    for (let i = 0; i < bytes.length; i += 1000) req.write(bytes.subarray(i, i + 1000));
    req.end();
  });
}

for (const [mode, vars] of [["memo on (default)", {}], ["memo off (DELIVERY_CACHE_MS=0)", { DELIVERY_CACHE_MS: "0" }]]) {
  describe(`deliveries follow API writes, ${mode}`, () => {
    let w;
    let client;
    const urls = {};
    const put = async (def, name = def.name) => {
      const { webhook } = await client.send(new PutWebhookCommand({ webhook: def }));
      urls[name] = webhook.url;
      return webhook;
    };
    const executions = async (pipelineName) =>
      (await client.send(new ListPipelineExecutionsCommand({ pipelineName, maxResults: 100 }))).pipelineExecutionSummaries;
    const tokenOf = (name) => new URL(urls[name]).searchParams.get("t");

    before(async () => {
      w = await startWorker({ vars });
      client = new CodePipelineClient({ endpoint: w.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    });

    after(async () => {
      await w?.close();
    });

    it("update_pipeline_branch_changes_what_the_next_delivery_substitutes", async () => {
      await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("moving", { branch: "master" }) }));
      await put(githubWebhook("moving", "moving", SECRET));
      let r = await deliver(urls.moving, pushTo("master"));
      assert.equal(r.json.outcome, "accepted", r.text);

      await client.send(new UpdatePipelineCommand({ pipeline: pipelineDeclaration("moving", { branch: "release" }) }));
      r = await deliver(urls.moving, pushTo("master"));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.outcome, "filtered", r.text);
      assert.equal(r.json.filters[0].expected, "refs/heads/release");
      r = await deliver(urls.moving, pushTo("release"));
      assert.equal(r.json.outcome, "accepted", r.text);

      // The execution records the pipeline version the delivery saw.
      const [latest] = await executions("moving");
      assert.equal(latest.pipelineExecutionId, r.json.pipelineExecutionId);
      const { pipelineExecution } = await client.send(
        new GetPipelineExecutionCommand({ pipelineName: "moving", pipelineExecutionId: r.json.pipelineExecutionId }),
      );
      assert.equal(pipelineExecution.pipelineVersion, 2);
    });

    it("renamed_target_action_has_no_configuration_until_it_is_back", async () => {
      await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("renamed", { branch: "master" }) }));
      await put(githubWebhook("renamed", "renamed", SECRET));
      assert.equal((await deliver(urls.renamed, pushTo("master"))).json.outcome, "accepted");
      await client.send(new UpdatePipelineCommand({ pipeline: pipelineDeclaration("renamed", { branch: "master", sourceAction: "Other" }) }));
      let r = await deliver(urls.renamed, pushTo("master"));
      assert.equal(r.json.outcome, "filtered", r.text);
      assert.notEqual(r.json.filters[0].expected, "refs/heads/master");
      await client.send(new UpdatePipelineCommand({ pipeline: pipelineDeclaration("renamed", { branch: "master" }) }));
      r = await deliver(urls.renamed, pushTo("master"));
      assert.equal(r.json.outcome, "accepted", r.text);
    });

    it("put_webhook_update_reaches_the_next_delivery", async () => {
      await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("refilter", { branch: "master" }) }));
      await put(githubWebhook("refilter", "refilter", SECRET));
      assert.equal((await deliver(urls.refilter, pushTo("master"))).json.outcome, "accepted");
      const before = urls.refilter;
      await put(githubWebhook("refilter", "refilter", SECRET, [{ jsonPath: "$.ref", matchEquals: "refs/heads/never" }]));
      assert.equal(urls.refilter, before, "an update keeps the URL");
      let r = await deliver(urls.refilter, pushTo("master"));
      assert.equal(r.json.outcome, "filtered", r.text);
      // A new secret: the old one verifies only as the previous secret of a rotation
      // (rotation.test.mjs), and any other is refused.
      await put(githubWebhook("refilter", "refilter", `${SECRET}-2`));
      r = await deliver(urls.refilter, pushTo("master"));
      assert.equal(r.json.matchedSecret, "previous", r.text);
      r = await deliver(urls.refilter, pushTo("master"), { secret: `${SECRET}-3` });
      assert.equal(r.status, 401);
      r = await deliver(urls.refilter, pushTo("master"), { secret: `${SECRET}-2` });
      assert.equal(r.json.outcome, "accepted", r.text);
    });

    it("delete_webhook_makes_the_next_delivery_404", async () => {
      await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("gone", { branch: "master" }) }));
      await put(githubWebhook("gone", "gone", SECRET));
      assert.equal((await deliver(urls.gone, pushTo("master"))).json.outcome, "accepted");
      await client.send(new DeleteWebhookCommand({ name: "gone" }));
      const r = await deliver(urls.gone, pushTo("master"));
      assert.equal(r.status, 404, r.text);
      assert.equal((await executions("gone")).length, 1);
      // Created again: a new URL, and the old one stays dead.
      const old = urls.gone;
      await put(githubWebhook("gone", "gone", SECRET));
      assert.notEqual(urls.gone, old);
      assert.equal((await deliver(urls.gone, pushTo("master"))).json.outcome, "accepted");
      assert.equal((await deliver(old, pushTo("master"))).status, 404);
    });

    it("delete_pipeline_stops_executions_and_create_again_resumes_them", async () => {
      await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("phoenix", { branch: "master" }) }));
      await put(githubWebhook("phoenix", "phoenix", SECRET));
      assert.equal((await deliver(urls.phoenix, pushTo("master"))).json.outcome, "accepted");
      await client.send(new DeletePipelineCommand({ name: "phoenix" }));
      let r = await deliver(urls.phoenix, pushTo("master"));
      // No pipeline: no {Branch} to match, so nothing starts.
      assert.notEqual(r.json.outcome, "accepted", r.text);
      const unfiltered = await put(githubWebhook("phoenix-all", "phoenix", SECRET, []), "phoenix-all").catch((e) => e);
      assert.equal(unfiltered.name, "PipelineNotFoundException");

      await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("phoenix", { branch: "develop" }) }));
      r = await deliver(urls.phoenix, pushTo("develop"));
      assert.equal(r.json.outcome, "accepted", r.text);
      // A new incarnation: only the execution started since.
      const listed = await executions("phoenix");
      assert.deepEqual(listed.map((e) => e.pipelineExecutionId), [r.json.pipelineExecutionId]);
    });

    it("accepted_delivery_to_a_deleted_pipeline_is_404_and_starts_nothing", async () => {
      await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("vanishing", { branch: "master" }) }));
      await put(githubWebhook("vanishing", "vanishing", SECRET, []));
      assert.equal((await deliver(urls.vanishing, pushTo("master"))).json.outcome, "accepted");
      await client.send(new DeletePipelineCommand({ name: "vanishing" }));
      const r = await deliver(urls.vanishing, pushTo("master"));
      assert.equal(r.status, 404, r.text);
      assert.match(r.json.message, /no longer exists/);
    });

    it("tags_change_nothing_a_delivery_decides", async () => {
      await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("tagged", { branch: "master" }) }));
      await put(githubWebhook("tagged", "tagged", SECRET));
      await client.send(new TagResourceCommand({ resourceArn: `arn:aws:codepipeline:${REGION}:${ACCOUNT}:webhook:tagged`, tags: [{ key: "k", value: "v" }] }));
      await client.send(new TagResourceCommand({ resourceArn: `arn:aws:codepipeline:${REGION}:${ACCOUNT}:tagged`, tags: [{ key: "k", value: "v" }] }));
      const r = await deliver(urls.tagged, pushTo("master"));
      assert.equal(r.json.outcome, "accepted", r.text);
      const view = JSON.parse(await w.kv.get(`token/${tokenOf("tagged")}`));
      assert.equal(view.pipeline.configuration.Branch, "master");
    });

    it("token_records_from_before_views_still_work_and_are_migrated_by_the_next_write", async () => {
      await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("legacy", { branch: "master" }) }));
      await put(githubWebhook("legacy", "legacy", SECRET));
      // As the Worker stored a webhook before views: the token key holds the
      // name, and the record has no list metadata.
      const token = tokenOf("legacy");
      await w.kv.put(`token/${token}`, "legacy");
      await w.kv.put("webhook/legacy", await w.kv.get("webhook/legacy"));
      let r = await deliver(urls.legacy, pushTo("master"));
      assert.equal(r.json.outcome, "accepted", r.text);
      r = await deliver(urls.legacy, pushTo("main"));
      assert.equal(r.json.outcome, "filtered", r.text);
      // UpdatePipeline finds the record without metadata and publishes its view.
      await client.send(new UpdatePipelineCommand({ pipeline: pipelineDeclaration("legacy", { branch: "main" }) }));
      const view = JSON.parse(await w.kv.get(`token/${token}`));
      assert.equal(view.name, "legacy");
      assert.equal(view.pipeline.configuration.Branch, "main");
      r = await deliver(urls.legacy, pushTo("main"));
      assert.equal(r.json.outcome, "accepted", r.text);
      // A delete revokes a legacy token too: it resolves to nothing.
      await w.kv.put(`token/${token}`, "legacy");
      await client.send(new DeleteWebhookCommand({ name: "legacy" }));
      assert.equal((await deliver(urls.legacy, pushTo("main"))).status, 404);
      assert.equal(await w.kv.get(`token/${token}`), "!deleted");
    });

    it("executions_stored_before_ids_carried_their_time_are_still_found", async () => {
      await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("old-execs") }));
      const { incarnation } = JSON.parse(await w.kv.get("pipeline/old-execs"));
      const id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
      const execution = { pipelineName: "old-execs", pipelineVersion: 1, pipelineExecutionId: id, status: "InProgress", artifactRevisions: [], executionMode: "SUPERSEDED", executionType: "STANDARD" };
      await w.kv.put(`execution-id/old-execs/${incarnation}/${id}`, JSON.stringify(execution));
      const got = await client.send(new GetPipelineExecutionCommand({ pipelineName: "old-execs", pipelineExecutionId: id }));
      assert.equal(got.pipelineExecution.pipelineExecutionId, id);
      // A time-carrying id that was never stored is not found.
      await assert.rejects(
        client.send(new GetPipelineExecutionCommand({ pipelineName: "old-execs", pipelineExecutionId: "0190a4c4-0000-7000-8000-000000000000" })),
        (e) => e.name === "PipelineExecutionNotFoundException",
      );
    });

    it("chunked_delivery_is_streamed_and_verified", async () => {
      await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("chunked", { branch: "master" }) }));
      await put(githubWebhook("chunked", "chunked", SECRET));
      let r = await deliverChunked(urls.chunked, pushTo("master"));
      assert.equal(r.status, 200);
      assert.equal(r.json.outcome, "accepted");
      r = await deliverChunked(urls.chunked, pushTo("master"), { secret: "wrong" });
      assert.equal(r.status, 401);
      assert.equal((await executions("chunked")).length, 1);
    });

    it("last_triggered_is_set_by_the_first_accepted_delivery", async () => {
      await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("stamped", { branch: "master" }) }));
      await put(githubWebhook("stamped", "stamped", SECRET));
      const lastTriggered = async () =>
        (await client.send(new ListWebhooksCommand({ MaxResults: 100 }))).webhooks.find((h) => h.definition.name === "stamped").lastTriggered;
      assert.equal(await lastTriggered(), undefined);
      assert.equal((await deliver(urls.stamped, pushTo("other"))).json.outcome, "filtered");
      assert.equal(await lastTriggered(), undefined);
      assert.equal((await deliver(urls.stamped, pushTo("master"))).json.outcome, "accepted");
      assert.ok((await lastTriggered()) instanceof Date);
    });

    it("no_response_contains_a_secret_token", () => {
      assert.ok(w.responses.length > 20);
      assert.deepEqual(leaks(w.responses), []);
    });
  });
}

// A token found unknown is remembered as such, as a webhook's view is: a sender
// that keeps delivering to a deleted webhook's URL costs one KV read per memo
// period. A memo of a minute here, so that no timing can make the test pass
// or fail; a token made known by a direct KV write stands for a write this
// isolate did not see (another isolate's PutWebhook).
describe("an unknown token in the memo (DELIVERY_CACHE_MS=60000)", () => {
  let w, client;
  before(async () => {
    w = await startWorker({ vars: { DELIVERY_CACHE_MS: "60000" } });
    client = new CodePipelineClient({ endpoint: w.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  });
  after(async () => {
    await w?.close();
  });

  it("stays_unknown_until_the_isolate_serves_an_api_request", async () => {
    await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("late", { branch: "master" }) }));
    const { webhook } = await client.send(new PutWebhookCommand({ webhook: githubWebhook("late", "late", SECRET) }));
    const known = new URL(webhook.url).searchParams.get("t");
    const token = "0f".repeat(32);
    const url = webhook.url.replace(known, token);
    assert.equal((await deliver(url, pushTo("master"))).status, 404);
    await w.kv.put(`token/${token}`, await w.kv.get(`token/${known}`));
    // Not read again: the memo says unknown, and the body is still read before the 404.
    let r = await deliver(url, pushTo("master"));
    assert.equal(r.status, 404, r.text);
    assert.equal((await deliver(url, pushTo("master"), { secret: "wrong" })).status, 404);
    // Another token is not affected by the first being unknown.
    assert.equal((await deliver(webhook.url, pushTo("master"))).json.outcome, "accepted");
    // Any API request forgets what this isolate memoised; the token is read again.
    await client.send(new ListWebhooksCommand({}));
    r = await deliver(url, pushTo("master"));
    assert.equal(r.json?.outcome, "accepted", r.text);
  });
});

