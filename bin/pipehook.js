#!/usr/bin/env node
// pipehook CLI: check a PutWebhook input (or a CloudFormation or Terraform file), dry-run a
// delivery against it, and read a pipehook Worker's delivery log and redeliver from it. Each
// command is an entry of COMMANDS, sharing OPTIONS and Output.
//
// Exit codes: 0 valid / accepted / answered, 1 invalid / not accepted, 2 unreadable input, usage
// error, or a Worker that could not be reached or refused the request.
// A SecretToken is never printed: definitions are echoed only through redactWebhook, and every
// line of output is scrubbed of the input's SecretTokens (and of the AWS secret key that signs
// requests to a Worker) as a second line of defence.

import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const EXIT_OK = 0;
const EXIT_NO = 1;
const EXIT_USAGE = 2;

const USAGE = `Usage:
  pipehook validate FILE [--pipeline FILE] [--json]
  pipehook evaluate --webhook FILE --payload FILE [--header "Name: value"]...
                    [--source-ip IP] [--action-config FILE] [--sign] [--json]
  pipehook deliveries --webhook NAME [--endpoint-url URL] [--max-results N] [AWS] [--json]
  pipehook delivery ID --webhook NAME [--endpoint-url URL] [AWS] [--json]
  pipehook redeliver ID --webhook NAME [--dry-run] [--endpoint-url URL] [AWS] [--json]
  pipehook --help | --version

Commands:
  validate   Check a PutWebhook input (what you give \`aws codepipeline put-webhook
             --cli-input-json\` or --cli-input-yaml), a bare webhook definition, or the
             file you author webhooks in: a CloudFormation template (JSON or YAML) or
             Terraform (.tf, .tf.json such as CDK for Terraform's cdk.tf.json, or
             \`terraform show -json\` output), recognised by content.
             Prints every problem as "TYPE path: message" (for a template or YAML,
             "FILE:LINE:COLUMN: TYPE path: message", and "note:" lines for values only
             known at deploy time), or "valid".
             --pipeline FILE   a PipelineDeclaration (or GetPipeline output) to check
                               targetPipeline, targetAction and {Key} placeholders against
                               (a template's own pipeline resource is used when it has one)
  evaluate   Decide what the webhook would do with one delivery, and why.
             --webhook FILE        a PutWebhook input or a bare webhook definition
             --payload FILE        the raw request body, sent byte for byte
             --header "N: v"       a request header (repeatable; header names are
                                   case-insensitive; a repeated name keeps the last value)
             --source-ip IP        the caller's address (for IP authentication)
             --action-config FILE  the target action's configuration, a JSON object of
                                   strings (fills {Key} placeholders in matchEquals)
             --sign                add X-Hub-Signature-256 computed from the definition's
                                   SecretToken, as GitHub would send it
  FILE may be "-" for standard input.

  A pipehook Worker's delivery log (its last 100 deliveries per webhook, for 7 days):
  deliveries  List a webhook's deliveries, newest first: time, event, outcome, status,
              id, reason.  --max-results N   at most N (1..100, default all)
  delivery    Show one delivery in full: its headers, decision, every rule's trace, and
              what it started.
  redeliver   Decide a logged delivery's body again against the webhook as it is now, and
              start the pipeline when it is accepted (a new execution).
              --dry-run   only show the decision; start and log nothing
  --endpoint-url URL  the Worker (default AWS_ENDPOINT_URL_CODEPIPELINE, AWS_ENDPOINT_URL)
  AWS: --region R (default AWS_REGION, AWS_DEFAULT_REGION, the profile's region in
       ~/.aws/config) and --profile P (default AWS_PROFILE): requests are signed (SigV4)
       with the profile's keys from ~/.aws/credentials when a profile is named, else
       AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, else the default profile.

Options:
  --json     print the result as JSON (SecretTokens redacted)
  -h, --help print this help

Exit status:
  validate   0 valid, 1 invalid, 2 unreadable input or usage error
  evaluate   0 accepted, 1 any other outcome, 2 unreadable input, invalid webhook
             definition or usage error
  deliveries, delivery
             0 answered, 2 usage error, no credentials, or the Worker unreachable or
             refusing (the AWS error is printed, e.g. WebhookNotFoundException)
  redeliver  0 accepted, 1 any other outcome, 2 as for delivery
`;

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  json: { type: "boolean" },
  pipeline: { type: "string" },
  webhook: { type: "string" },
  payload: { type: "string" },
  header: { type: "string", multiple: true },
  "source-ip": { type: "string" },
  "action-config": { type: "string" },
  sign: { type: "boolean" },
  "endpoint-url": { type: "string" },
  region: { type: "string" },
  profile: { type: "string" },
  "max-results": { type: "string" },
  "dry-run": { type: "boolean" },
};

/** The options of the commands that call a Worker. */
const WORKER_OPTIONS = ["json", "webhook", "endpoint-url", "region", "profile"];

/** The commands: the options each takes (beside --help) and what runs it. */
const COMMANDS = {
  validate: { options: ["json", "pipeline"], run: (...args) => validate(...args) },
  evaluate: { options: ["json", "webhook", "payload", "header", "source-ip", "action-config", "sign"], run: (...args) => evaluate(...args) },
  deliveries: { options: [...WORKER_OPTIONS, "max-results"], run: (...args) => deliveries(...args) },
  delivery: { options: WORKER_OPTIONS, run: (...args) => delivery(...args) },
  redeliver: { options: [...WORKER_OPTIONS, "dry-run"], run: (...args) => redeliver(...args) },
};

/** An input or usage problem: reported on stderr with exit status 2. */
class InputError extends Error {
  constructor(message, { usage = false, details = [] } = {}) {
    super(message);
    this.usage = usage;
    this.details = details;
  }
}

/** Collects output lines; everything printed goes through scrub(). */
class Output {
  constructor() {
    this.secrets = [];
  }
  addSecrets(value) {
    collectSecrets(value, this.secrets);
    // Longest first, so a secret containing another is replaced whole.
    this.secrets.sort((a, b) => b.length - a.length);
  }
  /** Values that are secrets whatever their name (the AWS secret key, a session token). */
  hide(...values) {
    for (const v of values) if (typeof v === "string" && v.length >= 4) this.secrets.push(v);
    this.secrets.sort((a, b) => b.length - a.length);
  }
  scrub(text) {
    let out = String(text);
    for (const s of this.secrets) out = out.split(s).join("****");
    return out;
  }
  out(line = "") {
    process.stdout.write(this.scrub(line) + "\n");
  }
  err(line = "") {
    process.stderr.write(this.scrub(line) + "\n");
  }
}

function collectSecrets(value, into) {
  if (Array.isArray(value)) {
    for (const v of value) collectSecrets(v, into);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      // Very short tokens are skipped: replacing every "a" in the output would hide the
      // message without protecting anything a 1-3 character token could.
      if (k === "SecretToken" && typeof v === "string" && v.length >= 4 && v !== "****") into.push(v);
      else collectSecrets(v, into);
    }
  }
}

function readInput(file, what) {
  try {
    return readFileSync(file === "-" ? 0 : file);
  } catch (e) {
    const why = e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "is a directory" : e.message;
    throw new InputError(`cannot read ${what} ${file}: ${why}`);
  }
}

function readJson(file, what) {
  const text = readInput(file, what).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${what} ${file} is not JSON: ${e.message}`);
  }
}

async function loadPipehook() {
  try {
    return await import("../dist/node.js");
  } catch (e) {
    throw new InputError(`cannot load pipehook's wasm module (was the package built?): ${e.message}`);
  }
}

function problemLine(p) {
  return `${p.type} ${p.path}: ${p.message}`;
}

/** `FILE:LINE:COLUMN: ` where the problem or note has a place in the file (what editors and terminals link). */
function placed(file, item, line) {
  const at = item.location;
  return at ? `${file === "-" ? "<stdin>" : file}:${at.line}:${at.column}: ${line}` : line;
}

function printJson(o, value) {
  o.out(JSON.stringify(value, null, 2));
}

/** Shows a selected value list, shortened so a `$` over a 25 MB body stays readable. */
function showSelected(selected) {
  const text = JSON.stringify(selected);
  const max = 500;
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

async function validate(o, positionals, values) {
  if (positionals.length !== 1) {
    throw new InputError(positionals.length === 0 ? "validate needs a FILE" : "validate takes one FILE", { usage: true });
  }
  const [file] = positionals;
  const text = readInput(file, "file").toString("utf8");
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined; // the core reports where the text stops being JSON; see below
  }
  if (parsed !== undefined) o.addSecrets(parsed);

  let pipeline;
  if (values.pipeline !== undefined) {
    const p = readJson(values.pipeline, "pipeline");
    if (!p || typeof p !== "object" || Array.isArray(p)) {
      throw new InputError(`pipeline ${values.pipeline} must be a JSON object (a PipelineDeclaration or GetPipeline output)`);
    }
    // Accept GetPipeline's output as well as a bare PipelineDeclaration.
    pipeline = p.pipeline && !p.stages ? p.pipeline : p;
    o.addSecrets(p);
  }

  const { validateWebhook, readWebhooks } = await loadPipehook();
  // A template's SecretTokens, as the core will see them, are scrubbed from the output too.
  for (const w of readWebhooks(text)?.webhooks ?? []) o.addSecrets(w.input);
  // The text goes to the core as is, so numbers and strings are read exactly as the API reads them.
  const result = validateWebhook(text, pipeline === undefined ? undefined : { pipeline });
  const serialization = result.problems.filter((p) => p.type === "SerializationException");
  if (serialization.length > 0) {
    if (result.format) throw new InputError(placed(file, serialization[0], serialization[0].message));
    throw new InputError(`${file} is not JSON: ${serialization.map((p) => p.message).join("; ")}`);
  }
  // A PutWebhook input in JSON keeps the plain "TYPE path: message" lines; a template's name places.
  const line = result.format ? (item, text) => placed(file, item, text) : (_, text) => text;
  if (values.json) {
    printJson(o, result);
  } else {
    if (result.valid) o.out(result.webhooks ? `valid: ${checkedSummary(result.webhooks)}` : "valid");
    for (const p of result.problems) o.out(line(p, problemLine(p)));
    for (const n of result.notes ?? []) o.out(line(n, `note: ${n.path}: ${n.message}`));
  }
  return result.valid ? EXIT_OK : EXIT_NO;
}

function checkedSummary(webhooks) {
  const names = webhooks.map((w) => w.resource).filter(Boolean);
  const n = webhooks.length;
  return `${n} webhook${n === 1 ? "" : "s"} checked${names.length ? ` (${names.join(", ")})` : ""}`;
}

function parseHeaders(list = []) {
  const headers = {};
  const seen = new Map(); // lower-case name -> name as first given
  for (const h of list) {
    const colon = h.indexOf(":");
    const name = colon < 0 ? "" : h.slice(0, colon).trim();
    if (!name || /\s/.test(name)) {
      throw new InputError(`--header must look like "Name: value", got ${JSON.stringify(h)}`, { usage: true });
    }
    const lower = name.toLowerCase();
    if (seen.has(lower)) delete headers[seen.get(lower)];
    seen.set(lower, name);
    headers[name] = h.slice(colon + 1).trim();
  }
  return headers;
}

async function evaluate(o, positionals, values) {
  if (positionals.length > 0) {
    throw new InputError(`evaluate takes no positional arguments (got ${positionals.join(" ")})`, { usage: true });
  }
  for (const required of ["webhook", "payload"]) {
    if (values[required] === undefined) throw new InputError(`evaluate needs --${required} FILE`, { usage: true });
  }
  if (values.webhook === "-" && values.payload === "-") {
    throw new InputError("only one of --webhook and --payload can be standard input", { usage: true });
  }
  const headers = parseHeaders(values.header);

  const input = readJson(values.webhook, "webhook");
  o.addSecrets(input);
  if (!input || typeof input !== "object" || Array.isArray(input)) {
    throw new InputError(`webhook ${values.webhook} must be a JSON object (a PutWebhook input or a webhook definition)`);
  }
  const definition = "webhook" in input ? input.webhook : input;

  let actionConfiguration;
  if (values["action-config"] !== undefined) {
    let c = readJson(values["action-config"], "action configuration");
    // Accept a whole ActionDeclaration too.
    if (c && typeof c === "object" && !Array.isArray(c) && c.configuration && typeof c.configuration === "object") {
      c = c.configuration;
    }
    if (!c || typeof c !== "object" || Array.isArray(c) || Object.values(c).some((v) => typeof v !== "string")) {
      throw new InputError(`action configuration ${values["action-config"]} must be a JSON object of strings`);
    }
    actionConfiguration = c;
    o.addSecrets(c);
  }

  const raw = readInput(values.payload, "payload");
  const body = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);

  if (values.sign) {
    const secret = definition?.authenticationConfiguration?.SecretToken;
    if (typeof secret !== "string" || secret === "") {
      throw new InputError("--sign needs a SecretToken in the webhook definition's authenticationConfiguration");
    }
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() === "x-hub-signature-256") delete headers[name];
    }
    headers["X-Hub-Signature-256"] = "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
  }

  const delivery = { headers, body };
  if (values["source-ip"] !== undefined) delivery.sourceIp = values["source-ip"];

  const { evaluateDelivery, redactWebhook } = await loadPipehook();
  let decision;
  try {
    decision = evaluateDelivery(definition, delivery, actionConfiguration ? { actionConfiguration } : undefined);
  } catch (e) {
    if (Array.isArray(e?.problems)) {
      throw new InputError(`the webhook definition in ${values.webhook} is invalid:`, {
        details: e.problems.map(problemLine),
      });
    }
    throw e;
  }

  if (values.json) {
    printJson(o, { webhook: redactWebhook(definition), decision });
  } else {
    o.out(`outcome: ${decision.outcome}`);
    o.out(`status: ${decision.status}`);
    o.out(`reason: ${decision.reason}`);
    if (decision.revision !== undefined) o.out(`revision: ${decision.revision}`);
    printRules(o, decision.filters);
  }
  return decision.outcome === "accepted" ? EXIT_OK : EXIT_NO;
}

/** Every rule's trace, as `evaluate`, `delivery` and `redeliver` print it. */
function printRules(o, filters = []) {
  filters.forEach((f, i) => {
    o.out(`rule ${i + 1}: ${f.passed ? "pass" : "fail"} ${f.jsonPath}`);
    o.out(`  expected: ${f.expected === undefined ? "(any value but null)" : JSON.stringify(f.expected)}`);
    const omitted = f.selectedCount - f.selected.length;
    o.out(`  selected: ${showSelected(f.selected)}${omitted > 0 ? ` (and ${omitted} more not shown, ${f.selectedCount} in all)` : ""}`);
  });
}

// --- a pipehook Worker's delivery log (dist/client.js: aws4fetch and the AWS shared-file reader) ---

/** A Worker's answer could not be had: reported like an input problem (exit 2), without usage. */
async function workerClient(o, values) {
  if (values.webhook === undefined) throw new InputError("a webhook is needed: --webhook NAME", { usage: true });
  let client;
  try {
    client = await import("../dist/client.js");
  } catch (e) {
    throw new InputError(`cannot load pipehook's Worker client (was the package built?): ${e.message}`);
  }
  const options = { endpoint: values["endpoint-url"], region: values.region, profile: values.profile };
  let credentials;
  try {
    credentials = await client.resolveCredentials({ profile: options.profile });
  } catch (e) {
    throw new InputError(e.message);
  }
  o.hide(credentials.secretAccessKey, credentials.sessionToken);
  const api = new client.PipehookClient({ ...options, credentials });
  /** Calls the Worker; its refusals and set-up problems become exit status 2 with the AWS error. */
  return async (call) => {
    try {
      return await call(api);
    } catch (e) {
      if (e instanceof client.PipehookServiceError) throw new InputError(`${e.name}: ${e.message}`);
      if (e instanceof client.PipehookConfigError) throw new InputError(e.message);
      const cause = e?.cause?.code ?? e?.cause?.message ?? e?.message;
      throw new InputError(`cannot reach the Worker at ${options.endpoint ?? "the endpoint"}: ${cause}`);
    }
  };
}

/** A delivery's id, the one positional argument of `delivery` and `redeliver`. */
function deliveryId(command, positionals) {
  if (positionals.length !== 1) {
    throw new InputError(`${command} takes one delivery ID (as \`pipehook deliveries\` lists them)`, { usage: true });
  }
  return positionals[0];
}

const isoTime = (epochSeconds) => new Date(epochSeconds * 1000).toISOString();
const loggedOutcome = (d) => (d.redelivery ? `${d.outcome} (redelivery)` : d.outcome);

async function deliveries(o, positionals, values) {
  if (positionals.length > 0) throw new InputError(`deliveries takes no positional arguments (got ${positionals.join(" ")})`, { usage: true });
  let limit = Infinity;
  if (values["max-results"] !== undefined) {
    limit = Number(values["max-results"]);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new InputError("--max-results must be a whole number from 1 to 100", { usage: true });
  }
  const call = await workerClient(o, values);
  const list = await call((api) => api.listAllWebhookDeliveries({ webhookName: values.webhook, limit }));
  if (values.json) {
    printJson(o, { deliveries: list });
    return EXIT_OK;
  }
  if (list.length === 0) {
    o.out(`no deliveries logged for webhook ${values.webhook}`);
    return EXIT_OK;
  }
  const rows = list.map((d) => [isoTime(d.deliveredAt), d.event ?? "-", loggedOutcome(d), String(d.status), d.deliveryId, d.reason]);
  const header = ["TIME", "EVENT", "OUTCOME", "STATUS", "ID", "REASON"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) {
    o.out(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  "));
  }
  return EXIT_OK;
}

async function delivery(o, positionals, values) {
  const id = deliveryId("delivery", positionals);
  const call = await workerClient(o, values);
  const { delivery: d } = await call((api) => api.getWebhookDelivery({ webhookName: values.webhook, deliveryId: id }));
  if (values.json) {
    printJson(o, { delivery: d });
    return EXIT_OK;
  }
  const line = (name, value) => value !== undefined && value !== null && o.out(`${name}: ${value}`);
  line("delivery", d.deliveryId);
  line("time", isoTime(d.deliveredAt));
  line("redelivery of", d.redeliveryOf);
  line("event", d.event);
  line("guid", d.guid);
  line("source ip", d.sourceIp);
  line("content type", d.contentType);
  line("signature", d.signatureHeader ? `${d.signatureHeader} header` : d.redelivery ? undefined : "none");
  line("outcome", d.outcome);
  line("status", d.status);
  line("reason", d.reason);
  line("secret", d.matchedSecret && (d.previousSecretExpires ? `${d.matchedSecret} (accepted until ${d.previousSecretExpires})` : d.matchedSecret));
  line("revision", d.revision);
  line("execution", d.pipelineExecutionId);
  const size = d.bodySize === undefined ? "over 25 MB" : `${d.bodySize} bytes`;
  line("body", d.bodyKept ? `${size}, kept (redeliver with: pipehook redeliver ${d.deliveryId} --webhook ${values.webhook})` : `${size}, not kept${d.bodySha256 ? `, sha256 ${d.bodySha256}` : ""}`);
  printRules(o, d.filters);
  return EXIT_OK;
}

async function redeliver(o, positionals, values) {
  const id = deliveryId("redeliver", positionals);
  const call = await workerClient(o, values);
  const r = await call((api) => api.redeliverWebhookDelivery({ webhookName: values.webhook, deliveryId: id, dryRun: Boolean(values["dry-run"]) }));
  if (values.json) {
    printJson(o, r);
  } else {
    if (r.dryRun) o.out("dry run: nothing was started or logged");
    o.out(`outcome: ${r.outcome}`);
    o.out(`status: ${r.status}`);
    o.out(`reason: ${r.reason}`);
    if (r.revision !== undefined) o.out(`revision: ${r.revision}`);
    if (r.pipelineExecutionId !== undefined) o.out(`execution: ${r.pipelineExecutionId}`);
    if (r.redeliveryId !== undefined) o.out(`redelivery: ${r.redeliveryId}`);
    printRules(o, r.filters);
  }
  return r.outcome === "accepted" ? EXIT_OK : EXIT_NO;
}

async function main(argv) {
  const o = new Output();
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (e) {
      throw new InputError(e.message, { usage: true });
    }
    const { values, positionals } = parsed;
    const [command, ...rest] = positionals;

    if (values.version) {
      const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
      o.out(pkg.version);
      return EXIT_OK;
    }
    if (values.help || command === "help") {
      o.out(USAGE.trimEnd());
      return EXIT_OK;
    }
    if (command === undefined) throw new InputError("a command is needed", { usage: true });
    if (!Object.hasOwn(COMMANDS, command)) throw new InputError(`unknown command ${JSON.stringify(command)}`, { usage: true });
    const { options, run } = COMMANDS[command];
    for (const name of Object.keys(values)) {
      if (name !== "help" && !options.includes(name)) {
        throw new InputError(`option --${name} does not apply to ${command}`, { usage: true });
      }
    }
    return await run(o, rest, values);
  } catch (e) {
    if (e instanceof InputError) {
      o.err(`pipehook: ${e.message}`);
      for (const d of e.details) o.err(d);
      if (e.usage) o.err("Try 'pipehook --help'.");
      return EXIT_USAGE;
    }
    o.err(`pipehook: internal error: ${e?.stack ?? e}`);
    return EXIT_USAGE;
  }
}

process.exitCode = await main(process.argv.slice(2));
