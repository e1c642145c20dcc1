// The friendly JavaScript API over the wasm core (dist/wasm/pipehook.js).
// Shared by the Node and web entry points; each passes in its wasm bindings
// and, where the host has native crypto, a synchronous HMAC function.
// Templates (CloudFormation, Terraform) are read by ./formats.js (js/formats/, bundled at build
// time with the parsers it uses) into PutWebhook inputs, which the core checks.

import { checkTemplate, locateProblems, readInput } from "./formats.js";

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
  // The only headers the core reads, and where each one's value goes in `evaluate`'s
  // arguments; the rest never cross into wasm.
  const headersRead = headerSlots(wasm.headersRead());
  /**
   * A webhook definition validated and compiled once (filters parsed, scan plan built), for
   * deciding many deliveries: what a receiver holds for each webhook it serves.
   */
  class CompiledWebhook {
    #handle;
    #secret; // the key as bytes, encoded once: only set when the host hashes
    constructor(handle, secret) {
      this.#handle = handle;
      this.#secret = secret === undefined || !hostHmac ? undefined : encoder.encode(secret);
    }
    get authentication() {
      return this.#handle.authentication;
    }
    evaluateDelivery(delivery, options = {}) {
      const handle = this.#handle;
      if (handle === undefined) throw new Error("pipehook: this CompiledWebhook was freed");
      const body = toBytes(delivery?.body);
      const values = readHeaders(delivery?.headers, headersRead);
      let sha256, sha1;
      // Hash natively only for the header that will be checked (-256 wins when present); the
      // core still reads the headers itself and compares in constant time.
      if (this.#secret !== undefined) {
        if (values[headersRead.sha256] !== undefined) sha256 = hostHmac("sha256", this.#secret, body);
        else if (values[headersRead.sha1] !== undefined) sha1 = hostHmac("sha1", this.#secret, body);
      }
      const wire = handle.evaluate(
        body,
        ...values,
        delivery?.sourceIp == null ? undefined : String(delivery.sourceIp),
        configurationText(options.actionConfiguration),
        sha256,
        sha1,
        previousSecret(options.previousSecretToken),
      );
      return decisionFromWire(wire);
    }
    /** Releases the wasm memory now rather than at garbage collection. */
    free() {
      this.#handle?.free();
      this.#handle = undefined;
    }
  }

  function compileWebhook(webhook) {
    const definition = unwrapDefinition(webhook);
    return compileText(JSON.stringify(definition ?? null), definition);
  }

  function compileText(text, definition) {
    let handle;
    try {
      handle = wasm.CompiledWebhook.compile(text);
    } catch (e) {
      const problems = parseProblems(e);
      const summary = problems.map((p) => `${p.type} ${p.path}: ${p.message}`).join("\n");
      throw new PipehookError(`The webhook definition is invalid:\n${summary}`, problems);
    }
    const secret = definition?.authenticationConfiguration?.SecretToken;
    return new CompiledWebhook(handle, handle.authentication === "GITHUB_HMAC" ? secret : undefined);
  }

  // Definitions passed to evaluateDelivery as plain data, compiled once and keyed by their JSON
  // text (so a definition edited in place is recompiled, never served stale).
  const compiled = new Map();
  // The key of the entry used last: Map order is the LRU order, and a receiver that serves one
  // webhook would otherwise move the same entry to the end on every call.
  let newest;
  // The same entries by definition object, with the JSON data the object had: a repeat call with
  // an unchanged object is recognised by comparing it with that snapshot, which is cheaper than
  // serialising it again. Any difference (or anything that is not plain JSON data) falls back to
  // the text key.
  const byObject = new WeakMap();

  function cachedCompile(webhook) {
    const definition = unwrapDefinition(webhook);
    const seen = definition !== null && typeof definition === "object" ? byObject.get(definition) : undefined;
    if (seen?.snapshot !== undefined && compiled.get(seen.text) === seen.entry && sameJsonData(definition, seen.snapshot)) {
      touch(seen.text, seen.entry);
      return seen.entry;
    }
    const text = JSON.stringify(definition ?? null);
    let entry = compiled.get(text);
    if (entry) {
      touch(text, entry);
    } else {
      entry = compileText(text, definition);
      compiled.set(text, entry);
      newest = text;
      if (compiled.size > CACHE_LIMIT) {
        const [oldestKey, oldest] = compiled.entries().next().value;
        compiled.delete(oldestKey);
        oldest.free();
      }
    }
    if (definition !== null && typeof definition === "object") {
      // The snapshot is taken the second time an object comes unchanged, so a caller that builds
      // a new object for every call does not pay for one.
      const snapshot = seen?.text === text ? (seen.snapshot ?? jsonSnapshot(JSON.parse(text))) : undefined;
      byObject.set(definition, { text, entry, snapshot });
    }
    return entry;
  }

  // Map order is the LRU order: re-insert to make an entry the newest.
  function touch(text, entry) {
    if (text === newest) return;
    compiled.delete(text);
    compiled.set(text, entry);
    newest = text;
  }

  const check = (text, pipelineText) => JSON.parse(wasm.validateText(text, pipelineText));

  function validateWebhook(input, options = {}) {
    const pipeline = unwrapPipeline(options.pipeline);
    const pipelineText = pipeline === undefined ? undefined : JSON.stringify(pipeline);
    if (typeof input !== "string") {
      const template = input !== null && typeof input === "object" ? readTemplate(input) : null;
      if (template) return checkTemplate(template, check, pipeline);
      return check(JSON.stringify(input ?? null) ?? "null", pipelineText);
    }
    // A PutWebhook input as JSON, the common case, goes to the core first and untouched.
    const json = /^\s*[[{]/.test(input);
    const result = json ? check(input, pipelineText) : undefined;
    if (result?.valid) return result;
    const template = readTemplate(input);
    if (template) return checkTemplate(template, check, pipeline);
    const plain = result ?? check(input, pipelineText);
    return plain.valid ? plain : { ...plain, problems: locateProblems(input, plain.problems) };
  }

  function evaluateDelivery(webhook, delivery, options) {
    const target = webhook instanceof CompiledWebhook ? webhook : cachedCompile(webhook);
    return target.evaluateDelivery(delivery, options);
  }

  function redactWebhook(item) {
    if (item === undefined) return undefined;
    return JSON.parse(wasm.redactText(JSON.stringify(item)));
  }

  return { validateWebhook, evaluateDelivery, compileWebhook, redactWebhook, readWebhooks, CompiledWebhook };
}

// What a template holds, or null for a PutWebhook input (or a template too deeply nested to read,
// which the core then reports as it finds it).
function readTemplate(input) {
  try {
    return readInput(input);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/**
 * The webhooks a file declares, as the PutWebhook inputs they become: for tools that need the
 * definitions themselves (the page's dry run). They hold the file's SecretTokens. Values known
 * only at deploy time are listed in `deployTime` (paths in the file) and stand in as placeholders.
 */
function readWebhooks(input) {
  const read = typeof input === "string" || (input !== null && typeof input === "object") ? readTemplate(input) : null;
  if (!read) return null;
  return {
    format: read.format,
    webhooks: read.webhooks.map((w) => ({
      resource: w.resource,
      path: w.path,
      input: w.input,
      deployTime: read.notes.filter((n) => n.path.startsWith(w.path)).map((n) => n.path),
      pipeline: w.pipeline,
    })),
  };
}

// JSON data (as JSON.parse gives it) laid out for `sameJsonData`: an object as its keys and its
// members' snapshots, an array as its elements' snapshots, anything else as it is.
function jsonSnapshot(data) {
  if (data === null || typeof data !== "object") return data;
  if (Array.isArray(data)) return { keys: undefined, items: data.map(jsonSnapshot) };
  const keys = Object.keys(data);
  return { keys, items: keys.map((k) => jsonSnapshot(data[k])) };
}

// True when `value` is plain JSON data (plain objects, arrays, strings, finite numbers, booleans,
// null) equal to the data `snapshot` was taken of (jsonSnapshot), keys in the same order: then
// JSON.stringify(value) is the text that data was parsed from. False for anything else, including
// what JSON.stringify would convert.
function sameJsonData(value, snapshot) {
  // for…in (which allocates nothing, unlike Object.keys) lists inherited enumerable members too,
  // which JSON.stringify leaves out: only where Object.prototype has none does it list the same.
  for (const _ in Object.prototype) return false;
  return sameAsSnapshot(value, snapshot);
}

function sameAsSnapshot(value, snapshot) {
  // A snapshot's numbers are finite (JSON has no others), so NaN and the infinities never match.
  if (snapshot === null || typeof snapshot !== "object") return value === snapshot;
  if (typeof value !== "object" || value === null) return false;
  const { keys, items } = snapshot;
  if (keys === undefined) {
    if (!Array.isArray(value) || value.length !== items.length) return false;
    for (let i = 0; i < items.length; i++) if (!sameAsSnapshot(value[i], items[i])) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || "toJSON" in value) return false;
  let i = 0;
  for (const key in value) {
    if (key !== keys[i] || !sameAsSnapshot(value[key], items[i])) return false;
    i++;
  }
  return i === keys.length;
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

// Where each header the core reads (lower-case `names`, in `evaluate`'s order) goes, the
// names' lengths (a cheap first test), and the slots of the two signature headers.
function headerSlots(names) {
  const slots = new Map(names.map((name, i) => [name, i]));
  slots.none = names.map(() => undefined);
  slots.lengths = new Set(names.map((name) => name.length));
  slots.sha256 = slots.get(SIGNATURE_HEADERS.sha256);
  slots.sha1 = slots.get(SIGNATURE_HEADERS.sha1);
  return slots;
}

// The values of the headers the core reads, in `slots` order (undefined where not sent). Names
// are matched case-insensitively; when a name comes twice, the first value counts.
function readHeaders(headers, slots) {
  const values = slots.none.slice();
  if (headers == null) return values;
  if (typeof headers.entries === "function" || Array.isArray(headers)) {
    for (const [name, value] of Array.isArray(headers) ? headers : headers.entries()) readHeader(values, slots, String(name), value);
  } else {
    // A plain object, the common case: its own enumerable members, as Object.entries lists them,
    // without building the list.
    for (const name in headers) {
      if (slots.lengths.has(name.length) && Object.prototype.hasOwnProperty.call(headers, name)) {
        readHeader(values, slots, name, headers[name]);
      }
    }
  }
  return values;
}

function readHeader(values, slots, name, value) {
  if (value === undefined || value === null) return;
  if (!slots.lengths.has(name.length)) return; // cheaper than lower-casing every header
  const slot = slots.get(name.toLowerCase());
  if (slot === undefined || values[slot] !== undefined) return;
  values[slot] = Array.isArray(value) ? value.join(", ") : String(value);
}

// The core's decision as the Decision object, from its wire (`wire` in src/wasm.rs): numbers, a
// `/`, then texts, each text's length among the numbers; a text is taken with one substring.
export function decisionFromWire(text) {
  let p = 0;
  const number = () => {
    let n = 0;
    // Digits up to the comma (any other character, or the end, stops it too).
    for (let c; (c = text.charCodeAt(p++)) >= 0x30; ) n = n * 10 + (c - 0x30);
    return n;
  };
  let at = text.indexOf("/") + 1;
  const next = () => text.substring(at, (at += number()));
  const status = number();
  const flags = number();
  const outcome = next();
  const reason = next();
  const revision = flags & 1 ? next() : undefined;
  const matchedSecret = flags & 2 ? next() : undefined;
  const filters = [];
  for (let rules = number(); rules > 0; rules--) {
    const ruleFlags = number();
    const selectedCount = number();
    const jsonPath = next();
    const expected = ruleFlags & 1 ? next() : undefined;
    const shown = number();
    // One value (a definite path's) in an array literal, which V8 makes at its size.
    const selected = shown === 1 ? [wireValue(number(), next())] : [];
    for (let k = shown === 1 ? 0 : shown; k > 0; k--) selected.push(wireValue(number(), next()));
    const passed = (ruleFlags & 2) !== 0;
    filters.push(
      expected === undefined
        ? { jsonPath, selected, selectedCount, passed }
        : { jsonPath, expected, selected, selectedCount, passed },
    );
  }
  const decision =
    revision === undefined ? { outcome, status, reason, filters } : { outcome, status, reason, filters, revision };
  if (matchedSecret !== undefined) decision.matchedSecret = matchedSecret;
  // One decision of each shape is kept until the next of that shape: V8 keeps an object shape
  // (map) only while some object has it, and code optimised against a shape that died at a GC is
  // thrown away and compiled again.
  shapeKeepers[(revision === undefined ? 0 : 1) | (matchedSecret === undefined ? 0 : 2)] = decision;
  return decision;
}
const shapeKeepers = [];

// A selected value of the wire: a string's text (kind 0), or any other value's JSON.
const wireValue = (kind, text) => (kind === 0 ? text : JSON.parse(text));

// `options.previousSecretToken`: the SecretToken a rotation replaced, which the caller passes for
// as long as it still honours it (pipehook keeps no clock). The core tries it only when the
// current secret fails.
function previousSecret(token) {
  if (token === undefined || token === null) return undefined;
  if (typeof token !== "string" || token.length === 0) {
    throw new TypeError("options.previousSecretToken must be a non-empty string (the SecretToken before a rotation)");
  }
  return token;
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

// The action configuration as the core takes it: a JSON object of strings. A receiver passes
// the same configuration with every delivery, so the text of the last one is kept while that
// object still equals `out`, the members as the core got them. Only string members can: one
// converted from anything else (it could have changed inside) is converted afresh every time.
let lastConfig = { config: undefined, out: undefined, text: undefined };
function configurationText(config) {
  if (config == null) return undefined;
  if (config === lastConfig.config && sameJsonData(config, lastConfig.out)) return lastConfig.text;
  const out = {};
  for (const [k, v] of Object.entries(config)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  const text = JSON.stringify(out);
  lastConfig = { config, out: jsonSnapshot(out), text };
  return text;
}
