// Fault injection at the binding boundary, for tests of what a failure halfway through leaves.
//
// The Worker's bindings (a KV namespace, a queue producer) are replaced, through Miniflare's
// `wrappedBindings`, by a wrapper that forwards every call to the real binding (local KV, the
// local queue), but first asks this process about each write: the test counts the writes an
// operation makes and makes the Nth one fail. Nothing in the Worker's own code knows.
//
//   const w = await startWorker({ faults: { kv: ["PIPEHOOK"] } });
//   w.faults.failNth(2);                 // the 2nd write from now fails (and only it)
//   w.faults.failNth(1, { binding: "PIPEHOOK", mode: "after" }); // applied, then reported failed
//   w.faults.failNth(1, { binding: "PIPEHOOK", prefix: "execution/" }); // counting only those keys
//   w.faults.andNth(1, { binding: "DISPATCH" }); // a second fault planned beside the first
//   w.faults.beforeNth(3, async () => {}) // runs just before the 3rd write goes ahead
//                                         // (a concurrent writer, deterministically)
//   w.faults.writes                      // every write seen: { binding, method, key }
//   w.faults.clear()                     // no fault planned; the log emptied
//   w.faults.ignore = ["delivery/"]      // writes under these prefixes pass unseen (not logged,
//                                        // not counted) unless a plan names one: background
//                                        // writes (the delivery log, after each answer) that
//                                        // would otherwise land among an operation's own
//
// Bindings of another kind are one entry in KINDS: the option key Miniflare takes them under,
// the methods the binding has, and which of them write.

/** Binding kinds the injector can wrap. */
const KINDS = {
  kv: { option: "kvNamespaces", methods: ["get", "getWithMetadata", "list", "put", "delete"], writes: ["put", "delete"] },
  queue: { option: "queueProducers", methods: ["send", "sendBatch"], writes: ["send", "sendBatch"] },
};

const WRAPPER = "pipehook-faults";

// The wrapper: one instance per wrapped binding. The binding's name, its methods and which of
// them write arrive as JSON inner bindings; CONTROL is a function binding into this process.
const wrapperScript = `
export default function (env) {
  const inner = env[env.INNER];
  const writes = new Set(env.WRITES);
  const binding = {};
  for (const method of env.METHODS) {
    binding[method] = async (...args) => {
      if (!writes.has(method)) return inner[method](...args);
      const key = typeof args[0] === "string" ? args[0] : null;
      const res = await env.CONTROL.fetch("http://faults/", {
        method: "POST",
        body: JSON.stringify({ binding: env.NAME, method, key }),
      });
      const verdict = await res.text();
      if (verdict === "fail") throw new Error(env.NAME + "." + method + "(" + key + ") failed (injected fault)");
      const result = await inner[method](...args);
      if (verdict === "fail-after") throw new Error(env.NAME + "." + method + "(" + key + ") failed after it was applied (injected fault)");
      return result;
    };
  }
  return binding;
}
`;

/**
 * Wraps `worker`'s bindings named in `spec` (`{ kv: ["PIPEHOOK"], queue: ["DISPATCH"] }`).
 * Answers the Miniflare `workers` list and the control the test drives.
 */
export function injectFaults(worker, spec) {
  const control = {
    writes: [],
    /** Planned faults, each counting the writes it matches (its binding, its key prefix). */
    plans: [],
    /** Key prefixes whose writes pass unseen, unless a plan's prefix names them. */
    ignore: [],
    failNth(n, { binding = null, mode = "before", prefix = null } = {}) {
      this.plans = [{ n, binding, mode, prefix, seen: 0 }];
    },
    /** One more fault beside those planned. */
    andNth(n, { binding = null, mode = "before", prefix = null } = {}) {
      this.plans.push({ n, binding, mode, prefix, seen: 0 });
    },
    beforeNth(n, run, { binding = null, prefix = null } = {}) {
      this.plans = [{ n, binding, run, prefix, seen: 0 }];
    },
    clear() {
      this.plans = [];
      this.writes.length = 0;
    },
    /** How this process answers one write. */
    async decide(write) {
      const key = write.key ?? "";
      if (this.ignore.some((i) => key.startsWith(i)) && !this.plans.some((p) => p.prefix && key.startsWith(p.prefix))) return "pass";
      this.writes.push(write);
      const matches = (p) => (!p.binding || p.binding === write.binding) && (!p.prefix || (write.key ?? "").startsWith(p.prefix));
      let plan = null;
      for (const p of this.plans) {
        if (!matches(p)) continue;
        p.seen += 1;
        if (!plan && p.seen === p.n) plan = p;
      }
      if (!plan) return "pass";
      this.plans = this.plans.filter((p) => p !== plan);
      if (plan.run) {
        await plan.run(write);
        return "pass";
      }
      write.failed = plan.mode;
      return plan.mode === "after" ? "fail-after" : "fail";
    },
  };

  const main = { ...worker, wrappedBindings: { ...worker.wrappedBindings } };
  const wrapper = {
    name: WRAPPER,
    modules: true,
    script: wrapperScript,
    serviceBindings: {
      async CONTROL(request) {
        return new Response(await control.decide(await request.json()));
      },
    },
  };
  for (const [kind, names] of Object.entries(spec)) {
    const { option, methods, writes } = KINDS[kind] ?? {};
    if (!option) throw new Error(`faults: unknown binding kind ${kind}`);
    const declared = main[option];
    const asObject = Array.isArray(declared) ? Object.fromEntries(declared.map((n) => [n, n])) : { ...declared };
    for (const name of names) {
      if (!(name in asObject)) throw new Error(`faults: ${name} is not one of the Worker's ${option}`);
      const inner = `INNER_${name}`;
      wrapper[option] = { ...wrapper[option], [inner]: asObject[name] };
      main.wrappedBindings[name] = {
        scriptName: WRAPPER,
        bindings: { NAME: name, INNER: inner, METHODS: methods, WRITES: writes },
      };
      delete asObject[name];
    }
    main[option] = asObject;
  }
  return { workers: [main, wrapper], control };
}

/** The real (unwrapped) KV namespace `name`, for the test to read and seed. */
export function rawKvNamespace(mf, name) {
  return mf.getKVNamespace(`INNER_${name}`, WRAPPER);
}
