// Build variants of the package side by side (same process, interleaved rounds):
//   node --expose-gc bench/variants.mjs <name>=<dist dir> ...
// Prints and writes out/variants.json: time per delivery per size, and the wasm's sizes.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { payloads, webhookFor, ACTION_CONFIGURATION, sign, median, min, max, formatTime, OUT } from "./lib.mjs";

const quick = process.env.BENCH_QUICK === "1";
const gc = globalThis.gc ?? (() => {});
const variants = [];
for (const arg of process.argv.slice(2)) {
  const [name, dir] = arg.split("=");
  const abs = new URL(dir.endsWith("/") ? dir : dir + "/", `file://${process.cwd()}/`);
  const mod = await import(new URL("node.js", abs));
  const wasm = readFileSync(new URL("wasm/pipehook_bg.wasm", abs));
  variants.push({
    name, mod, samples: {},
    size: { raw: wasm.length, gzip: gzipSync(wasm, { level: 9 }).length,
            brotli: brotliCompressSync(wasm, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length },
  });
}

const out = { variants: variants.map((v) => ({ name: v.name, size: v.size })), sizes: [] };
for (const p of payloads()) {
  const hook = webhookFor(p.kind);
  const delivery = { headers: { "x-hub-signature-256": sign(p.body) }, body: p.body };
  const options = { actionConfiguration: ACTION_CONFIGURATION };
  const run = (v, n) => {
    gc();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) if (v.mod.evaluateDelivery(hook, delivery, options).outcome !== "accepted") throw new Error(v.name);
    return Number(process.hrtime.bigint() - t0) / 1e9 / n;
  };
  for (const v of variants) {
    const est = run(v, p.body.length > 4e6 ? 1 : 20);
    v.iters = Math.max(1, Math.round(0.03 / est));
    run(v, Math.min(2 * v.iters, 2000));
    v.samples[p.id] = [];
  }
  const rounds = quick ? 5 : p.body.length > 4e6 ? 11 : 21;
  for (let r = 0; r < rounds; r++) for (let k = 0; k < variants.length; k++) {
    const v = variants[(r + k) % variants.length];
    v.samples[p.id].push(run(v, v.iters));
  }
  const row = { id: p.id, bytes: p.body.length, variants: {} };
  const base = variants[0].samples[p.id];
  for (const v of variants) {
    const s = v.samples[p.id];
    const ratios = s.map((x, i) => x / base[i]);
    row.variants[v.name] = { median: median(s), min: min(s), max: max(s), ratioToFirst: median(ratios) };
    console.log(`${p.id.padStart(5)} ${v.name.padEnd(12)} ${formatTime(median(s)).padStart(9)} (${formatTime(min(s))}–${formatTime(max(s))})  ×${variants[0].name} ${median(ratios).toFixed(2)}`);
  }
  out.sizes.push(row);
}
for (const v of variants) console.log(`${v.name}: wasm ${v.size.raw} B, gzip ${v.size.gzip} B, brotli ${v.size.brotli} B`);
mkdirSync(OUT, { recursive: true });
writeFileSync(OUT + "variants.json", JSON.stringify(out, null, 1));
