// The delivery log (ListWebhookDeliveries, GetWebhookDelivery) and redelivery
// (RedeliverWebhookDelivery): pipehook's own operations, `Pipehook_20261201.<Operation>`,
// SigV4-signed like AWS's. Every outcome's entry, the bounds (the 101st entry, a 1 MB and a
// 1 MB + 1 body, the expiry), no secret and no signature value anywhere, redelivery dry-run
// and real, and a failing log write that costs the delivery nothing. Entries are written after
// the answer (ctx.waitUntil), so the suite polls for them.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { ACCOUNT, REGION, SECRET_MARKER, callApi, deliverSigned, fixturesDir, githubWebhook, leaks, pipelineDeclaration, startWorker } from "./lib/worker.mjs";
import { eventually, settled, startDispatchWorker, startTarget, v2Pipeline, verifyStandardWebhook } from "./lib/dispatch.mjs";

const SECRET = `${SECRET_MARKER}log-a`;
const ROTATED = `${SECRET_MARKER}log-b`;
const PUSH = fs.readFileSync(path.join(fixturesDir, "push.with-new-branch.payload.json"), "utf8"); // to master
const PUSH_OTHER = PUSH.replace('"ref": "refs/heads/master"', '"ref": "refs/heads/elsewhere"');
const MB = 1024 * 1024;
const TTL_S = 7 * 24 * 3600;
const sha256 = (data) => createHash("sha256").update(data).digest("hex");

/** A pipehook operation, signed as the SDKs sign AWS's. */
export const pipehook = (endpoint, operation, input, opts = {}) =>
  callApi(endpoint, operation, input, { ...opts, headers: { "x-amz-target": `Pipehook_20261201.${operation}`, ...opts.headers } });

async function ok(endpoint, operation, input) {
  const r = await callApi(endpoint, operation, input);
  assert.equal(r.status, 200, `${operation}: ${r.text}`);
  return r.json;
}

async function okPipehook(endpoint, operation, input) {
  const r = await pipehook(endpoint, operation, input);
  assert.equal(r.status, 200, `${operation}: ${r.text}`);
  return r.json;
}

/** Every entry of `webhookName`'s log, newest first, through the API (paging with `maxResults`). */
async function listAll(endpoint, webhookName, maxResults) {
  const all = [];
  let nextToken;
  do {
    const page = await okPipehook(endpoint, "ListWebhookDeliveries", { webhookName, maxResults, nextToken });
    all.push(...page.deliveries);
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

/** Waits for `webhookName`'s log to hold `n` entries; answers them, newest first. */
const logged = (endpoint, webhookName, n) =>
  eventually(async () => {
    const all = await listAll(endpoint, webhookName);
    return all.length >= n ? all : null;
  }, { what: `${n} log entries of ${webhookName}` });

/** A JSON body of exactly `size` bytes that pushes to master. */
function bodyOfSize(size) {
  const head = '{"ref":"refs/heads/master","after":"6113728f27ae82c7b1a177c8d03f9e96e0adf246","pad":"';
  const tail = '"}';
  return head + "x".repeat(size - head.length - tail.length) + tail;
}

/** POSTs headers declaring `length` bytes and one byte of body: answered from the header alone. */
function declaredOversize(url, length) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, method: "POST", path: u.pathname + u.search,
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": "oversize-guid", "content-length": String(length) } }, (res) => {
      res.resume();
      resolve(res.statusCode);
      req.destroy();
    });
    req.on("error", (e) => (e.code === "ECONNRESET" || e.code === "EPIPE" ? null : reject(e)));
    req.write("{");
  });
}

/** Every KV entry under `prefix`, as text: `{ name, value, metadata, expiration }`. */
async function kvEntries(kv, prefix) {
  const out = [];
  let cursor;
  do {
    const page = await kv.list({ prefix, cursor });
    for (const k of page.keys) {
      const { value, metadata } = await kv.getWithMetadata(k.name);
      out.push({ name: k.name, value: value ?? "", metadata, expiration: k.expiration });
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return out;
}

describe("the delivery log", () => {
  let w;
  const urls = {};
  /** Every signature header value the suite sent: none may be stored or answered. */
  const signatures = [];

  const send = async (url, body, options = {}) => {
    const secret = options.secret ?? SECRET;
    const signature = options.signature === undefined ? "sha256=" + createHmac("sha256", secret).update(body).digest("hex") : options.signature;
    if (signature) signatures.push(signature);
    return deliverSigned(url, body, { ...options, secret, signature });
  };

  before(async () => {
    w = await startWorker({ faults: { kv: ["PIPEHOOK"] }, vars: { SECRET_ROTATION_GRACE_S: "600" } });
    for (const name of ["log", "log-ip", "open", "many", "fixme", "rotated"]) {
      await ok(w.endpoint, "CreatePipeline", { pipeline: pipelineDeclaration(name, { branch: "master" }) });
    }
    const put = async (definition) => (urls[definition.name] = (await ok(w.endpoint, "PutWebhook", { webhook: definition })).webhook.url);
    await put(githubWebhook("log", "log", SECRET));
    await put({ ...githubWebhook("log-ip", "log-ip", SECRET, []), authentication: "IP", authenticationConfiguration: { AllowedIPRange: "192.0.2.0/24" } });
    await put({ ...githubWebhook("open", "open", SECRET, []), authentication: "UNAUTHENTICATED", authenticationConfiguration: {} });
    await put({ ...githubWebhook("many", "many", SECRET, [{ jsonPath: "$.ref", matchEquals: "refs/heads/never" }]), authentication: "UNAUTHENTICATED", authenticationConfiguration: {} });
    await put(githubWebhook("fixme", "fixme", SECRET, [{ jsonPath: "$.ref", matchEquals: "refs/heads/release" }]));
    await put(githubWebhook("rotated", "rotated", SECRET));
  });

  after(async () => {
    await w?.close();
  });

  it("records every outcome with when, the GitHub headers, the source, the decision and its traces, and the body", async () => {
    const ip = { "cf-connecting-ip": "192.0.2.44" };
    const sent = [];
    const expect = async (what, r, status, more = {}) => {
      assert.equal(r.status, status, `${what}: ${r.text}`);
      sent.push({ what, answer: r.json, at: Date.now(), ...more });
    };
    // Two in a row of each kind: the first after an API write decides on the general way, the
    // next on the synchronous one; both log.
    await expect("accepted", await send(urls.log, PUSH, { headers: { "x-github-delivery": "guid-accepted", ...ip } }), 200, { body: PUSH });
    await expect("accepted again", await send(urls.log, PUSH, { headers: { "x-github-delivery": "guid-accepted-2" } }), 200, { body: PUSH });
    await expect("filtered", await send(urls.log, PUSH_OTHER, { headers: { "x-github-delivery": "guid-filtered" } }), 200, { body: PUSH_OTHER });
    await expect("unauthorized", await send(urls.log, PUSH, { secret: `${SECRET_MARKER}wrong`, headers: { "x-github-delivery": "guid-unauthorized" } }), 401, { body: PUSH });
    await expect("unsigned", await send(urls.log, PUSH, { signature: null, event: "ping", headers: { "x-github-delivery": "guid-unsigned" } }), 401, { body: PUSH });
    await expect("malformed", await send(urls.log, "{not json", { headers: { "x-github-delivery": "guid-malformed" } }), 400, { body: "{not json" });
    await expect("too large", { status: await declaredOversize(urls.log, 26 * MB), json: null, text: "" }, 413);
    w.faults.failNth(1, { binding: "PIPEHOOK", prefix: "execution/" });
    await expect("unavailable", await send(urls.log, PUSH, { headers: { "x-github-delivery": "guid-503" } }), 503, { body: PUSH });
    w.faults.clear();
    await expect("forbidden", await send(urls["log-ip"], PUSH, { signature: null, headers: { "cf-connecting-ip": "198.51.100.7", "x-github-delivery": "guid-forbidden" } }), 403, { body: PUSH });
    // Nothing is logged for a URL whose token no webhook has.
    await send(urls.log.replace(/t=[0-9a-f]+/, "t=" + "0".repeat(64)), PUSH);

    const entries = await logged(w.endpoint, "log", 8);
    assert.equal(entries.length, 8, JSON.stringify(entries.map((e) => e.outcome)));
    // Newest first.
    const expected = sent.filter((s) => s.what !== "forbidden").reverse();
    assert.deepEqual(entries.map((e) => e.outcome), expected.map((s) => ({ "accepted again": "accepted", unsigned: "unauthorized", "too large": "tooLarge" })[s.what] ?? s.what));
    for (let i = 1; i < entries.length; i++) assert.ok(entries[i - 1].deliveredAt >= entries[i].deliveredAt);

    const full = async (summary) => (await okPipehook(w.endpoint, "GetWebhookDelivery", { webhookName: "log", deliveryId: summary.deliveryId })).delivery;
    const byWhat = Object.fromEntries(expected.map((s, i) => [s.what, { summary: entries[i], sent: s }]));

    // Accepted: the execution it started, the traces built after answering, the body kept.
    {
      const { summary, sent: s } = byWhat.accepted;
      const e = await full(summary);
      assert.equal(e.deliveryId, summary.deliveryId);
      assert.match(e.deliveryId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.ok(Math.abs(e.deliveredAt * 1000 - s.at) < 5000, `${e.deliveredAt} vs ${s.at}`);
      assert.equal(e.guid, "guid-accepted");
      assert.equal(e.event, "push");
      assert.equal(e.sourceIp, "192.0.2.44");
      assert.equal(e.contentType, "application/json");
      assert.equal(e.signatureHeader, "x-hub-signature-256");
      assert.equal(e.status, 200);
      assert.equal(e.reason, "accepted: the filter rule passed");
      assert.equal(e.pipelineExecutionId, s.answer.pipelineExecutionId);
      assert.equal(summary.pipelineExecutionId, s.answer.pipelineExecutionId);
      assert.equal(e.revision, "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
      assert.equal(e.matchedSecret, "current");
      assert.deepEqual(e.filters, [{ jsonPath: "$.ref", expected: "refs/heads/master", selected: ["refs/heads/master"], selectedCount: 1, passed: true }]);
      assert.equal(e.bodyKept, true);
      assert.equal(e.bodySize, Buffer.byteLength(PUSH));
      assert.equal(e.body, PUSH);
      assert.equal(e.redelivery, false);
      // The answer to the sender is as it was: the execution id, no trace.
      assert.deepEqual(Object.keys(s.answer).sort(), ["outcome", "pipelineExecutionId", "revision"]);
    }
    // Filtered: the trace the sender was answered, and the reason.
    {
      const { summary, sent: s } = byWhat.filtered;
      const e = await full(summary);
      assert.equal(e.status, 200);
      assert.equal(e.reason, s.answer.reason);
      assert.equal(summary.reason, s.answer.reason);
      assert.deepEqual(e.filters, s.answer.filters);
      assert.equal(e.filters[0].passed, false);
      assert.equal(e.pipelineExecutionId, undefined);
      assert.equal(e.body, PUSH_OTHER);
    }
    // Refused for the signature: the owner sees why; the sender was told nothing; the body is not kept.
    for (const [what, header] of [["unauthorized", "x-hub-signature-256"], ["unsigned", undefined]]) {
      const { summary, sent: s } = byWhat[what];
      const e = await full(summary);
      assert.equal(e.status, 401);
      assert.deepEqual(s.answer, { outcome: "unauthorized", message: "The delivery's signature is missing or does not verify." });
      assert.notEqual(e.reason, s.answer.message);
      assert.ok(e.reason.length > 0);
      assert.equal(e.signatureHeader, header);
      assert.deepEqual(e.filters, []);
      assert.equal(e.bodyKept, false);
      assert.equal(e.bodySize, Buffer.byteLength(PUSH));
      assert.equal(e.bodySha256, sha256(PUSH));
      assert.equal(e.body, undefined);
      assert.equal(e.matchedSecret, undefined);
    }
    assert.equal((await full(byWhat.unsigned.summary)).event, "ping");
    // Malformed: the parse error.
    {
      const e = await full(byWhat.malformed.summary);
      assert.equal(e.status, 400);
      assert.match(e.reason, /not JSON/);
      assert.equal(e.body, "{not json");
    }
    // Too large: refused before it was read, logged by its declared size.
    {
      const e = await full(byWhat["too large"].summary);
      assert.equal(e.status, 413);
      assert.equal(e.bodySize, 26 * MB);
      assert.equal(e.bodyKept, false);
      assert.equal(e.bodySha256, undefined);
      assert.equal(e.guid, "oversize-guid");
      assert.match(e.reason, /25|26214400/);
    }
    // 503: the accepted decision, nothing started, the body kept (so it can be redelivered).
    {
      const { summary } = byWhat.unavailable;
      const e = await full(summary);
      assert.equal(e.status, 503);
      assert.match(e.reason, /^accepted: the filter rule passed; but storage was unavailable \(execution\)/);
      assert.equal(e.pipelineExecutionId, undefined);
      assert.equal(e.filters[0].passed, true);
      assert.equal(e.bodyKept, true);
    }
    // Forbidden, in the IP webhook's own log.
    {
      const [summary] = await logged(w.endpoint, "log-ip", 1);
      const e = (await okPipehook(w.endpoint, "GetWebhookDelivery", { webhookName: "log-ip", deliveryId: summary.deliveryId })).delivery;
      assert.equal(e.outcome, "forbidden");
      assert.equal(e.status, 403);
      assert.equal(e.sourceIp, "198.51.100.7");
      assert.match(e.reason, /198\.51\.100\.7/);
      assert.equal(e.bodyKept, false);
      // An entry of one webhook is not another's.
      const other = await pipehook(w.endpoint, "GetWebhookDelivery", { webhookName: "log", deliveryId: summary.deliveryId });
      assert.equal(other.json.__type, "WebhookDeliveryNotFoundException");
    }
    // Nothing was logged for the unknown token: every entry is under a live webhook's token.
    const tokens = new Set(Object.values(urls).map((u) => new URL(u).searchParams.get("t")));
    for (const e of await kvEntries(w.kv, "delivery/")) assert.ok(tokens.has(e.name.split("/")[1]), e.name);
  });

  it("says when a delivery was signed with the previous secret, and until when it is accepted", async () => {
    await ok(w.endpoint, "PutWebhook", { webhook: githubWebhook("rotated", "rotated", ROTATED) });
    const r = await send(urls.rotated, PUSH, { secret: SECRET });
    assert.equal(r.json.matchedSecret, "previous", r.text);
    const [summary] = await logged(w.endpoint, "rotated", 1);
    const e = (await okPipehook(w.endpoint, "GetWebhookDelivery", { webhookName: "rotated", deliveryId: summary.deliveryId })).delivery;
    assert.equal(e.matchedSecret, "previous");
    assert.equal(e.previousSecretExpires, r.json.previousSecretExpires);
    assert.equal(e.reason, r.json.reason);
    assert.equal(e.pipelineExecutionId, r.json.pipelineExecutionId);
  });

  it("keeps a body of 1 MB for redelivery, and of 1 MB + 1 only its size and SHA-256; every entry expires in 7 days", async () => {
    const exact = bodyOfSize(MB);
    const over = bodyOfSize(MB + 1);
    assert.equal(Buffer.byteLength(exact), MB);
    assert.equal((await send(urls.open, exact, { signature: null })).status, 200);
    assert.equal((await send(urls.open, over, { signature: null })).status, 200);
    const [overSummary, exactSummary] = await logged(w.endpoint, "open", 2);
    const get = async (s) => (await okPipehook(w.endpoint, "GetWebhookDelivery", { webhookName: "open", deliveryId: s.deliveryId })).delivery;
    const kept = await get(exactSummary);
    assert.equal(kept.bodyKept, true);
    assert.equal(kept.bodySize, MB);
    assert.equal(kept.body, exact);
    const notKept = await get(overSummary);
    assert.equal(notKept.bodyKept, false);
    assert.equal(notKept.bodySize, MB + 1);
    assert.equal(notKept.bodySha256, sha256(over));
    assert.equal(notKept.body, undefined);
    const [value] = (await kvEntries(w.kv, `delivery/${new URL(urls.open).searchParams.get("t")}/`)).filter((e) => e.name.endsWith(notKept.deliveryId));
    assert.ok(value.value.length < 4096, `${value.value.length} bytes stored`);

    const refused = await pipehook(w.endpoint, "RedeliverWebhookDelivery", { webhookName: "open", deliveryId: overSummary.deliveryId, dryRun: true });
    assert.equal(refused.json.__type, "ValidationException", refused.text);
    assert.match(refused.json.message, /1048577 bytes\) was larger than the 1048576 bytes \(1 MB\) the log keeps/);
    const again = await okPipehook(w.endpoint, "RedeliverWebhookDelivery", { webhookName: "open", deliveryId: exactSummary.deliveryId, dryRun: true });
    assert.equal(again.outcome, "accepted");

    const now = Date.now() / 1000;
    const stored = await kvEntries(w.kv, "delivery/");
    assert.ok(stored.length > 0);
    for (const e of stored) {
      assert.ok(e.expiration >= now + TTL_S - 3600 && e.expiration <= now + TTL_S + 60, `${e.name}: expiration ${e.expiration}`);
    }
  });

  it("keeps the newest 100 entries of a webhook: the 101st delivery trims the oldest, and paging stops at 100", async () => {
    const token = new URL(urls.many).searchParams.get("t");
    const body = (i) => JSON.stringify({ ref: "refs/heads/master", n: i });
    assert.equal((await send(urls.many, body(0), { signature: null })).status, 200);
    const [first] = await logged(w.endpoint, "many", 1);
    for (let i = 1; i < 101; i++) assert.equal((await send(urls.many, body(i), { signature: null })).status, 200);
    // The 101st write trims the log to 100 (each isolate trims on its 1st, 11th, … write).
    await eventually(async () => (await kvEntries(w.kv, `delivery/${token}/`)).length === 100 ? true : null, { what: "the trim to 100" });
    const gone = await pipehook(w.endpoint, "GetWebhookDelivery", { webhookName: "many", deliveryId: first.deliveryId });
    assert.equal(gone.json.__type, "WebhookDeliveryNotFoundException", gone.text);
    assert.match(gone.json.message, /last 100 deliveries, each for 7 days/);
    const all = await listAll(w.endpoint, "many", 30);
    assert.equal(all.length, 100);
    assert.equal(new Set(all.map((e) => e.deliveryId)).size, 100);
    const newest = (await okPipehook(w.endpoint, "GetWebhookDelivery", { webhookName: "many", deliveryId: all[0].deliveryId })).delivery;
    assert.equal(JSON.parse(newest.body).n, 100);
    const oldest = (await okPipehook(w.endpoint, "GetWebhookDelivery", { webhookName: "many", deliveryId: all[99].deliveryId })).delivery;
    assert.equal(JSON.parse(oldest.body).n, 1);
    // A page size that does not divide 100 still stops at 100.
    assert.equal((await listAll(w.endpoint, "many", 33)).length, 100);
  });

  it("a log write that fails costs the delivery nothing", async () => {
    const before = (await listAll(w.endpoint, "log")).length;
    w.faults.failNth(1, { binding: "PIPEHOOK", prefix: `delivery/${new URL(urls.log).searchParams.get("t")}/` });
    const r = await send(urls.log, PUSH);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.outcome, "accepted");
    await eventually(() => w.faults.writes.some((x) => x.failed && x.key.startsWith("delivery/")) || null, { what: "the failed log write" });
    w.faults.clear();
    const after = await send(urls.log, PUSH_OTHER);
    assert.equal(after.status, 200);
    const entries = await logged(w.endpoint, "log", before + 1);
    assert.equal(entries.length, before + 1);
    assert.equal(entries[0].outcome, "filtered");
  });

  it("redelivers: a dry run decides the stored body against the fixed webhook and changes nothing; a real one starts a new execution and is logged", async () => {
    const original = await send(urls.fixme, PUSH, { headers: { "x-github-delivery": "guid-fixme" } });
    assert.equal(original.json.outcome, "filtered");
    const [entry] = await logged(w.endpoint, "fixme", 1);
    // The user fixes the filter.
    await ok(w.endpoint, "PutWebhook", { webhook: githubWebhook("fixme", "fixme", SECRET) });
    const executions = async () => (await ok(w.endpoint, "ListPipelineExecutions", { pipelineName: "fixme" })).pipelineExecutionSummaries;

    const dry = await okPipehook(w.endpoint, "RedeliverWebhookDelivery", { webhookName: "fixme", deliveryId: entry.deliveryId, dryRun: true });
    assert.equal(dry.dryRun, true);
    assert.equal(dry.outcome, "accepted");
    assert.equal(dry.status, 200);
    assert.equal(dry.reason, "accepted: the filter rule passed");
    assert.deepEqual(dry.filters.map((f) => [f.expected, f.passed]), [["refs/heads/master", true]]);
    assert.equal(dry.pipelineExecutionId, undefined);
    assert.equal(dry.redeliveryId, undefined);
    assert.equal((await executions()).length, 0);
    assert.equal((await listAll(w.endpoint, "fixme")).length, 1);

    const real = await okPipehook(w.endpoint, "RedeliverWebhookDelivery", { webhookName: "fixme", deliveryId: entry.deliveryId });
    assert.equal(real.dryRun, false);
    assert.equal(real.outcome, "accepted");
    assert.equal(real.revision, "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
    assert.ok(real.pipelineExecutionId);
    assert.ok(real.redeliveryId);
    const { pipelineExecution } = await ok(w.endpoint, "GetPipelineExecution", { pipelineName: "fixme", pipelineExecutionId: real.pipelineExecutionId });
    assert.equal(pipelineExecution.trigger.triggerType, "Webhook");
    assert.equal(pipelineExecution.trigger.triggerDetail, `arn:aws:codepipeline:${REGION}:${ACCOUNT}:webhook:fixme (redelivery ${real.redeliveryId} of delivery ${entry.deliveryId})`);
    assert.deepEqual(pipelineExecution.artifactRevisions.map((a) => a.revisionId), ["6113728f27ae82c7b1a177c8d03f9e96e0adf246"]);
    assert.equal((await executions()).length, 1);
    const { webhooks } = await ok(w.endpoint, "ListWebhooks", {});
    assert.ok(webhooks.find((h) => h.definition.name === "fixme").lastTriggered);

    // The redelivery is an entry of its own, marked as one.
    const [newest, oldest] = await listAll(w.endpoint, "fixme");
    assert.equal(newest.deliveryId, real.redeliveryId);
    assert.equal(newest.redelivery, true);
    assert.equal(newest.outcome, "accepted");
    assert.equal(newest.pipelineExecutionId, real.pipelineExecutionId);
    assert.equal(oldest.deliveryId, entry.deliveryId);
    const logged_ = (await okPipehook(w.endpoint, "GetWebhookDelivery", { webhookName: "fixme", deliveryId: real.redeliveryId })).delivery;
    assert.equal(logged_.redeliveryOf, entry.deliveryId);
    assert.equal(logged_.guid, "guid-fixme");
    assert.equal(logged_.body, PUSH);
    assert.equal(logged_.filters[0].passed, true);

    // Again: another new execution (a redelivery is never the original's copy).
    const twice = await okPipehook(w.endpoint, "RedeliverWebhookDelivery", { webhookName: "fixme", deliveryId: entry.deliveryId, dryRun: false });
    assert.notEqual(twice.pipelineExecutionId, real.pipelineExecutionId);
    assert.equal((await executions()).length, 2);
  });

  it("redelivers a delivery answered 503, and a form-encoded one by its content type; never one refused for its signature", async () => {
    const entries = await listAll(w.endpoint, "log");
    const unavailable = entries.find((e) => e.outcome === "unavailable");
    const r = await okPipehook(w.endpoint, "RedeliverWebhookDelivery", { webhookName: "log", deliveryId: unavailable.deliveryId });
    assert.equal(r.outcome, "accepted");
    assert.ok(r.pipelineExecutionId);

    const form = `payload=${encodeURIComponent(PUSH)}`;
    assert.equal((await send(urls.log, form, { headers: { "content-type": "application/x-www-form-urlencoded" } })).json.outcome, "accepted");
    const [formEntry] = await logged(w.endpoint, "log", entries.length + 2);
    assert.equal(formEntry.outcome, "accepted");
    const again = await okPipehook(w.endpoint, "RedeliverWebhookDelivery", { webhookName: "log", deliveryId: formEntry.deliveryId, dryRun: true });
    assert.equal(again.outcome, "accepted", again.reason);

    const unauthorized = entries.find((e) => e.outcome === "unauthorized");
    const refused = await pipehook(w.endpoint, "RedeliverWebhookDelivery", { webhookName: "log", deliveryId: unauthorized.deliveryId, dryRun: true });
    assert.equal(refused.json.__type, "ValidationException");
    assert.match(refused.json.message, /refused when it arrived \(unauthorized: .*\), so it did not come from an authenticated sender/);
  });

  it("answers AWS-style errors for bad input, unknown webhooks and unknown deliveries", async () => {
    const [entry] = await listAll(w.endpoint, "log");
    const cases = [
      ["ListWebhookDeliveries", { webhookName: "nope" }, "WebhookNotFoundException", /Webhook 'nope' not found/],
      ["ListWebhookDeliveries", {}, "ValidationException", /webhookName/],
      ["ListWebhookDeliveries", { webhookName: "log", maxResults: 0 }, "ValidationException", /maxResults.*greater than or equal to 1/],
      ["ListWebhookDeliveries", { webhookName: "log", maxResults: 101 }, "ValidationException", /less than or equal to 100/],
      ["ListWebhookDeliveries", { webhookName: "log", nextToken: "garbage" }, "InvalidNextTokenException", /nextToken/],
      ["ListWebhookDeliveries", { webhookName: "log", nextToken: "deliveries:100:abc" }, "InvalidNextTokenException", /nextToken/],
      ["ListWebhookDeliveries", { webhookName: "log", maxResults: "10" }, "SerializationException", /maxResults/],
      ["GetWebhookDelivery", { webhookName: "log" }, "ValidationException", /deliveryId/],
      ["GetWebhookDelivery", { webhookName: "log", deliveryId: "not-an-id" }, "ValidationException", /deliveryId.*regular expression/],
      ["GetWebhookDelivery", { webhookName: "log", deliveryId: "01900000-0000-7000-8000-000000000000" }, "WebhookDeliveryNotFoundException", /Delivery '01900000-0000-7000-8000-000000000000' of webhook 'log' not found/],
      ["GetWebhookDelivery", { webhookName: "nope", deliveryId: entry.deliveryId }, "WebhookNotFoundException", /nope/],
      ["RedeliverWebhookDelivery", { webhookName: "log", deliveryId: entry.deliveryId, dryRun: "yes" }, "SerializationException", /dryRun/],
      ["RedeliverWebhookDelivery", { webhookName: "log", deliveryId: "01900000-0000-7000-8000-000000000000" }, "WebhookDeliveryNotFoundException", /not found/],
      ["ForgetWebhookDeliveries", { webhookName: "log" }, "UnknownOperationException", /Pipehook_20261201\.ForgetWebhookDeliveries/],
    ];
    for (const [operation, input, type, message] of cases) {
      const r = await pipehook(w.endpoint, operation, input);
      assert.equal(r.status, 400, `${operation} ${JSON.stringify(input)}: ${r.text}`);
      assert.equal(r.json.__type, type, `${operation} ${JSON.stringify(input)}: ${r.text}`);
      assert.equal(r.headers.get("x-amzn-errortype"), type);
      assert.match(r.json.message, message);
    }
    // Signed like the rest: unsigned, or signed with another secret, is refused.
    const unsigned = await fetch(`${w.endpoint}/`, { method: "POST", headers: { "x-amz-target": "Pipehook_20261201.ListWebhookDeliveries", "content-type": "application/x-amz-json-1.1" }, body: JSON.stringify({ webhookName: "log" }) });
    assert.equal(unsigned.status, 403);
    assert.equal((await unsigned.json()).__type, "MissingAuthenticationTokenException");
    const badly = await pipehook(w.endpoint, "ListWebhookDeliveries", { webhookName: "log" }, { secret: "wrong" });
    assert.equal(badly.json.__type, "InvalidSignatureException");
  });

  it("never stores or answers a SecretToken or a signature value", async () => {
    const stored = await kvEntries(w.kv, "delivery/");
    assert.ok(stored.length > 100);
    assert.ok(signatures.length > 5);
    for (const e of stored) {
      const text = e.value + JSON.stringify(e.metadata);
      assert.ok(!text.includes(SECRET_MARKER), `${e.name} holds a SecretToken`);
      for (const s of new Set(signatures)) {
        assert.ok(!text.includes(s) && !text.includes(s.slice("sha256=".length)), `${e.name} holds a signature value`);
      }
    }
    const answers = w.responses.map((r) => r.body ?? "").join("\n");
    for (const s of new Set(signatures)) assert.ok(!answers.includes(s.slice("sha256=".length)), "an answer holds a signature value");
    assert.deepEqual(leaks(w.responses), []);
  });
});

describe("redelivery to a pipeline with a dispatch target", () => {
  let w;
  let target;
  before(async () => {
    w = await startDispatchWorker();
    target = await startTarget();
  });
  after(async () => {
    await w?.close();
    await target?.close();
  });

  it("hands each redelivery to the target as a new execution, through the queue, its trigger naming the redelivery", async () => {
    const tags = [{ key: "pipehook:dispatch", value: `${target.url}/redelivered` }, { key: "pipehook:variable:BRANCH", value: "$.ref" }];
    await ok(w.endpoint, "CreatePipeline", { pipeline: v2Pipeline("dispatched", pipelineDeclaration), tags });
    const put = (filters) => ok(w.endpoint, "PutWebhook", { webhook: githubWebhook("dispatched", "dispatched", SECRET, filters) });
    const { webhook } = await put([{ jsonPath: "$.ref", matchEquals: "refs/heads/release" }]);
    const guid = crypto.randomUUID();
    const first = await deliverSigned(webhook.url, PUSH, { secret: SECRET, headers: { "x-github-delivery": guid } });
    assert.equal(first.json.outcome, "filtered");
    const [entry] = await logged(w.endpoint, "dispatched", 1);
    await put(undefined);

    const started = [];
    for (let i = 0; i < 2; i++) {
      const r = await okPipehook(w.endpoint, "RedeliverWebhookDelivery", { webhookName: "dispatched", deliveryId: entry.deliveryId });
      assert.equal(r.outcome, "accepted", r.reason);
      const execution = await settled(w.endpoint, "dispatched", r.pipelineExecutionId);
      assert.equal(execution.status, "Succeeded", execution.statusSummary);
      assert.deepEqual(execution.variables, [{ name: "BRANCH", resolvedValue: "refs/heads/master" }]);
      started.push({ ...r, detail: execution.trigger.triggerDetail });
    }
    assert.notEqual(started[0].pipelineExecutionId, started[1].pipelineExecutionId);
    assert.equal(target.requests.length, 2);
    for (const [i, sent] of target.requests.entries()) {
      const payload = verifyStandardWebhook(sent);
      assert.equal(sent.headers["webhook-id"], started[i].pipelineExecutionId);
      assert.equal(payload.pipelineExecutionId, started[i].pipelineExecutionId);
      assert.deepEqual(payload.trigger, { triggerType: "Webhook", triggerDetail: `${webhook.arn} (redelivery ${started[i].redeliveryId} of delivery ${entry.deliveryId})` });
      assert.equal(payload.trigger.triggerDetail, started[i].detail);
      assert.equal(payload.event, "push");
      assert.deepEqual(payload.variables, { BRANCH: "refs/heads/master" });
    }
  });
});

describe("DELIVERY_LOG=off", () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { DELIVERY_LOG: "off" } });
  });
  after(async () => {
    await w?.close();
  });

  it("logs no delivery: each is answered and starts as before, and nothing is written after the answer", async () => {
    await ok(w.endpoint, "CreatePipeline", { pipeline: pipelineDeclaration("unlogged", { branch: "master" }) });
    const { webhook } = await ok(w.endpoint, "PutWebhook", { webhook: githubWebhook("unlogged", "unlogged", SECRET) });
    const accepted = await deliverSigned(webhook.url, PUSH, { secret: SECRET, headers: { "x-github-delivery": crypto.randomUUID() } });
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.json.outcome, "accepted");
    const filtered = await deliverSigned(webhook.url, PUSH_OTHER, { secret: SECRET });
    assert.equal(filtered.json.outcome, "filtered");
    const refused = await deliverSigned(webhook.url, PUSH, { secret: `${SECRET_MARKER}wrong` });
    assert.equal(refused.status, 401);
    const { pipelineExecutionSummaries } = await ok(w.endpoint, "ListPipelineExecutions", { pipelineName: "unlogged" });
    assert.deepEqual(pipelineExecutionSummaries.map((e) => e.pipelineExecutionId), [accepted.json.pipelineExecutionId]);
    // With the log on, entries appear within milliseconds of the answers (the suite above polls for them).
    for (const deadline = Date.now() + 1500; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      assert.deepEqual(await kvEntries(w.kv, "delivery/"), []);
    }
    assert.deepEqual((await okPipehook(w.endpoint, "ListWebhookDeliveries", { webhookName: "unlogged" })).deliveries, []);
  });
});
