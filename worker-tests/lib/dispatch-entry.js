// A test entry around the built Worker for the dispatch suites (worker-tests/lib/dispatch.mjs).
// It hands every request and queue batch to the Worker's own entry, with two bindings wrapped
// so that a test can make them fail at the binding boundary (the Worker itself has no switch):
//   - DISPATCH (the queue producer): `send` refuses the next `queueSend` messages;
//   - PIPEHOOK (KV): `put` / `delete` refuse the next `count` calls on keys with a given prefix.
// It also keeps what reaches the dead-letter queue (its consumer is this entry), and answers
// two paths of its own: POST /__test/faults (set faults) and GET /__test/dead-letters.
import worker from "../../worker/build/index.js";

const DEAD_LETTER_QUEUE = "pipehook-dispatch-dlq";
const faults = { queueSend: 0, kv: [] };
const deadLetters = [];

/** Consumes one matching KV fault for `op` on `key`; true when the call must fail. */
function kvFault(op, key) {
  const f = faults.kv.find((k) => k.op === op && key.startsWith(k.prefix) && k.count > 0);
  if (!f) return false;
  f.count--;
  return true;
}

function wrapKv(kv) {
  return new Proxy(kv, {
    get(target, prop) {
      if (prop === "put" || prop === "delete") {
        return (key, ...rest) =>
          kvFault(prop, key) ? Promise.reject(new Error(`injected fault: KV ${prop} ${key}`)) : target[prop](key, ...rest);
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function wrapQueue(queue) {
  return {
    send(body, options) {
      if (faults.queueSend > 0) {
        faults.queueSend--;
        return Promise.reject(new Error("injected fault: queue send"));
      }
      return queue.send(body, options);
    },
    sendBatch: (messages, options) => queue.sendBatch(messages, options),
  };
}

function wrapped(env) {
  const out = { ...env };
  if (env.PIPEHOOK) out.PIPEHOOK = wrapKv(env.PIPEHOOK);
  if (env.DISPATCH) out.DISPATCH = wrapQueue(env.DISPATCH);
  return out;
}

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname === "/__test/faults") {
      const set = await request.json();
      faults.queueSend = set.queueSend ?? 0;
      faults.kv = set.kv ?? [];
      return Response.json(faults);
    }
    if (pathname === "/__test/dead-letters") return Response.json(deadLetters);
    return worker.fetch(request, wrapped(env), ctx);
  },
  async queue(batch, env, ctx) {
    if (batch.queue === DEAD_LETTER_QUEUE) {
      for (const m of batch.messages) {
        deadLetters.push(typeof m.body === "string" ? JSON.parse(m.body) : m.body);
        m.ack();
      }
      return;
    }
    return worker.queue(batch, wrapped(env), ctx);
  },
};
