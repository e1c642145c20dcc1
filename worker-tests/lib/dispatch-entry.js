// A test entry around the built Worker for the dispatch suites (worker-tests/lib/dispatch.mjs):
// every request and every batch of the DISPATCH queue goes to the Worker's own entry; batches of
// the dead-letter queue (which the Worker produces to but, deployed, nothing consumes) are kept
// here and answered at GET /__test/dead-letters, so a test can see what was given up on.
import worker from "../../worker/build/index.js";

const DEAD_LETTER_QUEUE = "pipehook-dispatch-dlq";
const deadLetters = [];

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__test/dead-letters") return Response.json(deadLetters);
    return worker.fetch(request, env, ctx);
  },
  async queue(batch, env, ctx) {
    if (batch.queue !== DEAD_LETTER_QUEUE) return worker.queue(batch, env, ctx);
    for (const m of batch.messages) {
      deadLetters.push(typeof m.body === "string" ? JSON.parse(m.body) : m.body);
      m.ack();
    }
  },
};
