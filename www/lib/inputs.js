// What the user pasted, understood: which shape of input it is, which webhook
// definitions it holds, the headers they typed, and the shareable form of it.
// Pure functions (no DOM, no wasm), so they are tested in Node too.

/** The path mapping of an input checked as written (its paths are the text's own). */
export const identity = (p) => p;

/**
 * The webhook definitions an input holds, each with the PutWebhook-shaped
 * value to validate and how its problem paths map back into the pasted text.
 *
 * Shapes accepted:
 * - PutWebhook input `{webhook: WebhookDefinition, tags?}` (the --cli-input-json file);
 * - a bare WebhookDefinition;
 * - `aws codepipeline list-webhooks` output `{webhooks: [ListWebhookItem, ...]}`;
 * - `aws codepipeline put-webhook` output `{webhook: ListWebhookItem}`, or a ListWebhookItem.
 *
 * @returns {{kind: string, items: {label: string, input: unknown, definition: unknown, mapPath: (p: string) => string}[]}}
 */
export function classifyInput(value) {
  if (isObject(value) && Array.isArray(value.webhooks) && !("webhook" in value)) {
    return {
      kind: "list-webhooks",
      items: value.webhooks.map((item, i) => listItem(item, `webhooks[${i}]`)),
    };
  }
  if (isObject(value) && isObject(value.webhook) && isObject(value.webhook.definition)) {
    return { kind: "put-webhook-output", items: [listItem(value.webhook, "webhook")] };
  }
  if (isObject(value) && isObject(value.definition) && !("webhook" in value)) {
    return { kind: "list-webhooks-item", items: [listItem(value, "")] };
  }
  if (isObject(value) && "webhook" in value) {
    const name = isObject(value.webhook) ? value.webhook.name : undefined;
    return {
      kind: "put-webhook-input",
      items: [{ label: labelFor(name, "webhook"), input: value, definition: value.webhook, mapPath: identity }],
    };
  }
  if (isObject(value) && looksLikeDefinition(value)) {
    return {
      kind: "webhook-definition",
      items: [{ label: labelFor(value.name, "webhook"), input: value, definition: value, mapPath: identity }],
    };
  }
  // Anything else goes to the validator as it is, which says what is missing.
  return { kind: "unknown", items: [{ label: "input", input: value, definition: value, mapPath: identity }] };
}

function listItem(item, prefix) {
  const definition = isObject(item) ? item.definition : undefined;
  const input = { webhook: definition };
  if (isObject(item) && item.tags !== undefined) input.tags = item.tags;
  const join = (rest) => (prefix ? `${prefix}.${rest}` : rest);
  const mapPath = (p) => {
    if (p === "pipeline" || p.startsWith("pipeline.")) return p; // about the pasted pipeline, not the item
    if (p === "webhook") return join("definition");
    if (p.startsWith("webhook.") || p.startsWith("webhook[")) return join("definition" + p.slice("webhook".length));
    return p ? join(p) : prefix || p;
  };
  const name = isObject(definition) ? definition.name : undefined;
  return { label: labelFor(name, prefix || "webhook"), input, definition, mapPath };
}

function labelFor(name, fallback) {
  return typeof name === "string" && name !== "" ? name : fallback;
}

function looksLikeDefinition(v) {
  return ["name", "targetPipeline", "targetAction", "filters", "authentication", "authenticationConfiguration"].some(
    (k) => k in v,
  );
}

export function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A PipelineDeclaration from `get-pipeline` output (`{pipeline, metadata}`) or a bare declaration. */
export function pipelineDeclaration(value) {
  if (isObject(value) && isObject(value.pipeline)) return value.pipeline;
  if (isObject(value) && Array.isArray(value.stages)) return value;
  return null;
}

/**
 * The target action in the pipeline's first stage (the only place a webhook
 * can point), or why it is not there.
 */
export function findTargetAction(pipeline, definition) {
  const actionName = isObject(definition) ? definition.targetAction : undefined;
  const stage = Array.isArray(pipeline.stages) ? pipeline.stages[0] : undefined;
  if (!isObject(stage)) return { error: "The pipeline has no stages." };
  const actions = Array.isArray(stage.actions) ? stage.actions : [];
  const action = actions.find((a) => isObject(a) && a.name === actionName);
  if (!action) {
    const names = actions.filter(isObject).map((a) => a.name);
    return {
      error: `No action named ${JSON.stringify(actionName ?? null)} in the first stage ${JSON.stringify(stage.name)} (it has ${names.map((n) => JSON.stringify(n)).join(", ") || "none"}).`,
    };
  }
  return { stage: stage.name, action: action.name, configuration: stringMap(action.configuration) };
}

/** An action configuration as CodePipeline holds it: string values only. */
export function stringMap(value) {
  const out = {};
  if (!isObject(value)) return out;
  for (const [k, v] of Object.entries(value)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}

/**
 * `Name: value` lines to a header record. Blank lines are skipped; a line
 * without a colon is an error. A repeated name keeps the last value, as a
 * receiver reading one header would.
 */
export function parseHeaders(text) {
  const headers = {};
  const errors = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const colon = line.indexOf(":");
    if (colon <= 0) {
      errors.push(`Line ${i + 1}: expected "Name: value"`);
      return;
    }
    const name = line.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      errors.push(`Line ${i + 1}: ${JSON.stringify(name)} is not a valid header name`);
      return;
    }
    for (const existing of Object.keys(headers)) {
      if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
    }
    headers[name] = line.slice(colon + 1).trim();
  });
  return { headers, errors };
}

/** The header text with `name` set to `value` (replacing any line of that name, else appended). */
export function setHeader(text, name, value) {
  const lines = text.split(/\r?\n/);
  const lower = name.toLowerCase();
  let replaced = false;
  const out = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === lower) {
      if (!replaced) out.push(`${name}: ${value}`);
      replaced = true;
    } else {
      out.push(line);
    }
  }
  while (out.length && out[out.length - 1].trim() === "") out.pop();
  if (!replaced) out.push(`${name}: ${value}`);
  return out.join("\n");
}

export const REDACTED = "****";

/** A deep copy with every `SecretToken` value replaced by `****`, whatever the shape. */
export function redactSecrets(value) {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (!isObject(value)) return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k.toLowerCase() === "secrettoken" && v !== null && v !== undefined ? REDACTED : redactSecrets(v);
  }
  return out;
}

/** True if any `SecretToken` anywhere in `value` holds something other than `****`. */
export function holdsSecret(value) {
  if (Array.isArray(value)) return value.some(holdsSecret);
  if (!isObject(value)) return false;
  return Object.entries(value).some(([k, v]) =>
    k.toLowerCase() === "secrettoken" ? v !== null && v !== undefined && v !== REDACTED : holdsSecret(v),
  );
}

const FRAGMENT_KEY = "def=";

/** The URL fragment (`#def=<base64url JSON>`) that carries a definition. The caller redacts first. */
export function encodeFragment(value) {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return "#" + FRAGMENT_KEY + btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The value a `#def=` fragment carries; null when there is none; throws when it is damaged. */
export function decodeFragment(hash) {
  const h = hash.startsWith("#") ? hash.slice(1) : hash;
  if (!h.startsWith(FRAGMENT_KEY)) return null;
  const b64 = h.slice(FRAGMENT_KEY.length).replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
}
