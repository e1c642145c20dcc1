// The built pipehook Worker with its KV and queue in memory (bench/peers/memory-bindings.js).
// Used by bench/dispatch.mjs.
import worker from "../../worker/build/index.js";
import { withMemoryBindings } from "./memory-bindings.js";

export default withMemoryBindings(worker);
