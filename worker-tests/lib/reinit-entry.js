// A test entry around the built Worker (worker-tests/entry.test.mjs): it can raise
// worker-build's critical-error flag, as a wasm trap would, and show the recovery
// state, and hands every other request to the Worker's own entry unchanged.
import worker from "../../worker/build/index.js";

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname === "/__test/critical") {
      globalThis.__worker_init_state.criticalError = true;
      return new Response("flagged");
    }
    if (pathname === "/__test/state") return Response.json(globalThis.__worker_init_state);
    return worker.fetch(request, env, ctx);
  },
};
