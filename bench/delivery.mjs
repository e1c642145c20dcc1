// Time per delivery, pipehook against its peers, measured interleaved in one process:
// every round runs a batch of each candidate (in rotating order), so machine noise hits all
// of them alike and the per-round ratios stay meaningful. Writes out/delivery.json.
//   node --expose-gc bench/delivery.mjs [--quick]
import { createHmac, timingSafeEqual } from "node:crypto";
import { writeFileSync, mkdirSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { jaywayPeer } from "./jayway.mjs";
import { verify } from "@octokit/webhooks-methods";
import { JSONPath } from "jsonpath-plus";
import { evaluateDelivery, compileWebhook } from "../dist/node.js";
import * as wasm from "../dist/wasm/pipehook.js";
import { createApi } from "../dist/api.js";
import { payloads, webhookFor, ACTION_CONFIGURATION, SECRET, sign, median, min, max, formatTime, OUT } from "./lib.mjs";

const quick = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";
const BATCH_SECONDS = quick ? 0.01 : 0.03;
const gc = globalThis.gc ?? (() => {});

const nodeHmac = (algorithm, secret, body) => createHmac(algorithm, secret).update(body).digest();
// The same package API over the whole-document (reference) evaluation, for comparison.
const referenceWasm = {
  ...wasm,
  CompiledWebhook: {
    compile(text) {
      const h = wasm.CompiledWebhook.compile(text);
      return { authentication: h.authentication, evaluate: (...a) => h.evaluateReference(...a), free: () => h.free() };
    },
  },
};
const domApi = createApi(referenceWasm, nodeHmac);
const webApi = createApi(wasm); // no host crypto: HMAC in wasm, as in a browser without a sync native HMAC
const naiveApi = createApi(referenceWasm); // wasm HMAC + serde_json DOM + string body

function decide(api, hook, headers, body) {
  return api.evaluateDelivery(hook, { headers, body }, { actionConfiguration: ACTION_CONFIGURATION }).outcome === "accepted";
}

// The same definition without authentication: the comparison with Jayway leaves HMAC out on both sides.
const unauthenticated = (hook) => ({ ...hook, authentication: "UNAUTHENTICATED", authenticationConfiguration: {} });

function expectedOf(f) {
  return (f.matchEquals ?? "").replace(/\{(\w+)\}/g, (m, k) => ACTION_CONFIGURATION[k] ?? m);
}

export const CANDIDATES = [
  {
    id: "pipehook",
    label: "pipehook `evaluateDelivery` (Node entry: node:crypto HMAC, single-pass scan)",
    make: (hook) => (body, sig) => decide({ evaluateDelivery }, hook, { "x-hub-signature-256": sig, "x-github-event": "push" }, body),
  },
  {
    id: "pipehook-compiled",
    label: "pipehook `compileWebhook(…).evaluateDelivery` (the same, definition compiled once by the caller)",
    make: (hook) => {
      const compiled = compileWebhook(hook);
      const options = { actionConfiguration: ACTION_CONFIGURATION };
      return (body, sig) => compiled.evaluateDelivery({ headers: { "x-hub-signature-256": sig, "x-github-event": "push" }, body }, options).outcome === "accepted";
    },
  },
  {
    id: "pipehook-dom",
    label: "pipehook, whole-document parse (node:crypto HMAC, serde_json DOM + filter engine)",
    make: (hook) => (body, sig) => decide(domApi, hook, { "x-hub-signature-256": sig, "x-github-event": "push" }, body),
  },
  {
    id: "pipehook-web",
    label: "pipehook web entry (HMAC in wasm, single-pass scan)",
    make: (hook) => (body, sig) => decide(webApi, hook, { "x-hub-signature-256": sig, "x-github-event": "push" }, body),
  },
  {
    id: "wasm-naive",
    label: "wasm-only design: body as string, HMAC in wasm, serde_json DOM",
    make: (hook) => (body, sig) => decide(naiveApi, hook, { "x-hub-signature-256": sig, "x-github-event": "push" }, body.toString("utf8")),
  },
  {
    id: "js-peer",
    label: "JS peer: `@octokit/webhooks-methods` verify + `JSON.parse` + 3 `jsonpath-plus` filters",
    make: (hook) => async (body, sig) => {
      const text = body.toString("utf8");
      if (!(await verify(SECRET, text, sig))) return false;
      const payload = JSON.parse(text);
      return hook.filters.every((f) => {
        const expected = expectedOf(f);
        const selected = JSONPath({ path: f.jsonPath, json: payload, wrap: true });
        return selected.some((v) => (typeof v === "string" ? v : JSON.stringify(v)) === expected);
      });
    },
  },
  {
    id: "floor",
    label: "hand-written floor: node:crypto HMAC + `JSON.parse` + property access",
    make: (hook) => {
      const getters = hook.filters.map((f) => {
        const keys = f.jsonPath.replace(/^\$\./, "").split(".");
        const expected = expectedOf(f);
        return (p) => keys.reduce((o, k) => (o == null ? undefined : o[k]), p) === expected;
      });
      return (body, sig) => {
        const mac = createHmac("sha256", SECRET).update(body).digest();
        const given = Buffer.from(sig.slice(7), "hex");
        if (given.length !== mac.length || !timingSafeEqual(mac, given)) return false;
        const payload = JSON.parse(body.toString("utf8"));
        return getters.every((g) => g(payload));
      };
    },
  },
  {
    id: "hmac",
    label: "HMAC-SHA256 alone (node:crypto)",
    make: () => (body) => createHmac("sha256", SECRET).update(body).digest().length === 32,
  },
  {
    id: "pipehook-noauth",
    label: "pipehook `evaluateDelivery`, no HMAC (the same rules on an UNAUTHENTICATED webhook)",
    make: (hook) => {
      const open = unauthenticated(hook);
      return (body) => decide({ evaluateDelivery }, open, { "x-github-event": "push" }, body);
    },
  },
  {
    id: "pipehook-compiled-noauth",
    label: "pipehook `compileWebhook(…).evaluateDelivery`, no HMAC",
    make: (hook) => {
      const compiled = compileWebhook(unauthenticated(hook));
      const options = { actionConfiguration: ACTION_CONFIGURATION };
      return (body) => compiled.evaluateDelivery({ headers: { "x-github-event": "push" }, body }, options).outcome === "accepted";
    },
  },
  {
    id: "jayway",
    label: "Jayway JsonPath 2.10 itself, warm JVM: json-smart parse + the 3 `JsonPath.read`s (no HMAC)",
    // A batch is timed inside the JVM (bench/peers/JaywayPeer.java), so the pipe costs nothing.
    batched: true,
    make: async (hook, payload) => {
      jayway ??= await jaywayPeer({ quick });
      return jayway?.candidate(hook, payload, expectedOf);
    },
  },
];

// The JVM peer, started once when first needed (null where java is missing: not measured).
let jayway;

async function runBatch(fn, body, sig, n) {
  gc();
  if (fn.batch) return fn.batch(n);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = fn(body, sig);
    if (r instanceof Promise) await r;
  }
  return Number(process.hrtime.bigint() - t0) / 1e9 / n;
}

async function main() {
  const results = { quick, node: process.version, sizes: [] };
  for (const p of payloads()) {
    const hook = webhookFor(p.kind);
    const sig = sign(p.body);
    const cands = [];
    for (const c of CANDIDATES) {
      const fn = await c.make(hook, p);
      if (fn) cands.push({ ...c, fn, samples: [] });
      else console.log(`${p.id.padStart(5)} ${c.id.padEnd(13)} not measured (java is missing)`);
    }
    // Check every candidate decides the delivery (accepted) before timing it; then calibrate.
    for (const c of cands) {
      let ok = c.fn(p.body, sig);
      if (ok instanceof Promise) ok = await ok;
      if (ok !== true) throw new Error(`${c.id} did not accept the ${p.id} delivery`);
      // Warm up for a while (JIT, and V8's tier-up of the wasm from Liftoff to TurboFan, which
      // happens in the background after a function gets hot), then calibrate on warm code.
      const warmUntil = performance.now() + (quick ? 300 : 1000);
      let est = Infinity;
      for (let runs = 0; runs < 3 || performance.now() < warmUntil; runs++) {
        est = Math.min(est, await runBatch(c.fn, p.body, sig, p.body.length > 4e6 ? 1 : 10));
      }
      c.iters = Math.max(1, Math.round(BATCH_SECONDS / est));
    }
    const rounds = quick ? (p.body.length > 4e6 ? 3 : 5) : p.body.length > 4e6 ? 11 : 25;
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < cands.length; k++) {
        const c = cands[(r + k) % cands.length];
        c.samples.push(await runBatch(c.fn, p.body, sig, c.iters));
      }
    }
    const base = cands.find((c) => c.id === "pipehook");
    const size = { id: p.id, label: p.label, bytes: p.body.length, rounds, candidates: {} };
    for (const c of cands) {
      // Ratio per round (same round, same machine state), then its median and range.
      const ratios = c.samples.map((s, i) => s / base.samples[i]);
      size.candidates[c.id] = {
        label: c.label, iters: c.iters, samples: c.samples,
        median: median(c.samples), min: min(c.samples), max: max(c.samples),
        ratioToPipehook: { median: median(ratios), min: min(ratios), max: max(ratios) },
      };
      console.log(`${p.id.padStart(5)} ${c.id.padEnd(13)} median ${formatTime(median(c.samples)).padStart(9)}  (${formatTime(min(c.samples))}–${formatTime(max(c.samples))}, ${rounds}×${c.iters})  ×pipehook ${median(ratios).toFixed(2)}`);
    }
    results.sizes.push(size);
  }
  mkdirSync(OUT, { recursive: true });
  writeFileSync(OUT + "delivery.json", JSON.stringify(results, null, 1));
  jayway?.close();
}

// Importable for its candidates (e.g. by ad-hoc comparisons) without running the benchmark.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
