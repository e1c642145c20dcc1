// Starts the built Worker (worker/build) in Miniflare with a real local KV
// namespace, behind a recording proxy on a loopback port. The proxy keeps every
// response body so the suite can assert that no SecretToken ever leaves the
// Worker, whichever client made the request.
import http from "node:http";
import zlib from "node:zlib";
import { createHash, createHmac } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { Miniflare } from "miniflare";
import { sign } from "@octokit/webhooks-methods";
import { injectFaults, rawKvNamespace } from "./faults.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "..", "..");
export const fixturesDir = path.resolve(repoRoot, "..", "shared", "fixtures", "github-payloads");

export const REGION = "us-east-1";
export const ACCOUNT = "123456789012";
export const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };
/** Every SecretToken the suite uses contains this marker, so a leak is easy to find. */
export const SECRET_MARKER = "phk-secret-";
/** Every GitHub OAuthToken in the suite's pipelines contains this one. */
export const OAUTH_MARKER = "phk-oauth-";

/**
 * `vars`: extra bindings, e.g. `{ DELIVERY_CACHE_MS: "0" }`. `script`: another entry
 * module (inside the repository) that imports the built Worker, for tests of the entry itself.
 * `faults`: bindings to wrap for fault injection, e.g. `{ kv: ["PIPEHOOK"] }` (lib/faults.mjs);
 * the result's `faults` then controls them.
 */
export async function startWorker({ persist = false, vars = {}, script = "worker/build/index.js", faults = null } = {}) {
  const worker = {
    modules: true,
    scriptPath: path.join(repoRoot, script),
    modulesRoot: repoRoot,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-01",
    kvNamespaces: ["PIPEHOOK"],
    bindings: {
      AWS_REGION: REGION,
      AWS_ACCOUNT_ID: ACCOUNT,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      ...vars,
    },
    assets: {
      directory: path.join(repoRoot, "www"),
      binding: "ASSETS",
      routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
    },
  };
  const shared = { kvPersist: persist, host: "127.0.0.1", port: 0 };
  const injected = faults ? injectFaults(worker, faults) : null;
  const mf = new Miniflare(injected ? { ...shared, workers: injected.workers } : { ...shared, ...worker });
  const upstream = await mf.ready;
  const kv = await (injected?.workers[0].wrappedBindings.PIPEHOOK ? rawKvNamespace(mf, "PIPEHOOK") : mf.getKVNamespace("PIPEHOOK"));
  const proxy = await startProxy(upstream);
  return {
    mf,
    kv,
    faults: injected?.control,
    endpoint: proxy.url,
    responses: proxy.responses,
    async close() {
      await proxy.close();
      await mf.dispose();
    },
  };
}

/** A response body without its Content-Encoding; null when it cannot be decoded. */
function decoded(body, encoding = "identity") {
  const decode = {
    gzip: zlib.gunzipSync,
    br: zlib.brotliDecompressSync,
    deflate: zlib.inflateSync,
    identity: (b) => b,
  }[encoding.trim().toLowerCase()];
  try {
    return decode ? decode(body) : null;
  } catch {
    return null;
  }
}

/** Forwards to `upstream`, streaming requests, buffering and recording responses. */
export function startProxy(upstream) {
  const responses = [];
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    // The Worker may answer (404, 413) without reading the whole body; the
    // upstream then closes while the body is still being piped, which is not an error.
    let answered = false;
    const up = http.request(
      // A fresh connection per request: a reused keep-alive socket that the upstream
      // has just closed would turn into a spurious "socket hang up".
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent: false },
      (upRes) => {
        answered = true;
        const chunks = [];
        upRes.on("data", (c) => chunks.push(c));
        upRes.on("end", () => {
          const body = Buffer.concat(chunks);
          // Recorded as the client reads it: workerd compresses JSON answers
          // (deliveries') for clients that accept it, and a secret in a
          // compressed body would not show in its bytes.
          // (A body it cannot decode is recorded as null, and `leaks` reports it.)
          const text = decoded(body, upRes.headers["content-encoding"])?.toString("utf8") ?? null;
          responses.push({ method: req.method, url: req.url, status: upRes.statusCode, body: text });
          const headers = { ...upRes.headers };
          delete headers["transfer-encoding"];
          headers["content-length"] = String(body.length);
          res.writeHead(upRes.statusCode, headers);
          res.end(body);
        });
      },
    );
    up.on("error", (e) => {
      if (answered) return;
      if (!res.headersSent) res.writeHead(502);
      res.end(String(e));
    });
    req.on("error", () => up.destroy());
    req.pipe(up);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        responses,
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

/** Response bodies that contain a SecretToken or an OAuthToken (by the suite's markers), or could not be read to tell. */
export function leaks(responses) {
  return responses.filter((r) => r.body === null || r.body.includes(SECRET_MARKER) || r.body.includes(OAUTH_MARKER));
}

// --- a minimal SigV4 signer (node:crypto) for requests the SDKs will not make ---

const sha256 = (data) => createHash("sha256").update(data).digest("hex");
const hmac = (key, data) => createHmac("sha256", key).update(data).digest();

export function amzDate(ms) {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/**
 * Signs a JSON API request. Options let a test break one thing at a time:
 * `time` (epoch ms), `secret`, `keyId`, `region`, `service`, `tamperBody`, `rawBody`;
 * `headers` (more headers, signed), `unsigned` (names sent but left out of SignedHeaders),
 * `dateHeader` (`"date"` sends the time in `Date` instead of `X-Amz-Date`), `after` (headers
 * set once the request is signed, as a replayer would).
 */
export function signedApiRequest(endpoint, operation, input, opts = {}) {
  const url = new URL(endpoint);
  const body = opts.rawBody ?? JSON.stringify(input ?? {});
  const time = opts.time ?? Date.now();
  const date = amzDate(time);
  const day = date.slice(0, 8);
  const region = opts.region ?? REGION;
  const service = opts.service ?? "codepipeline";
  const keyId = opts.keyId ?? CREDENTIALS.accessKeyId;
  const secret = opts.secret ?? CREDENTIALS.secretAccessKey;
  const headers = {
    "content-type": "application/x-amz-json-1.1",
    host: url.host,
    [opts.dateHeader ?? "x-amz-date"]: date,
    "x-amz-target": `CodePipeline_20150709.${operation}`,
    ...opts.headers,
  };
  const unsigned = new Set(opts.unsigned ?? []);
  const names = Object.keys(headers).filter((n) => !unsigned.has(n)).sort();
  const canonical = [
    "POST",
    "/",
    "",
    names.map((n) => `${n}:${headers[n]}\n`).join(""),
    names.join(";"),
    sha256(body),
  ].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", date, scope, sha256(canonical)].join("\n");
  let key = hmac(`AWS4${secret}`, day);
  for (const part of [region, service, "aws4_request"]) key = hmac(key, part);
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${keyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  delete headers.host;
  Object.assign(headers, opts.after);
  return { url: `${endpoint}/`, init: { method: "POST", headers, body: opts.tamperBody ? body.replace("}", ' }') : body } };
}

/** Sends a signed JSON API request; answers { status, headers, json }. */
export async function callApi(endpoint, operation, input, opts) {
  const { url, init } = signedApiRequest(endpoint, operation, input, opts);
  const res = await fetch(url, init);
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

// --- fixtures ---

export function pipelineDeclaration(name, { branch = "main", sourceAction = "Source", oauthToken = `${OAUTH_MARKER}${name}` } = {}) {
  return {
    name,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/pipehook-test`,
    artifactStore: { type: "S3", location: "pipehook-artifacts" },
    stages: [
      {
        name: "Source",
        actions: [
          {
            name: sourceAction,
            actionTypeId: { category: "Source", owner: "ThirdParty", provider: "GitHub", version: "1" },
            configuration: { Owner: "Codertocat", Repo: "Hello-World", Branch: branch, OAuthToken: oauthToken },
            outputArtifacts: [{ name: "SourceOutput" }],
          },
        ],
      },
      {
        name: "Build",
        actions: [
          {
            name: "Build",
            actionTypeId: { category: "Build", owner: "AWS", provider: "CodeBuild", version: "1" },
            configuration: { ProjectName: "hello" },
            inputArtifacts: [{ name: "SourceOutput" }],
          },
        ],
      },
    ],
  };
}

export function githubWebhook(name, pipeline, secret, filters = [{ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }]) {
  return {
    name,
    targetPipeline: pipeline,
    targetAction: "Source",
    filters,
    authentication: "GITHUB_HMAC",
    authenticationConfiguration: { SecretToken: secret },
  };
}

/**
 * POSTs a delivery as GitHub does (signed with @octokit/webhooks-methods unless `signature` is
 * given; a falsy one sends no signature header) and reads the answer.
 */
export async function deliverSigned(url, body, { secret, event = "push", headers = {}, signature } = {}) {
  const sig = signature === undefined ? await sign(secret, body) : signature;
  const h = { "content-type": "application/json", "x-github-event": event, "x-github-delivery": crypto.randomUUID(), ...headers };
  if (sig) h["x-hub-signature-256"] = sig;
  const res = await fetch(url, { method: "POST", headers: h, body });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, text };
}
