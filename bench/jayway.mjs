// Jayway JsonPath itself as a peer of bench/delivery.mjs: bench/peers/JaywayPeer.java, compiled
// against ../shared/jayway-oracle/oracle.jar (Jayway 2.10 with json-smart) and run in one JVM for
// the whole benchmark, so it is warm (JIT-compiled) when measured, as a long-running receiver is.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { DATA, ROOT } from "./lib.mjs";

const JAR = ROOT + "../shared/jayway-oracle/oracle.jar";
const SOURCE = ROOT + "bench/peers/JaywayPeer.java";
const CLASSES = DATA + "jayway/";

/** Compiles the peer when its class is missing or older than its source; false without javac. */
function compile() {
  const cls = CLASSES + "JaywayPeer.class";
  if (existsSync(cls) && statSync(cls).mtimeMs >= statSync(SOURCE).mtimeMs) return true;
  mkdirSync(CLASSES, { recursive: true });
  const r = spawnSync("javac", ["-nowarn", "-cp", JAR, "-d", CLASSES, SOURCE], { encoding: "utf8" });
  if (r.status !== 0) console.log(`[bench] javac failed: ${r.error ?? r.stderr}`);
  return r.status === 0;
}

/** Starts the JVM; null when java, javac or the oracle's jar is missing. */
export async function jaywayPeer({ quick = false } = {}) {
  if (!existsSync(JAR) || !compile()) return null;
  const jvm = spawn("java", ["-cp", `${JAR}:${CLASSES}`, "JaywayPeer"], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: jvm.stdout });
  const pending = [];
  lines.on("line", (l) => pending.shift()?.(l));
  const ask = (command) =>
    new Promise((resolve) => {
      pending.push(resolve);
      jvm.stdin.write(command + "\n");
    });
  let loaded = 0;
  return {
    /** The candidate for one payload and webhook: a check that Jayway reads what pipehook compares, and batches. */
    async candidate(hook, payload, expectedOf) {
      const id = `p${loaded++}`;
      const file = `${DATA}jayway-${payload.id}.json`;
      writeFileSync(file, payload.body);
      const paths = hook.filters.map((f) => f.jsonPath);
      if ((await ask(`load ${id} ${file} ${paths.join("\t")}`)) !== "ok") throw new Error("the Jayway peer did not load the payload");
      const batch = async (n) => Number(await ask(`run ${id} ${n}`)) / 1e9 / n;
      // The JIT needs more than the wasm's tier-up: warm the JVM on this payload first.
      const until = performance.now() + (quick ? 1000 : 4000);
      while (performance.now() < until) await batch(payload.body.length > 4e6 ? 1 : 200);
      const fn = async () => {
        const read = JSON.parse(await ask(`check ${id}`));
        return read.every((v, i) => v === expectedOf(hook.filters[i]));
      };
      fn.batch = batch;
      return fn;
    },
    close() {
      jvm.stdin.end();
    },
  };
}
