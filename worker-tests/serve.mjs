// Serves the built Worker (Miniflare, real local KV) behind the recording proxy
// for the Python (boto3, AWS CLI) suites. Prints the endpoint as the first line
// of stdout. When its stdin closes it checks that no response carried a
// SecretToken, stops, and exits non-zero if one did. (Signals are left to
// Miniflare, which disposes workerd on SIGINT/SIGTERM by itself.)
import { leaks, startWorker } from "./lib/worker.mjs";

const w = await startWorker();
process.stdout.write(`${w.endpoint}\n`);

async function stop() {
  const leaked = leaks(w.responses);
  await w.close();
  console.error(`serve: scanned ${w.responses.length} response bodies, ${leaked.length} contained a SecretToken or an OAuthToken`);
  for (const l of leaked) console.error(`serve: LEAK in ${l.method} ${l.url} (${l.status})`);
  process.exit(leaked.length ? 1 : 0);
}
process.stdin.on("end", stop);
process.stdin.resume();
