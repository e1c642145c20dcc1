// A/B of package builds by CPU time, the measure a shared machine disturbs least:
//   node bench/cpu-ab.mjs <name>=<absolute dist dir> ...   (SIZES=0,1 picks payloads: 9 KB, 28 KB, …)
// Per build: `core` is the wasm call alone (CompiledWebhook.evaluate, HMAC precomputed), `full` is
// evaluateDelivery, `compiled` a compileWebhook handle; the JS peers run beside them. 30 interleaved
// rounds; prints the minimum, 25th percentile and median CPU time per delivery.
import { readFileSync } from "node:fs";
import { CANDIDATES } from "./delivery.mjs";
import { createHmac } from "node:crypto";
import { payloads, webhookFor, ACTION_CONFIGURATION, SECRET, sign } from "./lib.mjs";
const sizes = (process.env.SIZES||"0,1").split(",").map(Number);
const vs = [];
for (const arg of process.argv.slice(2)) {
  const [name, dir] = arg.split("=");
  const wasm = await import(dir + "/wasm/pipehook.js");
  wasm.initSync({ module: readFileSync(dir + "/wasm/pipehook_bg.wasm") });
  const api = await import(dir + "/node.js");
  vs.push({ name, wasm, api });
}
const all = payloads();
const nv = vs.length;
for (const si of sizes) {
  const p = all[si];
  const hook = webhookFor(p.kind); const sig = sign(p.body);
  const mac = createHmac("sha256", SECRET).update(p.body).digest();
  const cfg = JSON.stringify(ACTION_CONFIGURATION);
  const flat = JSON.stringify(["x-hub-signature-256", sig, "x-github-event", "push"]);
  // Builds before the headers crossed as separate arguments took them as one JSON array (later
  // builds take a ninth, the rotation's previous secret, left out here).
  const coreArgs = (wasm) => wasm.headersRead().length === 3 && wasm.CompiledWebhook.prototype.evaluate.length >= 8
    ? [p.body, sig, undefined, undefined, undefined, cfg, mac, undefined]
    : [flat, p.body, undefined, cfg, mac, undefined];
  const headers = { "x-hub-signature-256": sig, "x-github-event": "push" };
  vs.splice(nv);
  for (const v of vs) {
    const h = v.wasm.CompiledWebhook.compile(JSON.stringify(hook));
    v.fns = {
      core: ((args) => () => h.evaluate(...args))(coreArgs(v.wasm)),
      full: () => v.api.evaluateDelivery(hook, { headers, body: p.body }, { actionConfiguration: ACTION_CONFIGURATION }),
      ...(v.api.compileWebhook ? { compiled: ((cw) => () => cw.evaluateDelivery({ headers, body: p.body }, { actionConfiguration: ACTION_CONFIGURATION }))(v.api.compileWebhook(hook)) } : {}),
    };
    v.s = { core: [], full: [], compiled: [] };
  }
  const peers = CANDIDATES.filter(c => ["js-peer","floor","hmac"].includes(c.id)).map(c => ({ name: c.id, fn: c.make(hook) }));
  vs.push(...peers.map(pc => ({ name: pc.name, fns: { full: () => pc.fn(p.body, sig) }, s: { full: [] } })));
  const n = Math.max(1, Math.round(3e5 / p.body.length));
  for (const v of vs) for (const k in v.fns) for (let i = 0; i < n * 20; i++) v.fns[k]();
  for (let r = 0; r < 30; r++) for (let j = 0; j < vs.length; j++) {
    const v = vs[(r + j) % vs.length];
    for (const k in v.fns) { const c0 = process.cpuUsage(); for (let i = 0; i < n; i++) { const r = v.fns[k](); if (r instanceof Promise) await r; } const c = process.cpuUsage(c0); v.s[k].push((c.user + c.system) / n); }
  }
  for (const k of ["core", "full", "compiled"]) for (const v of vs) { if (!v.s[k]?.length) continue;
    const s = v.s[k].sort((a, b) => a - b);
    console.log(`${p.id} ${k.padEnd(5)} ${v.name.padEnd(8)} min ${s[0].toFixed(1).padStart(7)} µs  p25 ${s[7].toFixed(1).padStart(7)}  med ${s[15].toFixed(1).padStart(7)}`);
  }
}
