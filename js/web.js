// Browser, Deno, Bun and Workers entry point. Call `await init()` (or
// `initSync({ module })` where the .wasm is imported as a module, as in
// Cloudflare Workers) once before using the API.
import * as wasm from "./wasm/pipehook.js";
import { createApi, PipehookError } from "./api.js";

let api;
function ready() {
  if (!api) throw new Error("pipehook: call `await init()` (or `initSync({ module })`) before using the API");
  return api;
}

/** Loads the wasm: with no argument from `./wasm/pipehook_bg.wasm` beside this file, or from a URL, Response, bytes or WebAssembly.Module. */
export default async function init(input) {
  if (!api) {
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
export { PipehookError };
