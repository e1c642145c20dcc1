// Serves the built Worker (Miniflare, real local KV) behind the recording proxy
// for the Python (boto3, AWS CLI) suites. Prints the endpoint as the first line
// of stdout; on SIGTERM/SIGINT it checks that no response carried a SecretToken
// and exits non-zero if one did.
import { leaks, startWorker } from "./lib/worker.mjs";

const w = await startWorker();
process.stdout.write(`${w.endpoint}\n`);

async function stop() {
  const leaked = leaks(w.responses);
  await w.close();
  console.error(`serve: scanned ${w.responses.length} response bodies, ${leaked.length} contained a SecretToken`);
  for (const l of leaked) console.error(`serve: LEAK in ${l.method} ${l.url} (${l.status})`);
  process.exit(leaked.length ? 1 : 0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
