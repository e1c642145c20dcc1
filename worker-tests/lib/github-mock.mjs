// GitHub's REST API for the Worker's Register/DeregisterWebhookWithThirdParty tests, checked
// against GitHub's official OpenAPI description (npm @octokit/openapi) in both directions:
//
//   Worker ──> front (this file: records, strips a GHES /api/v3 base path)
//          ──> Prism in proxy mode (@stoplight/prism-cli, a child process, --errors): every
//              request is validated against the description, and refused (never forwarded)
//              when GitHub's API would not accept it; every answer is validated too
//          ──> a small stateful GitHub (this file): repositories, tokens and hooks, answering
//              as GitHub does, including its errors (bad credentials, not found, validation
//              failed, rate limits), or a fault a test queues.
//
// `problems()` lists every request or answer the description does not allow (Prism's
// `sl-violations` of severity Error, and answers Prism made itself instead of forwarding);
// the suite asserts it stays empty, so a request GitHub would reject fails the test.
import http from "node:http";
import net from "node:net";
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./worker.mjs";

const descriptions = path.join(repoRoot, "node_modules", "@octokit", "openapi", "generated");
const prismCli = path.join(repoRoot, "node_modules", "@stoplight", "prism-cli", "dist", "index.js");

/** The description file: "api.github.com", or "ghes" for the newest GitHub Enterprise Server one. */
export function descriptionFile(which) {
  if (which !== "ghes") return path.join(descriptions, `${which}.json`);
  const versions = readdirSync(descriptions)
    .map((f) => /^ghes-(\d+)\.(\d+)\.json$/.exec(f))
    .filter(Boolean)
    .sort((a, b) => a[1] - b[1] || a[2] - b[2]);
  if (versions.length === 0) throw new Error(`no GHES description in ${descriptions}`);
  return path.join(descriptions, versions.at(-1)[0]);
}

const DOCS = "https://docs.github.com/rest/repos/webhooks";

/** GitHub's answers for its errors, as it sends them. */
export const githubErrors = {
  badCredentials: () => ({ status: 401, body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" } }),
  notFound: (doc = "#create-a-repository-webhook") => ({ status: 404, body: { message: "Not Found", documentation_url: `${DOCS}${doc}`, status: "404" } }),
  notAccessible: () => ({
    status: 403,
    body: { message: "Resource not accessible by personal access token", documentation_url: `${DOCS}#create-a-repository-webhook`, status: "403" },
  }),
  validation: (errors) => ({
    status: 422,
    body: { message: "Validation Failed", errors, documentation_url: `${DOCS}#create-a-repository-webhook`, status: "422" },
  }),
  primaryRateLimit: (reset) => ({
    status: 403,
    headers: { "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-used": "5000", "x-ratelimit-reset": String(reset) },
    body: {
      message: "API rate limit exceeded for user ID 583231. If you reach out to GitHub Support for help, please include the request ID.",
      documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
      status: "403",
    },
  }),
  secondaryRateLimit: (retryAfter) => ({
    status: 429,
    headers: { "retry-after": String(retryAfter) },
    body: {
      message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
      documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
      status: "429",
    },
  }),
  serverError: () => ({ status: 502, body: { message: "Server Error" } }),
};

/** A free loopback port (for Prism, which takes a port number rather than 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Starts the chain. `description`: "api.github.com" or "ghes"; `basePath`: where the API lives
 * on the front ("" for api.github.com, "/api/v3" for GitHub Enterprise Server).
 * Answers { url (GITHUB_API_URL for the Worker), github (the state), requests, problems(), close() }.
 */
export async function startGithubMock({ description = "api.github.com", basePath = "" } = {}) {
  const github = new FakeGithub();
  const upstream = http.createServer((req, res) => github.handle(req, res));
  const upstreamPort = await listen(upstream);

  const prismPort = await freePort();
  const prism = spawn(
    process.execPath,
    [prismCli, "proxy", "--errors", "-h", "127.0.0.1", "-p", String(prismPort), "-v", "warn", descriptionFile(description), `http://127.0.0.1:${upstreamPort}`],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let prismLog = "";
  prism.stdout.on("data", (d) => (prismLog = (prismLog + d).slice(-20_000)));
  prism.stderr.on("data", (d) => (prismLog = (prismLog + d).slice(-20_000)));
  const exited = new Promise((resolve) => prism.once("exit", resolve));

  /** Every request the front received, with Prism's verdict on it. */
  const requests = [];
  const front = http.createServer(async (req, res) => {
    const body = await readBody(req);
    const entry = { method: req.method, path: req.url, headers: req.headers, body: body.length ? JSON.parse(body) : undefined };
    requests.push(entry);
    if (!req.url.startsWith(`${basePath}/`)) {
      entry.status = 404;
      res.writeHead(404, { "content-type": "application/json" });
      return res.end(JSON.stringify({ message: "Not Found", documentation_url: "https://docs.github.com/rest" }));
    }
    const headers = { ...req.headers, host: `127.0.0.1:${prismPort}` };
    const up = http.request(
      { host: "127.0.0.1", port: prismPort, method: req.method, path: req.url.slice(basePath.length), headers, agent: false },
      async (upRes) => {
        const answer = await readBody(upRes);
        entry.status = upRes.statusCode;
        entry.violations = JSON.parse(upRes.headers["sl-violations"] ?? "[]");
        // Prism's own answers (a refused request, a path the description lacks) are problem+json.
        entry.byPrism = String(upRes.headers["content-type"] ?? "").startsWith("application/problem+json");
        if (entry.byPrism) entry.prismAnswer = answer.toString("utf8");
        const out = { ...upRes.headers };
        delete out["transfer-encoding"];
        out["content-length"] = String(answer.length);
        res.writeHead(upRes.statusCode, out);
        res.end(answer);
      },
    );
    up.on("error", (e) => {
      entry.status = 502;
      entry.byPrism = true;
      entry.prismAnswer = String(e);
      res.writeHead(502);
      res.end(String(e));
    });
    up.end(body);
  });
  const frontPort = await listen(front);
  const url = `http://127.0.0.1:${frontPort}${basePath}`;
  github.publicBase = url;

  // Prism reads the whole description (megabytes) before it listens.
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (prism.exitCode !== null) throw new Error(`prism exited (${prism.exitCode}):\n${prismLog}`);
    const up = await new Promise((resolve) => {
      const s = net.connect(prismPort, "127.0.0.1", () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) {
      prism.kill();
      throw new Error(`prism did not listen within 120 s:\n${prismLog}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    github,
    requests,
    /** Requests or answers GitHub's description does not allow. */
    problems() {
      return requests
        .filter((r) => r.byPrism || (r.violations ?? []).some((v) => v.severity === "Error"))
        .map((r) => ({ method: r.method, path: r.path, status: r.status, violations: r.violations, prism: r.prismAnswer }));
    },
    /** Requests that reached the API (a path under the base path), in order. */
    calls() {
      return requests.filter((r) => r.path.startsWith(`${basePath}/`)).map((r) => `${r.method} ${r.path.slice(basePath.length)}`);
    },
    log: () => prismLog,
    async close() {
      prism.kill();
      await exited;
      await Promise.all([front, upstream].map((s) => new Promise((r) => (s.closeAllConnections?.(), s.close(() => r())))));
    },
  };
}

/**
 * The GitHub behind Prism: repositories with hooks, tokens with the repositories they
 * administer (a classic token gets 404 elsewhere, as GitHub hides repositories; a
 * fine-grained one 403), and faults a test queues for the next requests.
 */
export class FakeGithub {
  repos = new Map(); // "owner/repo" (lower case) -> { owner, name, hooks: Map<id, hook> }
  tokens = new Map(); // token -> { admin: Set<"owner/repo">, fineGrained }
  faults = [];
  nextId = 1000;
  publicBase = "";

  addRepo(owner, name) {
    this.repos.set(`${owner}/${name}`.toLowerCase(), { owner, name, hooks: new Map() });
  }

  addToken(token, repos, { fineGrained = false } = {}) {
    this.tokens.set(token, { admin: new Set(repos.map((r) => r.toLowerCase())), fineGrained });
  }

  /** The next request is answered `fault` ({ status, headers?, body }) instead. */
  failNext(fault) {
    this.faults.push(fault);
  }

  hooks(owner, name) {
    return [...(this.repos.get(`${owner}/${name}`.toLowerCase())?.hooks.values() ?? [])];
  }

  /** A hook someone else made on the repository (another CI, an old registration). */
  addHook(owner, name, { url, events = ["push"], active = true, contentType = "json" }) {
    const hook = { id: this.nextId++, active, events, config: { url, content_type: contentType, insecure_ssl: "0" }, created: "2020-01-01T00:00:00Z", updated: "2020-01-01T00:00:00Z" };
    this.repos.get(`${owner}/${name}`.toLowerCase()).hooks.set(hook.id, hook);
    return hook;
  }

  hookJson(repo, hook) {
    const url = `${this.publicBase}/repos/${repo.owner}/${repo.name}/hooks/${hook.id}`;
    return {
      type: "Repository",
      id: hook.id,
      name: "web",
      active: hook.active,
      events: hook.events,
      // GitHub never shows a secret back, only that there is one.
      config: { ...hook.config, ...(hook.config.secret === undefined ? {} : { secret: "********" }) },
      updated_at: hook.updated,
      created_at: hook.created,
      url,
      test_url: `${url}/test`,
      ping_url: `${url}/pings`,
      deliveries_url: `${url}/deliveries`,
      last_response: { code: null, status: "unused", message: null },
    };
  }

  async handle(req, res) {
    const raw = await readBody(req);
    const send = ({ status, headers = {}, body }) => {
      const text = body === undefined ? "" : JSON.stringify(body);
      res.writeHead(status, { ...(text ? { "content-type": "application/json; charset=utf-8" } : {}), ...headers });
      res.end(text);
    };
    const fault = this.faults.shift();
    if (fault) return send(fault);

    const url = new URL(req.url, "http://github.invalid");
    const m = /^\/repos\/([^/]+)\/([^/]+)\/hooks(?:\/(\d+))?$/.exec(url.pathname);
    if (!m) return send(githubErrors.notFound(""));
    const [, owner, name, idText] = m;
    const auth = /^(?:Bearer|token) (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const token = this.tokens.get(auth);
    if (!token) return send(githubErrors.badCredentials());
    const key = `${owner}/${name}`.toLowerCase();
    const repo = this.repos.get(key);
    const doc = { POST: "#create-a-repository-webhook", GET: "#list-repository-webhooks", PATCH: "#update-a-repository-webhook", DELETE: "#delete-a-repository-webhook" }[req.method];
    if (!repo) return send(githubErrors.notFound(doc));
    if (!token.admin.has(key)) return send(token.fineGrained ? githubErrors.notAccessible() : githubErrors.notFound(doc));
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const body = raw.length ? JSON.parse(raw) : {};

    if (idText === undefined && req.method === "GET") {
      const perPage = Number(url.searchParams.get("per_page") ?? 30);
      const page = Number(url.searchParams.get("page") ?? 1);
      const all = [...repo.hooks.values()];
      const slice = all.slice((page - 1) * perPage, page * perPage);
      const headers = {};
      if (page * perPage < all.length) {
        headers.link = `<${this.publicBase}/repos/${repo.owner}/${repo.name}/hooks?per_page=${perPage}&page=${page + 1}>; rel="next"`;
      }
      return send({ status: 200, headers, body: slice.map((h) => this.hookJson(repo, h)) });
    }
    if (idText === undefined && req.method === "POST") {
      const events = body.events ?? ["push"];
      const config = body.config ?? {};
      const host = URL.canParse(config.url) ? new URL(config.url).hostname : "";
      if (host === "localhost" || host.startsWith("127.")) {
        return send(githubErrors.validation([{ resource: "Hook", code: "custom", message: "Url is not supported because it isn't reachable over the public Internet (localhost)" }]));
      }
      if ([...repo.hooks.values()].some((h) => h.config.url === config.url)) {
        return send(githubErrors.validation([{ resource: "Hook", code: "custom", message: "Hook already exists on this repository" }]));
      }
      for (const event of events) {
        if ([...repo.hooks.values()].filter((h) => h.events.includes(event)).length >= 20) {
          return send(githubErrors.validation([{ resource: "Hook", code: "custom", message: `The "${event}" event cannot have more than 20 hooks` }]));
        }
      }
      const hook = { id: this.nextId++, active: body.active ?? true, events, config: { ...config }, created: now, updated: now };
      repo.hooks.set(hook.id, hook);
      return send({ status: 201, headers: { location: `${this.publicBase}/repos/${repo.owner}/${repo.name}/hooks/${hook.id}` }, body: this.hookJson(repo, hook) });
    }
    const hook = repo.hooks.get(Number(idText));
    if (!hook) return send(githubErrors.notFound(doc));
    if (req.method === "PATCH") {
      if (body.config) hook.config = { ...body.config };
      if (body.events) hook.events = body.events;
      if (body.active !== undefined) hook.active = body.active;
      hook.updated = now;
      return send({ status: 200, body: this.hookJson(repo, hook) });
    }
    if (req.method === "DELETE") {
      repo.hooks.delete(hook.id);
      return send({ status: 204 });
    }
    if (req.method === "GET") return send({ status: 200, body: this.hookJson(repo, hook) });
    return send(githubErrors.notFound(""));
  }
}
