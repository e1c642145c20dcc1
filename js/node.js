// Node entry point: the wasm is instantiated synchronously at import, and
// HMACs are computed with node:crypto (native, far faster than sha2 in wasm).
import { readFileSync } from "node:fs";
import { createHmac } from "node:crypto";
import * as wasm from "./wasm/pipehook.js";
import { createApi, PipehookError } from "./api.js";

wasm.initSync({ module: readFileSync(new URL("./wasm/pipehook_bg.wasm", import.meta.url)) });

const hostHmac = (algorithm, secret, body) => createHmac(algorithm, secret).update(body).digest();

export const { validateWebhook, evaluateDelivery, compileWebhook, redactWebhook, readWebhooks } = createApi(wasm, hostHmac);
export { PipehookError };
/** Node 20 and later run wasm SIMD, and this entry loads the SIMD build (pipehook_bg.wasm). */
export const wasmSimd = true;
/** Node needs no initialisation; kept so code written for the web entry runs unchanged. */
export async function init() {}
export function initSync() {}
