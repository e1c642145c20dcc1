// A queue consumer that acknowledges every message and does nothing else: bench/dispatch.mjs
// consumes the DISPATCH queue with it while it measures what an accepted delivery costs the
// Worker that enqueues (the consumer's own work is measured apart).
export default {
  async queue(batch) {
    batch.ackAll();
  },
};
