// The minimal hand-written JS Worker of issue 5 (bench/peers/min-worker.js) that also stores
// what an accepted delivery started, as pipehook's Worker does: the like-for-like peer of
// pipehook's accepted row. One KV write per accepted delivery, awaited before the 200, of the
// record SPEC §2.5 asks for in the shape pipehook stores it (the execution as the value, its
// listing summary as metadata so that a listing needs no reads; the revision is the push's
// `after`): the KV simulator's cost grows with what is written, so a smaller record would not
// be a like-for-like peer.
import { decide } from "./min-worker.js";

const TRIGGER = { triggerType: "Webhook", triggerDetail: "arn:aws:codepipeline:us-east-1:123456789012:webhook:bench-accept" };
let sequence = 0;

export default {
  async fetch(request, env) {
    const decided = await decide(request);
    if (decided instanceof Response) return decided;
    if (decided.outcome !== "accepted") return Response.json({ outcome: decided.outcome });
    const id = crypto.randomUUID(), now = Date.now() / 1000, revisionId = String(decided.payload.after);
    const common = { pipelineExecutionId: id, status: "InProgress", trigger: TRIGGER, executionMode: "SUPERSEDED", executionType: "STANDARD" };
    const execution = { pipelineName: "bench", pipelineVersion: 1, ...common, artifactRevisions: [{ name: "Source", revisionId, created: now }] };
    const summary = { ...common, startTime: now, lastUpdateTime: now, sourceRevisions: [{ actionName: "Source", revisionId }] };
    // Newest first in a listing, as pipehook's execution keys are.
    const key = `execution/bench/${String(1e15 - Date.now()).padStart(16, "0")}/${sequence++}/${id}`;
    await env.KV.put(key, JSON.stringify(execution), { metadata: summary });
    return Response.json({ outcome: "accepted", pipelineExecutionId: id, revision: revisionId });
  },
};
