// The validator page in Chromium: what it transfers, and the time from navigation to the first
// verdict (a shared definition in the URL, checked once the wasm and the editor are loaded).
// Interleaved with the same page whose editor bundle is blocked (it falls back to its textarea),
// so the editor's cost is a ratio measured in the same run. Writes bench/out/page.json.
//
//   BENCH_QUICK=1   5 rounds instead of 15

import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveStatic, WWW } from "../browser-tests/static-server.js";
import { CHROMIUM } from "../browser-tests/browser.js";
import { exampleDefinition } from "../www/lib/examples.js";

const ROUNDS = process.env.BENCH_QUICK === "1" ? 5 : 15;
const here = new URL(".", import.meta.url).pathname;

// The page's own example, shared in the URL as its Share link would.
const fragment = "#def=" + Buffer.from(JSON.stringify(exampleDefinition)).toString("base64url");

// When the verdict first reads valid or invalid, by the page's own clock (ms since navigation).
const watchVerdict = () => {
  const mark = () => {
    const v = document.querySelector('[data-testid="verdict"]');
    if (v && (v.dataset.state === "valid" || v.dataset.state === "invalid") && document.documentElement.dataset.editor && window.__verdictAt === undefined) {
      window.__verdictAt = performance.now();
    }
  };
  new MutationObserver(mark).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-state", "data-editor"] });
};

const server = await serveStatic();
const profile = mkdtempSync(join(tmpdir(), "pipehook-bench-page-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function load(withEditor) {
  const page = await context.newPage();
  const files = [];
  page.on("requestfinished", (req) => files.push(new URL(req.url()).pathname));
  if (!withEditor) await page.route("**/build/editor.js", (route) => route.abort());
  await page.addInitScript(watchVerdict);
  await page.goto(server.url + fragment);
  await page.waitForFunction(() => window.__verdictAt !== undefined, null, { timeout: 30_000 });
  const ms = await page.evaluate(() => window.__verdictAt);
  const state = await page.evaluate(() => document.querySelector('[data-testid="verdict"]').dataset.state);
  if (state !== "valid") throw new Error(`the page's verdict was ${state}`);
  await page.close();
  return { ms, files };
}

const runs = { editor: [], textarea: [] };
let files = [];
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? ["textarea", "editor"] : ["editor", "textarea"];
  for (const which of order) {
    const r = await load(which === "editor");
    runs[which].push(r.ms);
    if (which === "editor") files = r.files;
  }
}
await context.close();
await server.close();
rmSync(profile, { recursive: true, force: true });

// Sizes from the files served: as sent here (no compression) and gzip -9 (what a host that
// compresses, like Cloudflare's, would send at least as well as).
const unique = [...new Set(files)].filter((p) => !p.includes("#"));
const sizes = unique.map((path) => {
  const file = join(WWW, path.endsWith("/") ? path + "index.html" : path);
  const body = readFileSync(file);
  return { path, bytes: body.length, gzip: gzipSync(body, { level: 9 }).length };
});
const total = sizes.reduce((t, s) => ({ bytes: t.bytes + s.bytes, gzip: t.gzip + s.gzip }), { bytes: 0, gzip: 0 });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ratios = runs.editor.map((ms, i) => ms / runs.textarea[i]);
const summary = {
  measured: new Date().toISOString(),
  rounds: ROUNDS,
  chromium: context.browser()?.version() ?? "Debian chromium",
  files: sizes,
  total,
  firstVerdictMs: {
    editor: { median: median(runs.editor), min: Math.min(...runs.editor), max: Math.max(...runs.editor) },
    textarea: { median: median(runs.textarea), min: Math.min(...runs.textarea), max: Math.max(...runs.textarea) },
    ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
  },
};
mkdirSync(join(here, "out"), { recursive: true });
writeFileSync(join(here, "out/page.json"), JSON.stringify(summary, null, 2) + "\n");
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
for (const s of sizes) console.log(`${s.path.padEnd(40)} ${kb(s.bytes).padStart(8)} ${kb(s.gzip).padStart(8)} gzip`);
console.log(`${"total".padEnd(40)} ${kb(total.bytes).padStart(8)} ${kb(total.gzip).padStart(8)} gzip`);
const f = summary.firstVerdictMs;
console.log(`first verdict: ${f.editor.median.toFixed(0)} ms with the editor (${f.editor.min.toFixed(0)}–${f.editor.max.toFixed(0)}), ${f.textarea.median.toFixed(0)} ms without (${f.textarea.min.toFixed(0)}–${f.textarea.max.toFixed(0)}); ratio ${f.ratio.median.toFixed(2)}× (${f.ratio.min.toFixed(2)}–${f.ratio.max.toFixed(2)})`);
