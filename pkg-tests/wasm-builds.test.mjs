// The package ships two builds of the core behind one glue: pipehook_bg.wasm scans bodies with
// wasm SIMD, pipehook_nosimd_bg.wasm is the fallback the web entry loads where SIMD is missing.
// Each must decide every delivery exactly as its own whole-document evaluation does (the scan's
// string skipping is the part that differs between them, and it is not reachable natively).

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { FIXTURES, INSTALL_DIR, REPO_ROOT, loadWeb, pipehook } from "./helpers.mjs";

const require = createRequire(join(INSTALL_DIR, "index.js"));
const BUILDS = ["pipehook_bg.wasm", "pipehook_nosimd_bg.wasm"];
const wasmPath = (name) => require.resolve(`pipehook/${name}`);
const glueUrl = pathToFileURL(join(INSTALL_DIR, "node_modules/pipehook/dist/wasm/pipehook.js")).href;
// The reader of the core's wire, from the installed package (an internal export of its API module).
const { decisionFromWire } = await import(pathToFileURL(join(INSTALL_DIR, "node_modules/pipehook/dist/api.js")).href);

/** The glue instantiated with one build (a separate module instance per build). */
async function core(name) {
  const glue = await import(`${glueUrl}?build=${name}`);
  glue.initSync({ module: readFileSync(wasmPath(name)) });
  return glue;
}

const PAYLOADS = join(FIXTURES, "github-payloads");
const fixtures = readdirSync(PAYLOADS)
  .filter((f) => f.endsWith(".json"))
  .map((f) => ({ name: f, bytes: readFileSync(join(PAYLOADS, f)) }));

/** Definite paths of `doc`, three levels deep (names, and the first array element). */
function definitePaths(doc, prefix = "$", depth = 3) {
  if (depth === 0 || doc === null || typeof doc !== "object") return [];
  const entries = Array.isArray(doc) ? (doc.length ? [[0, doc[0]]] : []) : Object.entries(doc);
  return entries.flatMap(([k, v]) => {
    const path = typeof k === "number" ? `${prefix}[${k}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${prefix}.${k}` : null;
    return path === null ? [] : [path, ...definitePaths(v, path, depth - 1)];
  });
}

function definition(paths) {
  return JSON.stringify({
    name: "h",
    targetPipeline: "p",
    targetAction: "Source",
    filters: paths.map((jsonPath) => ({ jsonPath })),
    authentication: "UNAUTHENTICATED",
    authenticationConfiguration: {},
  });
}

/** Asserts the scan and the whole-document evaluation decide `body` alike; returns the outcome. */
function sameDecision(handle, body, label) {
  const args = [body, undefined, undefined, "application/json", undefined, undefined, undefined, undefined];
  const fast = handle.evaluate(...args);
  const full = handle.evaluateReference(...args);
  assert.equal(fast, full, label);
  return decisionFromWire(fast).outcome;
}

const encoder = new TextEncoder();

/** A deterministic 32-bit xorshift sequence. */
function xorshift(seed) {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

/** A compact push of `n` commits whose messages carry escapes and non-ASCII text. */
function manyCommits(n) {
  const push = JSON.parse(readFileSync(join(PAYLOADS, "push.payload.json"), "utf8"));
  const commits = Array.from({ length: n }, (_, i) => ({
    ...push.commits[0],
    id: i.toString(16).padStart(40, "0"),
    message: `Commit ${i} \u2014 "quoted"\ttab ${"x".repeat(i % 90)} \u00e9\u{1F600}`,
  }));
  return encoder.encode(JSON.stringify({ ...push, commits, head_commit: commits.at(-1) }));
}

for (const name of BUILDS) {
  describe(`${name}: the scan decides like the whole document`, async () => {
    const wasm = await core(name);

    test("every_fixture_on_its_definite_paths", () => {
      let checked = 0;
      for (const { name: file, bytes } of fixtures) {
        const paths = definitePaths(JSON.parse(bytes.toString("utf8")));
        for (let i = 0; i < paths.length; i += 5) {
          const handle = wasm.CompiledWebhook.compile(definition(paths.slice(i, i + 5)));
          sameDecision(handle, bytes, `${file} ${paths.slice(i, i + 5)}`);
          // GitHub delivers compact JSON: the same document without the fixture's indentation.
          sameDecision(handle, encoder.encode(JSON.stringify(JSON.parse(bytes.toString("utf8")))), `${file} compact`);
          handle.free();
          checked++;
        }
      }
      assert.ok(checked > 100, `only ${checked} definitions checked`);
    });

    test("every_truncation_and_many_corruptions_of_a_push", () => {
      const push = readFileSync(join(PAYLOADS, "push.with-new-branch.payload.json"));
      const compact = encoder.encode(JSON.stringify(JSON.parse(push.toString("utf8"))));
      const handle = wasm.CompiledWebhook.compile(definition(["$.ref", "$.repository.full_name", "$.commits[0].id"]));
      const outcomes = new Set();
      for (const body of [push, compact]) {
        for (let end = 0; end <= body.length; end += 1) outcomes.add(sameDecision(handle, body.subarray(0, end), `cut at ${end}`));
        const next = xorshift(0x2545f491);
        const specials = [...encoder.encode('"\\{}[],:0-e. tn'), 0x00, 0x1f, 0x80, 0xc3, 0xff];
        for (let i = 0; i < 3000; i++) {
          const r = next();
          const corrupt = Uint8Array.from(body);
          corrupt[r % corrupt.length] = specials[(r >>> 16) % specials.length];
          outcomes.add(sameDecision(handle, corrupt, `corruption ${i}`));
        }
      }
      // Both sides of the scan were reached (a corruption inside a value may also filter).
      assert.ok(outcomes.has("accepted") && outcomes.has("malformed"), [...outcomes].join());
      handle.free();
    });

    test("long_strings_with_special_bytes_at_every_window_offset", () => {
      const handle = wasm.CompiledWebhook.compile(definition(["$.a"]));
      for (let lead = 0; lead < 64; lead++) {
        for (const unit of ["abcd\u00e9\\n", "\\u00e9xyz", '\\"0123456789', "\u20ac\u20acab", "\u{1F600}abc"]) {
          const text = unit.repeat(Math.ceil(200 / unit.length));
          for (const json of [`{"${"k".repeat(lead)}":1,"a":"${text}"}`, `{"${"k".repeat(lead)}":"${text}","a":["${text}"]}`]) {
            const body = encoder.encode(json);
            assert.equal(sameDecision(handle, body, json), "accepted");
            sameDecision(handle, body.subarray(0, body.length - 3), `${json} cut`);
          }
        }
        // A control byte inside a long string is refused wherever it falls.
        const bad = encoder.encode(`{"${"k".repeat(lead)}":"${"y".repeat(100)}\u0001${"z".repeat(lead)}","a":1}`);
        assert.equal(sameDecision(handle, bad, `control byte after ${lead}`), "malformed");
      }
      handle.free();
    });

    test("a_push_of_many_commits", () => {
      const body = manyCommits(400);
      const handle = wasm.CompiledWebhook.compile(definition(["$.ref", "$.head_commit.id", "$.repository.full_name"]));
      assert.equal(sameDecision(handle, body, "400 commits"), "accepted");
      assert.equal(sameDecision(handle, body.subarray(0, body.length - 1), "400 commits, cut"), "malformed");
      handle.free();
    });
  });
}

describe("the two builds", () => {
  test("export_and_import_the_same_so_one_glue_serves_both", () => {
    const [simd, plain] = BUILDS.map((name) => new WebAssembly.Module(readFileSync(wasmPath(name))));
    const shape = (m) => JSON.stringify([WebAssembly.Module.exports(m), WebAssembly.Module.imports(m)]);
    assert.equal(shape(simd), shape(plain));
  });

  test("only_pipehook_bg_uses_simd_instructions", () => {
    const dis = join(REPO_ROOT, "node_modules/binaryen/bin/wasm-dis");
    const simdOps = (name) => (execFileSync(dis, [wasmPath(name)], { maxBuffer: 1 << 28 }).toString().match(/\bv128\.\w+/g) ?? []).length;
    assert.ok(simdOps("pipehook_bg.wasm") > 0);
    assert.equal(simdOps("pipehook_nosimd_bg.wasm"), 0);
  });

  test("the_web_entry_loads_the_fallback_where_the_engine_lacks_simd", () => {
    // An engine without wasm SIMD, as far as the web entry can tell: WebAssembly.validate refuses
    // modules with SIMD instructions (the 0xfd prefix in the probe) and fetch serves file URLs.
    const dir = mkdtempSync(join(tmpdir(), "pipehook-nosimd-"));
    try {
      const script = join(dir, "no-simd.mjs");
      writeFileSync(
        script,
        `import { readFileSync } from "node:fs";
const validate = WebAssembly.validate;
WebAssembly.validate = (bytes) => !new Uint8Array(bytes).includes(0xfd) && validate(bytes);
const fetched = [];
globalThis.fetch = async (url) => { fetched.push(String(url)); return new Response(readFileSync(new URL(url)), { headers: { "content-type": "application/wasm" } }); };
const web = await import(${JSON.stringify(pathToFileURL(require.resolve("pipehook/web")).href)});
await web.default();
const decision = web.evaluateDelivery({ name: "h", targetPipeline: "p", targetAction: "Source", filters: [{ jsonPath: "$.a", matchEquals: "1" }],
  authentication: "UNAUTHENTICATED", authenticationConfiguration: {} }, { headers: {}, body: '{"a":1}' });
console.log(JSON.stringify({ simd: web.wasmSimd, fetched, outcome: decision.outcome }));
`,
      );
      const out = JSON.parse(execFileSync(process.execPath, [script], { cwd: INSTALL_DIR }).toString());
      assert.equal(out.simd, false);
      assert.equal(out.fetched.length, 1);
      assert.match(out.fetched[0], /\/pipehook_nosimd_bg\.wasm$/);
      assert.equal(out.outcome, "accepted");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("both_entries_report_simd_in_node", async () => {
    assert.equal((await loadWeb()).wasmSimd, true);
    assert.equal(pipehook.wasmSimd, true);
  });
});
