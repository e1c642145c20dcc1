// Sizes (wasm raw / gzip -9 / brotli 11; the Worker bundle), wasm instantiation time (fresh
// processes), and the memory one 25 MB delivery takes in wasm (goal 3). Writes out/startup.json.
import { readFileSync, existsSync, readdirSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import path from "node:path";
import { ROOT, OUT, median, min, max, payloads } from "./lib.mjs";

const child = process.argv[2];
if (child === "--instantiate") {
  // One fresh process: compile + instantiate, then the first (cold) decision.
  const bytes = readFileSync(path.join(ROOT, "dist/wasm/pipehook_bg.wasm"));
  const t0 = performance.now();
  const wasm = await import(path.join(ROOT, "dist/wasm/pipehook.js"));
  wasm.initSync({ module: bytes });
  const t1 = performance.now();
  const { createApi } = await import(path.join(ROOT, "dist/api.js"));
  const api = createApi(wasm);
  const { webhookFor, sign } = await import("./lib.mjs");
  const body = readFileSync(new URL("../../shared/fixtures/github-payloads/push.with-new-branch.payload.json", import.meta.url));
  const t2 = performance.now();
  api.evaluateDelivery(webhookFor("push"), { headers: { "x-hub-signature-256": sign(body) }, body }, { actionConfiguration: { Branch: "master" } });
  const t3 = performance.now();
  console.log(JSON.stringify({ instantiate: t1 - t0, firstDelivery: t3 - t2 }));
  process.exit(0);
}
if (child === "--memory") {
  // One fresh process: linear memory before and after deciding one 25 MB delivery.
  const mode = process.argv[3];
  const wasm = await import(path.join(ROOT, "dist/wasm/pipehook.js"));
  const exports = wasm.initSync({ module: readFileSync(path.join(ROOT, "dist/wasm/pipehook_bg.wasm")) });
  const { webhookFor, sign } = await import("./lib.mjs");
  const body = payloads()[3].body;
  const h = wasm.CompiledWebhook.compile(JSON.stringify(webhookFor("push")));
  const before = exports.memory.buffer.byteLength;
  // The raw binding: body, the values of headersRead() in order, source IP, configuration, MACs.
  const args = [body, sign(body), undefined, undefined, undefined, JSON.stringify({ Branch: "master" }), undefined, undefined];
  const { decisionFromWire } = await import(path.join(ROOT, "dist/api.js"));
  const { outcome, reason } = decisionFromWire(mode === "scan" ? h.evaluate(...args) : h.evaluateReference(...args));
  if (outcome !== "accepted") throw new Error(reason);
  console.log(JSON.stringify({ body: body.length, before, after: exports.memory.buffer.byteLength }));
  process.exit(0);
}

const gzipSize = (buf) => {
  const r = spawnSync("gzip", ["-9c"], { input: buf, maxBuffer: 1 << 28 });
  return r.status === 0 ? r.stdout.length : gzipSync(buf, { level: 9 }).length;
};
const brotliSize = (buf) => brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length } }).length;
const sizes = (file) => {
  const b = readFileSync(file);
  return { raw: b.length, gzip: gzipSize(b), brotli: brotliSize(b) };
};

const result = { package: {}, worker: null, instantiate: null, memory: {} };
result.package.wasm = sizes(path.join(ROOT, "dist/wasm/pipehook_bg.wasm"));
result.package.wasmNoSimd = sizes(path.join(ROOT, "dist/wasm/pipehook_nosimd_bg.wasm"));
result.package.js = ["node.js", "web.js", "api.js", "wasm/pipehook.js"].reduce((a, f) => a + readFileSync(path.join(ROOT, "dist", f)).length, 0);
const wb = path.join(ROOT, "worker/build");
if (existsSync(path.join(wb, "index.js"))) {
  const files = [];
  const walk = (d) => readdirSync(d).forEach((f) => { const p = path.join(d, f); statSync(p).isDirectory() ? f.startsWith(".") || walk(p) : /\.(js|mjs|wasm)$/.test(f) && files.push(p); });
  walk(wb);
  const all = files.map((f) => ({ file: path.relative(ROOT, f), ...sizes(f) }));
  result.worker = { files: all, raw: all.reduce((a, f) => a + f.raw, 0), gzip: all.reduce((a, f) => a + f.gzip, 0) };
}
const runs = [];
for (let i = 0; i < 11; i++) {
  const r = spawnSync(process.execPath, [new URL(import.meta.url).pathname, "--instantiate"], { encoding: "utf8" });
  if (r.status === 0) runs.push(JSON.parse(r.stdout));
}
const inst = runs.map((r) => r.instantiate), first = runs.map((r) => r.firstDelivery);
result.instantiate = { runs: runs.length, ms: { median: median(inst), min: min(inst), max: max(inst) }, firstDeliveryMs: { median: median(first), min: min(first), max: max(first) } };
for (const mode of ["scan", "reference"]) {
  const r = spawnSync(process.execPath, [new URL(import.meta.url).pathname, "--memory", mode], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status === 0) result.memory[mode] = JSON.parse(r.stdout);
  else result.memory[mode] = { error: r.stderr.slice(-300) };
}
mkdirSync(OUT, { recursive: true });
writeFileSync(OUT + "startup.json", JSON.stringify(result, null, 1));
console.log(JSON.stringify(result, null, 1));
