// Dispatch's cost (issue 20), measured by workerd's CPU (utime + stime of the Worker's own
// process, read from /proc: workerd's clock stands still while a Worker runs):
//
// 1. An accepted 9 KB push, interleaved in one run (ROUNDS rounds, rotating order, N deliveries
//    each, 8 at a time), to three webhooks of one Worker:
//      - `dispatch`: its pipeline has a `pipehook:dispatch` target (an HTTP receiver) and two
//        variables; the delivery carries X-GitHub-Delivery (so: the start-time key read, the
//        record and the start-time key written, the variables, the queue message);
//      - `no target`: the same delivery to a pipeline without a target (the start-time key read,
//        the record and the start-time key written: exactly once holds without a target too);
//      - `dispatch, no delivery id`: the first without X-GitHub-Delivery (no start-time key).
//    The queue is consumed by a Worker that only acknowledges (bench/peers/queue-sink.js), so
//    the consumer's work is not counted here. Goal: `dispatch` ≤ 1.2× `no target`.
// 2. The consumer's CPU per dispatched start: a Worker whose consumer takes batches of 100 (or
//    after 60 s); 99 deliveries are sent and their CPU noted, then the 100th fills the batch and
//    the consumer starts all 100 (HTTP: a node:http receiver; AWS: a second pipehook in a
//    workerd of its own). Its CPU, from the 100th delivery until the process is quiet again,
//    less one delivery's, ÷ 100.
//
// Writes bench/measured/dispatch.json (report.mjs puts it in bench/RESULTS.md).
//   node bench/dispatch.mjs            ROUNDS=8 N=300 CONSUMER_ROUNDS=3
import http from "node:http";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { Miniflare } from "miniflare";
import { callApi, pipelineDeclaration } from "../worker-tests/lib/worker.mjs";
import { ROOT, SECRET, median, min, max, payloads, pushHeaders, sign } from "./lib.mjs";
import { PIPEHOOK_BINDINGS, children, cpuMs } from "./workerd.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 8);
const N = Number(process.env.N ?? 300);
const CONSUMER_ROUNDS = Number(process.env.CONSUMER_ROUNDS ?? 3);
const CONCURRENCY = 8;
/** ONLY=memory: just the Worker's own CPU (a quick look while changing the Worker). */
const ONLY = process.env.ONLY;
const BATCH = 100;
const SIGNING_SECRET = `whsec_${Buffer.from("pipehook-bench-signing-key-32byt").toString("base64")}`;
const AWS = { AWS_REGION: "eu-west-1", AWS_ACCOUNT_ID: "111122223333", AWS_ACCESS_KEY_ID: "AKIABENCH", AWS_SECRET_ACCESS_KEY: "bench-secret" };
const push = payloads()[0];
const headers = pushHeaders(sign(push.body));
const MODULE_RULES = [
  { type: "ESModule", include: ["**/*.js"] },
  { type: "CompiledWasm", include: ["**/*.wasm"] },
];

/**
 * A Miniflare of its own (so its own workerd), the pipehook Worker on a socket of its own.
 * `memory`: its KV and queue stood in for by memory in its isolate (bench/peers/memory-bindings-entry.js).
 */
async function startPipehook({ bindings = {}, queue, consumer, memory = false }) {
  const pipehook = {
    name: "pipehook",
    modules: true,
    scriptPath: ROOT + (memory ? "bench/peers/memory-bindings-entry.js" : "worker/build/index.js"),
    modulesRoot: ROOT,
    modulesRules: MODULE_RULES,
    compatibilityDate: "2026-04-01",
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    kvNamespaces: memory ? [] : ["PIPEHOOK"],
    bindings: { ...PIPEHOOK_BINDINGS, ...bindings },
    ...(queue && !memory ? { queueProducers: { DISPATCH: queue } } : {}),
    ...(consumer === "pipehook" ? { queueConsumers: { [queue]: { maxBatchSize: BATCH, maxBatchTimeout: 60, maxRetries: 3 } } } : {}),
  };
  const workers = [pipehook];
  if (consumer === "sink") {
    workers.push({
      name: "sink",
      modules: true,
      scriptPath: ROOT + "bench/peers/queue-sink.js",
      modulesRoot: ROOT,
      modulesRules: MODULE_RULES,
      compatibilityDate: "2026-04-01",
      queueConsumers: { [queue]: { maxBatchSize: BATCH, maxBatchTimeout: 1 } },
    });
  }
  const before = new Set(children("workerd"));
  // The consumer's log lines (one per start) are not the benchmark's output.
  const mf = new Miniflare({ workers, host: "127.0.0.1", port: 0, handleRuntimeStdio: (out, err) => { out.resume(); err.resume(); } });
  await mf.ready;
  const url = (await mf.unsafeGetDirectURL("pipehook")).href.replace(/\/$/, "");
  const pid = children("workerd").find((p) => !before.has(p));
  return { mf, url, pid };
}

const ok = (r, what) => {
  if (r.status !== 200) throw new Error(`${what}: ${r.status} ${r.text}`);
  return r.json;
};

/** A V2 pipeline with `tags` and its webhook (the three rules of the other Worker benchmarks). */
async function wire(url, name, tags, opts) {
  ok(await callApi(url, "CreatePipeline", { pipeline: { ...pipelineDeclaration(name, { branch: "master" }), pipelineType: "V2" }, tags }, opts), "CreatePipeline");
  const webhook = {
    name, targetPipeline: name, targetAction: "Source",
    filters: [
      { jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" },
      { jsonPath: "$.repository.full_name", matchEquals: "Codertocat/Hello-World" },
      { jsonPath: "$.sender.login", matchEquals: "Codertocat" },
    ],
    authentication: "GITHUB_HMAC", authenticationConfiguration: { SecretToken: SECRET },
  };
  return ok(await callApi(url, "PutWebhook", { webhook }, opts), "PutWebhook").webhook.url.replace(/^https?:\/\/[^/]+/, url);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(url, withId) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const h = { ...headers, "content-length": push.body.length, ...(withId ? { "x-github-delivery": crypto.randomUUID() } : {}) };
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: "POST", headers: h, agent }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(push.body);
  });
}

/** Sends `n` deliveries, `CONCURRENCY` at a time. */
async function deliver(url, n, withId) {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) {
      next++;
      await post(url, withId);
    }
  }));
}

/** Waits until the process has used no CPU for `stillMs` (its timers and writes are done). */
async function quietProcess(pid, stillMs = 600) {
  let last = cpuMs(pid);
  let since = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const now = cpuMs(pid);
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= stillMs) return now;
  }
}

function receiver() {
  let count = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      count++;
      res.writeHead(200).end("ok");
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${server.address().port}/hook`, count: () => count, close: () => server.close() })));
}

const variables = [
  { key: "pipehook:variable:BRANCH", value: "$.ref" },
  { key: "pipehook:variable:COMMIT", value: "$.after" },
];

// --- 1. the accepted delivery, dispatch on and off, interleaved ---
const target = await receiver();
/** The three kinds of delivery, interleaved, on one Worker; CPU per delivery of each. */
async function deliveries(one) {
  const runs = [
    { name: "dispatch", url: await wire(one.url, "with-target", [{ key: "pipehook:dispatch", value: target.url }, ...variables]), withId: true },
    { name: "no target", url: await wire(one.url, "no-target", []), withId: true },
    { name: "dispatch, no delivery id", url: await wire(one.url, "with-target-no-id", [{ key: "pipehook:dispatch", value: target.url }, ...variables]), withId: false },
  ];
  for (const r of runs) {
    r.cpu = [];
    await deliver(r.url, 50, r.withId); // warm-up
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < runs.length; k++) {
      const r = runs[(round + k) % runs.length];
      await quietProcess(one.pid, 300);
      const c0 = cpuMs(one.pid);
      await deliver(r.url, N, r.withId);
      const c1 = await quietProcess(one.pid, 300);
      r.cpu.push((c1 - c0) / N);
    }
  }
  await one.mf.dispose();
  return Object.fromEntries(runs.map((r) => [r.name, r.cpu]));
}
const ratio = (m, a, b) => m[a].map((x, i) => x / m[b][i]);
const stat = (xs, digits = 3) => `${median(xs).toFixed(digits)} (${min(xs).toFixed(digits)}–${max(xs).toFixed(digits)})`;
// (a) Everything in the Worker's workerd, Miniflare's KV and queue simulators included.
const inProcess = ONLY === "memory" ? null : await deliveries(await startPipehook({ bindings: { DISPATCH_SIGNING_SECRET: SIGNING_SECRET }, queue: "bench-dispatch", consumer: "sink" }));
// (b) The Worker's own CPU: its KV and queue stood in for by memory in its isolate.
const workerOnly = await deliveries(await startPipehook({ bindings: { DISPATCH_SIGNING_SECRET: SIGNING_SECRET }, memory: true }));
if (ONLY === "memory") {
  for (const [name, cpu] of Object.entries(workerOnly)) console.log(`${name.padEnd(26)} ${stat(cpu)} ms  ÷ no target ${stat(ratio(workerOnly, name, "no target"), 2)}`);
  target.close();
  agent.destroy();
  process.exit(0);
}


// --- 2. the consumer's CPU per start ---
async function consumerCpu(kind) {
  let awsTarget;
  let bindings;
  let tag;
  let http200;
  if (kind === "HTTP") {
    http200 = await receiver();
    bindings = { DISPATCH_SIGNING_SECRET: SIGNING_SECRET };
    tag = http200.url;
  } else {
    awsTarget = await startPipehook({ bindings: AWS });
    const opts = { region: AWS.AWS_REGION, keyId: AWS.AWS_ACCESS_KEY_ID, secret: AWS.AWS_SECRET_ACCESS_KEY };
    ok(await callApi(awsTarget.url, "CreatePipeline", { pipeline: { ...pipelineDeclaration("real", { branch: "master" }), pipelineType: "V2" } }, opts), "real pipeline");
    bindings = { DISPATCH_AWS_ACCESS_KEY_ID: AWS.AWS_ACCESS_KEY_ID, DISPATCH_AWS_SECRET_ACCESS_KEY: AWS.AWS_SECRET_ACCESS_KEY, DISPATCH_AWS_ENDPOINT: awsTarget.url };
    tag = `arn:aws:codepipeline:${AWS.AWS_REGION}:${AWS.AWS_ACCOUNT_ID}:real`;
  }
  const w = await startPipehook({ bindings, queue: `bench-consume-${kind}`, consumer: "pipehook" });
  const url = await wire(w.url, "started", [{ key: "pipehook:dispatch", value: tag }, ...variables]);
  // Starts made: counted outside the measured workerd (the receiver; the AWS target's own KV).
  const awsKv = awsTarget && (await awsTarget.mf.getKVNamespace("PIPEHOOK", "pipehook"));
  const started = async () => {
    if (http200) return http200.count();
    let n = 0;
    let cursor;
    do {
      const page = await awsKv.list({ prefix: "execution/real/", cursor });
      n += page.keys.length;
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    return n;
  };
  const perStart = [];
  // The first batch warms the consumer up (its first compile, its first fetch); not counted.
  for (let round = 0; round <= CONSUMER_ROUNDS; round++) {
    const before = await started();
    await quietProcess(w.pid);
    const c0 = cpuMs(w.pid);
    await deliver(url, BATCH - 1, true);
    const c1 = await quietProcess(w.pid, 300);
    const perDelivery = (c1 - c0) / (BATCH - 1);
    await deliver(url, 1, true);
    const deadline = Date.now() + 120_000;
    while ((await started()) < before + BATCH) {
      if (Date.now() > deadline) throw new Error("the consumer did not start the batch");
      await new Promise((r) => setTimeout(r, 100));
    }
    const c2 = await quietProcess(w.pid);
    if (round > 0) perStart.push((c2 - c1 - perDelivery) / BATCH);
  }
  await w.mf.dispose();
  await awsTarget?.mf.dispose();
  http200?.close();
  return perStart;
}
const consumer = { HTTP: await consumerCpu("HTTP"), AWS: await consumerCpu("AWS") };
target.close();
agent.destroy();

const dispatchRatio = ratio(workerOnly, "dispatch", "no target");
const simulatedRatio = ratio(inProcess, "dispatch", "no target");
const result = {
  title: "Dispatch: what an accepted delivery with a target costs the Worker, and what the consumer costs per start (bench/dispatch.mjs)",
  note:
    `9 KB signed push, three value rules, ${ROUNDS} interleaved rounds of ${N} deliveries, ${CONCURRENCY} at a time, to three webhooks of one Worker (its own workerd, its own socket): ` +
    "`dispatch` (a pipeline tagged `pipehook:dispatch` with an HTTP target and two `pipehook:variable:` tags, the delivery carrying X-GitHub-Delivery: the start-time key read, the record and the start-time key written, the variables, the queue message), `no target` (the same delivery to a pipeline without a target: the same exactly-once bookkeeping, no variables, no message) and `dispatch, no delivery id` (the first without X-GitHub-Delivery: the exactly-once bookkeeping's cost, by difference). " +
    "CPU per delivery is the Worker's workerd process's (utime + stime ÷ deliveries). Measured twice: **the Worker's own CPU**, its KV namespace and its queue stood in for by memory in its isolate that answers at once (bench/peers/memory-bindings-entry.js; a binding call costs its arguments and a promise, as a call out of the isolate does), as Cloudflare counts a Worker's CPU, without the storage's and the queue's; and **with Miniflare's simulators in the process**, where each KV operation costs the process about as much as the rest of the delivery (the queue is then consumed by a Worker that only acknowledges, so the consumer's work is not counted). " +
    `Goal: dispatch ≤ 1.2× no target (per round, median), by the Worker's own CPU: **${median(dispatchRatio) <= 1.2 ? "met" : "not met"}** (${stat(dispatchRatio, 2)}×); with the simulators in the process: ${stat(simulatedRatio, 2)}× (the same KV operations, and a queue send). Every candidate's delivery is also logged after its answer (the delivery log: one KV write each, and a trim every tenth), in both measurements. ` +
    `The consumer, measured apart (batches of ${BATCH}: ${CONSUMER_ROUNDS} batches after a warm-up batch; its workerd's CPU from the batch's last delivery until it is quiet, less one delivery's, ÷ ${BATCH}; Miniflare's KV simulator in the process: a record read and a write per start): per start to an HTTP receiver (sign, POST, settle the record) ${stat(consumer.HTTP)} ms, per AWS start (SigV4 with aws-sigv4, POST to a second pipehook in its own workerd, settle the record) ${stat(consumer.AWS)} ms. ` +
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${os.cpus()[0]?.model ?? "?"} (${os.cpus().length} cores, shared), load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(" / ")}.`,
  columns: ["delivery", "the Worker's own CPU per delivery, ms", "÷ no target (per round)", "with the simulators in the process, ms", "÷ no target"],
  rows: [
    ["dispatch (target + 2 variables, X-GitHub-Delivery)", stat(workerOnly.dispatch), `**${stat(dispatchRatio, 2)}×**`, stat(inProcess.dispatch), `${stat(simulatedRatio, 2)}×`],
    ["no target (the same bookkeeping, no variables, no message)", stat(workerOnly["no target"]), "1.00×", stat(inProcess["no target"]), "1.00×"],
    ["dispatch without X-GitHub-Delivery (no exactly-once bookkeeping)", stat(workerOnly["dispatch, no delivery id"]), `${stat(ratio(workerOnly, "dispatch, no delivery id", "no target"), 2)}×`, stat(inProcess["dispatch, no delivery id"]), `${stat(ratio(inProcess, "dispatch, no delivery id", "no target"), 2)}×`],
    ["the consumer, per start to an HTTP target", "", "", stat(consumer.HTTP), ""],
    ["the consumer, per start to an AWS target", "", "", stat(consumer.AWS), ""],
  ],
};
writeFileSync(ROOT + "bench/measured/dispatch.json", JSON.stringify(result, null, 1) + "\n");
for (const row of result.rows) console.log(row.join("  |  "));
