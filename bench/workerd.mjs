// Workers under Miniflare for the benchmarks (bench/receivers.mjs, bench/worker-ab.mjs): each
// in a workerd of its own, found by pid so that its CPU can be read from outside (workerd's own
// clock stands still while a Worker runs).
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { Miniflare } from "miniflare";
import { callApi, pipelineDeclaration } from "../worker-tests/lib/worker.mjs";
import { SECRET } from "./lib.mjs";

const TICK_MS = 1000 / Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim() || 100);

/**
 * CPU a process has used in ms: utime + stime, plus its reaped children's (adnanh/webhook
 * runs a command per accepted delivery); NaN when it cannot be read (not Linux, gone).
 */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime, stime, cutime, cstime: fields 14 to 17 of proc(5)'s stat.
    return fields.slice(11, 15).reduce((a, f) => a + Number(f), 0) * TICK_MS;
  } catch {
    return NaN;
  }
}

/** Pids of this process's children named `comm` (workerd is spawned by Miniflare). */
export function children(comm) {
  const out = [];
  let dirs = [];
  try {
    dirs = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const d of dirs) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && name === comm) out.push(Number(d));
    } catch {}
  }
  return out;
}

/**
 * A Worker in its own workerd: `{ mf, url, pid }`. `entry: false` (the default) serves it on a
 * socket of its own (Miniflare's `unsafeDirectSockets`), as Cloudflare's edge hands requests to a
 * Worker; `entry: true` goes through Miniflare's entry worker, the local dev server's routing
 * layer, which costs every request a second isolate hop. The caller disposes of `mf`.
 */
export async function startWorkerd({ entry = false, ...options }) {
  const mf = new Miniflare({
    ...(entry ? {} : { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] }),
    modules: true,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-01",
    host: "127.0.0.1",
    port: 0,
    ...options,
  });
  const before = new Set(children("workerd"));
  const url = entry ? await mf.ready : (await mf.ready, await mf.unsafeGetDirectURL());
  // The workerd this instance started: the one child that was not there before.
  const pid = children("workerd").find((p) => !before.has(p));
  return { mf, url: url.href.replace(/\/$/, ""), pid };
}

/** The bindings a pipehook Worker under benchmark runs with (the test credentials, `test`/`test`). */
export const PIPEHOOK_BINDINGS = { AWS_REGION: "us-east-1", AWS_ACCOUNT_ID: "123456789012", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" };

/**
 * Registers the benchmark's pipeline and its two webhooks on the pipehook Worker at `url`, both
 * with the same three value rules: `bench-filter`, whose `$.ref` rule the 9 KB push fails
 * (filtered, no write), and `bench-accept`, which it passes (accepted, execution stored). Their
 * delivery URLs, on `url`.
 */
export async function pipehookWebhooks(url) {
  const ok = (r, what) => {
    if (r.status !== 200) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.json;
  };
  ok(await callApi(url, "CreatePipeline", { pipeline: pipelineDeclaration("bench", { branch: "master" }) }), "CreatePipeline");
  const put = async (name, ref) =>
    ok(await callApi(url, "PutWebhook", { webhook: {
      name, targetPipeline: "bench", targetAction: "Source",
      filters: [
        { jsonPath: "$.ref", matchEquals: ref },
        { jsonPath: "$.repository.full_name", matchEquals: "Codertocat/Hello-World" },
        { jsonPath: "$.sender.login", matchEquals: "Codertocat" },
      ],
      authentication: "GITHUB_HMAC", authenticationConfiguration: { SecretToken: SECRET },
    } }), "PutWebhook").webhook.url.replace(/^https?:\/\/[^/]+/, url);
  return { accepted: await put("bench-accept", "refs/heads/{Branch}"), filtered: await put("bench-filter", "refs/heads/other") };
}
