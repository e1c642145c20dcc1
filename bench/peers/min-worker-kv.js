// The minimal hand-written JS Worker of issue 5 (bench/peers/min-worker.js) that also stores
// what an accepted delivery started, as pipehook's Worker does: the like-for-like peer of
// pipehook's accepted row. One KV write per accepted delivery (the record as the value, its
// summary as metadata so that a listing needs no reads), awaited before the 200.
import { decide } from "./min-worker.js";

let sequence = 0;

export default {
  async fetch(request, env) {
    const outcome = await decide(request);
    if (outcome !== "accepted") return typeof outcome === "string" ? Response.json({ outcome }) : outcome;
    const execution = {
      pipelineExecutionId: crypto.randomUUID(),
      status: "InProgress",
      startTime: Date.now() / 1000,
      trigger: { triggerType: "Webhook", triggerDetail: "arn:aws:codepipeline:us-east-1:123456789012:webhook:bench-accept" },
    };
    // Newest first in a listing, as pipehook's execution keys are.
    const key = `execution/bench/${String(1e15 - Date.now()).padStart(16, "0")}/${sequence++}`;
    await env.KV.put(key, JSON.stringify(execution), { metadata: execution });
    return Response.json({ outcome, pipelineExecutionId: execution.pipelineExecutionId });
  },
};
