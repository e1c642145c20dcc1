// Browser, Deno, Bun and Workers entry point. Call `await init()` (or
// `initSync({ module })` where the .wasm is imported as a module, as in
// Cloudflare Workers) once before using the API.
import * as wasm from "./wasm/pipehook.js";
import { createApi, PipehookError } from "./api.js";

// The smallest module with a wasm SIMD instruction (wasm-feature-detect's probe). Engines
// without SIMD (Safari before 16.4) refuse it, and `init()` loads the build without SIMD.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** True where this engine runs wasm SIMD, so `init()` loads pipehook_bg.wasm (else pipehook_nosimd_bg.wasm). */
export const wasmSimd = typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);

let api;
function ready() {
  if (!api) throw new Error("pipehook: call `await init()` (or `initSync({ module })`) before using the API");
  return api;
}

/**
 * Loads the wasm: with no argument from beside this file (`./wasm/pipehook_bg.wasm`, or
 * `./wasm/pipehook_nosimd_bg.wasm` where the engine lacks wasm SIMD), or from a URL, Response,
 * bytes or WebAssembly.Module.
 */
export default async function init(input) {
  if (!api) {
    if (input === undefined && !wasmSimd) input = new URL("./wasm/pipehook_nosimd_bg.wasm", import.meta.url);
    await wasm.default(input === undefined ? undefined : { module_or_path: input });
    api = createApi(wasm);
  }
}
export { init };

export function initSync(options) {
  if (!api) {
    wasm.initSync(options && "module" in options ? options : { module: options });
    api = createApi(wasm);
  }
}

export const validateWebhook = (...args) => ready().validateWebhook(...args);
export const evaluateDelivery = (...args) => ready().evaluateDelivery(...args);
export const compileWebhook = (...args) => ready().compileWebhook(...args);
export const redactWebhook = (...args) => ready().redactWebhook(...args);
export const readWebhooks = (...args) => ready().readWebhooks(...args);
export { PipehookError };
