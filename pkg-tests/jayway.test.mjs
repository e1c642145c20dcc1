// The differential test: every case of tests/jayway/corpus.json through Jayway JsonPath 2.10 itself
// (../shared/jayway-oracle/, one JVM for the whole corpus, its answers made now, never stored) and
// through the installed package, as a webhook rule without matchEquals. Fails on any difference in
// what is accepted or what is selected, listing each.
//
// How a Jayway answer maps to a selection (src/jsonpath/mod.rs): a definite path selects its one
// value, an indefinite path its list's elements, a read that throws (PathNotFoundException and the
// rest) selects nothing. A refused path is InvalidWebhookFilterPatternException. Numbers compare by
// value (Java prints 1.0 where JSON.parse reads 1); JSON cannot hold the NaN or infinity a function
// may make, which pipehook selects as null.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";

import { FIXTURES, REPO_ROOT, evaluateDelivery, openDefinition, validateWebhook } from "./helpers.mjs";

const ORACLE = join(REPO_ROOT, "../shared/jayway-oracle/run-oracle.sh");
const PAYLOADS = join(FIXTURES, "github-payloads");
/** How the trace marks a value it cut to its byte bound (src/trace.rs CUT). */
const CUT = "…[cut: ";

const corpus = JSON.parse(readFileSync(join(REPO_ROOT, "tests/jayway/corpus.json"), "utf8"));
const payloads = readdirSync(PAYLOADS).filter((f) => f.endsWith(".json")).sort();

/** Every case: its group, path, document name and text. */
function expand() {
  const cases = [];
  const docText = new Map();
  const textOf = (name) => {
    if (!docText.has(name)) {
      docText.set(name, name.startsWith("github:") ? readFileSync(join(PAYLOADS, name.slice(7)), "utf8") : JSON.stringify(corpus.docs[name]));
    }
    return docText.get(name);
  };
  for (const group of corpus.groups) {
    const docs = group.docs[0] === "github:*" ? payloads.map((f) => `github:${f}`) : group.docs;
    for (const doc of docs) {
      for (const path of group.paths) {
        // AWS's length limit; longer paths are a ValidationException before Jayway sees them.
        if (path.length === 0 || path.length > 150) continue;
        cases.push({ group: group.source, expect: group.expect, path, doc, text: textOf(doc) });
      }
    }
  }
  return cases;
}

/** Jayway's answers, one JVM for all cases. */
function oracle(cases) {
  const seen = new Map();
  const lines = cases.map((c, id) => {
    // Jayway caches compiled paths by their text, and a compiled path keeps state between reads
    // (a deep scan's index, length()'s appended wildcard): every read here must be a first read of
    // its path. Trailing spaces, which Jayway trims, make each text new.
    const n = seen.get(c.path) ?? 0;
    seen.set(c.path, n + 1);
    const path = c.path + " ".repeat(n);
    const doc = c.doc.startsWith("github:") ? { docFile: join(PAYLOADS, c.doc.slice(7)) } : { doc: corpus.docs[c.doc] };
    return JSON.stringify({ id, path, ...doc });
  });
  const run = spawnSync("bash", [ORACLE], { input: lines.join("\n") + "\n", encoding: "utf8", maxBuffer: 1 << 30 });
  if (run.error || run.status !== 0) {
    throw new Error(`the Jayway oracle did not run (java is needed: java -version): ${run.error ?? run.stderr}`);
  }
  const answers = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(answers.length, cases.length, "one answer per case");
  return answers;
}

/** What Jayway's answer means for a rule: undefined when refused, else the selected values. */
function jaywaySelection(a) {
  if (!a.ok) return a.errorKind === "InvalidPath" ? undefined : [];
  const values = a.definite ? [a.result] : a.result;
  return values.map(finite);
}

function finite(v) {
  if (typeof v === "string" && v.startsWith("<non-finite ")) return null;
  if (Array.isArray(v)) return v.map(finite);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, finite(x)]));
  return v;
}

/** What the package makes of the same case: undefined when refused, else the trace. */
function pipehook(c) {
  const definition = openDefinition([{ jsonPath: c.path }]);
  const check = validateWebhook(definition);
  if (!check.valid) {
    const filterProblem = check.problems.find((p) => p.type === "InvalidWebhookFilterPatternException");
    if (!filterProblem) throw new Error(`${c.path}: unexpected problems ${JSON.stringify(check.problems)}`);
    return { refused: filterProblem };
  }
  const decision = evaluateDelivery(definition, { headers: { "content-type": "application/json" }, body: c.text });
  return { trace: decision.filters[0], decision };
}

function same(a, b) {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the trace's `selected` shows `expected`: its first values in order (the trace stops at
 * its value and byte bounds, src/trace.rs), each whole, or cut to its first characters (a
 * string's, or any other value's compact JSON) and marked.
 */
function shows(selected, expected) {
  if (selected.length > expected.length || (expected.length > 0 && selected.length === 0)) return false;
  return selected.every((shown, i) => {
    if (same(shown, expected[i])) return true;
    const cut = typeof shown === "string" ? shown.indexOf(CUT) : -1;
    if (cut < 0) return false;
    const full = typeof expected[i] === "string" ? expected[i] : JSON.stringify(expected[i]);
    return full.startsWith(shown.slice(0, cut)) && full.length > cut;
  });
}

const cases = expand();
const answers = oracle(cases);

describe("Jayway JsonPath 2.10 and pipehook agree on the corpus", () => {
  test(`corpus holds at least 500 cases (${cases.length})`, () => assert.ok(cases.length >= 500));

  const groups = [...new Set(cases.map((c) => c.group))];
  for (const group of groups) {
    test(group, (t) => {
      const differences = [];
      let accepted = 0;
      let selecting = 0;
      cases.forEach((c, i) => {
        if (c.group !== group) return;
        const expected = jaywaySelection(answers[i]);
        const got = pipehook(c);
        const where = `${JSON.stringify(c.path)} on ${c.doc}`;
        if (c.expect === "pipehook refuses") {
          // A chosen difference, tested as one: Jayway compiles it, pipehook refuses it and says why.
          if (!answers[i].ok && answers[i].errorKind === "InvalidPath") differences.push(`${where}: Jayway refuses it too (${answers[i].error})`);
          if (!got.refused || !/not supported/.test(got.refused.message)) differences.push(`${where}: pipehook must refuse it with the reason`);
          return;
        }
        if (expected === undefined) {
          if (!got.refused) differences.push(`${where}: Jayway refuses it (${answers[i].error}), pipehook accepts it`);
          return;
        }
        if (got.refused) {
          differences.push(`${where}: Jayway accepts it, pipehook refuses it: ${got.refused.message}`);
          return;
        }
        accepted++;
        if (expected.length > 0) selecting++;
        const { selected, selectedCount, passed } = got.trace;
        if (selectedCount !== expected.length || !shows(selected, expected)) {
          differences.push(
            `${where}: Jayway selects ${JSON.stringify(expected).slice(0, 300)} (${expected.length}), ` +
              `pipehook ${JSON.stringify(selected).slice(0, 300)} (${selectedCount})`,
          );
        } else if (passed !== expected.some((v) => v !== null)) {
          differences.push(`${where}: a rule without matchEquals must pass exactly when something non-null is selected`);
        }
      });
      t.diagnostic(`${accepted} accepted (${selecting} selecting something), the rest refused by both`);
      assert.ok(accepted > 0 || /refuses/.test(group), "the group exercises selection");
      assert.deepEqual(differences, [], `${differences.length} differences (${accepted} accepted, ${selecting} selecting):\n${differences.join("\n")}`);
    });
  }
});
