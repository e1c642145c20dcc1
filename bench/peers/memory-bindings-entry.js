// The built pipehook Worker with its PIPEHOOK (KV) and DISPATCH (queue) bindings stood in for by
// memory in its own isolate, answering at once: what the Worker itself spends on a delivery,
// without Miniflare's KV and queue simulators (which run in the Worker's own workerd, and whose
// CPU, about a millisecond per KV operation, is on Cloudflare no part of a Worker's). A binding
// call here costs what a call across the isolate boundary costs the Worker: its arguments and a
// promise. Used by bench/dispatch.mjs.
import worker from "../../worker/build/index.js";

const entries = new Map(); // key -> { value, metadata }
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
    entries.set(key, { value: String(value), metadata: options?.metadata ?? null });
  },
  async delete(key) {
    entries.delete(key);
  },
  async list({ prefix = "", limit = 1000, cursor } = {}) {
    const names = [...entries.keys()].filter((k) => k.startsWith(prefix)).sort();
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

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__bench/sent") return Response.json({ sent, keys: entries.size });
    return worker.fetch(request, bindings(env), ctx);
  },
};
