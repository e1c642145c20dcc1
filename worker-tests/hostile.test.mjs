// Hostile input to the Worker in workerd: every answer bounded in size, the Worker still
// answering afterwards, nothing stored that should not be.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { SECRET_MARKER, callApi, deliverSigned, githubWebhook, leaks, pipelineDeclaration, startWorker } from "./lib/worker.mjs";

const SECRET = `${SECRET_MARKER}hostile`;
const MB = 1024 * 1024;
/** The most a delivery's answer may take: pipehook's MAX_DECISION_BYTES (src/delivery.rs) is 102,400. */
const MAX_ANSWER = 100 * 1024;

let w;
const urls = {};

/** Creates a pipeline and a GITHUB_HMAC webhook on it with `filters`; answers the webhook's URL. */
async function hook(name, filters) {
  const p = await callApi(w.endpoint, "CreatePipeline", { pipeline: pipelineDeclaration(name) });
  assert.equal(p.status, 200, p.text);
  const r = await callApi(w.endpoint, "PutWebhook", { webhook: githubWebhook(name, name, SECRET, filters) });
  assert.equal(r.status, 200, r.text);
  urls[name] = r.json.webhook.url;
  return r.json.webhook.url;
}

/** The body: `depth` objects nested around one string, `size` bytes in all. */
function nestedAroundString(depth, size) {
  const head = '{"a":'.repeat(depth) + '"';
  const tail = '"' + "}".repeat(depth);
  return head + "x".repeat(size - head.length - tail.length) + tail;
}

/** The Worker still answers an ordinary delivery. */
async function stillAnswers() {
  const r = await deliverSigned(urls.descendants, '{"ref":"refs/heads/main"}', { secret: SECRET });
  assert.equal(r.status, 200, r.text);
}

before(async () => {
  w = await startWorker();
  await hook("descendants", [{ jsonPath: "$..*", matchEquals: "nope" }]);
  await hook("descendants-pass", [{ jsonPath: "$..*" }]);
});

after(async () => {
  await w?.close();
});

describe("trace amplification", { timeout: 300_000 }, () => {
  for (const size of [1 * MB, 6 * MB]) {
    it(`filtered_${size / MB}_mb_body_of_100_nested_objects_under_descendants_answers_a_bounded_trace`, async () => {
      const r = await deliverSigned(urls.descendants, nestedAroundString(100, size), { secret: SECRET });
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.ok(r.text.length <= MAX_ANSWER, `a ${r.text.length} byte answer to a ${size} byte delivery`);
      assert.equal(r.json.outcome, "filtered");
      const [trace] = r.json.filters;
      assert.equal(trace.selectedCount, 100, "the count stays exact");
      assert.ok(trace.selected.length < 100, "the values past the budget are left out");
      assert.ok(trace.selected.some((v) => typeof v === "string" && v.includes("…[cut: ")), "a cut value says so");
      await stillAnswers();
    });

    it(`accepted_${size / MB}_mb_body_under_descendants_answers_the_execution_only`, async () => {
      const r = await deliverSigned(urls["descendants-pass"], nestedAroundString(100, size), { secret: SECRET });
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.equal(r.json.outcome, "accepted");
      assert.match(r.json.pipelineExecutionId, /^[0-9a-f-]{36}$/);
      assert.ok(r.text.length < 1024, r.text.slice(0, 300));
    });
  }

  it("accepted_delivery_with_a_huge_ref_answers_a_cut_revision_and_stores_200_characters", async () => {
    const ref = "r".repeat(5 * MB);
    const r = await deliverSigned(urls["descendants-pass"], JSON.stringify({ ref, x: 1 }), { secret: SECRET });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.ok(r.text.length < 4096, `a ${r.text.length} byte answer`);
    assert.ok(r.json.revision.startsWith("rrrr") && r.json.revision.endsWith(`…[cut: ${ref.length} bytes]`), r.json.revision.slice(-40));
    const got = await callApi(w.endpoint, "GetPipelineExecution", { pipelineName: "descendants-pass", pipelineExecutionId: r.json.pipelineExecutionId });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.json.pipelineExecution.artifactRevisions[0].revisionId, "r".repeat(200));
  });
});

describe("secrets", () => {
  it("no_answer_in_this_suite_contains_a_secret", () => {
    assert.ok(w.responses.length > 5);
    assert.deepEqual(leaks(w.responses), []);
  });
});
