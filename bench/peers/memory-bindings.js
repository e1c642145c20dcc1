// A pipehook Worker with its PIPEHOOK (KV) and DISPATCH (queue) bindings stood in for by memory in
// its own isolate, answering at once: what the Worker itself spends on a delivery, without
// Miniflare's KV and queue simulators (which run in the Worker's own workerd, and whose CPU, about
// a millisecond per KV operation, is on Cloudflare no part of a Worker's). A binding call here
// costs what a call across the isolate boundary costs the Worker: its arguments and a promise.
// Used through bench/peers/memory-bindings-entry.js (bench/dispatch.mjs) and the entries
// bench/worker-ab.mjs writes beside the builds it compares (MEMORY=1).
//
// Keys are indexed by their folder (up to the last `/`), so a listing of one folder (a
// pipeline's executions, a webhook's delivery log) costs what that folder holds, not what the
// whole namespace holds: a benchmark that stores thousands of executions would otherwise charge
// the Worker for this stand-in's own sorting.

const folder = (key) => key.slice(0, key.lastIndexOf("/") + 1);

export function withMemoryBindings(worker) {
  const entries = new Map(); // key -> { value, metadata }
  const folders = new Map(); // folder -> Set of keys
  let sent = 0;

  const kv = {
    async get(key) {
      return entries.get(key)?.value ?? null;
    },
    async getWithMetadata(key) {
      const e = entries.get(key);
      return { value: e?.value ?? null, metadata: e?.metadata ?? null };
    },
    async put(key, value, options) {
      entries.set(key, { value: typeof value === "string" ? value : new Uint8Array(value).slice(), metadata: options?.metadata ?? null });
      const f = folder(key);
      if (!folders.has(f)) folders.set(f, new Set());
      folders.get(f).add(key);
    },
    async delete(key) {
      entries.delete(key);
      folders.get(folder(key))?.delete(key);
    },
    async list({ prefix = "", limit = 1000, cursor } = {}) {
      const candidates = prefix.endsWith("/") && folders.has(prefix) ? folders.get(prefix) : entries.keys();
      const names = [...candidates].filter((k) => k.startsWith(prefix)).sort();
      const start = cursor ? Number(cursor) : 0;
      const page = names.slice(start, start + limit);
      const complete = start + limit >= names.length;
      return {
        keys: page.map((name) => ({ name, metadata: entries.get(name).metadata ?? undefined })),
        list_complete: complete,
        cursor: complete ? undefined : String(start + limit),
      };
    },
  };
  const queue = {
    async send() {
      sent++;
    },
  };

  const made = new WeakMap();
  function bindings(env) {
    if (!made.has(env)) made.set(env, { ...env, PIPEHOOK: kv, DISPATCH: queue });
    return made.get(env);
  }

  return {
    fetch(request, env, ctx) {
      if (new URL(request.url).pathname === "/__bench/sent") return Response.json({ sent, keys: entries.size });
      return worker.fetch(request, bindings(env), ctx);
    },
  };
}
