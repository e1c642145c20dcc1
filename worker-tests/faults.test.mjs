// KV failing halfway through every operation that writes more than once, in workerd with real
// local KV: the fault is injected at the binding boundary (lib/faults.mjs), the Nth write of
// the operation failing (before it is applied, and after it is applied but reported failed).
// For each: the answer, what is left stored (no state in which a URL starts executions for a
// webhook the API no longer shows, or the API shows a webhook whose URL is dead), and that a
// retry of the same request completes the operation.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { injectFaults } from "./lib/faults.mjs";
import { SECRET_MARKER, callApi, deliverSigned, githubWebhook, pipelineDeclaration, startWorker } from "./lib/worker.mjs";

const SECRET = `${SECRET_MARKER}faults`;
let w;
let serial = 0;

before(async () => {
  // No delivery memo: each delivery reads KV as it is.
  w = await startWorker({ faults: { kv: ["PIPEHOOK"] }, vars: { DELIVERY_CACHE_MS: "0" } });
  // The delivery log is written after each delivery's answer, at a moment of its own: its writes
  // are no operation's (deliveries.test.mjs fails them on purpose).
  w.faults.ignore = ["delivery/"];
});

after(async () => {
  await w?.close();
});

const push = (branch) => JSON.stringify({ ref: `refs/heads/${branch}`, after: "c0ffee" + "0".repeat(34) });

async function api(operation, input) {
  return callApi(w.endpoint, operation, input);
}

async function ok(operation, input) {
  const r = await api(operation, input);
  assert.equal(r.status, 200, `${operation}: ${r.text}`);
  return r.json;
}

async function listed(name) {
  const all = [];
  let NextToken;
  do {
    const page = await ok("ListWebhooks", { MaxResults: 100, NextToken });
    all.push(...page.webhooks);
    NextToken = page.NextToken;
  } while (NextToken);
  return all.find((h) => h.definition.name === name);
}

async function executions(pipelineName) {
  const r = await api("ListPipelineExecutions", { pipelineName, maxResults: 100 });
  return r.status === 200 ? r.json.pipelineExecutionSummaries : [];
}

/** A delivery to `url` on `branch`: { status, outcome }. */
async function deliver(url, branch = "main") {
  const r = await deliverSigned(url, push(branch), { secret: SECRET });
  return { status: r.status, outcome: r.json?.outcome, text: r.text };
}

/** A pipeline and a webhook on it, each named after a fresh serial: { pipeline, hook, url }. */
async function fresh({ branch = "main", webhook = true } = {}) {
  serial += 1;
  const pipeline = `p${serial}`;
  const hook = `h${serial}`;
  await ok("CreatePipeline", { pipeline: pipelineDeclaration(pipeline, { branch }) });
  const url = webhook ? (await ok("PutWebhook", { webhook: githubWebhook(hook, pipeline, SECRET) })).webhook.url : null;
  return { pipeline, hook, url };
}

/** The writes `run` makes against a fresh setup, with no fault. */
async function writesOf(setup, run) {
  const s = await setup();
  w.faults.clear();
  const r = await run(s);
  assert.equal(r.status, 200, r.text);
  const writes = w.faults.writes.map(
    ({ method, key }) => `${method} ${key.replace(/[0-9a-f]{64}/, "<token>").replace(/^(webhook|pipeline)\/[hp]\d+$/, "$1/<name>")}`,
  );
  w.faults.clear();
  return writes;
}

/**
 * For every write of the operation and both fault modes: a fresh setup, the operation with that
 * write failing, `midway` (the state left, and the answer), then the same request again without a
 * fault, and `done` (the operation complete).
 */
function eachFault(label, { setup, run, midway, done, expectWrites }) {
  it(`${label}: every write failing leaves a state its retry completes`, async () => {
    const writes = await writesOf(setup, run);
    if (expectWrites) assert.deepEqual(writes, expectWrites, "the writes, in order");
    for (const mode of ["before", "after"]) {
      for (let n = 1; n <= writes.length; n++) {
        const where = `write ${n} (${writes[n - 1]}) failing ${mode} it is applied`;
        const s = await setup();
        w.faults.clear();
        w.faults.failNth(n, { mode });
        const first = await run(s);
        assert.ok(w.faults.writes.some((x) => x.failed), `${where}: the fault was injected`);
        w.faults.clear();
        await midway(s, first, where);
        const retry = await run(s);
        await done(s, retry, where);
      }
    }
  });
}

function isInternalFailure(r, where) {
  assert.equal(r.status, 500, `${where}: ${r.text}`);
  assert.equal(r.json.__type, "InternalFailure", where);
  assert.ok(!r.text.includes(SECRET_MARKER), `${where}: no secret in the error`);
}

describe("the fault injector", () => {
  it("wraps a queue producer the same way", async () => {
    const { Miniflare } = await import("miniflare");
    const received = [];
    const { workers, control } = injectFaults(
      {
        name: "queue-probe",
        modules: true,
        compatibilityDate: "2026-04-01",
        queueProducers: { Q: "probe-queue" },
        script: `export default {
          async fetch(req, env) {
            try { await env.Q.send(await req.text()); return new Response("sent"); }
            catch (e) { return new Response(String(e), { status: 500 }); }
          },
        };`,
      },
      { queue: ["Q"] },
    );
    const consumer = {
      name: "queue-sink",
      modules: true,
      compatibilityDate: "2026-04-01",
      queueConsumers: { "probe-queue": { maxBatchTimeout: 0 } },
      serviceBindings: { SINK: async (req) => (received.push(await req.text()), new Response("ok")) },
      script: `export default { async queue(batch, env) { for (const m of batch.messages) await env.SINK.fetch("http://sink/", { method: "POST", body: m.body }); } };`,
    };
    const mf = new Miniflare({ workers: [...workers, consumer] });
    try {
      const send = async (body) => (await mf.dispatchFetch("http://probe/", { method: "POST", body })).text();
      assert.equal(await send("one"), "sent");
      control.failNth(1);
      assert.match(await send("two"), /Q\.send\(two\) failed \(injected fault\)/);
      assert.equal(await send("three"), "sent");
      for (let i = 0; i < 100 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(received.sort(), ["one", "three"], "the failed send never reached the queue");
      assert.deepEqual(control.writes.map((x) => x.method), ["send", "send", "send"]);
    } finally {
      await mf.dispose();
    }
  });

  it("forwards to the real local KV, counts writes and fails exactly the one asked", async () => {
    const { pipeline } = await fresh({ webhook: false });
    assert.ok(await w.kv.get(`pipeline/${pipeline}`), "a write through the wrapper lands in local KV");
    w.faults.clear();
    w.faults.failNth(1);
    const r = await api("UpdatePipeline", { pipeline: pipelineDeclaration(pipeline, { branch: "dev" }) });
    isInternalFailure(r, "the injected fault");
    assert.equal(JSON.parse(await w.kv.get(`pipeline/${pipeline}`)).pipeline.version, 1, "a fault before the write stores nothing");
    w.faults.failNth(1, { mode: "after" });
    isInternalFailure(await api("UpdatePipeline", { pipeline: pipelineDeclaration(pipeline, { branch: "dev" }) }), "after");
    assert.equal(JSON.parse(await w.kv.get(`pipeline/${pipeline}`)).pipeline.version, 2, "a fault after the write stores it");
    w.faults.clear();
    assert.equal((await api("GetPipeline", { name: pipeline })).status, 200, "reads pass through");
  });

  it("lets ignored writes (the delivery log's) pass unseen, unless a plan names them", async () => {
    const s = await fresh();
    w.faults.clear();
    w.faults.failNth(1);
    // A filtered delivery writes nothing but its log entry, after its answer.
    assert.equal((await deliver(s.url, "elsewhere")).outcome, "filtered");
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(w.faults.writes, []);
    assert.equal(w.faults.plans.length, 1, "the planned fault still waits for a write it counts");
    assert.ok(await w.kv.list({ prefix: "delivery/" }).then((page) => page.keys.length > 0), "the entry was written");
    w.faults.clear();
    w.faults.failNth(1, { prefix: "delivery/" });
    assert.equal((await deliver(s.url)).outcome, "accepted");
    const seen = Date.now();
    while (!w.faults.writes.some((x) => x.failed) && Date.now() - seen < 5000) await new Promise((r) => setTimeout(r, 20));
    assert.ok(w.faults.writes.some((x) => x.failed && x.key.startsWith("delivery/")), "a plan naming the prefix sees the log's writes");
    w.faults.clear();
  });
});

describe("webhooks", () => {
  eachFault("DeleteWebhook", {
    setup: async () => {
      const s = await fresh();
      assert.equal((await deliver(s.url)).outcome, "accepted");
      return s;
    },
    run: (s) => api("DeleteWebhook", { name: s.hook }),
    // The token is read again at the end, and revoked again only if a concurrent write republished it.
    expectWrites: ["put token/<token>", "delete triggered/<token>", "delete webhook/<name>"],
    midway: async (s, r, where) => {
      isInternalFailure(r, where);
      // What is left: the record until the last step; the token revoked unless the first write failed.
      const token = new URL(s.url).searchParams.get("t");
      const entry = await w.kv.get(`token/${token}`);
      const record = await w.kv.get(`webhook/${s.hook}`);
      if (!record) assert.equal(entry, "!deleted", `${where}: no record, a revoked token`);
      else assert.ok(entry === "!deleted" || entry.startsWith("{"), `${where}: ${entry.slice(0, 40)}`);
      // Deliveries stop first: a webhook the API no longer shows never starts an execution.
      const shown = await listed(s.hook);
      const d = await deliver(s.url);
      if (!shown) assert.equal(d.status, 404, `${where}: the URL of a deleted webhook: ${d.text}`);
      else assert.ok(d.status === 404 || d.outcome === "accepted", `${where}: ${d.text}`);
    },
    done: async (s, r, where) => {
      assert.equal(r.status, 200, `${where}: the retry ${r.text}`);
      assert.equal(await listed(s.hook), undefined, where);
      assert.equal((await deliver(s.url)).status, 404, `${where}: the URL is dead`);
      assert.equal((await api("RegisterWebhookWithThirdParty", { webhookName: s.hook })).json.__type, "WebhookNotFoundException");
      assert.equal(await w.kv.get(`webhook/${s.hook}`), null, where);
      const token = new URL(s.url).searchParams.get("t");
      assert.equal(await w.kv.get(`triggered/${token}`), null, `${where}: lastTriggered forgotten`);
    },
  });

  it("DeleteWebhook racing a write that republishes the view still ends with the URL dead", async () => {
    const s = await fresh();
    const token = new URL(s.url).searchParams.get("t");
    const view = await w.kv.get(`token/${token}`);
    assert.ok(view.startsWith("{"), "a published view");
    // A concurrent PutWebhook or pipeline write publishes the view again after the delete
    // revoked the token, just before the record goes (its own check came earlier).
    w.faults.clear();
    w.faults.beforeNth(3, async (write) => {
      assert.equal(write.key, `webhook/${s.hook}`);
      await w.kv.put(`token/${token}`, view);
    });
    const r = await api("DeleteWebhook", { name: s.hook });
    assert.equal(r.status, 200, r.text);
    assert.equal(await w.kv.get(`token/${token}`), "!deleted");
    assert.equal((await deliver(s.url)).status, 404);
    assert.deepEqual(w.faults.writes.map((x) => x.method + " " + x.key.split("/")[0]), ["put token", "delete triggered", "delete webhook", "put token"]);
    w.faults.clear();
  });

  eachFault("PutWebhook (create)", {
    setup: async () => fresh({ webhook: false }),
    run: (s) => api("PutWebhook", { webhook: githubWebhook(s.hook, s.pipeline, SECRET) }),
    midway: async (s, r, where) => {
      isInternalFailure(r, where);
      // Never a webhook listed whose URL does not work.
      const shown = await listed(s.hook);
      if (shown) assert.equal((await deliver(shown.url)).outcome, "accepted", `${where}: a listed webhook's URL works`);
    },
    done: async (s, r, where) => {
      assert.equal(r.status, 200, `${where}: the retry ${r.text}`);
      const shown = await listed(s.hook);
      assert.equal(shown.url, r.json.webhook.url, where);
      assert.equal((await deliver(r.json.webhook.url)).outcome, "accepted", where);
    },
  });

  eachFault("PutWebhook (update)", {
    setup: async () => fresh(),
    run: (s) => api("PutWebhook", { webhook: githubWebhook(s.hook, s.pipeline, SECRET, [{ jsonPath: "$.ref", matchEquals: "refs/heads/other" }]) }),
    midway: async (s, r, where) => {
      isInternalFailure(r, where);
      const d = await deliver(s.url, "main");
      assert.ok(["accepted", "filtered"].includes(d.outcome), `${where}: the URL still works: ${d.text}`);
    },
    done: async (s, r, where) => {
      assert.equal(r.status, 200, `${where}: the retry ${r.text}`);
      assert.equal(r.json.webhook.url, s.url, `${where}: an update keeps the URL`);
      assert.equal((await deliver(s.url, "main")).outcome, "filtered", where);
      assert.equal((await deliver(s.url, "other")).outcome, "accepted", where);
    },
  });

  eachFault("a delivery", {
    setup: async () => fresh(),
    run: async (s) => {
      const d = await deliverSigned(s.url, push("main"), { secret: SECRET });
      return { status: d.status, json: d.json, text: d.text };
    },
    midway: async (s, r, where) => {
      const stored = await executions(s.pipeline);
      // The execution is stored before the 200; lastTriggered may lag (it is written apart).
      if (r.status === 200) assert.equal(stored.length, 1, where);
      else {
        assert.equal(r.status, 503, `${where}: ${r.text}`);
        assert.ok(stored.length <= 1, where);
      }
    },
    done: async (s, r, where) => {
      assert.equal(r.status, 200, `${where}: ${r.text}`);
      assert.ok((await executions(s.pipeline)).some((e) => e.pipelineExecutionId === r.json.pipelineExecutionId), where);
    },
  });
});

describe("pipelines", () => {
  eachFault("UpdatePipeline", {
    setup: async () => fresh({ branch: "main" }),
    run: (s) => api("UpdatePipeline", { pipeline: pipelineDeclaration(s.pipeline, { branch: "dev" }) }),
    midway: async (s, r, where) => isInternalFailure(r, where),
    done: async (s, r, where) => {
      assert.equal(r.status, 200, `${where}: the retry ${r.text}`);
      assert.equal((await deliver(s.url, "dev")).outcome, "accepted", `${where}: deliveries see the new Branch`);
      assert.equal((await deliver(s.url, "main")).outcome, "filtered", where);
    },
  });

  eachFault("DeletePipeline", {
    setup: async () => fresh(),
    run: (s) => api("DeletePipeline", { name: s.pipeline }),
    midway: async (s, r, where) => isInternalFailure(r, where),
    done: async (s, r, where) => {
      assert.equal(r.status, 200, `${where}: the retry ${r.text}`);
      assert.equal((await api("GetPipeline", { name: s.pipeline })).json.__type, "PipelineNotFoundException");
      const d = await deliver(s.url, "main");
      assert.notEqual(d.outcome, "accepted", `${where}: nothing starts: ${d.text}`);
    },
  });

  eachFault("CreatePipeline (a webhook waiting for it)", {
    setup: async () => {
      const s = await fresh();
      await ok("DeletePipeline", { name: s.pipeline });
      return s;
    },
    run: (s) => api("CreatePipeline", { pipeline: pipelineDeclaration(s.pipeline, { branch: "dev" }) }),
    midway: async (s, r, where) => isInternalFailure(r, where),
    done: async (s, r, where) => {
      // A retry of a create that did store the pipeline meets it: AWS's answer, and the rest done.
      assert.ok(r.status === 200 || r.json.__type === "PipelineNameInUseException", `${where}: ${r.text}`);
      assert.equal((await deliver(s.url, "dev")).outcome, "accepted", `${where}: the webhook starts the new pipeline`);
    },
  });

  eachFault("StartPipelineExecution (clientRequestToken)", {
    setup: async () => fresh({ webhook: false }),
    run: (s) => api("StartPipelineExecution", { name: s.pipeline, clientRequestToken: `t-${s.pipeline}` }),
    midway: async (s, r, where) => isInternalFailure(r, where),
    done: async (s, r, where) => {
      assert.equal(r.status, 200, `${where}: the retry ${r.text}`);
      const again = await ok("StartPipelineExecution", { name: s.pipeline, clientRequestToken: `t-${s.pipeline}` });
      assert.equal(again.pipelineExecutionId, r.json.pipelineExecutionId, `${where}: one token, one execution`);
      const listedIds = (await executions(s.pipeline)).map((e) => e.pipelineExecutionId);
      assert.deepEqual(listedIds, [r.json.pipelineExecutionId], `${where}: exactly one execution`);
      assert.equal((await api("GetPipelineExecution", { pipelineName: s.pipeline, pipelineExecutionId: r.json.pipelineExecutionId })).status, 200, where);
    },
  });
});

describe("tags", () => {
  const arn = (kind, name) => `arn:aws:codepipeline:us-east-1:123456789012:${kind === "webhook" ? `webhook:${name}` : name}`;
  for (const kind of ["webhook", "pipeline"]) {
    const resource = (s) => arn(kind, kind === "webhook" ? s.hook : s.pipeline);
    eachFault(`TagResource (${kind})`, {
      setup: async () => fresh(),
      run: (s) => api("TagResource", { resourceArn: resource(s), tags: [{ key: "team", value: "web" }] }),
      midway: async (s, r, where) => {
        isInternalFailure(r, where);
        assert.equal((await deliver(s.url)).outcome, "accepted", `${where}: deliveries unaffected`);
      },
      done: async (s, r, where) => {
        assert.equal(r.status, 200, `${where}: the retry ${r.text}`);
        assert.deepEqual((await ok("ListTagsForResource", { resourceArn: resource(s) })).tags, [{ key: "team", value: "web" }], where);
        assert.equal((await deliver(s.url)).outcome, "accepted", where);
      },
    });
    eachFault(`UntagResource (${kind})`, {
      setup: async () => {
        const s = await fresh();
        await ok("TagResource", { resourceArn: resource(s), tags: [{ key: "team", value: "web" }] });
        return s;
      },
      run: (s) => api("UntagResource", { resourceArn: resource(s), tagKeys: ["team"] }),
      midway: async (s, r, where) => isInternalFailure(r, where),
      done: async (s, r, where) => {
        assert.equal(r.status, 200, `${where}: the retry ${r.text}`);
        assert.deepEqual((await ok("ListTagsForResource", { resourceArn: resource(s) })).tags, [], where);
        assert.equal((await deliver(s.url)).outcome, "accepted", where);
      },
    });
  }
});
