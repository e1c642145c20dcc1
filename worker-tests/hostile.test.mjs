// Hostile input to the Worker in workerd: every answer bounded in size, the Worker still
// answering afterwards, nothing stored that should not be.
//
// Each delivery's CPU in workerd is measured (the workerd process's scheduler time around the
// request) and reported, not asserted: a timed assertion would be flaky on a shared machine.
// What is asserted is what bounds the CPU: answers bounded in size, and the Worker answering
// an ordinary delivery after (and during) each hostile one. The table goes to the test's
// diagnostics and test-output/hostile-cpu.json.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { rawExchange } from "./lib/raw.mjs";
import {
  SECRET_MARKER,
  callApi,
  deliverSigned,
  githubWebhook,
  leaks,
  pipelineDeclaration,
  repoRoot,
  signedApiRequest,
  startWorker,
} from "./lib/worker.mjs";

const SECRET = `${SECRET_MARKER}hostile`;
const MB = 1024 * 1024;
/** The most a delivery's answer may take: pipehook's MAX_DECISION_BYTES (src/delivery.rs) is 102,400. */
const MAX_ANSWER = 100 * 1024;

let w;
const urls = {};
const cpu = [];

/** Nanoseconds the Worker's workerd process (every thread) has spent on a CPU so far. */
function workerdCpuNs() {
  let total = 0;
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    const m = /^\d+ \((.*)\) \S (\d+)/.exec(stat);
    if (!m || m[1] !== "workerd" || Number(m[2]) !== process.pid) continue;
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
      } catch {}
    }
  }
  return total;
}

/** Runs `send` (one request), recording the workerd CPU it took under `label`. */
async function measured(label, bytes, send) {
  const before = workerdCpuNs();
  const r = await send();
  const ms = (workerdCpuNs() - before) / 1e6;
  cpu.push({ label, bytes, status: r.status, answerBytes: Buffer.byteLength(r.text ?? ""), cpuMs: Math.round(ms * 10) / 10 });
  return r;
}

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

/** deliverSigned for any body (bytes, or empty), signed with node:crypto as GitHub signs. */
function deliverBytes(url, body) {
  return deliverSigned(url, body, { signature: `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}` });
}

/** The port workerd itself listens on: raw requests go there, past the recording proxy (whose Node parser drops a repeated Authorization). */
async function workerdPort() {
  return Number((await w.mf.ready).port);
}

/** The Worker still answers an ordinary delivery. */
async function stillAnswers() {
  const r = await deliverSigned(urls.plain, '{"ref":"refs/heads/main"}', { secret: SECRET });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.outcome, "accepted", r.text);
}

before(async () => {
  w = await startWorker();
  await hook("descendants", [{ jsonPath: "$..*", matchEquals: "nope" }]);
  await hook("descendants-pass", [{ jsonPath: "$..*" }]);
  await hook("chained", [{ jsonPath: "$..*..*..*", matchEquals: "nope" }]);
  await hook("wide", [{ jsonPath: "$..[*]..[*]" }, { jsonPath: "$..*", matchEquals: "x" }]);
  await hook("plain", [{ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }]);
});

after(async () => {
  const rows = cpu.map((c) => `${c.label.padEnd(60)} ${String(c.bytes).padStart(9)} B  ${String(c.status).padStart(3)}  answer ${String(c.answerBytes).padStart(6)} B  ${c.cpuMs} ms CPU`);
  console.log(`workerd CPU per hostile request (measured, not asserted):\n${rows.join("\n")}`);
  fs.mkdirSync(path.join(repoRoot, "test-output"), { recursive: true });
  fs.writeFileSync(path.join(repoRoot, "test-output", "hostile-cpu.json"), `${JSON.stringify(cpu, null, 1)}\n`);
  await w?.close();
});

describe("trace amplification", { timeout: 300_000 }, () => {
  for (const size of [1 * MB, 6 * MB]) {
    it(`filtered_${size / MB}_mb_body_of_100_nested_objects_under_descendants_answers_a_bounded_trace`, async () => {
      const body = nestedAroundString(100, size);
      const r = await measured(`$..* over ${size / MB} MB of 100 nested objects (filtered)`, size, () => deliverSigned(urls.descendants, body, { secret: SECRET }));
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
      const body = nestedAroundString(100, size);
      const r = await measured(`$..* over ${size / MB} MB of 100 nested objects (accepted)`, size, () => deliverSigned(urls["descendants-pass"], body, { secret: SECRET }));
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

describe("slow and oversized bodies", { timeout: 120_000 }, () => {
  it("a_slow_delivery_body_keeps_no_other_delivery_waiting", async () => {
    const body = JSON.stringify({ ref: "refs/heads/main", pad: "p".repeat(4000) });
    const signature = await sign(SECRET, body);
    const u = new URL(urls.plain);
    let answer;
    const slow = http.request(
      { host: u.hostname, port: u.port, method: "POST", path: u.pathname + u.search,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-hub-signature-256": signature } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => (answer = { status: res.statusCode, text: Buffer.concat(chunks).toString() }));
      },
    );
    slow.on("error", () => {});
    // A trickle: 100 bytes every 50 ms, while other deliveries come and go.
    for (let i = 0; i < body.length; i += 100) {
      slow.write(body.slice(i, i + 100));
      if (i % 1000 === 0) await stillAnswers();
      await new Promise((r) => setTimeout(r, 50));
    }
    slow.end();
    for (let i = 0; i < 100 && !answer; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(answer?.status, 200, answer?.text);
    assert.equal(JSON.parse(answer.text).outcome, "accepted");
  });

  it("a_delivery_body_that_never_completes_keeps_no_other_delivery_waiting", async () => {
    const u = new URL(urls.plain);
    const port = await workerdPort();
    const stuck = net.connect(port, "127.0.0.1", () =>
      stuck.write(`POST ${u.pathname}${u.search} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"ref":`),
    );
    stuck.on("error", () => {});
    try {
      for (let i = 0; i < 5; i++) await stillAnswers();
    } finally {
      stuck.destroy();
    }
  });

  it("an_api_body_over_1_mb_is_request_entity_too_large_before_it_is_read", async () => {
    // Declared, and only its first bytes sent: the answer comes from the header alone.
    const port = await workerdPort();
    const head = `POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-amz-json-1.1\r\nx-amz-target: CodePipeline_20150709.ListPipelines\r\ncontent-length: ${2 * MB}\r\n\r\n{"pad":"`;
    const r = await measured("API body declared at 2 MB", 2 * MB, () => rawExchange(port, head));
    assert.equal(r.status, 413, r.text.slice(0, 200));
    assert.equal(JSON.parse(r.text).__type, "RequestEntityTooLargeException");
    assert.ok(r.text.length < 1024);
  });
});

describe("malformed bodies", { timeout: 120_000 }, () => {
  const cases = [
    ["100k_unclosed_brackets", "[".repeat(100_000)],
    ["100k_nested_arrays", "[".repeat(100_000) + "]".repeat(100_000)],
    ["100k_nested_objects", '{"a":'.repeat(100_000) + "1" + "}".repeat(100_000)],
    ["invalid_utf8_in_a_string", Buffer.concat([Buffer.from('{"ref":"refs/heads/'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')])],
    ["lone_surrogate_escape", '{"ref":"\\ud800"}'],
    ["number_out_of_range", '{"ref":"refs/heads/main","n":1e999}'],
    ["nul_bytes", Buffer.from([0x7b, 0x00, 0x7d])],
    ["empty", ""],
  ];
  for (const [label, body] of cases) {
    it(`${label}_is_400_malformed_with_a_short_answer`, async () => {
      const r = await measured(`malformed: ${label}`, body.length, () => deliverBytes(urls.plain, body));
      assert.equal(r.status, 400, r.text.slice(0, 300));
      assert.equal(r.json.outcome, "malformed");
      assert.ok(r.text.length < 1024, r.text.slice(0, 300));
      await stillAnswers();
    });
  }

  it("invalid_utf8_in_a_form_payload_is_400", async () => {
    const body = "payload=%7B%22ref%22%3A%22%FF%FE%22%7D";
    const r = await deliverSigned(urls.plain, body, { secret: SECRET, headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.ok([400, 200].includes(r.status), r.text);
    assert.ok(r.text.length < 1024);
  });

  it("huge_numbers_within_a_double_are_decided_beyond_it_malformed", async () => {
    const big = `{"ref":"refs/heads/main","n":${"9".repeat(300)},"m":-${"1".repeat(300)}.5e-300,"i":-0.0e-0}`;
    const r = await measured("300-digit numbers", big.length, () => deliverSigned(urls.plain, big, { secret: SECRET }));
    assert.equal(r.json?.outcome, "accepted", r.text.slice(0, 300));
    const d = await deliverSigned(urls.descendants, big, { secret: SECRET });
    assert.equal(d.json?.outcome, "filtered", d.text.slice(0, 300));
    assert.ok(d.text.length <= MAX_ANSWER);
    // Past a double's range serde_json (as JSON.parse would give Infinity) refuses: a clear 400.
    const huge = `{"ref":"refs/heads/main","n":${"9".repeat(5000)}}`;
    const h = await measured("5,000-digit number", huge.length, () => deliverSigned(urls.plain, huge, { secret: SECRET }));
    assert.equal(h.status, 400, h.text);
    assert.match(h.json.message, /number out of range/);
  });
});

describe("catastrophic filters over large bodies", { timeout: 300_000 }, () => {
  const objects = (count) => JSON.stringify({ ref: "refs/heads/main", items: Array.from({ length: count }, (_, i) => ({ a: { b: [i, i + 1, { c: "v" }] } })) });
  const arrays = (count) => JSON.stringify(Array.from({ length: count }, (_, i) => [i, [i, [i, "x"]]]));
  for (const [label, name, body] of [
    ["$..*..*..* over 5 MB of small objects", "chained", objects(110_000)],
    ["$..[*]..[*] and $..* over 4 MB of nested arrays", "wide", arrays(140_000)],
  ]) {
    it(`${label.replaceAll(/\W+/g, "_")}_answers_a_bounded_decision`, async () => {
      const r = await measured(label, body.length, () => deliverSigned(urls[name], body, { secret: SECRET }));
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.ok(["filtered", "accepted"].includes(r.json.outcome), r.text.slice(0, 300));
      assert.ok(r.text.length <= MAX_ANSWER, `${r.text.length} bytes`);
      for (const t of r.json.filters ?? []) assert.ok(t.selected.length <= t.selectedCount);
      await stillAnswers();
    });
  }
});

describe("bounded memory", { timeout: 300_000 }, () => {
  it("a_whole_document_rule_over_24_mb_of_12_million_numbers_is_refused_413_unbuilt", async () => {
    // Built, these would take ~400 MB of values: the isolate has 128 MB.
    const body = `[${"0,".repeat(12_000_000)}0]`;
    const r = await measured("$..* over 24 MB of 12 million numbers (refused)", body.length, () => deliverSigned(urls.descendants, body, { secret: SECRET }));
    assert.equal(r.status, 413, r.text.slice(0, 300));
    assert.equal(r.json.outcome, "malformed");
    assert.match(r.json.message, /indefinite path/);
    await stillAnswers();
  });

  it("a_definite_rule_decides_the_same_body_without_building_it", async () => {
    const body = JSON.stringify({ ref: "refs/heads/main", n: Array.from({ length: 3_000_000 }, () => 0) });
    const r = await measured("$.ref over 6 MB of 3 million numbers (scan)", body.length, () => deliverSigned(urls.plain, body, { secret: SECRET }));
    assert.equal(r.json?.outcome, "accepted", r.text.slice(0, 300));
  });
});

describe("authorization headers", () => {
  const types = new Set(["MissingAuthenticationTokenException", "IncompleteSignatureException", "InvalidSignatureException", "UnrecognizedClientException"]);

  it("a_duplicated_authorization_header_is_refused_and_changes_nothing", async () => {
    const { init } = signedApiRequest(w.endpoint, "CreatePipeline", { pipeline: pipelineDeclaration("twice") });
    const port = await workerdPort();
    const lines = Object.entries({ ...init.headers, host: `127.0.0.1:${port}`, "content-length": Buffer.byteLength(init.body) }).map(([k, v]) => `${k}: ${v}`);
    lines.push(`authorization: ${init.headers.authorization}`);
    const r = await rawExchange(port, `POST / HTTP/1.1\r\n${lines.join("\r\n")}\r\nconnection: close\r\n\r\n${init.body}`);
    assert.equal(r.status, 400, r.body);
    assert.equal(JSON.parse(r.body).__type, "IncompleteSignatureException");
    assert.equal(await w.kv.get("pipeline/twice"), null);
  });

  it("garbage_authorization_headers_are_4xx_with_short_answers", async () => {
    const garbage = [
      "",
      "AWS4-HMAC-SHA256",
      "AWS4-HMAC-SHA256 ",
      "Bearer abc",
      "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/codepipeline/aws4_request",
      "AWS4-HMAC-SHA256 Credential=test, SignedHeaders=host, Signature=00",
      "AWS4-HMAC-SHA256 Credential=test/../../x/y/z, SignedHeaders=;;;;, Signature=zz",
      "AWS4-HMAC-SHA256 Credential==, SignedHeaders==, Signature==",
      `AWS4-HMAC-SHA256 Credential=${"A".repeat(60_000)}, SignedHeaders=host, Signature=00`,
      `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/codepipeline/aws4_request, SignedHeaders=${"a;".repeat(5000)}host, Signature=${"f".repeat(64)}`,
      "AWS4-HMAC-SHA256 Credential=tést/2026/ü/ß/aws4_request, SignedHeaders=host, Signature=é",
    ];
    const port = await workerdPort();
    for (const authorization of garbage) {
      const { init } = signedApiRequest(w.endpoint, "DeletePipeline", { name: "plain" });
      init.headers.authorization = authorization;
      const lines = Object.entries({ ...init.headers, host: `127.0.0.1:${port}`, "content-length": Buffer.byteLength(init.body) }).map(([k, v]) => `${k}: ${v}`);
      const r = await measured(`garbage Authorization (${authorization.length} bytes)`, authorization.length, () =>
        rawExchange(port, `POST / HTTP/1.1\r\n${lines.join("\r\n")}\r\nconnection: close\r\n\r\n${init.body}`),
      );
      assert.ok(r.status === 400 || r.status === 403, `${authorization.slice(0, 60)} -> ${r.status} ${r.text.slice(0, 200)}`);
      assert.ok(types.has(JSON.parse(r.text).__type), r.text.slice(0, 200));
      assert.ok(r.text.length < 1024, `${r.text.length} bytes for ${authorization.slice(0, 60)}`);
    }
    assert.notEqual(await w.kv.get("pipeline/plain"), null, "nothing was deleted");
  });

  it("duplicated_signature_headers_on_a_delivery_are_unauthorized", async () => {
    const body = JSON.stringify({ ref: "refs/heads/main" });
    const good = await sign(SECRET, body);
    const res = await fetch(urls.plain, {
      method: "POST",
      headers: [["content-type", "application/json"], ["x-hub-signature-256", good], ["x-hub-signature-256", good]],
      body,
    });
    assert.equal(res.status, 401, await res.text());
  });
});

describe("header injection", () => {
  const expected = new Set(["content-type", "content-length", "x-amzn-requestid", "x-amzn-errortype", "date", "connection", "keep-alive", "content-encoding", "vary", "transfer-encoding"]);

  it("folded_and_bare_lf_header_lines_inject_no_header_and_no_operation", async () => {
    const { init } = signedApiRequest(w.endpoint, "ListPipelines", {});
    const port = await workerdPort();
    const base = Object.entries({ ...init.headers, host: `127.0.0.1:${port}`, "content-length": Buffer.byteLength(init.body) })
      .filter(([k]) => k !== "x-amz-target")
      .map(([k, v]) => `${k}: ${v}`);
    for (const target of [
      "x-amz-target: CodePipeline_20150709.ListPipelines\r\n x-amz-target: CodePipeline_20150709.DeletePipeline",
      "x-amz-target: CodePipeline_20150709.ListPipelines\nset-cookie: injected=1",
      "x-amz-target: CodePipeline_20150709.ListPipelines\r\n\tset-cookie: injected=1",
    ]) {
      const r = await rawExchange(port, `POST / HTTP/1.1\r\n${[...base, target].join("\r\n")}\r\nconnection: close\r\n\r\n${init.body}`);
      assert.ok(r.status === 0 || (r.status >= 200 && r.status < 500), `${JSON.stringify(target)} -> ${r.status} ${r.body}`);
      assert.equal(r.headers["set-cookie"], undefined);
      for (const name of Object.keys(r.headers)) assert.ok(expected.has(name), `unexpected answer header ${name}`);
    }
    assert.notEqual(await w.kv.get("pipeline/plain"), null);
  });

  it("input_meant_for_headers_stays_in_json_bodies", async () => {
    const r = await callApi(w.endpoint, "PutWebhook", { webhook: githubWebhook("a\r\nSet-Cookie: x=1", "plain", SECRET) });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get("x-amzn-errortype"), "ValidationException");
    assert.equal(r.headers.get("set-cookie"), null);
    const u = await fetch(`${urls.plain.replace(/t=[0-9a-f]+/, "t=abc%0d%0aSet-Cookie:%20x=1")}`, { method: "POST", body: "{}" });
    assert.equal(u.status, 404);
    assert.equal(u.headers.get("set-cookie"), null);
    assert.equal(u.headers.get("content-type"), "application/json");
  });
});

describe("secrets", () => {
  it("no_answer_in_this_suite_contains_a_secret", () => {
    assert.ok(w.responses.length > 5);
    assert.deepEqual(leaks(w.responses), []);
  });
});
