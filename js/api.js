// The friendly JavaScript API over the wasm core (dist/wasm/pipehook.js).
// Shared by the Node and web entry points; each passes in its wasm bindings
// and, where the host has native crypto, a synchronous HMAC function.

const SIGNATURE_HEADERS = { sha256: "x-hub-signature-256", sha1: "x-hub-signature" };
const CACHE_LIMIT = 64;

/** Thrown by evaluateDelivery when the webhook definition itself is invalid. */
export class PipehookError extends Error {
  constructor(message, problems) {
    super(message);
    this.name = "PipehookError";
    this.problems = problems;
  }
}

export function createApi(wasm, hostHmac) {
  // Compiled definitions keyed by their JSON text: a definition is validated
  // and its JSONPaths parsed once, not per delivery.
  const compiled = new Map();

  function compile(webhook) {
    const text = JSON.stringify(unwrapDefinition(webhook));
    let entry = compiled.get(text);
    if (entry) {
      compiled.delete(text); // re-insert: Map order is our LRU order
      compiled.set(text, entry);
      return entry;
    }
    let handle;
    try {
      handle = wasm.CompiledWebhook.compile(text);
    } catch (e) {
      const problems = parseProblems(e);
      const summary = problems.map((p) => `${p.type} ${p.path}: ${p.message}`).join("\n");
      throw new PipehookError(`The webhook definition is invalid:\n${summary}`, problems);
    }
    const secret = unwrapDefinition(webhook)?.authenticationConfiguration?.SecretToken;
    entry = { handle, secret: handle.authentication === "GITHUB_HMAC" ? secret : undefined };
    compiled.set(text, entry);
    if (compiled.size > CACHE_LIMIT) {
      const [oldestKey, oldest] = compiled.entries().next().value;
      compiled.delete(oldestKey);
      oldest.handle.free();
    }
    return entry;
  }

  function validateWebhook(input, options = {}) {
    const text = typeof input === "string" ? input : JSON.stringify(input ?? null);
    const pipeline = unwrapPipeline(options.pipeline);
    return JSON.parse(wasm.validateText(text ?? "null", pipeline === undefined ? undefined : JSON.stringify(pipeline)));
  }

  function evaluateDelivery(webhook, delivery, options = {}) {
    const { handle, secret } = compile(webhook);
    const headers = flattenHeaders(delivery?.headers);
    const body = toBytes(delivery?.body);
    let sha256, sha1;
    if (secret !== undefined && hostHmac) {
      // Hash natively only for the header that will be checked: -256 wins when present.
      const names = headerNameSet(headers);
      if (names.has(SIGNATURE_HEADERS.sha256)) sha256 = hostHmac("sha256", secret, body);
      else if (names.has(SIGNATURE_HEADERS.sha1)) sha1 = hostHmac("sha1", secret, body);
    }
    const config = options.actionConfiguration;
    const decision = handle.evaluate(
      headers,
      body,
      delivery?.sourceIp == null ? undefined : String(delivery.sourceIp),
      config == null ? undefined : JSON.stringify(stringValues(config)),
      sha256,
      sha1,
    );
    return JSON.parse(decision);
  }

  function redactWebhook(item) {
    if (item === undefined) return undefined;
    return JSON.parse(wasm.redactText(JSON.stringify(item)));
  }

  return { validateWebhook, evaluateDelivery, redactWebhook };
}

// Accepts a WebhookDefinition, a PutWebhook input or a ListWebhookItem.
function unwrapDefinition(webhook) {
  if (webhook && typeof webhook === "object") {
    if (webhook.webhook && typeof webhook.webhook === "object") return webhook.webhook;
    if (webhook.definition && typeof webhook.definition === "object" && !("name" in webhook)) return webhook.definition;
  }
  return webhook;
}

// Accepts a PipelineDeclaration or `aws codepipeline get-pipeline` output.
function unwrapPipeline(pipeline) {
  if (pipeline == null) return undefined;
  if (typeof pipeline === "string") pipeline = JSON.parse(pipeline);
  if (pipeline.pipeline && typeof pipeline.pipeline === "object" && !pipeline.stages) return pipeline.pipeline;
  return pipeline;
}

function parseProblems(error) {
  try {
    const problems = JSON.parse(error?.message ?? "");
    if (Array.isArray(problems)) return problems;
  } catch {}
  return [{ type: "ValidationException", path: "webhook", message: String(error?.message ?? error) }];
}

function flattenHeaders(headers) {
  const flat = [];
  if (headers == null) return flat;
  const entries =
    typeof headers.entries === "function" && !Array.isArray(headers) ? headers.entries()
    : Array.isArray(headers) ? headers
    : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value === undefined || value === null) continue;
    flat.push(String(name), Array.isArray(value) ? value.join(", ") : String(value));
  }
  return flat;
}

function headerNameSet(flat) {
  const names = new Set();
  for (let i = 0; i < flat.length; i += 2) names.add(flat[i].toLowerCase());
  return names;
}

const encoder = new TextEncoder();
function toBytes(body) {
  if (body == null) return new Uint8Array(0);
  if (typeof body === "string") return encoder.encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError("delivery.body must be a string or a Uint8Array");
}

function stringValues(config) {
  const out = {};
  for (const [k, v] of Object.entries(config)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}
