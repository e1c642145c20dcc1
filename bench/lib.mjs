// Shared helpers: payloads, the three filters, statistics.
import { readFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createHmac } from "node:crypto";

export const ROOT = new URL("..", import.meta.url).pathname;
export const FIXTURES = new URL("../../shared/fixtures/github-payloads/", import.meta.url).pathname;
export const DATA = new URL("./.data/", import.meta.url).pathname;
export const OUT = new URL("./out/", import.meta.url).pathname;
export const SECRET = "It's a Secret to Everybody";

/** The payloads of issue 5: a real push (9 KB), a pull request (28 KB), synthetic pushes of 1 MB and 25 MB. */
export function payloads() {
  mkdirSync(DATA, { recursive: true });
  const push = readFileSync(FIXTURES + "push.with-new-branch.payload.json");
  const pr = readFileSync(FIXTURES + "pull_request.opened.payload.json");
  return [
    { id: "9KB", label: "push, 9 KB", kind: "push", body: push },
    { id: "28KB", label: "pull request, 28 KB", kind: "pull_request", body: pr },
    { id: "1MB", label: "push, 1 MB", kind: "push", body: bigPush(push, 1 << 20) },
    { id: "25MB", label: "push, 25 MB", kind: "push", body: bigPush(push, 25 * 1000 * 1000) },
  ];
}

/** A push with many commits (distinct ids and messages), at least `size` bytes, below 25 MiB. */
function bigPush(push, size) {
  const file = `${DATA}push-${size}.json`;
  if (existsSync(file)) return readFileSync(file);
  const base = JSON.parse(push);
  const template = base.commits[0];
  const commits = [];
  let total = push.length;
  for (let i = 0; total < size; i++) {
    const id = createHmac("sha1", "ids").update(String(i)).digest("hex");
    const c = {
      ...template,
      id,
      tree_id: createHmac("sha1", "trees").update(String(i)).digest("hex"),
      message: `Commit ${i}: update the build \u2014 \"quoted\" text, a tab\\t and a path src/m${i % 97}.rs`,
      url: template.url.replace(template.id, id),
      added: [`src/file${i}.rs`],
      modified: i % 3 ? ["README.md", `docs/page${i % 11}.md`] : [],
    };
    const text = JSON.stringify(c);
    total += text.length + 1;
    commits.push(c);
  }
  // GitHub's key order: ref, before, after, …, commits, head_commit, repository, pusher, sender.
  const doc = { ...base, commits, head_commit: commits[commits.length - 1] };
  let text = JSON.stringify(doc);
  if (text.length > 25 * 1024 * 1024) throw new Error("synthetic push too large");
  writeFileSync(file, text);
  return Buffer.from(text);
}

/** Three definite filters that all pass (so every rule is evaluated), per event kind. */
export function webhookFor(kind) {
  const filters =
    kind === "push"
      ? [
          { jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" },
          { jsonPath: "$.repository.full_name", matchEquals: "Codertocat/Hello-World" },
          { jsonPath: "$.sender.login", matchEquals: "Codertocat" },
        ]
      : [
          { jsonPath: "$.action", matchEquals: "opened" },
          { jsonPath: "$.pull_request.base.ref", matchEquals: "{Branch}" },
          { jsonPath: "$.repository.full_name", matchEquals: "Codertocat/Hello-World" },
        ];
  return {
    name: "bench-hook",
    targetPipeline: "bench-pipeline",
    targetAction: "Source",
    filters,
    authentication: "GITHUB_HMAC",
    authenticationConfiguration: { SecretToken: SECRET },
  };
}
export const ACTION_CONFIGURATION = { Branch: "master" };

export function sign(body) {
  return "sha256=" + createHmac("sha256", SECRET).update(body).digest("hex");
}

/** The headers a signed push delivery carries (bench/peers/post.lua sends the same to wrk). */
export function pushHeaders(signature) {
  return { "content-type": "application/json", "x-github-event": "push", "x-hub-signature-256": signature };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
export const min = (xs) => Math.min(...xs);
export const max = (xs) => Math.max(...xs);

export function formatTime(seconds) {
  if (seconds >= 1) return `${seconds.toFixed(2)} s`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toPrecision(3)} ms`;
  return `${(seconds * 1e6).toPrecision(3)} µs`;
}

/** Busy share of all cores over `ms` (from /proc/stat); NaN where it cannot be read. */
export async function busyShare(ms) {
  const sample = () => {
    try {
      const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
      return { idle: f[3] + f[4], total: f.reduce((a, b) => a + b, 0) };
    } catch {
      return null;
    }
  };
  const a = sample();
  await new Promise((r) => setTimeout(r, ms));
  const b = sample();
  return a && b && b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : NaN;
}

/**
 * Waits (at most `limitMs`) until the machine is quiet: a run that follows one whose server is
 * still busy would otherwise share the cores with it (adnanh/webhook's accepted commands ran on
 * for about 6 s after each 8 s run). Returns how long it waited.
 */
export async function quiet({ below = 0.1, limitMs = 5000 } = {}) {
  const t0 = Date.now();
  let busy = await busyShare(200);
  while (!(busy < below) && Number.isFinite(busy) && Date.now() - t0 < limitMs) busy = await busyShare(200);
  return { waitedMs: Date.now() - t0 };
}

/** bench/out/page.json (bench/page.mjs) as RESULTS.md's section on the validator page. */
export function pageSection(p) {
  const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
  const ms = (s) => `${s.median.toFixed(0)} ms (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
  const f = p.firstVerdictMs;
  const L = ["## The validator page in Chromium (`bench/page.mjs`)", ""];
  L.push(`Measured ${p.measured.slice(0, 16).replace("T", " ")} UTC, ${p.rounds} interleaved rounds, headless Chromium, the page served from loopback without compression; a fresh tab each time (no cache). First verdict: from navigation to the verdict on a definition shared in the URL (wasm, formats and editor loaded, definition checked), by the page's own clock. The peer is the same page with its editor bundle blocked (it falls back to the plain textarea).`, "");
  L.push("| | with the editor | textarea only | editor ÷ textarea |", "|---|---|---|---|");
  L.push(`| load to first verdict | ${ms(f.editor)} | ${ms(f.textarea)} | ${f.ratio.median.toFixed(2)}× (${f.ratio.min.toFixed(2)}–${f.ratio.max.toFixed(2)}) |`, "");
  L.push("| file | bytes | gzip -9 |", "|---|---|---|");
  for (const s of p.files) L.push(`| \`${s.path}\` | ${kb(s.bytes)} | ${kb(s.gzip)} |`);
  L.push(`| **total transferred** | **${kb(p.total.bytes)}** | **${kb(p.total.gzip)}** |`, "");
  return L;
}
