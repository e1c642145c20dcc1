// SigV4 as the Worker meets it in workerd: which headers a signature must cover (a request
// signed without its operation cannot be replayed as another one), and the AWS SigV4 test
// suite's requests as workerd hands them to the Worker.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { Miniflare } from "miniflare";
import { callApi, pipelineDeclaration, repoRoot, signedApiRequest, startWorker } from "./lib/worker.mjs";

let w;

before(async () => {
  w = await startWorker();
});

after(async () => {
  await w?.close();
});

/** Sends a request built by signedApiRequest; answers { status, json }. */
async function send({ url, init }) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text), text };
}

const mustSign = (name) => `'${name}' must be a 'SignedHeader' in the AWS Authorization.`;

describe("signed headers", () => {
  it("get_pipeline_signed_without_its_target_replayed_as_delete_pipeline_is_refused_and_deletes_nothing", async () => {
    const created = await callApi(w.endpoint, "CreatePipeline", { pipeline: pipelineDeclaration("replayed") });
    assert.equal(created.status, 200, created.text);
    // A client that does not sign X-Amz-Target; a replayer then swaps the operation.
    const get = signedApiRequest(w.endpoint, "GetPipeline", { name: "replayed" }, { unsigned: ["x-amz-target"] });
    const asDelete = {
      url: get.url,
      init: { ...get.init, headers: { ...get.init.headers, "x-amz-target": "CodePipeline_20150709.DeletePipeline" } },
    };
    for (const request of [get, asDelete]) {
      const r = await send(request);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.__type, "InvalidSignatureException");
      assert.equal(r.json.message, mustSign("X-Amz-Target"));
    }
    assert.notEqual(await w.kv.get("pipeline/replayed"), null, "the pipeline is still stored");
    const still = await callApi(w.endpoint, "GetPipeline", { name: "replayed" });
    assert.equal(still.status, 200, still.text);
    assert.equal(still.json.pipeline.name, "replayed");
  });

  it("a_signed_target_changed_after_signing_does_not_verify", async () => {
    const r = await send(
      signedApiRequest(w.endpoint, "GetPipeline", { name: "replayed" }, {
        after: { "x-amz-target": "CodePipeline_20150709.DeletePipeline" },
      }),
    );
    assert.equal(r.json.__type, "InvalidSignatureException");
    assert.match(r.json.message, /does not match/);
    assert.notEqual(await w.kv.get("pipeline/replayed"), null);
  });

  it("unsigned_x_amz_date_is_refused", async () => {
    const r = await send(signedApiRequest(w.endpoint, "ListPipelines", {}, { unsigned: ["x-amz-date"] }));
    assert.equal(r.status, 400);
    assert.equal(r.json.__type, "InvalidSignatureException");
    assert.equal(r.json.message, mustSign("X-Amz-Date"));
  });

  it("every_other_x_amz_header_must_be_signed", async () => {
    const extra = { "x-amz-user-agent": "aws-sdk-js/3", "x-amz-meta-note": "hello" };
    const signed = await send(signedApiRequest(w.endpoint, "ListPipelines", {}, { headers: extra }));
    assert.equal(signed.status, 200, signed.text);
    const r = await send(signedApiRequest(w.endpoint, "ListPipelines", {}, { headers: extra, unsigned: ["x-amz-meta-note"] }));
    assert.equal(r.json.__type, "InvalidSignatureException");
    assert.equal(r.json.message, mustSign("X-Amz-Meta-Note"));
    // One added after signing, as a proxy or a replayer would.
    const added = await send(signedApiRequest(w.endpoint, "ListPipelines", {}, { after: { "x-amz-copy-source": "x" } }));
    assert.equal(added.json.__type, "InvalidSignatureException");
    assert.equal(added.json.message, mustSign("X-Amz-Copy-Source"));
  });

  it("a_session_token_need_not_be_signed", async () => {
    // The AWS suite's post-sts-header-after: signers for some services add it after signing.
    const r = await send(signedApiRequest(w.endpoint, "ListPipelines", {}, { after: { "x-amz-security-token": "t" } }));
    assert.equal(r.status, 200, r.text);
  });

  it("the_date_header_may_carry_the_time_when_signed", async () => {
    const good = await send(signedApiRequest(w.endpoint, "ListPipelines", {}, { dateHeader: "date" }));
    assert.equal(good.status, 200, good.text);
    const r = await send(signedApiRequest(w.endpoint, "ListPipelines", {}, { dateHeader: "date", unsigned: ["date"] }));
    assert.equal(r.json.__type, "InvalidSignatureException");
    assert.equal(r.json.message, mustSign("Date"));
  });

  it("no_date_at_all_is_incomplete_signature_in_aws_words", async () => {
    const req = signedApiRequest(w.endpoint, "ListPipelines", {});
    delete req.init.headers["x-amz-date"];
    const r = await send(req);
    assert.equal(r.json.__type, "IncompleteSignatureException");
    assert.equal(r.json.message, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  });

  it("unsigned_host_is_refused_in_aws_words", async () => {
    const r = await send(signedApiRequest(w.endpoint, "ListPipelines", {}, { unsigned: ["host"] }));
    assert.equal(r.json.__type, "InvalidSignatureException");
    assert.equal(r.json.message, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  });
});

/** A raw HTTP/1.1 exchange, so that nothing on the client side normalises the request. */
function rawExchange(port, text) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(text));
    let reply = Buffer.alloc(0);
    // Done at the end of the answer's body (Content-Length): workerd may keep the socket open.
    const complete = () => {
      const at = reply.indexOf("\r\n\r\n");
      if (at < 0) return null;
      const head = reply.subarray(0, at).toString("latin1");
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
      const body = reply.subarray(at + 4);
      if (Number.isNaN(length) || body.length < length) return null;
      return { status: Number(head.split(" ")[1]), body: body.subarray(0, length).toString("utf8") };
    };
    s.on("data", (c) => {
      reply = Buffer.concat([reply, c]);
      const done = complete();
      if (done) {
        s.destroy();
        resolve(done);
      }
    });
    s.on("end", () => resolve(complete() ?? { status: 0, body: reply.toString("utf8") }));
    s.on("error", reject);
  });
}

describe("request paths as workerd delivers them", () => {
  for (const target of ["/./", "/x/..", "/x/../", "/%2e/", "/./x/../."]) {
    it(`api_at_${JSON.stringify(target)}_verifies_a_signature_over_the_normalized_path`, async () => {
      // The signature covers "/" (AWS's normalised path); workerd resolves the dot segments.
      const { init } = signedApiRequest(w.endpoint, "ListPipelines", {});
      const { port } = new URL(w.endpoint);
      const headers = Object.entries({ ...init.headers, host: `127.0.0.1:${port}`, "content-length": Buffer.byteLength(init.body) })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("");
      const r = await rawExchange(Number(port), `POST ${target} HTTP/1.1\r\n${headers}connection: close\r\n\r\n${init.body}`);
      assert.equal(r.status, 200, r.body);
    });
  }
});

// --- the AWS SigV4 test suite's requests, as workerd hands them over ---

const suiteDir = path.resolve(repoRoot, "..", "shared", "fixtures", "sigv4-suite", "v4");
/** What workerd delivers for each suite request; worker/tests/sigv4_suite.rs verifies these. */
const deliveredPath = path.join(repoRoot, "worker", "tests", "sigv4-suite-in-workerd.json");

/**
 * A suite case's signed request (header-signed-request.txt) as an HTTP client puts it on the
 * wire: characters a request target cannot hold (space, non-ASCII) percent-encoded, CRLF line
 * ends, folded header lines kept as they are, and the body's length.
 */
function onTheWire(signed) {
  const [head, ...rest] = signed.split("\n\n");
  const body = rest.join("\n\n");
  const [requestLine, ...headerLines] = head.split("\n");
  const method = requestLine.slice(0, requestLine.indexOf(" "));
  const target = requestLine.slice(method.length + 1, requestLine.lastIndexOf(" "));
  const wireTarget = target.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
  const lines = [`${method} ${wireTarget} HTTP/1.1`, ...headerLines];
  if (body && !/^content-length:/im.test(head)) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join("\r\n")}\r\nConnection: close\r\n\r\n${body}`;
}

describe("AWS SigV4 suite requests in workerd", () => {
  const cases = fs.readdirSync(suiteDir).filter((c) => fs.existsSync(path.join(suiteDir, c, "header-signed-request.txt"))).sort();
  let echo;
  const seen = {};

  before(async () => {
    // Answers what the runtime made of the request: the Worker's view of it.
    echo = new Miniflare({
      modules: true,
      script: `export default { async fetch(req) {
        const u = new URL(req.url);
        return new Response(JSON.stringify({ method: req.method, path: u.pathname, query: u.search.slice(1),
          headers: Object.fromEntries(req.headers.entries()), body: await req.text() }));
      } };`,
      compatibilityDate: "2026-04-01",
      host: "127.0.0.1",
      port: 0,
    });
  });

  after(async () => {
    await echo?.dispose();
    if (process.env.PIPEHOOK_UPDATE_FIXTURES === "1") fs.writeFileSync(deliveredPath, `${JSON.stringify(seen, null, 1)}\n`);
  });

  it("has_all_38_cases", () => assert.equal(cases.length, 38));

  const recorded = fs.existsSync(deliveredPath) ? JSON.parse(fs.readFileSync(deliveredPath, "utf8")) : {};
  for (const c of cases) {
    it(`${c}_arrives_as_recorded_for_the_verifier`, async () => {
      const { port } = await echo.ready;
      const signed = fs.readFileSync(path.join(suiteDir, c, "header-signed-request.txt"), "utf8");
      const r = await rawExchange(Number(port), onTheWire(signed));
      assert.equal(r.status, 200, r.body);
      seen[c] = JSON.parse(r.body);
      if (process.env.PIPEHOOK_UPDATE_FIXTURES !== "1") assert.deepEqual(seen[c], recorded[c]);
    });
  }
});

