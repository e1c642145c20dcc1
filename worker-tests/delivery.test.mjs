// Deliveries of the real GitHub payloads (../shared/fixtures/github-payloads),
// signed with @octokit/webhooks-methods, POSTed to the URL PutWebhook returned.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import http from "node:http";
import { createHmac } from "node:crypto";
import {
  CodePipelineClient,
  CreatePipelineCommand,
  ListPipelineExecutionsCommand,
  ListWebhooksCommand,
  PutWebhookCommand,
  DeleteWebhookCommand,
} from "@aws-sdk/client-codepipeline";
import { ACCOUNT, CREDENTIALS, REGION, SECRET_MARKER, deliverSigned, fixturesDir, githubWebhook, leaks, pipelineDeclaration, startWorker } from "./lib/worker.mjs";

const SECRET = `${SECRET_MARKER}deliveries`;
let w;
let client;
const urls = {};

const payloadFiles = fs.readdirSync(fixturesDir).filter((f) => f.endsWith(".json")).sort();
const payload = (file) => fs.readFileSync(path.join(fixturesDir, file), "utf8");

const deliver = (url, body, options = {}) => deliverSigned(url, body, { secret: SECRET, ...options });

/** POSTs `body` with chunked framing (no Content-Length) in 1 KB pieces; answers { status, text }. */
function postChunked(url, body, headers) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: "POST", path: u.pathname + u.search,
      headers: { "content-type": "application/json", "x-github-event": "push", "transfer-encoding": "chunked", ...headers } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    const bytes = Buffer.from(body);
    for (let i = 0; i < bytes.length; i += 1024) req.write(bytes.subarray(i, i + 1024));
    req.end();
  });
}

async function executions(pipelineName) {
  const all = [];
  let nextToken;
  do {
    const page = await client.send(new ListPipelineExecutionsCommand({ pipelineName, maxResults: 100, nextToken }));
    all.push(...page.pipelineExecutionSummaries);
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

async function lastTriggered(name) {
  const { webhooks } = await client.send(new ListWebhooksCommand({ MaxResults: 100 }));
  return webhooks.find((h) => h.definition.name === name)?.lastTriggered;
}

async function put(def) {
  const { webhook } = await client.send(new PutWebhookCommand({ webhook: def }));
  urls[def.name] = webhook.url;
  return webhook;
}

before(async () => {
  w = await startWorker();
  client = new CodePipelineClient({ endpoint: w.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  for (const name of ["all-events", "master-only", "by-ip", "open", "edge"]) {
    await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration(name, { branch: "master" }) }));
  }
  await put(githubWebhook("all-events", "all-events", SECRET, []));
  await put(githubWebhook("master-only", "master-only", SECRET));
  await put({ ...githubWebhook("by-ip", "by-ip", SECRET, []), authentication: "IP", authenticationConfiguration: { AllowedIPRange: "192.0.2.0/24" } });
  await put({ ...githubWebhook("open", "open", SECRET, []), authentication: "UNAUTHENTICATED", authenticationConfiguration: {} });
  await put(githubWebhook("edge", "edge", SECRET, [{ jsonPath: "$.action", matchEquals: "opened" }]));
});

after(async () => {
  await w?.close();
});

describe("accepted deliveries", () => {
  it("every_real_github_payload_creates_exactly_one_webhook_execution", async () => {
    assert.ok(payloadFiles.length >= 30, `${payloadFiles.length} payloads`);
    const ids = [];
    for (const file of payloadFiles) {
      const event = file.split(".")[0];
      const r = await deliver(urls["all-events"], payload(file), { event });
      assert.equal(r.status, 200, `${file}: ${r.text}`);
      assert.equal(r.json.outcome, "accepted", file);
      ids.push(r.json.pipelineExecutionId);
    }
    const listed = await executions("all-events");
    assert.equal(listed.length, payloadFiles.length);
    assert.deepEqual(new Set(listed.map((e) => e.pipelineExecutionId)), new Set(ids));
    for (const e of listed) {
      assert.equal(e.trigger.triggerType, "Webhook");
      assert.equal(e.trigger.triggerDetail, `arn:aws:codepipeline:${REGION}:${ACCOUNT}:webhook:all-events`);
      assert.equal(e.status, "InProgress");
    }
  });

  it("push_to_master_passes_filter_and_records_the_after_commit", async () => {
    const before = await lastTriggered("master-only");
    assert.equal(before, undefined);
    const r = await deliver(urls["master-only"], payload("push.with-new-branch.payload.json"));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.outcome, "accepted");
    const [e] = await executions("master-only");
    assert.equal(e.pipelineExecutionId, r.json.pipelineExecutionId);
    assert.deepEqual(e.sourceRevisions, [{ actionName: "Source", revisionId: "6113728f27ae82c7b1a177c8d03f9e96e0adf246" }]);
    assert.ok((await lastTriggered("master-only")) instanceof Date);
  });

  it("form_encoded_delivery_is_accepted", async () => {
    const body = `payload=${encodeURIComponent(payload("push.with-no-username-committer.payload.json"))}`;
    const r = await deliver(urls["master-only"], body, { headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.outcome, "accepted");
  });

  it("ip_webhook_accepts_inside_range_and_forbids_outside", async () => {
    const body = payload("ping.payload.json");
    let r = await deliver(urls["by-ip"], body, { signature: null, headers: { "cf-connecting-ip": "192.0.2.77" } });
    assert.equal(r.status, 200, r.text);
    r = await deliver(urls["by-ip"], body, { signature: null, headers: { "cf-connecting-ip": "198.51.100.7" } });
    assert.equal(r.status, 403);
    // A client-controlled header never counts.
    r = await deliver(urls["by-ip"], body, { signature: null, headers: { "cf-connecting-ip": "198.51.100.7", "x-forwarded-for": "192.0.2.77" } });
    assert.equal(r.status, 403);
    assert.ok(!r.text.includes("192.0.2"), "a refusal does not reveal the allowed range");
    assert.equal((await executions("by-ip")).length, 1);
  });

  it("large_bodies_verified_natively_accept_good_and_refuse_bad_signatures", async () => {
    // Above 64 KB the Worker computes the HMAC with Web Crypto; the outcome must not change.
    const base = JSON.parse(payload("push.with-new-branch.payload.json"));
    for (const size of [100 * 1024, 5 * 1024 * 1024]) {
      const body = JSON.stringify({ ...base, padding: "x".repeat(size) });
      const before = (await executions("master-only")).length;
      let r = await deliver(urls["master-only"], body);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.outcome, "accepted");
      r = await deliver(urls["master-only"], body, { secret: "wrong" });
      assert.equal(r.status, 401);
      // Legacy SHA-1 header alone.
      const sha1 = `sha1=${createHmac("sha1", SECRET).update(body).digest("hex")}`;
      r = await deliver(urls["master-only"], body, { signature: null, headers: { "x-hub-signature": sha1 } });
      assert.equal(r.status, 200, r.text);
      r = await deliver(urls["master-only"], body, { signature: null, headers: { "x-hub-signature": sha1.replace(/.$/, "0") === sha1 ? sha1.replace(/.$/, "1") : sha1.replace(/.$/, "0") } });
      assert.equal(r.status, 401);
      assert.equal((await executions("master-only")).length, before + 2);
    }
  });

  it("redelivered_github_delivery_to_a_pipeline_without_target_is_one_execution", async () => {
    // SPEC §2.5: a delivery carrying X-GitHub-Delivery starts at most one execution, whether or
    // not its pipeline has a dispatch target (GitHub's Redeliver sends the same id again).
    const body = payload("push.with-new-branch.payload.json");
    const id = crypto.randomUUID();
    const before = (await executions("master-only")).length;
    const first = await deliver(urls["master-only"], body, { headers: { "x-github-delivery": id } });
    assert.equal(first.status, 200, first.text);
    const copies = await Promise.all(
      Array.from({ length: 5 }, () => deliver(urls["master-only"], body, { headers: { "x-github-delivery": id } })),
    );
    for (const c of copies) {
      assert.equal(c.status, 200, c.text);
      assert.equal(c.json.pipelineExecutionId, first.json.pipelineExecutionId);
    }
    const other = await deliver(urls["master-only"], body, { headers: { "x-github-delivery": crypto.randomUUID() } });
    assert.notEqual(other.json.pipelineExecutionId, first.json.pipelineExecutionId);
    const after = await executions("master-only");
    assert.equal(after.length, before + 2);
    assert.equal(after.filter((e) => e.pipelineExecutionId === first.json.pipelineExecutionId).length, 1);
  });

  it("unauthenticated_webhook_accepts_unsigned", async () => {
    const r = await deliver(urls.open, payload("release.published.payload.json"), { signature: null, event: "release" });
    assert.equal(r.status, 200);
    assert.equal((await executions("open")).length, 1);
  });
});

describe("refused deliveries change nothing", () => {
  const cases = [
    ["bad_signature_is_401", "master-only", () => ({ body: payload("push.with-new-branch.payload.json"), opts: { secret: "wrong" } }), 401],
    ["missing_signature_is_401", "master-only", () => ({ body: payload("push.with-new-branch.payload.json"), opts: { signature: null } }), 401],
    ["garbage_signature_is_401", "master-only", () => ({ body: payload("push.with-new-branch.payload.json"), opts: { signature: "sha256=zz" } }), 401],
    ["tag_push_is_filtered_200", "master-only", () => ({ body: payload("push.payload.json"), opts: {} }), 200],
    ["closed_pull_request_is_filtered_200", "edge", () => ({ body: payload("pull_request.closed.payload.json"), opts: { event: "pull_request" } }), 200],
    ["non_json_body_is_400", "master-only", () => ({ body: "this is not json", opts: {} }), 400],
  ];
  for (const [name, hook, make, status] of cases) {
    it(name, async () => {
      const beforeExecs = (await executions(hook)).length;
      const beforeLast = await lastTriggered(hook);
      const { body, opts } = make();
      const r = await deliver(urls[hook], body, opts);
      assert.equal(r.status, status, r.text);
      if (status === 200) {
        assert.equal(r.json.outcome, "filtered");
        assert.ok(r.json.filters.length > 0, "the body says which rule failed");
      }
      assert.equal((await executions(hook)).length, beforeExecs);
      assert.deepEqual(await lastTriggered(hook), beforeLast);
    });
  }

  it("pull_request_opened_passes_the_action_filter", async () => {
    const r = await deliver(urls.edge, payload("pull_request.opened.payload.json"), { event: "pull_request" });
    assert.equal(r.json.outcome, "accepted", r.text);
  });

  it("unknown_or_malformed_token_is_404", async () => {
    const u = new URL(urls["master-only"]);
    for (const q of ["?t=deadbeef&v=1", "", "?v=1", `?t=${u.searchParams.get("t")}&v=2`, `?t=${u.searchParams.get("t")}`]) {
      const r = await deliver(`${u.origin}/trigger${q}`, payload("push.with-new-branch.payload.json"));
      assert.equal(r.status, 404, q);
    }
  });

  it("garbage_bodies_get_a_clear_status_never_a_crash", async () => {
    const before = (await executions("edge")).length;
    const bodies = [
      "",
      "[".repeat(100000),
      `{"action":${"[".repeat(20000)}${"]".repeat(20000)}}`,
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
      "payload=",
      "payload=%7B%22action%22%3A",
      "a=b&c=d",
      '{"action": "opened"',
      "null",
    ];
    for (const body of bodies) {
      for (const type of ["application/json", "application/x-www-form-urlencoded"]) {
        const sig = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
        const r = await deliver(urls.edge, body, { signature: sig, event: "pull_request", headers: { "content-type": type } });
        assert.ok([200, 400].includes(r.status), `${type} ${String(body).slice(0, 30)} -> ${r.status} ${r.text.slice(0, 200)}`);
        assert.ok(r.json && typeof r.json.outcome === "string", r.text.slice(0, 200));
        assert.notEqual(r.json.outcome, "accepted");
      }
    }
    assert.equal((await executions("edge")).length, before);
  });

  it("get_on_the_trigger_url_is_405", async () => {
    const res = await fetch(urls["master-only"]);
    assert.equal(res.status, 405);
  });

  it("declared_oversize_body_is_413_before_reading", async () => {
    const status = await new Promise((resolve, reject) => {
      const u = new URL(urls["all-events"]);
      const req = http.request({ host: u.hostname, port: u.port, method: "POST", path: u.pathname + u.search,
        headers: { "content-type": "application/json", "content-length": String(26 * 1024 * 1024) } }, (res) => {
        res.resume();
        resolve(res.statusCode);
        req.destroy();
      });
      req.on("error", (e) => (e.code === "ECONNRESET" || e.code === "EPIPE" ? null : reject(e)));
      req.write("{"); // only a byte: the 413 comes from the header alone
    });
    assert.equal(status, 413);
  });

  it("streamed_oversize_body_is_413", async () => {
    const before = (await executions("all-events")).length;
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const status = await new Promise((resolve, reject) => {
      const u = new URL(urls["all-events"]);
      const req = http.request({ host: u.hostname, port: u.port, method: "POST", path: u.pathname + u.search,
        headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        resolve(res.statusCode);
        req.destroy();
      });
      req.on("error", (e) => (["ECONNRESET", "EPIPE"].includes(e.code) ? null : reject(e)));
      let sent = 0;
      const pump = () => {
        while (sent < 27) {
          sent += 1;
          if (!req.write(chunk)) return req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    assert.equal(status, 413);
    assert.equal((await executions("all-events")).length, before);
  });

  it("chunked_bodies_without_a_length_are_decided_like_declared_ones", async () => {
    // No Content-Length: the body is streamed into wasm and signed there by Web Crypto.
    const body = payload("push.with-new-branch.payload.json");
    const sha256 = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
    const sha1 = `sha1=${createHmac("sha1", SECRET).update(body).digest("hex")}`;
    const before = (await executions("master-only")).length;
    let r = await postChunked(urls["master-only"], body, { "x-hub-signature-256": sha256 });
    assert.equal(r.status, 200, r.text);
    assert.equal(JSON.parse(r.text).outcome, "accepted");
    r = await postChunked(urls["master-only"], body, { "x-hub-signature": sha1 });
    assert.equal(r.status, 200, r.text);
    r = await postChunked(urls["master-only"], body, { "x-hub-signature-256": sha256.replace(/.$/, (c) => (c === "0" ? "1" : "0")) });
    assert.equal(r.status, 401, r.text);
    // SHA-256 alone decides when both are sent (no downgrade to a valid SHA-1).
    r = await postChunked(urls["master-only"], body, { "x-hub-signature-256": "sha256=" + "0".repeat(64), "x-hub-signature": sha1 });
    assert.equal(r.status, 401, r.text);
    assert.equal((await executions("master-only")).length, before + 2);
  });

  it("unknown_tokens_read_the_body_before_answering_whatever_its_framing", async () => {
    const origin = new URL(urls["master-only"]).origin;
    const body = payload("push.with-new-branch.payload.json");
    assert.equal((await postChunked(`${origin}/trigger?t=deadbeef&v=1`, body, {})).status, 404);
    assert.equal((await postChunked(`${origin}/trigger?t=deadbeef&v=1`, "", {})).status, 404);
    const r = await deliver(`${origin}/trigger?t=deadbeef&v=1`, body);
    assert.equal(r.status, 404);
    assert.equal(r.json.message, "No webhook is registered at this URL.");
  });

  it("deleted_webhook_url_is_404", async () => {
    await put({ ...githubWebhook("short-lived", "open", SECRET, []), authentication: "UNAUTHENTICATED", authenticationConfiguration: {} });
    await client.send(new DeleteWebhookCommand({ name: "short-lived" }));
    const r = await deliver(urls["short-lived"], "{}", { signature: null });
    assert.equal(r.status, 404);
  });
});

describe("secrets", () => {
  it("no_response_contains_a_secret_token", () => {
    assert.ok(w.responses.length > 50);
    assert.deepEqual(leaks(w.responses), []);
  });
});
