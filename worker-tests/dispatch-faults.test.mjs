// An accepted delivery is recorded and enqueued before its 200. Faults are injected at the
// binding boundary (the queue producer's send, KV's put and delete: worker-tests/lib/faults.mjs),
// never by a switch in the Worker: whichever step fails, the answer is 503,
// no execution is left behind, and the sender's retry makes exactly one execution and one start.
// Also: a copy of a delivery handled by another isolate (the Worker restarted on the same
// persisted KV) finds the execution in KV, and the retry delays are 1, 2, 4, 8 s with base 1.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SECRET_MARKER, callApi, deliverSigned, githubWebhook, pipelineDeclaration } from "./lib/worker.mjs";
import { PUSH, settled, startDispatchWorker, startTarget, v2Pipeline } from "./lib/dispatch.mjs";

const SECRET = `${SECRET_MARKER}faults`;

let w;
let target;
const urls = {};

const ok = (r, what) => {
  assert.equal(r.status, 200, `${what}: ${r.text}`);
  return r.json;
};

async function wire(worker, name, tags) {
  ok(await callApi(worker.endpoint, "CreatePipeline", { pipeline: v2Pipeline(name, pipelineDeclaration), tags }), "CreatePipeline");
  urls[name] = ok(await callApi(worker.endpoint, "PutWebhook", { webhook: githubWebhook(name, name, SECRET) }), "PutWebhook").webhook.url;
}

const push = (name, deliveryId) => deliverSigned(urls[name], PUSH, { secret: SECRET, headers: { "x-github-delivery": deliveryId } });

async function summaries(worker, pipelineName) {
  return ok(await callApi(worker.endpoint, "ListPipelineExecutions", { pipelineName }), "list").pipelineExecutionSummaries;
}

async function executionKeys(worker, pipeline) {
  const { keys } = await worker.kv.list({ prefix: `execution/${pipeline}/` });
  return keys.map((k) => k.name);
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const sentTo = (p) => target.requests.filter((r) => r.url === p);

before(async () => {
  target = await startTarget(() => ({ status: 200 }));
  w = await startDispatchWorker();
});

after(async () => {
  await w?.close();
  await target?.close();
});

describe("a step before the 200 fails", () => {
  for (const [name, fault, step] of [
    ["enqueue-fails", { binding: "DISPATCH" }, "the queue refuses the message"],
    ["record-fails", { binding: "PIPEHOOK", prefix: "execution/" }, "KV refuses the execution record"],
    ["start-key-fails", { binding: "PIPEHOOK", prefix: "execution-id/" }, "KV refuses the start-time key"],
    ["record-applied-but-failed", { binding: "PIPEHOOK", prefix: "execution/", mode: "after" }, "KV writes the record and reports a failure"],
  ]) {
    it(`${name}: 503, nothing left behind, and the retry starts once (${step})`, async () => {
      await wire(w, name, [{ key: "pipehook:dispatch", value: `${target.url}/${name}` }]);
      const delivery = crypto.randomUUID();
      w.faults.failNth(1, fault);
      const refused = await push(name, delivery);
      w.faults.clear();
      assert.equal(refused.status, 503, refused.text);
      assert.match(refused.json.message, /retry the delivery/);
      await pause(300);
      assert.deepEqual(await summaries(w, name), [], "no execution is listed");
      assert.deepEqual(await executionKeys(w, name), [], "no execution is stored");
      assert.equal(sentTo(`/${name}`).length, 0, "nothing was started");

      const retried = await push(name, delivery);
      assert.equal(retried.status, 200, retried.text);
      const id = retried.json.pipelineExecutionId;
      assert.equal((await settled(w.endpoint, name, id)).status, "Succeeded");
      await pause(300);
      assert.equal(sentTo(`/${name}`).length, 1);
      assert.deepEqual((await summaries(w, name)).map((s) => s.pipelineExecutionId), [id]);
    });
  }

  it("enqueue and the clean-up both fail: the record waits, and the retry completes the start once", async () => {
    const name = "double-fault";
    await wire(w, name, [{ key: "pipehook:dispatch", value: `${target.url}/${name}` }]);
    const delivery = crypto.randomUUID();
    w.faults.failNth(1, { binding: "DISPATCH" });
    w.faults.andNth(2, { binding: "PIPEHOOK", prefix: "execution/" }); // the record's put, then its delete
    const refused = await push(name, delivery);
    w.faults.clear();
    assert.equal(refused.status, 503);
    const [left] = await summaries(w, name);
    assert.equal(left.status, "InProgress");
    assert.match(left.statusSummary, /^Queued: POST /);
    await pause(300);
    assert.equal(sentTo(`/${name}`).length, 0);

    const retried = await push(name, delivery);
    assert.equal(retried.status, 200);
    assert.equal(retried.json.pipelineExecutionId, left.pipelineExecutionId);
    assert.equal((await settled(w.endpoint, name, left.pipelineExecutionId)).status, "Succeeded");
    // A further copy, once settled, starts nothing.
    assert.equal((await push(name, delivery)).status, 200);
    await pause(300);
    assert.equal(sentTo(`/${name}`).length, 1);
    assert.equal((await summaries(w, name)).length, 1);
  });
});

describe("another isolate", () => {
  it("a_copy_handled_after_a_restart_finds_the_execution_in_kv_and_starts_nothing", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pipehook-dispatch-kv-"));
    try {
      const first = await startDispatchWorker({ persist: dir });
      await wire(first, "restart", [{ key: "pipehook:dispatch", value: `${target.url}/restart` }]);
      const delivery = crypto.randomUUID();
      const id = (await push("restart", delivery)).json.pipelineExecutionId;
      assert.equal((await settled(first.endpoint, "restart", id)).status, "Succeeded");
      await first.close();

      // A fresh isolate: no memory of the delivery but what KV holds.
      const second = await startDispatchWorker({ persist: dir });
      try {
        urls.restart = urls.restart.replace(/^http:\/\/[^/]+/, second.endpoint);
        const again = await push("restart", delivery);
        assert.equal(again.status, 200, again.text);
        assert.equal(again.json.pipelineExecutionId, id);
        await pause(500);
        assert.equal(sentTo("/restart").length, 1);
        assert.deepEqual((await summaries(second, "restart")).map((s) => s.pipelineExecutionId), [id]);
        const { pipelineExecution } = ok(await callApi(second.endpoint, "GetPipelineExecution", { pipelineName: "restart", pipelineExecutionId: id }), "get");
        assert.equal(pipelineExecution.status, "Succeeded");
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("retry delays", () => {
  it("with DISPATCH_RETRY_BASE_S=1 the attempts are at least 1, 2, 4 and 8 s apart", async () => {
    const slow = await startDispatchWorker({ retryBaseS: "1" });
    const failing = await startTarget(() => ({ status: 503, body: "down for maintenance" }));
    try {
      await wire(slow, "backoff", [{ key: "pipehook:dispatch", value: `${failing.url}/x` }]);
      const id = (await push("backoff", crypto.randomUUID())).json.pipelineExecutionId;
      const execution = await settled(slow.endpoint, "backoff", id, { ms: 60_000 });
      assert.equal(execution.status, "Failed");
      assert.match(execution.statusSummary, /^Failed after 5 attempts \(HTTP 503: down for maintenance\)/);
      const at = failing.requests.map((r) => r.at);
      assert.equal(at.length, 5);
      const gaps = at.slice(1).map((t, i) => t - at[i]);
      // Cloudflare Queues' delays are whole seconds; the timers may fire a few ms early.
      [1000, 2000, 4000, 8000].forEach((d, i) => assert.ok(gaps[i] >= d - 50, `gap ${i + 1}: ${gaps[i]} ms, expected ${d}`));
    } finally {
      await slow.close();
      await failing.close();
    }
  });
});
