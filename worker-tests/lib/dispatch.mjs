// The dispatch suites' harness: the built Worker under Miniflare with real local queues (the
// DISPATCH producer and consumer, and the dead-letter queue, kept by lib/dispatch-entry.js),
// faults injected at the binding boundary (lib/faults.mjs, on PIPEHOOK and DISPATCH), the
// Worker's log lines captured, and the
// targets: node:http receivers that verify Standard Webhooks signatures, and a capturing proxy
// in front of a second pipehook Worker that plays AWS CodePipeline.
import http from "node:http";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import {
  DISPATCH_CREDENTIALS,
  DISPATCH_SIGNING_SECRET,
  SECRETS,
  callApi,
  fixturesDir,
  repoRoot,
  startWorker,
} from "./worker.mjs";

/** The real GitHub push the dispatch suites deliver (to branch master). */
export const PUSH = fs.readFileSync(path.join(fixturesDir, "push.with-new-branch.payload.json"), "utf8");

export const QUEUE = "pipehook-dispatch";
export const DEAD_LETTER_QUEUE = "pipehook-dispatch-dlq";

/**
 * A pipehook Worker that dispatches: `DISPATCH`/`DISPATCH_DLQ` producers, this Worker as the
 * consumer of both queues (the dead-letter queue's messages are kept by the test entry), the
 * dispatch secrets, retries with no delay unless `retryBaseS` says otherwise. `faults` controls
 * the KV namespace's and the DISPATCH producer's writes (lib/faults.mjs); `logs` collects what
 * the Worker writes to stdout and stderr.
 */
export async function startDispatchWorker({ vars = {}, retryBaseS = "0", persist = false } = {}) {
  const logs = [];
  const w = await startWorker({
    persist,
    script: "worker-tests/lib/dispatch-entry.js",
    vars: {
      DISPATCH_SIGNING_SECRET,
      DISPATCH_AWS_ACCESS_KEY_ID: DISPATCH_CREDENTIALS.accessKeyId,
      DISPATCH_AWS_SECRET_ACCESS_KEY: DISPATCH_CREDENTIALS.secretAccessKey,
      DISPATCH_AWS_SESSION_TOKEN: DISPATCH_CREDENTIALS.sessionToken,
      DISPATCH_RETRY_BASE_S: retryBaseS,
      ...vars,
    },
    faults: { kv: ["PIPEHOOK"], queue: ["DISPATCH"] },
    miniflare: {
      queueProducers: { DISPATCH: QUEUE, DISPATCH_DLQ: DEAD_LETTER_QUEUE },
      queueConsumers: {
        [QUEUE]: { maxBatchTimeout: 0, maxRetries: 20, deadLetterQueue: DEAD_LETTER_QUEUE },
        [DEAD_LETTER_QUEUE]: { maxBatchTimeout: 0 },
      },
    },
    stdio(stdout, stderr) {
      stdout.on("data", (d) => logs.push(String(d)));
      stderr.on("data", (d) => logs.push(String(d)));
    },
  });
  return {
    ...w,
    logs,
    async deadLetters() {
      return (await fetch(`${w.endpoint}/__test/dead-letters`)).json();
    },
    /** Every KV entry: `{ name, value, metadata }`. */
    async kvEntries() {
      const out = [];
      let cursor;
      do {
        const page = await w.kv.list({ cursor });
        for (const k of page.keys) {
          const { value, metadata } = await w.kv.getWithMetadata(k.name);
          out.push({ name: k.name, value, metadata });
        }
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
      return out;
    },
  };
}

/** The secrets found in `texts` (answers, KV values, log lines, messages). */
export function secretsIn(texts) {
  return SECRETS.filter((s) => texts.some((t) => t.includes(s)));
}

/**
 * A receiver on a loopback port. `respond(n, req)` (n counts from 1) answers
 * `{ status, body }`, or `"reset"` to drop the connection. Every request is kept:
 * `{ headers, body, at }`.
 */
export async function startTarget(respond = () => ({ status: 200, body: "ok" })) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const entry = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() };
      requests.push(entry);
      const answer = respond(requests.length, entry);
      if (answer === "reset") {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, { "content-type": "text/plain" });
      res.end(answer.body ?? "");
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

/** The payload of a request signed per Standard Webhooks with the suite's secret (throws if not). */
export function verifyStandardWebhook(request, secret = DISPATCH_SIGNING_SECRET) {
  return new Webhook(secret).verify(request.body, {
    "webhook-id": request.headers["webhook-id"],
    "webhook-timestamp": request.headers["webhook-timestamp"],
    "webhook-signature": request.headers["webhook-signature"],
  });
}

/** A proxy to `upstream` that keeps every request as it arrived: `{ method, url, headers, body }`. */
export async function startCapture(upstream) {
  const requests = [];
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method, url: req.url, headers: { ...req.headers }, body: body.toString("utf8") });
      const up = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent: false },
        (upRes) => {
          res.writeHead(upRes.statusCode, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on("error", (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      up.end(body);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

/**
 * The Authorization header botocore's SigV4Auth gives the captured request, signed at the time
 * its X-Amz-Date says (worker-tests/sigv4_botocore.py).
 */
export function botocoreAuthorization(request, { region, credentials = DISPATCH_CREDENTIALS }) {
  const input = {
    url: `http://${request.headers.host}${request.url}`,
    body: request.body,
    amzDate: request.headers["x-amz-date"],
    headers: { "Content-Type": request.headers["content-type"], "X-Amz-Target": request.headers["x-amz-target"] },
    region,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    sessionToken: credentials.sessionToken,
  };
  const run = spawnSync("python3", [path.join(repoRoot, "worker-tests", "sigv4_botocore.py")], { input: JSON.stringify(input), encoding: "utf8" });
  if (run.status !== 0) throw new Error(`botocore: ${run.stderr}`);
  return run.stdout.trim();
}

/** Polls `probe` until it answers something truthy (returned), or fails after `ms`. */
export async function eventually(probe, { ms = 20_000, every = 50, what = "the condition" } = {}) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** GetPipelineExecution's execution, once its status is no longer InProgress (or `until` holds). */
export async function settled(endpoint, pipelineName, pipelineExecutionId, { until = (e) => e.status !== "InProgress", ms = 20_000 } = {}) {
  return eventually(
    async () => {
      const r = await callApi(endpoint, "GetPipelineExecution", { pipelineName, pipelineExecutionId });
      return r.status === 200 && until(r.json.pipelineExecution) ? r.json.pipelineExecution : null;
    },
    { ms, what: `execution ${pipelineExecutionId} to settle` },
  );
}

/** A V2 pipeline declaration with the suite's source action (`Source`, branch `master`). */
export function v2Pipeline(name, declaration) {
  return { ...declaration(name, { branch: "master" }), pipelineType: "V2" };
}
