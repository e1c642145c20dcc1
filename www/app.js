// The validator page: DOM wiring around the pipehook wasm package (pkg/web.js).
// Everything happens here, in the browser; the only requests are for this
// page's own files (the wasm, the editor, the sample payloads), and the page's CSP forbids others.
//
// The definition box is a CodeMirror editor (build/editor.js, bundled from src/editor.js) once
// that loads; until then, or if it does not, the plain textarea it replaces.

import { parseJson } from "./lib/json-text.js";
import {
  classifyInput,
  decodeFragment,
  encodeFragment,
  findTargetAction,
  holdsSecret,
  identity,
  isObject,
  parseHeaders,
  pipelineDeclaration,
  redactSecrets,
  REDACTED,
  setHeader,
  stringMap,
} from "./lib/inputs.js";
import { signSha256 } from "./lib/sign.js";
import { exampleDefinition, examplePipeline, samples } from "./lib/examples.js";

const $ = (id) => document.getElementById(id);
const el = {
  engine: $("engine-status"),
  definition: $("definition"),
  verdict: $("verdict"),
  summary: $("verdict-summary"),
  problems: $("problems"),
  notes: $("notes"),
  explain: $("definition-explain"),
  toolbarStatus: $("toolbar-status"),
  shareBox: $("share-box"),
  shareUrl: $("share-url"),
  pipeline: $("pipeline"),
  pipelineStatus: $("pipeline-status"),
  choiceField: $("webhook-choice-field"),
  choice: $("webhook-choice"),
  sample: $("sample"),
  payload: $("payload"),
  formEncoded: $("form-encoded"),
  headers: $("headers"),
  signStatus: $("sign-status"),
  sourceIp: $("source-ip"),
  actionConfig: $("action-config"),
  actionConfigSource: $("action-config-source"),
  sign: $("sign"),
  evaluate: $("evaluate"),
  result: $("delivery-result"),
};

/** The loaded wasm package, once init() has finished. */
let engine = null;
/** What the definition box holds, as last checked: the JSON value (null for a template or YAML), the webhooks in it. */
let checked = { parsed: null, items: [], template: null };
/** The definition box: the textarea, until the editor replaces it. */
let box = textareaBox(el.definition);
/** The action-config text the page last wrote itself; anything else is the user's. */
let autoFilledConfig = "";
/** The last signature the page computed and the body it covered (to spot a stale one). */
let lastSigned = null;

// ---------------------------------------------------------------- engine

function textareaBox(textarea) {
  return {
    get value() {
      return textarea.value;
    },
    set value(text) {
      textarea.value = text;
    },
    focus: () => textarea.focus(),
    select(from, to = from) {
      textarea.focus();
      textarea.setSelectionRange(from, to);
    },
    onInput: (fn) => textarea.addEventListener("input", fn),
    mark() {},
  };
}

async function loadEditor(onInput) {
  try {
    const { mountEditor } = await import("./build/editor.js");
    box = mountEditor(el.definition);
    box.onInput(onInput);
    checkDefinition();
    document.documentElement.dataset.editor = "ready";
  } catch (err) {
    // The textarea stays: everything works, without highlighting and underlines.
    console.warn(`The editor could not load (build/editor.js: ${err && err.message}); using the plain text box.`);
    document.documentElement.dataset.editor = "textarea";
  }
}

/** Places problems named by paths of the JSON `text` (each gets a `location`); the package's. */
let locate = (_text, problems) => problems;

async function loadEngine() {
  try {
    // formats.js is the package's own (api.js imports it too): one module, no second download.
    const [mod, formats] = await Promise.all([import("./pkg/web.js"), import("./pkg/formats.js")]);
    await mod.default();
    engine = mod;
    locate = formats.locateProblems;
    el.engine.textContent = "";
    el.engine.hidden = true;
  } catch (err) {
    el.engine.textContent =
      `The validator could not load (pkg/web.js: ${err && err.message}). ` +
      "If you serve this page yourself, run npm run build first.";
    el.engine.classList.add("error");
  }
  checkDefinition();
}

// ---------------------------------------------------------------- 1. definition

const looksLikeJson = (text) => /^\s*[[{]/.test(text) || text.trim() === "";

function checkDefinition() {
  const text = box.value;
  const template = engine && readTemplate(text);
  if (template) {
    // A CloudFormation template, Terraform, or a PutWebhook input in YAML: the package reads it.
    const result = validateText(text);
    checked = { parsed: null, items: template.webhooks.map(templateItem), template };
    renderProblems(result.problems, checked.items, result);
  } else if (!looksLikeJson(text) && !engine) {
    checked = { parsed: null, items: [], template: null };
    renderPending();
  } else {
    const json = parseJson(text);
    if (!json.ok) {
      checked = { parsed: null, items: [], template: null };
      renderProblems([syntaxProblem(json, text)], null);
    } else {
      const { items } = classifyInput(json.value);
      checked = { parsed: json.value, items, template: null };
      if (!engine) {
        renderPending();
      } else if (items.length === 1 && items[0].mapPath === identity) {
        // One webhook as written: the text itself is checked, so each problem has its place in it.
        renderProblems(validateText(text).problems, items);
      } else {
        const pipeline = currentPipeline().pipeline;
        const all = items.flatMap((item) => validateItem(item, pipeline, items.length > 1));
        // A problem with the pasted pipeline comes back once per webhook: show it once.
        const seen = new Set();
        const problems = all.filter((p) => {
          const key = `${p.type}\u0000${p.path}\u0000${p.message}`;
          return !seen.has(key) && seen.add(key);
        });
        // Each item was checked on its own: its problems, named by the text's paths, placed in the text.
        renderProblems(locate(text, problems), items);
      }
    }
  }
  renderChoices();
  refreshActionConfig();
}

function readTemplate(text) {
  try {
    return engine.readWebhooks(text);
  } catch {
    return null;
  }
}

/** The whole text through the package, with the pasted pipeline (for each webhook of a template that names it). */
function validateText(text) {
  const pipeline = currentPipeline().pipeline;
  try {
    return engine.validateWebhook(text, pipeline ? { pipeline } : undefined);
  } catch (err) {
    return { valid: false, problems: [{ type: (err && err.name) || "Error", path: "", message: String(err && err.message) }] };
  }
}

/** A webhook of a template as the dry run uses it. */
function templateItem(w) {
  const def = w.input.webhook;
  return { label: w.resource || labelFor(def), input: w.input, definition: def, mapPath: identity, deployTime: w.deployTime };
}

function labelFor(def) {
  return isObject(def) && typeof def.name === "string" && def.name ? def.name : "webhook";
}

function validateItem(item, pipeline, many) {
  // With several webhooks, the pipeline only speaks for those that name it.
  const def = item.definition;
  const usePipeline = pipeline && (!many || (isObject(def) && def.targetPipeline === pipeline.name));
  try {
    // As JSON text: the package reads a bare string argument as JSON text, not as a value.
    const text = JSON.stringify(item.input ?? null) ?? "null";
    const result = engine.validateWebhook(text, usePipeline ? { pipeline } : undefined);
    return result.problems.map((p) => ({ ...p, path: item.mapPath(p.path) }));
  } catch (err) {
    return [{ type: (err && err.name) || "Error", path: item.mapPath(""), message: String(err && err.message) }];
  }
}

function syntaxProblem(json, text) {
  const end = Math.min(json.offset + 1, text.length);
  return {
    type: "JSON syntax error",
    path: `line ${json.line}, column ${json.column}`,
    message: json.message,
    location: { line: json.line, column: json.column, offset: json.offset, endOffset: end },
  };
}

function renderPending() {
  box.mark([]);
  el.verdict.textContent = "…";
  el.verdict.dataset.state = "pending";
  el.summary.textContent = el.engine.classList.contains("error")
    ? "The validator is not loaded, so this cannot be checked."
    : "Loading the validator…";
  el.problems.replaceChildren();
  el.explain.textContent = "";
}

function renderProblems(problems, items, result = {}) {
  const valid = problems.length === 0;
  const notes = result.notes ?? [];
  el.verdict.textContent = valid ? "valid" : "invalid";
  el.verdict.dataset.state = valid ? "valid" : "invalid";
  el.summary.textContent = summaryText(problems, items, result.format);
  el.problems.replaceChildren(...problems.map(problemItem));
  el.notes.replaceChildren(...notes.map(noteItem));
  el.notes.hidden = notes.length === 0;
  const plain = valid && items && items.length === 1 && !(items[0].deployTime?.length);
  el.explain.textContent = plain ? explain(items[0].definition) : "";
  box.mark(problems, notes);
}

/** What a valid definition does, in one sentence. */
function explain(def) {
  const auth = def.authenticationConfiguration ?? {};
  const who = {
    GITHUB_HMAC: "a delivery signed with its SecretToken (X-Hub-Signature-256)",
    IP: `a delivery from ${auth.AllowedIPRange}`,
    UNAUTHENTICATED: "any delivery, from anyone",
  }[def.authentication];
  const rules = (def.filters ?? []).map((f) =>
    f.matchEquals === undefined ? `${f.jsonPath} selects something` : `${f.jsonPath} is ${JSON.stringify(f.matchEquals)}`,
  );
  const when = rules.length ? `when ${rules.join(" and ")}` : "with no filter (every delivery)";
  return `Starts pipeline ${JSON.stringify(def.targetPipeline)} (action ${JSON.stringify(def.targetAction)}) on ${who}, ${when}.`;
}

const FORMATS = {
  "cloudformation-json": "CloudFormation template",
  "cloudformation-yaml": "CloudFormation template",
  "terraform-hcl": "Terraform configuration",
  "terraform-json": "terraform show -json output",
  "terraform-json-config": "Terraform configuration (JSON)",
  "put-webhook-yaml": "PutWebhook input in YAML",
};
// Who refuses a problem of this type first: AWS, or the tool before it calls AWS.
const REFUSER = { ValidationError: "CloudFormation", TerraformError: "Terraform" };

function summaryText(problems, items, format) {
  if (items === null) return "This is not JSON yet.";
  const what = FORMATS[format] ? `${FORMATS[format]}: ` : "";
  const count = items.length === 1 && !what ? "" : ` (${items.length} webhook${items.length === 1 ? "" : "s"} checked)`;
  if (problems.length === 0) {
    if (items.length === 0) return "The list holds no webhooks.";
    return `${what}AWS would accept this${count}.`;
  }
  const first = problems[0].type;
  const n = problems.length;
  const who = REFUSER[first] ?? "AWS";
  return `${what}${who} would refuse this with ${first}; ${n} problem${n === 1 ? "" : "s"} in all${count}.`;
}

function problemItem(p) {
  const li = document.createElement("li");
  li.dataset.testid = "problem";
  li.dataset.type = p.type;
  li.dataset.path = p.path;
  const type = span("ptype", p.type, "problem-type");
  const path = document.createElement("code");
  path.className = "ppath";
  path.dataset.testid = "problem-path";
  path.textContent = p.path || "(input)";
  const message = span("pmessage", p.message, "problem-message");
  li.append(type, " ", path, message);
  appendPlace(li, p);
  return li;
}

function noteItem(n) {
  const li = document.createElement("li");
  li.dataset.testid = "note";
  li.dataset.path = n.path;
  const path = document.createElement("code");
  path.className = "ppath";
  path.textContent = n.path;
  li.append(path, span("pmessage", n.message, "note-message"));
  appendPlace(li, n);
  return li;
}

/** Where a problem or note is in the text, and a button that goes there. */
function appendPlace(li, item) {
  const at = item.location;
  if (!at || !Number.isInteger(at.offset)) return;
  if (at.line && !/^line \d+/.test(item.path)) li.append(span("pplace", `line ${at.line}, column ${at.column}`, "problem-place"));
  const go = document.createElement("button");
  go.type = "button";
  go.className = "link";
  go.textContent = "Show in the text";
  go.addEventListener("click", () => box.select(at.offset, at.endOffset ?? at.offset + 1));
  li.append(go);
}

function span(className, text, testid) {
  const s = document.createElement("span");
  s.className = className;
  s.textContent = text;
  if (testid) s.dataset.testid = testid;
  return s;
}

function renderChoices() {
  const items = checked.items;
  const previous = el.choice.value;
  el.choice.replaceChildren(
    ...items.map((item, i) => {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = items.length > 1 ? `${i + 1}. ${item.label}` : item.label;
      return o;
    }),
  );
  if (previous && Number(previous) < items.length) el.choice.value = previous;
  el.choiceField.hidden = items.length <= 1;
}

/** The webhook a delivery goes to (the chosen one when a list holds several). */
function chosenItem() {
  const items = checked.items;
  if (items.length === 0) return undefined;
  const i = Number(el.choice.value) || 0;
  return items[i] ?? items[0];
}

function chosenDefinition() {
  return chosenItem()?.definition;
}

// ---------------------------------------------------------------- 2. pipeline

function currentPipeline() {
  const text = el.pipeline.value;
  if (text.trim() === "") return { pipeline: null };
  const json = parseJson(text);
  if (!json.ok) return { pipeline: null, error: `JSON syntax error at line ${json.line}, column ${json.column}: ${json.message}` };
  const pipeline = pipelineDeclaration(json.value);
  if (!pipeline) return { pipeline: null, error: 'Expected get-pipeline output ({"pipeline": {...}}) or a pipeline declaration with "stages".' };
  return { pipeline };
}

/** Keeps the action-config box in step with the pipeline, unless the user has written their own. */
function refreshActionConfig() {
  const { pipeline, error } = currentPipeline();
  const definition = chosenDefinition();
  let status = error ?? "";
  let bad = Boolean(error);
  let note = "";
  let fill = error ? null : ""; // null: leave the box alone
  if (pipeline) {
    const targets = isObject(definition) ? definition.targetPipeline : undefined;
    const target = findTargetAction(pipeline, definition);
    const name = JSON.stringify(pipeline.name);
    bad = true;
    if (targets !== pipeline.name) {
      status = `This is pipeline ${name}, but the webhook targets ${JSON.stringify(targets ?? null)}.`;
    } else if (target.error) {
      status = `Pipeline ${name}: ${target.error}`;
    } else {
      bad = false;
      status = `Pipeline ${name}: target action ${JSON.stringify(target.action)} found in the first stage ${JSON.stringify(target.stage)}.`;
      fill = Object.keys(target.configuration).length ? JSON.stringify(target.configuration, null, 2) : "";
      note = `Filled from action ${JSON.stringify(target.action)} of pipeline ${name}; edit it to try other values.`;
    }
  }
  el.pipelineStatus.textContent = status;
  el.pipelineStatus.classList.toggle("error", bad);
  const userOwned = el.actionConfig.value !== autoFilledConfig && el.actionConfig.value.trim() !== "";
  if (userOwned) {
    note = pipeline ? "Your values: they override the pipeline's." : "";
  } else if (fill !== null) {
    el.actionConfig.value = fill;
    autoFilledConfig = fill;
  }
  el.actionConfigSource.textContent = [note, missingPlaceholders(definition)].filter(Boolean).join(" ");
}

function actionConfiguration() {
  const text = el.actionConfig.value;
  if (text.trim() === "") return { value: {} };
  const json = parseJson(text);
  if (!json.ok) return { error: `Action configuration: JSON syntax error at line ${json.line}, column ${json.column}: ${json.message}` };
  if (!isObject(json.value)) return { error: 'Action configuration must be a JSON object, such as { "Branch": "main" }.' };
  return { value: stringMap(json.value) };
}

function missingPlaceholders(definition) {
  const config = actionConfiguration().value;
  if (!config || !isObject(definition) || !Array.isArray(definition.filters)) return "";
  const names = new Set();
  for (const f of definition.filters) {
    if (!isObject(f) || typeof f.matchEquals !== "string") continue;
    for (const m of f.matchEquals.matchAll(/\{([^{}]+)\}/g)) if (!(m[1] in config)) names.add(m[1]);
  }
  if (names.size === 0) return "";
  const list = [...names].map((n) => `{${n}}`).join(", ");
  return `No value for ${list}: it is compared as written.`;
}

// ---------------------------------------------------------------- 3. delivery

async function pickSample() {
  const sample = samples.find((s) => s.id === el.sample.value);
  if (!sample) return;
  try {
    const response = await fetch(`samples/${sample.file}`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    el.payload.value = await response.text();
  } catch (err) {
    el.signStatus.textContent = `Could not load samples/${sample.file}: ${err.message}`;
    return;
  }
  let headers = setHeader(el.headers.value, "X-GitHub-Event", sample.event);
  if (!/^\s*content-type\s*:/im.test(headers)) {
    headers = setHeader(headers, "Content-Type", el.formEncoded.checked ? "application/x-www-form-urlencoded" : "application/json");
  }
  el.headers.value = headers;
  noteStaleSignature();
}

/** The request body as sent: the payload itself, or GitHub's form with the payload in it. */
function requestBody() {
  const text = el.payload.value;
  return el.formEncoded.checked ? new URLSearchParams({ payload: text }).toString() : text;
}

function toggleForm() {
  const type = el.formEncoded.checked ? "application/x-www-form-urlencoded" : "application/json";
  el.headers.value = setHeader(el.headers.value, "Content-Type", type);
  noteStaleSignature();
}

async function signPayload() {
  const definition = chosenDefinition();
  const config = isObject(definition) ? definition.authenticationConfiguration : undefined;
  const secret = isObject(config) ? config.SecretToken : undefined;
  el.signStatus.classList.remove("error");
  if (typeof secret !== "string" || secret === "") {
    el.signStatus.textContent = "The definition has no SecretToken to sign with.";
    el.signStatus.classList.add("error");
    return;
  }
  if ((chosenItem()?.deployTime ?? []).some((p) => /(SecretToken|secret_token)$/.test(p))) {
    el.signStatus.textContent = "The SecretToken is resolved at deploy time, so the page does not know it: sign the delivery yourself.";
    el.signStatus.classList.add("error");
    return;
  }
  if (secret === REDACTED) {
    el.signStatus.textContent = "The SecretToken is redacted (****): put the real one in the definition to sign.";
    el.signStatus.classList.add("error");
    return;
  }
  const body = requestBody();
  const signature = await signSha256(secret, body);
  el.headers.value = setHeader(el.headers.value, "X-Hub-Signature-256", signature);
  const how = globalThis.crypto && globalThis.crypto.subtle ? "WebCrypto" : "built-in SHA-256";
  const note =
    definition.authentication === "GITHUB_HMAC"
      ? `Signed in this page (${how}).`
      : `Signed (${how}), though ${definition.authentication} authentication does not check signatures.`;
  lastSigned = { signature, body, note };
  el.signStatus.textContent = note;
}

function noteStaleSignature() {
  if (!lastSigned || !el.headers.value.includes(lastSigned.signature)) return;
  const stale = requestBody() !== lastSigned.body;
  el.signStatus.classList.toggle("error", stale);
  el.signStatus.textContent = stale ? "The body changed since it was signed: sign again." : lastSigned.note;
}

function evaluate() {
  const fail = (message, problems) => renderDeliveryError(message, problems);
  if (!engine) return fail("The validator is not loaded.");
  if (checked.parsed === null && !checked.template) return fail("Fix the definition first.");
  const definition = chosenDefinition();
  if (definition === undefined) return fail("There is no webhook definition to deliver to.");
  const { headers, errors } = parseHeaders(el.headers.value);
  if (errors.length) return fail(`Headers: ${errors.join("; ")}`);
  const config = actionConfiguration();
  if (config.error) return fail(config.error);
  const delivery = { headers, body: new TextEncoder().encode(requestBody()) };
  const sourceIp = el.sourceIp.value.trim();
  if (sourceIp) delivery.sourceIp = sourceIp;
  let decision;
  try {
    decision = engine.evaluateDelivery(definition, delivery, { actionConfiguration: config.value });
  } catch (err) {
    if (err && Array.isArray(err.problems)) {
      return fail("The webhook definition is invalid, so no delivery can reach it. Fix these first:", err.problems);
    }
    return fail(`Could not evaluate: ${err && err.message}`);
  }
  renderDecision(decision, definition);
}

const OUTCOME_MEANING = {
  accepted: "The pipeline would start.",
  filtered: "The sender gets 200, but the pipeline does not start.",
  unauthorized: "Rejected before anything else is looked at; nothing starts.",
  forbidden: "The source address is outside AllowedIPRange; nothing starts.",
  malformed: "The body is not JSON; nothing starts.",
};

function renderDecision(decision, definition) {
  const box = document.createElement("div");
  box.className = `decision outcome-${decision.outcome}`;
  box.dataset.testid = "decision";
  box.dataset.outcome = decision.outcome;
  const head = document.createElement("p");
  head.className = "decision-head";
  const status = span("status-code", `HTTP ${decision.status}`, "decision-status");
  head.append(span("outcome", decision.outcome, "decision-outcome"), " ", status, " ", span("meaning", OUTCOME_MEANING[decision.outcome] ?? ""));
  const reason = document.createElement("p");
  reason.className = "reason";
  reason.dataset.testid = "decision-reason";
  reason.textContent = decision.reason;
  box.append(head, reason);
  if (decision.revision) {
    const rev = document.createElement("p");
    rev.className = "revision";
    const code = document.createElement("code");
    code.textContent = decision.revision;
    rev.append("Source revision: ", code);
    box.append(rev);
  }
  el.result.replaceChildren(box, filterTable(decision, definition));
}

function filterTable(decision, definition) {
  const rules = Array.isArray(decision.filters) ? decision.filters : [];
  const defined = isObject(definition) && Array.isArray(definition.filters) ? definition.filters : [];
  if (rules.length === 0) {
    const p = document.createElement("p");
    p.className = "status";
    p.dataset.testid = "filters-note";
    p.textContent =
      defined.length === 0
        ? "The webhook has no filter rules: every authenticated JSON delivery passes."
        : "The filter rules were not evaluated: the delivery stopped before them.";
    return p;
  }
  const wrap = document.createElement("div");
  wrap.className = "table-wrap";
  const table = document.createElement("table");
  table.dataset.testid = "filters";
  const caption = document.createElement("caption");
  caption.textContent = "Filter rules (all must pass)";
  const thead = document.createElement("thead");
  thead.innerHTML = '<tr><th scope="col">#</th><th scope="col">JSONPath</th><th scope="col">Expected</th><th scope="col">Selected</th><th scope="col">Result</th></tr>';
  const tbody = document.createElement("tbody");
  rules.forEach((rule, i) => {
    const tr = document.createElement("tr");
    tr.dataset.testid = "filter-row";
    tr.className = rule.passed ? "pass" : "fail";
    const raw = isObject(defined[i]) ? defined[i].matchEquals : undefined;
    const expected =
      rule.expected === undefined || rule.expected === null
        ? "(anything not null)"
        : raw !== undefined && raw !== rule.expected
          ? `${rule.expected}  ← ${raw}`
          : rule.expected;
    const selected = Array.isArray(rule.selected) ? rule.selected : [];
    const omitted = (rule.selectedCount ?? selected.length) - selected.length;
    const shown = selected.map(showValue).concat(omitted > 0 ? [`… and ${omitted} more not shown (${rule.selectedCount} in all)`] : []);
    tr.append(
      cell("Rule", String(i + 1), "num"),
      cell("JSONPath", rule.jsonPath, "code", "filter-path"),
      cell("Expected", expected, "code", "filter-expected"),
      cell("Selected", shown.length ? shown.join("\n") : "(nothing)", "code", "filter-selected"),
      cell("Result", rule.passed ? "✓ pass" : "✗ fail", "result", "filter-result"),
    );
    tbody.append(tr);
  });
  table.append(caption, thead, tbody);
  wrap.append(table);
  return wrap;
}

function showValue(v) {
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return text.length > 200 ? text.slice(0, 200) + "…" : text;
}

function cell(label, text, className, testid) {
  const td = document.createElement("td");
  td.dataset.label = label; // the column name, shown beside the value on narrow screens
  td.textContent = text;
  if (className) td.className = className;
  if (testid) td.dataset.testid = testid;
  return td;
}

function renderDeliveryError(message, problems) {
  const box = document.createElement("div");
  box.className = "decision outcome-error";
  box.dataset.testid = "decision";
  box.dataset.outcome = "error";
  const p = document.createElement("p");
  p.textContent = message;
  box.append(p);
  if (problems && problems.length) {
    const ul = document.createElement("ul");
    ul.className = "problems";
    ul.append(...problems.map(problemItem));
    box.append(ul);
  }
  el.result.replaceChildren(box);
}

// ---------------------------------------------------------------- toolbar

function say(message, isError = false) {
  el.toolbarStatus.textContent = message;
  el.toolbarStatus.classList.toggle("error", isError);
}

function loadExample() {
  box.value = JSON.stringify(exampleDefinition, null, 2);
  checkDefinition();
  say("Example loaded. Change the SecretToken before you use it.");
}

async function copyDefinition() {
  if (checked.template) {
    if (await writeClipboard(box.value)) return say("Copied the text to the clipboard.");
    return say("The browser refused the clipboard: select the text and copy it yourself.", true);
  }
  if (checked.parsed === null) return say("Fix the JSON first: there is nothing checked to copy.", true);
  const text = JSON.stringify(checked.parsed, null, 2) + "\n";
  if (await writeClipboard(text)) say("Copied the definition (formatted) to the clipboard.");
  else say("The browser refused the clipboard: select the text and copy it yourself.", true);
}

async function shareDefinition() {
  if (checked.template) return say("Links carry JSON definitions only: a template is shared as a file.", true);
  if (checked.parsed === null) return say("Fix the JSON first: only a parsed definition can be shared, so that its SecretToken can be removed.", true);
  const redacted = redactSecrets(checked.parsed);
  if (holdsSecret(redacted)) return say("Could not remove the SecretToken, so no link was made.", true);
  const url = location.href.split("#")[0] + encodeFragment(redacted);
  el.shareUrl.value = url;
  el.shareBox.hidden = false;
  el.shareUrl.focus();
  el.shareUrl.select();
  const copied = await writeClipboard(url);
  el.shareUrl.select();
  say(copied ? "Link copied. The SecretToken is not in it." : "Link ready below. The SecretToken is not in it.");
}

async function writeClipboard(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return legacyCopy(text); // no Clipboard API on plain-http hosts
  }
}

function legacyCopy(text) {
  const previous = document.activeElement;
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  if (previous instanceof HTMLElement) previous.focus();
  return ok;
}

function restoreFromFragment() {
  let value;
  try {
    value = decodeFragment(location.hash);
  } catch {
    say("The link's definition is damaged and could not be read.", true);
    return;
  }
  if (value === null) return;
  box.value = JSON.stringify(value, null, 2);
  const redacted = JSON.stringify(value).includes(`"SecretToken":"${REDACTED}"`);
  say(`Loaded from a shared link.${redacted ? " Its SecretToken was removed (****): put yours back to sign deliveries." : ""}`);
}

// ---------------------------------------------------------------- wiring

function debounce(fn, ms) {
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

function populateSamples() {
  for (const s of samples) {
    const o = document.createElement("option");
    o.value = s.id;
    o.textContent = s.label;
    el.sample.append(o);
  }
}

function main() {
  populateSamples();
  restoreFromFragment();
  const recheck = debounce(checkDefinition, 150);
  box.onInput(recheck);
  el.pipeline.addEventListener("input", debounce(checkDefinition, 150));
  el.actionConfig.addEventListener("input", debounce(refreshActionConfig, 150));
  el.choice.addEventListener("change", refreshActionConfig);
  el.payload.addEventListener("input", noteStaleSignature);
  el.formEncoded.addEventListener("change", toggleForm);
  el.sample.addEventListener("change", pickSample);
  el.sign.addEventListener("click", signPayload);
  el.evaluate.addEventListener("click", evaluate);
  $("load-example").addEventListener("click", loadExample);
  $("load-pipeline").addEventListener("click", () => {
    el.pipeline.value = JSON.stringify(examplePipeline, null, 2);
    checkDefinition();
  });
  $("copy").addEventListener("click", copyDefinition);
  $("share").addEventListener("click", shareDefinition);
  $("delivery-result").closest("section").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      evaluate();
    }
  });
  window.addEventListener("hashchange", () => {
    restoreFromFragment();
    checkDefinition();
  });
  checkDefinition();
  loadEditor(recheck);
  loadEngine();
}

main();
