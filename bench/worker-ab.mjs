// Worker builds side by side (A/B), for changes `npm run bench` cannot compare (it builds only the
// current Worker): `node bench/worker-ab.mjs old=bench/.data/ab/old/index.js new=worker/build/index.js`
// (copies of worker/build under the repository: workerd will not load modules from outside it).
// Each build under its own Miniflare with a filtering webhook, plus the minimal JS Worker (and the
// null Worker with ONLY=js,null), wrk rounds interleaved in rotating order (ROUNDS, SECS); prints
// median CPU per request of each workerd process and req/s, and each build's req/s ÷ the JS
// Worker's per round (median). Used for bench/measured/worker-entry.json. ONLY picks targets:
// null, js, js-kv (the JS Worker that writes once per delivery), sign (reads and signs only),
// sign-short and sign-trace (the same, answering a short JSON body or pipehook's filtered
// answer: bench/peers/sign-answer-worker.js), write (reads and writes once only), <name>-filtered,
// <name>-accepted, <name>-unknown. write-shm and js-kv-shm are write and js-kv with the KV
// simulator's files (SQLite and blobs) on /dev/shm instead of the temporary directory's disk, as
// is a build named with a `-shm` suffix (`cur-shm=worker/build/index.js`): what the disk costs.
// MEMORY=1 runs each build with its KV and queue in memory in its own isolate
// (bench/peers/memory-bindings.js, an entry written beside the build): the Worker's own CPU, as
// Cloudflare counts it, without Miniflare's simulators (about 1 ms of the process per KV write).
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { payloads, sign, pushHeaders, median, ROOT, DATA } from "./lib.mjs";
import { cpuMs, startWorkerd, pipehookWebhooks, PIPEHOOK_BINDINGS } from "./workerd.mjs";
const SECS = Number(process.env.SECS ?? 5), ROUNDS = Number(process.env.ROUNDS ?? 6);
const push = payloads()[0];
mkdirSync(DATA, { recursive: true });
const bodyFile = path.join(DATA, "push-9KB.json");
writeFileSync(bodyFile, push.body);
const sig = sign(push.body);
const mfs = [];
/** A KV store of its own on tmpfs, for the `-shm` targets; removed at the end. */
const shmDirs = [];
const onShm = () => {
  const dir = mkdtempSync("/dev/shm/pipehook-bench-kv-");
  shmDirs.push(dir);
  return { kvPersist: dir };
};
async function start(scriptPath, extra = {}) {
  const { mf, url, pid } = await startWorkerd({ scriptPath, ...extra });
  mfs.push(mf);
  return { url, pid };
}
const targets = [];
const only = process.env.ONLY?.split(",");
for (const [name, file] of [["null", ROOT + "bench/peers/null-worker.js"], ["js", ROOT + "bench/peers/min-worker.js"]]) if (!only || only.includes(name)) targets.push({ name, ...(await start(file)) });
/** Peers measured only when ONLY names them: [name, script, Miniflare options]. */
const ON_REQUEST = [
  ["sign", "sign-worker.js"],
  ["sign-short", "sign-answer-worker.js", { bindings: { ANSWER: "short" } }],
  ["sign-trace", "sign-answer-worker.js", { bindings: { ANSWER: "trace" } }],
  ["write", "write-worker.js", { kvNamespaces: ["KV"] }],
  ["js-kv", "min-worker-kv.js", { kvNamespaces: ["KV"] }],
  ["write-shm", "write-worker.js", { kvNamespaces: ["KV"] }, onShm],
  ["js-kv-shm", "min-worker-kv.js", { kvNamespaces: ["KV"] }, onShm],
];
for (const [name, file, extra, more] of ON_REQUEST) {
  if (only?.includes(name)) targets.push({ name, ...(await start(ROOT + "bench/peers/" + file, { ...extra, ...more?.() })) });
}
/** An entry beside the build `file` that runs it with its bindings in memory (MEMORY=1). */
function inMemory(name, file) {
  const entry = path.join(path.dirname(path.resolve(file)), `memory-entry-${name}.js`);
  const bindings = path.relative(path.dirname(entry), ROOT + "bench/peers/memory-bindings.js");
  writeFileSync(entry, `import worker from "./${path.basename(file)}";\nimport { withMemoryBindings } from "${bindings.startsWith(".") ? bindings : "./" + bindings}";\nexport default withMemoryBindings(worker);\n`);
  return entry;
}
for (const arg of process.argv.slice(2)) {
  const [name, file] = arg.split("=");
  const memory = process.env.MEMORY === "1";
  const { url, pid } = await start(memory ? inMemory(name, file) : file, { ...(name.endsWith("-shm") ? onShm() : {}), kvNamespaces: memory ? [] : ["PIPEHOOK"], bindings: PIPEHOOK_BINDINGS });
  const { filtered: hook, accepted } = await pipehookWebhooks(url);
  const check = await fetch(hook, { method: "POST", body: push.body, headers: pushHeaders(sig) });
  console.log(name, check.status, (await check.text()).slice(0, 80));
  if (!only || only.includes(name + "-unknown")) targets.push({ name: name + "-unknown", url: url + "/trigger?t=nope&v=1", pid });
  if (!only || only.includes(name + "-filtered")) targets.push({ name: name + "-filtered", url: hook, pid });
  if (only?.includes(name + "-accepted")) targets.push({ name: name + "-accepted", url: accepted, pid });
}
function wrk(t) {
  const c0 = cpuMs(t.pid);
  const out = spawnSync("wrk", ["-t2", "-c10", `-d${SECS}s`, "-s", ROOT + "bench/peers/post.lua", t.url], { env: { ...process.env, BENCH_BODY: bodyFile, BENCH_SIG: sig }, encoding: "utf8" }).stdout;
  const n = Number(/(\d+) requests in/.exec(out)[1]);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]), cpu: (cpuMs(t.pid) - c0) / n };
}
for (const t of targets) { wrk(t); t.runs = []; }
for (let r = 0; r < ROUNDS; r++) for (let k = 0; k < targets.length; k++) { const t = targets[(r + k) % targets.length]; t.runs.push(wrk(t)); }
const js = targets.find((t) => t.name === "js"), jsKv = targets.find((t) => t.name === "js-kv");
const ratio = (t, peer) => (peer ? median(t.runs.map((x, i) => x.rps / peer.runs[i].rps)).toFixed(2) : "-");
for (const t of targets) {
  console.log(`${t.name.padEnd(22)} rps ${median(t.runs.map((x) => x.rps)).toFixed(0).padStart(6)}  cpu ${median(t.runs.map((x) => x.cpu)).toFixed(3)} ms/req [${t.runs.map((x) => x.cpu.toFixed(3)).join(" ")}]  rps/js ${ratio(t, js)}  rps/js-kv ${ratio(t, jsKv)}`);
}
for (const mf of mfs) await mf.dispose();
for (const dir of shmDirs) rmSync(dir, { recursive: true, force: true });
