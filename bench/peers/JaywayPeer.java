// Jayway JsonPath 2.10 (../shared/jayway-oracle/oracle.jar) as a benchmark peer: a warm JVM that
// decides deliveries the way AWS's filters read them, driven by bench/delivery.mjs so that its
// batches interleave with pipehook's.
//
// One command a line on stdin, one answer a line on stdout:
//   load <id> <payload file> <path>\t<path>...   the payload (bytes as text) and its rules' paths
//   check <id>                                   the values the paths read, as JSON (a sanity check)
//   run <id> <n>                                 n deliveries; answers the nanoseconds they took
// A delivery is what Jayway does per webhook call: the body's bytes decoded (a receiver gets bytes,
// as pipehook does), parsed (json-smart, JsonPath's default provider), and each path read
// (JsonPath.read through its path cache, as JsonPath.read(json, path) does). No HMAC: pipehook's
// side of this comparison skips it too.
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.ReadContext;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;

public class JaywayPeer {
    static final class Case {
        final byte[] body;
        final String[] paths;
        Case(byte[] body, String[] paths) { this.body = body; this.paths = paths; }
    }

    /** Defeats dead-code elimination of the reads. */
    static int sink;

    public static void main(String[] args) throws Exception {
        Configuration conf = Configuration.defaultConfiguration();
        Map<String, Case> cases = new HashMap<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.split(" ", 4);
            switch (w[0]) {
                case "load": {
                    cases.put(w[1], new Case(Files.readAllBytes(Paths.get(w[2])), w[3].split("\t")));
                    out.println("ok");
                    break;
                }
                case "check": {
                    Case c = cases.get(w[1]);
                    ReadContext ctx = JsonPath.using(conf).parse(new String(c.body, StandardCharsets.UTF_8));
                    StringBuilder sb = new StringBuilder("[");
                    for (int i = 0; i < c.paths.length; i++) {
                        Object v = ctx.read(c.paths[i]);
                        if (i > 0) sb.append(',');
                        sb.append('"').append(String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
                    }
                    out.println(sb.append(']'));
                    break;
                }
                case "run": {
                    Case c = cases.get(w[1]);
                    int n = Integer.parseInt(w[2]);
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        ReadContext ctx = JsonPath.using(conf).parse(new String(c.body, StandardCharsets.UTF_8));
                        for (String p : c.paths) {
                            Object v = ctx.read(p);
                            sink += v == null ? 0 : 1;
                        }
                    }
                    out.println(System.nanoTime() - t0);
                    break;
                }
                default:
                    out.println("error unknown command " + w[0]);
            }
        }
    }
}
