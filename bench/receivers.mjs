// Receivers under load (goal 2): wrk on loopback against adnanh/webhook (Debian `webhook`),
// a minimal JS Worker under Miniflare, and pipehook's Worker under Miniflare (filtered and
// accepted deliveries), 9 KB signed push, interleaved rounds. Writes out/receivers.json.
// Everything listens on 127.0.0.1 only and is stopped at the end.
//
// Each Worker is served on a socket of its own (Miniflare's `unsafeDirectSockets`), as the
// edge hands a request to a Worker: Miniflare's default route goes through its entry worker
// (the local dev server's router, a second isolate per request), which alone cost more than
// the minimal JS Worker's own work. Two rows measure that route too, for comparison. Two
// floors show whose cost is whose: a JS Worker that only reads the body and answers, and
// pipehook's Worker answering a URL without a token on its general way (a Rust task, the body
// read and a JSON answer, no webhook); a delivery whose webhook is in the isolate's memo is
// decided without a Rust task (worker/src/delivery.rs), so that floor is not under it. Two
// bounds show what no Worker can beat here: one that only reads and signs (the least a Worker
// that checks signatures does), and one that only reads and writes once to KV (the least a
// Worker that stores what it starts does).
//
// Latency: after each wrk run, oha runs on the same target for a few seconds and times every
// request. wrk's own latency statistics break Little's law on this machine (its mean exceeds
// connections ÷ req/s; wg/wrk#114, #438), so p50/p99 come from oha, and wrk gives req/s and CPU.
//
// CPU per request (goal 3): workerd's own clock stands still while a Worker runs, so the
// CPU is measured from outside: the server process's utime + stime (/proc/<pid>/stat)
// over each wrk run, divided by the requests wrk completed. For a Worker that is the whole
// workerd process (HTTP, the KV simulator, the isolate): an upper bound on what Cloudflare
// bills, and the floors measured the same way show the share that is not the Worker's own.
//
// pipehook's Worker runs with its delivery log off (DELIVERY_LOG=off) in every row but the
// `-logged` pair: no peer keeps a log, and under Miniflare each logged delivery is a write to
// the KV simulator (SQLite and a file per value, in the measured process), which on Cloudflare
// is storage's work, not the Worker's. The `-logged` pair shows what the log costs here.
//
// Large deliveries (goal 3): each Worker in a fresh workerd, 1 MB and 25 MB signed pushes one
// at a time: CPU per delivery the same way, and how much the process's peak RSS (VmHWM) grows
// with the first 25 MB delivery, in bodies; a Worker that only reads the body as one
// ArrayBuffer (bench/peers/null-worker.js) is the runtime's own share of both.
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync, mkdirSync, existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { payloads, sign, pushHeaders, median, min, max, quiet, busyShare, ROOT, OUT, DATA, SECRET } from "./lib.mjs";
import { cpuMs, startWorkerd, pipehookWebhooks, PIPEHOOK_BINDINGS } from "./workerd.mjs";

const quick = process.env.BENCH_QUICK === "1";
const DURATION = Number(process.env.BENCH_WRK_SECONDS ?? (quick ? 3 : 8));
// Five rounds: the median of three has moved by a third between consecutive runs (0.67× and
// 1.01× the JS Worker in earlier sessions).
const ROUNDS = Number(process.env.BENCH_WRK_ROUNDS ?? (quick ? 1 : 5));
const OHA_SECONDS = Number(process.env.BENCH_OHA_SECONDS ?? (quick ? 2 : 3));
const all = payloads();
const push = all[0];
mkdirSync(DATA, { recursive: true });
const bodyFile = path.join(DATA, "push-9KB.json");
writeFileSync(bodyFile, push.body);
const sig = sign(push.body);
const result = { duration: DURATION, rounds: ROUNDS, connections: 10, threads: 2, targets: {}, notes: [] };
const stops = [];
const hasOha = have("oha");
/** Busy share of the cores under which the machine counts as quiet (set from its load at the start). */
let calm = 0.1;

function have(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

async function waitFor(url, init, tries = 100) {
  for (let i = 0; i < tries; i++) {
    try {
      return await fetch(url, init);
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

const PUSH_HEADERS = pushHeaders(sig);
const post = (url) => fetch(url, { method: "POST", body: push.body, headers: PUSH_HEADERS });

async function startAdnanh() {
  if (!have("webhook")) return result.notes.push("adnanh/webhook not installed (apt-get install webhook): not measured");
  const port = 19000 + Math.floor(Math.random() * 500);
  const hook = (id, ref) => ({
    id,
    "execute-command": "/bin/true",
    "include-command-output-in-response": false,
    "trigger-rule": {
      and: [
        { match: { type: "payload-hmac-sha256", secret: SECRET, parameter: { source: "header", name: "X-Hub-Signature-256" } } },
        { match: { type: "value", value: ref, parameter: { source: "payload", name: "ref" } } },
        { match: { type: "value", value: "Codertocat/Hello-World", parameter: { source: "payload", name: "repository.full_name" } } },
        { match: { type: "value", value: "Codertocat", parameter: { source: "payload", name: "sender.login" } } },
      ],
    },
  });
  const hooksFile = path.join(DATA, "adnanh-hooks.json");
  writeFileSync(hooksFile, JSON.stringify([hook("accept", "refs/heads/master"), hook("filter", "refs/heads/other")]));
  const child = spawn("webhook", ["-hooks", hooksFile, "-ip", "127.0.0.1", "-port", String(port)], { stdio: "ignore" });
  const pid = child.pid;
  stops.push(() => child.kill("SIGTERM"));
  const base = `http://127.0.0.1:${port}/hooks`;
  await waitFor(`http://127.0.0.1:${port}/`);
  const a = await post(`${base}/accept`), f = await post(`${base}/filter`);
  result.notes.push(`adnanh/webhook: accepted answers ${a.status} "${(await a.text()).trim()}", filtered ${f.status} "${(await f.text()).trim()}"`);
  return [
    { id: "adnanh-filtered", label: "adnanh/webhook 2.8 (HMAC + 3 value rules), filtered", url: `${base}/filter`, pid },
    { id: "adnanh-accepted", label: "adnanh/webhook 2.8, accepted (runs /bin/true)", url: `${base}/accept`, pid },
  ];
}

/** `VmHWM` (peak RSS) of a process in bytes, or NaN. */
function peakRss(pid) {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) * 1024;
  } catch {
    return NaN;
  }
}

/** A Worker in its own workerd (`startWorkerd`), stopped when the benchmark ends. */
async function startMiniflare(options) {
  const started = await startWorkerd(options);
  const stop = () => started.mf.dispose();
  stops.push(stop);
  return { ...started, stop };
}

async function startMinimalWorker({ entry = false } = {}) {
  const started = await startMiniflare({ entry, scriptPath: path.join(ROOT, "bench/peers/min-worker.js") });
  const r = await post(started.url);
  const body = await r.json();
  if (body.outcome !== "accepted") throw new Error("minimal worker did not accept");
  return [{ id: `js-worker${entry ? "-entry" : ""}`, label: `minimal JS Worker (WebCrypto verify + JSON.parse), Miniflare${entry ? ENTRY_LABEL : ""}`, ...started }];
}
const ENTRY_LABEL = ", through Miniflare's entry worker (the dev server's route)";

/**
 * The minimal JS Worker that also stores each accepted delivery's execution in KV (one write
 * per delivery, awaited before the answer): the like-for-like peer of pipehook's accepted row.
 */
async function startMinimalKvWorker() {
  const started = await startMiniflare({ scriptPath: path.join(ROOT, "bench/peers/min-worker-kv.js"), kvNamespaces: ["KV"] });
  const body = await (await post(started.url)).json();
  if (body.outcome !== "accepted" || !body.pipelineExecutionId) throw new Error("the minimal JS Worker with KV did not accept and store");
  return [{ id: "js-worker-kv", label: "minimal JS Worker + one KV write per accepted delivery (its execution record), Miniflare", ...started }];
}

/**
 * Lower bounds under this harness: the least a Worker can do and still check a GitHub signature
 * (read, sign with Web Crypto, compare, answer with no body), and the least it can do and still
 * store what it starts (read, one KV write, answer). Their req/s bounds what any Worker can reach.
 */
async function startBoundWorkers() {
  const sign = await startMiniflare({ scriptPath: path.join(ROOT, "bench/peers/sign-worker.js") });
  if ((await post(sign.url)).status !== 204) throw new Error("the signing Worker did not verify the delivery");
  const write = await startMiniflare({ scriptPath: path.join(ROOT, "bench/peers/write-worker.js"), kvNamespaces: ["KV"] });
  if ((await post(write.url)).status !== 204) throw new Error("the writing Worker did not store");
  return [
    { id: "sign-worker", label: "bound: a Worker that reads the body, signs it with Web Crypto and compares (no parse, no filters, empty answer), Miniflare", ...sign },
    { id: "write-worker", label: "bound: a Worker that reads the body and writes once to KV (no signature, no parse, empty answer), Miniflare", ...write },
  ];
}

/** The runtime's own floor per request: a Worker that reads the body and answers. */
async function startNullWorker() {
  const started = await startMiniflare({ scriptPath: path.join(ROOT, "bench/peers/null-worker.js") });
  return [{ id: "null-worker", label: "null Worker (reads the body and answers: the runtime's floor), Miniflare", ...started }];
}

const LOG_OFF = ", delivery log off";

async function startPipehookWorker({ suffix = "", label = "", vars = {}, filtered = true, accepted = true, note = !suffix, entry = false } = {}) {
  const script = path.join(ROOT, "worker/build/index.js");
  if (!existsSync(script)) return result.notes.push("pipehook Worker not built (worker/build/index.js missing): not measured");
  const { mf, url, pid, stop } = await startMiniflare({
    entry,
    scriptPath: script,
    kvNamespaces: ["PIPEHOOK"],
    bindings: { ...PIPEHOOK_BINDINGS, DELIVERY_LOG: "off", ...vars },
  });
  const { accepted: accept, filtered: filter } = await pipehookWebhooks(url);
  const a = await post(accept), f = await post(filter);
  if (note) result.notes.push(`pipehook Worker: accepted answers ${a.status} ${(await a.text()).slice(0, 120)}; filtered ${f.status} ${(await f.text()).slice(0, 120)}`);
  if (a.status !== 200 || f.status !== 200) throw new Error("pipehook Worker did not answer 200");
  return [
    ...(note && filtered ? [{ id: "pipehook-unknown", label: "pipehook Worker, no token (its general way, a Rust task: reads the body, answers 404), Miniflare", url: `${url}/trigger`, pid, expect404: true }] : []),
    ...(filtered ? [{ id: `pipehook-filtered${suffix}`, label: `pipehook Worker, filtered (no write)${label}${vars.DELIVERY_LOG === "on" ? "" : LOG_OFF}, Miniflare`, url: filter, pid, mf, stop }] : []),
    ...(accepted ? [{ id: `pipehook-accepted${suffix}`, label: `pipehook Worker, accepted (execution stored in KV)${label}${vars.DELIVERY_LOG === "on" ? "" : LOG_OFF}, Miniflare`, url: accept, pid, ...(filtered ? {} : { mf, stop }) }] : []),
  ];
}

/**
 * Filtered and accepted deliveries each in a workerd of their own, as the JS peers are
 * (js-worker, js-worker-kv): the KV simulator's work for thousands of stored executions is
 * then not charged to the filtered rounds that follow the accepted ones.
 */
const startPipehookPair = async (options = {}) => {
  const targets = (t) => (Array.isArray(t) ? t : []); // (not an array when the Worker is not built)
  return [
    ...targets(await startPipehookWorker({ ...options, accepted: false })),
    ...targets(await startPipehookWorker({ ...options, filtered: false, note: false })),
  ];
};
const startPipehook = () => startPipehookPair();
/** The Worker with its delivery log on, as deployed by default: an entry written to KV after each answer. */
const startPipehookLogged = () =>
  startPipehookPair({ suffix: "-logged", label: ", delivery log on (the default: a KV write after each answer, a trim every 10th)", vars: { DELIVERY_LOG: "on" } });
/** The earlier way of measuring: both Workers behind Miniflare's entry worker, for comparison. */
const startThroughEntry = async () => [
  ...(await startMinimalWorker({ entry: true })),
  ...(await startPipehookWorker({ suffix: "-entry", label: ENTRY_LABEL, accepted: false, entry: true })),
];
/** The Worker with its per-isolate view memo off: one KV read per delivery. */
const startPipehookWorkerOneRead = () =>
  startPipehookPair({ suffix: "-1read", label: ", memo off (DELIVERY_CACHE_MS=0: one KV read per delivery)", vars: { DELIVERY_CACHE_MS: "0" } });
function wrk(url, pid) {
  const cpuBefore = pid ? cpuMs(pid) : NaN;
  const r = spawnSync("wrk", ["-t2", "-c10", `-d${DURATION}s`, "--latency", "-s", path.join(ROOT, "bench/peers/post.lua"), url], {
    env: { ...process.env, BENCH_BODY: bodyFile, BENCH_SIG: sig },
    encoding: "utf8",
    timeout: (DURATION + 30) * 1000,
  });
  const out = r.stdout ?? "";
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const toMs = (v, unit) => Number(v) * ({ us: 1e-3, ms: 1, s: 1e3 }[unit] ?? NaN);
  const p = (q) => {
    const m = new RegExp(`\\s${q}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? toMs(m[1], m[2]) : NaN;
  };
  const avg = /Latency\s+([\d.]+)(us|ms|s)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors:.*/.exec(out)?.[0] ?? "";
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const cpuPerRequestMs = pid && requests > 0 ? (cpuMs(pid) - cpuBefore) / requests : NaN;
  return { rps, p50: p(50), p99: p(99), meanLatency: avg ? toMs(avg[1], avg[2]) : NaN, non2xx, errors, requests, cpuPerRequestMs, cpuBefore };
}

/**
 * Latency as oha measures it: every request timed on its own (wrk's own statistics break
 * Little's law here, wg/wrk#114 and #438). A shorter run after the wrk run, on the same target.
 */
function oha(url) {
  if (!hasOha) return null;
  const headers = Object.entries(PUSH_HEADERS).flatMap(([name, value]) => ["-H", `${name}: ${value}`]);
  const r = spawnSync("oha", ["-z", `${OHA_SECONDS}s`, "-c", "10", "--no-tui", "--output-format", "json", "-m", "POST", "-D", bodyFile, ...headers, url],
  { encoding: "utf8", maxBuffer: 1 << 26, timeout: (OHA_SECONDS + 30) * 1000 });
  try {
    const j = JSON.parse(r.stdout);
    const p = j.latencyPercentiles, ms = (v) => (typeof v === "number" ? v * 1000 : NaN);
    return { rps: j.summary.requestsPerSec, mean: ms(j.summary.average), p50: ms(p.p50), p99: ms(p.p99), p999: ms(p["p99.9"]) };
  } catch {
    return null;
  }
}

/**
 * A run and the work it left behind: adnanh/webhook answers before the command it starts has
 * run, so its commands go on after wrk stops (and would run into the next target's time). The
 * run ends when the machine is quiet again; `sustainedRps` counts that time, `cpuWithDrainMs`
 * that CPU (the server and its reaped children).
 */
async function measured(t) {
  // Every run starts quiet: the one before it waited until the machine was (the first follows
  // the baseline's own quiet second).
  const { cpuBefore, ...run } = wrk(t.url, t.pid);
  const after = await quiet({ below: calm, limitMs: 30000 });
  // quiet() ends with one quiet sample of 200 ms: the work left is the time before it.
  const drainMs = Math.max(0, after.waitedMs - 200);
  const cpuWithDrainMs = t.pid && run.requests > 0 ? (cpuMs(t.pid) - cpuBefore) / run.requests : NaN;
  const latency = oha(t.url);
  if (latency) await quiet({ below: calm, limitMs: 30000 });
  return { ...run, drainMs, sustainedRps: run.requests / (DURATION + drainMs / 1000), cpuWithDrainMs, latency };
}

/**
 * Goal 3: one Worker at a time in a fresh workerd (so the first 25 MB delivery's peak RSS
 * growth is its own): CPU per 1 MB and 25 MB delivery, and that growth in bodies.
 */
async function largeDeliveries() {
  const sizes = all.filter((p) => p.id === "1MB" || p.id === "25MB");
  const workers = [
    ["null-worker", "runtime floor: `await request.arrayBuffer()` and answer", async () => (await startNullWorker())[0]],
    ["js-worker", "minimal JS Worker (WebCrypto verify + JSON.parse)", async () => (await startMinimalWorker())[0]],
    ["pipehook-filtered", "pipehook Worker, filtered (no write, delivery log off)", async () => {
      const t = await startPipehookWorker({ accepted: false, note: false });
      return Array.isArray(t) ? t[0] : null;
    }],
  ];
  const out = {};
  for (const [id, label, start] of workers) {
    let t;
    try {
      t = await start();
    } catch (e) {
      result.notes.push(`large deliveries, ${id}: ${e.message}: not measured`);
      continue;
    }
    if (!t) continue;
    try {
      const send = async (p) => {
        const r = await fetch(t.url, { method: "POST", body: p.body, headers: { "content-type": "application/json", "x-github-event": "push", "x-hub-signature-256": sign(p.body) } });
        await r.arrayBuffer();
        if (r.status !== 200) throw new Error(`${p.id}: ${r.status}`);
      };
      // Warm-up at both sizes: V8 tiers wasm and JS up only once they run hot.
      for (let i = 0; i < 20; i++) await send(push);
      for (const p of sizes) for (let i = 0; i < (p.id === "25MB" ? 0 : 5); i++) await send(p);
      const entry = { label, sizes: {} };
      for (const p of sizes) {
        const n = p.id === "25MB" ? (quick ? 2 : 4) : (quick ? 10 : 30);
        const hwm0 = peakRss(t.pid), cpu0 = cpuMs(t.pid);
        let growth = NaN;
        for (let i = 0; i < n; i++) {
          await send(p);
          if (i === 0) growth = (peakRss(t.pid) - hwm0) / p.body.length;
        }
        entry.sizes[p.id] = { cpuPerDeliveryMs: (cpuMs(t.pid) - cpu0) / n, deliveries: n, ...(p.id === "25MB" ? { peakRssGrowthBodies: growth } : {}) };
        console.log(`${id.padEnd(18)} ${p.id.padStart(5)}  CPU ${entry.sizes[p.id].cpuPerDeliveryMs.toFixed(1)} ms/delivery${p.id === "25MB" ? `  peak RSS +${growth.toFixed(2)} bodies` : ""}`);
      }
      out[id] = entry;
    } catch (e) {
      result.notes.push(`large deliveries, ${id}: ${e.message}: not measured`);
    } finally {
      await t.mf.dispose();
      if (stops.includes(t.stop)) stops.splice(stops.indexOf(t.stop), 1);
    }
  }
  result.large = out;
}

async function main() {
  if (!have("wrk")) {
    result.notes.push("wrk not installed (apt-get install wrk): receivers not measured");
  } else {
    const targets = [];
    const only = process.env.BENCH_RECEIVERS?.split(/[ ,]+/);
    if (!hasOha) result.notes.push("oha not installed (cargo install oha): p99 is wrk's own, whose statistics break Little's law");
    for (const start of [startAdnanh, startNullWorker, startBoundWorkers, startMinimalWorker, startMinimalKvWorker, startPipehook, startPipehookLogged, startPipehookWorkerOneRead, startThroughEntry]) {
      try {
        const t = await start();
        if (Array.isArray(t)) targets.push(...t);
      } catch (e) {
        result.notes.push(`${start.name}: ${e.message}: not measured`);
      }
    }
    if (only) targets.splice(0, targets.length, ...targets.filter((t) => only.includes(t.id)));
    for (const t of targets) result.targets[t.id] = { label: t.label, runs: [], ...(t.expect404 ? { expect404: true } : {}) };
    // Quiet is relative to the machine's own load before any run: a machine busy with other
    // jobs would otherwise make every run wait out the limit.
    const baseline = await busyShare(1000);
    calm = (Number.isFinite(baseline) ? baseline : 0) + 0.1;
    result.baselineBusy = baseline;
    for (const t of targets) await measured(t); // warm-up (JIT, isolate, KV)
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < targets.length; k++) {
        const t = targets[(r + k) % targets.length];
        const run = await measured(t);
        result.targets[t.id].runs.push(run);
        const lat = run.latency ? `  oha p50 ${run.latency.p50.toFixed(2)} ms p99 ${run.latency.p99.toFixed(2)} ms` : "";
        console.log(`${t.id.padEnd(18)} ${run.rps.toFixed(0).padStart(7)} req/s  wrk p99 ${run.p99} ms${lat}  CPU ${run.cpuPerRequestMs.toFixed(3)} ms/req  busy after ${run.drainMs} ms${run.non2xx ? `  NON-2XX ${run.non2xx}` : ""} ${run.errors}`);
      }
    }
    const stats = (v) => ({ median: median(v), min: min(v), max: max(v) });
    for (const t of Object.values(result.targets)) {
      const rps = t.runs.map((r) => r.rps), p99 = t.runs.map((r) => r.p99), cpu = t.runs.map((r) => r.cpuPerRequestMs).filter(Number.isFinite);
      const drained = t.runs.map((r) => r.cpuWithDrainMs).filter(Number.isFinite);
      Object.assign(t, { rps: stats(rps), p99: stats(p99), cpuPerRequestMs: cpu.length ? stats(cpu) : null, non2xx: t.runs.reduce((a, r) => a + r.non2xx, 0),
        drainMs: stats(t.runs.map((r) => r.drainMs)), sustainedRps: stats(t.runs.map((r) => r.sustainedRps)), cpuWithDrainMs: drained.length ? stats(drained) : null });
      const timed = t.runs.map((r) => r.latency).filter(Boolean);
      if (timed.length) t.latency = { p50: stats(timed.map((l) => l.p50)), p99: stats(timed.map((l) => l.p99)), p999: stats(timed.map((l) => l.p999)) };
    }
    // Ratios of req/s per round (every target ran once in each), then their median.
    result.ratios = {};
    const T = result.targets;
    const pairs = [["pipehook-accepted", "js-worker-kv"], ["js-worker-kv", "js-worker"], ["js-worker-kv", "adnanh-accepted"],
      ["sign-worker", "adnanh-filtered"], ["sign-worker", "js-worker"], ["pipehook-filtered", "sign-worker"],
      ["write-worker", "adnanh-accepted"], ["write-worker", "js-worker"], ["pipehook-accepted", "write-worker"],
      ["pipehook-filtered-logged", "pipehook-filtered"], ["pipehook-accepted-logged", "pipehook-accepted"]];
    for (const a of Object.keys(T).filter((id) => id.startsWith("pipehook-") && id !== "pipehook-unknown")) {
      const kind = a.includes("accepted") ? "accepted" : "filtered";
      pairs.push([a, `adnanh-${kind}`], [a, a.endsWith("-entry") ? "js-worker-entry" : "js-worker"]);
    }
    for (const [a, b] of pairs.filter(([a, b]) => T[a] && T[b])) {
      for (const [key, field] of [["", "rps"], [":sustained", "sustainedRps"]]) {
        const per = T[a].runs.map((r, i) => r[field] / T[b].runs[i]?.[field]).filter(Number.isFinite);
        if (per.length) result.ratios[`${a}/${b}${key}`] = stats(per);
      }
    }
  }
  if (process.env.BENCH_LARGE !== "0") await largeDeliveries();
  mkdirSync(OUT, { recursive: true });
  Object.assign(result, { measuredAt: new Date().toISOString(), loadavg: os.loadavg() });
  writeFileSync(OUT + "receivers.json", JSON.stringify(result, null, 1));
  for (const n of result.notes) console.log("note:", n);
}

try {
  await main();
} finally {
  for (const stop of stops.reverse()) await stop();
}
process.exit(0);
