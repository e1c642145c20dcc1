// Node entry point: the wasm is instantiated synchronously at import, and
// HMACs are computed with node:crypto (native, far faster than sha2 in wasm).
import { readFileSync } from "node:fs";
import { createHmac } from "node:crypto";
import * as wasm from "./wasm/pipehook.js";
import { createApi, PipehookError } from "./api.js";

wasm.initSync({ module: readFileSync(new URL("./wasm/pipehook_bg.wasm", import.meta.url)) });

// The last Hmac object and its digest are kept: V8 optimises the delivery path against the shapes
// (maps) of node:crypto's Hmac objects and of the Buffers it returns, which only live objects of
// those shapes keep alive. With none left at a full GC the shapes die, and every function that
// handled them is deoptimised and compiled again ("weak objects" deopts after each full GC; twice
// the time per delivery until optimised again).
let lastHmac, lastDigest;
const hostHmac = (algorithm, secret, body) => {
  lastHmac = createHmac(algorithm, secret);
  return (lastDigest = lastHmac.update(body).digest());
};

export const { validateWebhook, evaluateDelivery, compileWebhook, redactWebhook, readWebhooks } = createApi(wasm, hostHmac);
export { PipehookError };
/** Node 20 and later run wasm SIMD, and this entry loads the SIMD build (pipehook_bg.wasm). */
export const wasmSimd = true;
/** Node needs no initialisation; kept so code written for the web entry runs unchanged. */
export async function init() {}
export function initSync() {}
