// Rewrites worker-build's entry (worker/build/index.js, built with NO_MINIFY=1)
// so that the module's default export is a plain `{ fetch }` object instead of
// worker-build's `WorkerEntrypoint` subclass behind a Proxy.
//
// Why: for a class export workerd constructs an entrypoint per request, the
// Proxy's construct trap builds another Proxy around it, and reading `fetch`
// wraps it in yet another Proxy. Measured under Miniflare (interleaved wrk
// rounds, 9 KB filtered delivery), that is about an eighth of the Worker's CPU
// per request (bench/RESULTS.md, "History of measurements").
//
// What is kept: worker-build's crash recovery. Every request still runs
// `checkReinitialize()` first (a new wasm instance after a critical error), and
// a throw, synchronous or from the answer's promise, still goes through
// `handleMaybeCritical`, as the Proxy's apply traps did: the Worker's fetch
// (worker/src/lib.rs) decides most deliveries in a promise callback, so a wasm
// trap there surfaces as a rejection. The request still reaches the handler
// worker-build generated (`Entrypoint.prototype.fetch`), which calls the wasm export.
//
// Usage: node scripts/worker-entry.mjs worker/build/index.js
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const CLASS_EXPORT = "var shim_default = new Proxy(Entrypoint, classProxyHooks);";
/** Marks a rewritten entry, so that running the rewrite twice changes nothing. */
export const MARKER = "pipehook: plain module export (scripts/worker-entry.mjs)";
const PLAIN_EXPORT = `// ${MARKER}
var shim_default = {
  fetch(request, env, ctx) {
    checkReinitialize();
    try {
      const answer = Entrypoint.prototype.fetch.call({ env, ctx }, request);
      return answer instanceof Promise ? answer.catch(rethrowCritical) : answer;
    } catch (e) {
      return rethrowCritical(e);
    }
  }
};
function rethrowCritical(e) {
  handleMaybeCritical(e);
  throw e;
}`;

/** Pieces of worker-build's shim the plain export relies on. */
const REQUIRED = [
  CLASS_EXPORT,
  "function checkReinitialize()",
  "function handleMaybeCritical(",
  "Entrypoint.prototype.fetch = function",
  "shim_default as default",
];

/** The entry module's text with a plain default export; throws when the text is not what it expects. */
export function plainEntry(source) {
  if (source.includes(MARKER)) return source;
  const missing = REQUIRED.filter((piece) => !source.includes(piece));
  if (missing.length) {
    throw new Error(
      `worker-entry: worker-build's output is not the one this script knows (run worker-build with NO_MINIFY=1, ` +
        `at the version scripts/setup.sh pins); missing: ${missing.map((m) => JSON.stringify(m)).join(", ")}`,
    );
  }
  if (source.split(CLASS_EXPORT).length !== 2) throw new Error("worker-entry: the default export appears more than once");
  return source.replace(CLASS_EXPORT, PLAIN_EXPORT);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node scripts/worker-entry.mjs <worker/build/index.js>");
    process.exit(2);
  }
  try {
    writeFileSync(file, plainEntry(readFileSync(file, "utf8")));
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
  console.log(`worker-entry: ${file} exports a plain { fetch } object`);
}
