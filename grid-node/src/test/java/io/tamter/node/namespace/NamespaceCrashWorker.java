package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.doc.Document;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The child process of {@link NamespaceCrashTest}: opens a {@link NamespaceManager} and, with
 * {@link #THREADS} writer threads (thread t owns the ids with {@code id % THREADS == t}), applies
 * random upserts, patches, deletes and conditional upserts until it is killed. Each write is
 * logged to an fsync'd ack log before it starts ({@code B t seq id op <state if applied>}) and
 * after it returned ({@code A t seq id op <applied> <state now>}), where a state is
 * {@link #canon} of the full document or {@code -} for absent. A result that contradicts the
 * thread's own model of its ids is logged as {@code E ...}. With a sixth argument {@code hold},
 * the shard's index worker is held from the start, so every write of this run stays in the
 * unindexed tail (searched by the exact scan) until the kill.
 */
public final class NamespaceCrashWorker {
    static final String NS = "crash";
    static final int DIM = 8;
    static final int IDS = 200;
    static final int THREADS = 3;
    static final String ABSENT = "-";
    static final JsonNode OPTIONS = JsonNodeFactory.instance.objectNode()
            .putNull("embedding_model").put("distance_metric", "euclidean_squared");
    static final JsonNode COND = parse("{\"v\":{\"$lt\":{\"$ref_new\":\"v\"}}}");
    private static final ObjectMapper M = new ObjectMapper();

    private NamespaceCrashWorker() {}

    /** Frequent checkpoints, so kills land before, during and after them. */
    static Settings settings() {
        return Settings.defaults().with(Params.CHECKPOINT_INTERVAL_MS, 200L).with(Params.CHECKPOINT_WAL_BYTES, 8L << 10);
    }

    static JsonNode parse(String s) {
        try {
            return new ObjectMapper().readTree(s);
        } catch (IOException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    /** A document's full content as one line: the vector, then the attributes sorted by name. */
    static String canon(float[] vector, Map<String, JsonNode> attrs) {
        ObjectNode a = JsonNodeFactory.instance.objectNode();
        new TreeMap<>(attrs).forEach(a::set);
        return "vec=" + Arrays.toString(vector) + " attrs=" + a;
    }

    static String canon(Document d) {
        return d == null ? ABSENT : canon(d.vector(), d.attributes());
    }

    /** The vector written for (id, seq), exactly representable so the text form round-trips. */
    static float[] vector(int id, long seq) {
        Random r = new Random(id * 1_000_003L + seq);
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) v[i] = (r.nextInt(2001) - 1000) / 8f;
        return v;
    }

    private record Doc(float[] vec, Map<String, JsonNode> attrs) {
        String canon() {
            return NamespaceCrashWorker.canon(vec, attrs);
        }
    }

    private static final class AckLog {
        private final FileChannel ch;

        AckLog(Path p) throws IOException {
            ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }

        synchronized void line(String s) throws IOException {
            ByteBuffer b = ByteBuffer.wrap((s + "\n").getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) ch.write(b);
            ch.force(false);
        }
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        Path storeDir = Path.of(args[1]);
        long seed = Long.parseLong(args[2]);
        AtomicLong seq = new AtomicLong(Long.parseLong(args[3]));
        AckLog log = new AckLog(Path.of(args[4]));
        LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(storeDir);
        NamespaceManager engine = new NamespaceManager(data, store, settings(), null);
        Namespace ns = engine.find(NS).isPresent() ? engine.get(NS) : engine.create(NS, OPTIONS);
        if (args.length > 5 && args[5].equals("hold")) ns.shard(0).holdIndexing(true);
        // each thread's model starts from what the engine recovered (the parent has checked it)
        Doc[] model = new Doc[IDS];
        for (int id = 0; id < IDS; id++) {
            Document d = ns.get(JsonNodeFactory.instance.numberNode(id));
            if (d != null) model[id] = new Doc(d.vector(), new LinkedHashMap<>(d.attributes()));
        }
        log.line("OPEN");
        Thread[] ts = new Thread[THREADS];
        for (int t = 0; t < THREADS; t++) {
            final int thread = t;
            ts[t] = new Thread(() -> {
                try {
                    run(thread, ns, model, new Random(seed + thread), seq, log);
                } catch (Throwable e) {
                    StringWriter w = new StringWriter();
                    e.printStackTrace(new PrintWriter(w));
                    try {
                        log.line("E thread " + thread + " failed: " + w.toString().replace('\n', '|'));
                    } catch (IOException ignored) {
                        // nothing left to report to
                    }
                }
            }, "writer-" + t);
            ts[t].start();
        }
        for (Thread t : ts) t.join();
    }

    private static void run(int t, Namespace ns, Doc[] model, Random r, AtomicLong seqs, AckLog log) throws IOException {
        JsonNodeFactory f = JsonNodeFactory.instance;
        int perThread = (IDS - t + THREADS - 1) / THREADS;
        while (true) {
            int id = t + THREADS * r.nextInt(perThread);
            long seq = seqs.incrementAndGet();
            Doc old = model[id];
            int kind = r.nextInt(100);
            if (kind < 35 || kind >= 70) { // upsert, or conditional upsert
                boolean conditional = kind >= 70;
                Map<String, JsonNode> attrs = new LinkedHashMap<>();
                attrs.put("v", f.numberNode(r.nextInt(1000)));
                if (r.nextInt(10) < 7) attrs.put("s", f.textNode("s" + seq + "-" + id));
                Doc nu = new Doc(vector(id, seq), attrs);
                ObjectNode row = f.objectNode().put("id", id);
                ArrayNode vec = row.putArray("vector");
                for (float x : nu.vec()) vec.add(x);
                attrs.forEach(row::set);
                String op = conditional ? "CU" : "U";
                log.line("B " + t + " " + seq + " " + id + " " + op + " " + nu.canon());
                WriteResult w = ns.upsert(f.arrayNode().add(row), conditional ? COND : null);
                boolean applied = w.skipped() == 0 && w.inserted() + w.updated() == 1;
                boolean predicted = !conditional || old == null || old.attrs().get("v").intValue() < attrs.get("v").intValue();
                if (applied != predicted || w.inserted() + w.updated() + w.skipped() != 1 || (applied && w.inserted() != (old == null ? 1 : 0)))
                    log.line("E " + t + " " + seq + " " + id + " " + op + " result " + w + " but the model predicted applied=" + predicted
                            + " over " + (old == null ? ABSENT : old.canon()));
                if (applied) model[id] = nu;
                log.line("A " + t + " " + seq + " " + id + " " + op + " " + applied + " " + (model[id] == null ? ABSENT : model[id].canon()));
            } else if (kind < 55) { // patch v and/or s; s may be removed
                ObjectNode row = f.objectNode().put("id", id);
                int which = r.nextInt(3);
                if (which != 1) row.put("v", r.nextInt(1000));
                if (which != 0) {
                    if (r.nextInt(4) == 0) row.putNull("s");
                    else row.put("s", "p" + seq + "-" + id);
                }
                Doc nu = null;
                if (old != null) {
                    Map<String, JsonNode> attrs = new LinkedHashMap<>(old.attrs());
                    row.properties().forEach(e -> {
                        if (e.getKey().equals("id")) return;
                        if (e.getValue().isNull()) attrs.remove(e.getKey());
                        else attrs.put(e.getKey(), e.getValue());
                    });
                    nu = new Doc(old.vec(), attrs);
                }
                log.line("B " + t + " " + seq + " " + id + " P " + (nu == null ? ABSENT : nu.canon()));
                WriteResult w = ns.patch(f.arrayNode().add(row), null);
                boolean applied = w.updated() == 1;
                if (applied != (old != null) || w.errors().size() != (old == null ? 1 : 0))
                    log.line("E " + t + " " + seq + " " + id + " P result " + w + " over " + (old == null ? ABSENT : old.canon()));
                if (applied) model[id] = nu;
                log.line("A " + t + " " + seq + " " + id + " P " + applied + " " + (model[id] == null ? ABSENT : model[id].canon()));
            } else { // delete
                log.line("B " + t + " " + seq + " " + id + " D " + ABSENT);
                WriteResult w = ns.delete(f.arrayNode().add(id), null);
                if (w.deleted() != (old == null ? 0 : 1))
                    log.line("E " + t + " " + seq + " " + id + " D result " + w + " over " + (old == null ? ABSENT : old.canon()));
                model[id] = null;
                log.line("A " + t + " " + seq + " " + id + " D " + (w.deleted() == 1) + " " + ABSENT);
            }
        }
    }
}
