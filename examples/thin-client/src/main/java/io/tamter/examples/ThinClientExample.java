package io.tamter.examples;

import io.tamter.client.Document;
import io.tamter.client.NamespaceInfo;
import io.tamter.client.NamespaceOptions;
import io.tamter.client.Patch;
import io.tamter.client.Row;
import io.tamter.client.SearchRequest;
import io.tamter.client.SearchResult;
import io.tamter.client.TamterClient;
import io.tamter.client.TamterException;
import io.tamter.client.WriteResult;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A JVM app on Tamter's thin client: creates a namespace (squared Euclidean distance, 6 shards),
 * upserts rows with vectors, searches (plain and filtered), patches, deletes, reads a document and
 * the namespace back, and shows a typed error. Every step checks its answer; any mismatch ends
 * the run with exit code 1.
 *
 * <pre>mvn package &amp;&amp; java -jar target/thin-client-example.jar 127.0.0.1:10800 [host:port ...]</pre>
 */
public final class ThinClientExample {
    static final String NS = "thin-client-example";

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: ThinClientExample host:port [host:port ...]   (the nodes' thin-client ports, grid.client_port)");
            System.exit(2);
        }
        try (TamterClient tamter = TamterClient.connect(args)) {
            run(tamter);
            System.out.println("thin-client example: all checks passed");
        } catch (Mismatch | TamterException e) {
            System.err.println("thin-client example: FAILED: " + e.getMessage());
            System.exit(1);
        }
    }

    static void run(TamterClient tamter) {
        if (tamter.namespaces(NS).contains(NS)) tamter.deleteNamespace(NS); // a fresh start on every run
        NamespaceInfo created = tamter.createNamespace(NS, NamespaceOptions.create()
                .distanceMetric("euclidean_squared").numShards(6).noEmbeddingModel());
        System.out.println("created " + created.name() + ": " + created.distanceMetric() + ", " + created.numShards() + " shards");
        check(created.distanceMetric().equals("euclidean_squared"), "metric " + created.distanceMetric());

        WriteResult up = tamter.upsert(NS, List.of(
                Row.of(1).vector(1f, 0f, 0f).text("red apple").attr("color", "red").attr("size", 3),
                Row.of(2).vector(0f, 1f, 0f).text("green pear").attr("color", "green").attr("size", 5),
                Row.of(3).vector(0f, 0f, 1f).text("blue berry").attr("color", "blue").attr("size", 1),
                Row.of(4).vector(0.9f, 0.1f, 0f).text("red cherry").attr("color", "red").attr("size", 1),
                Row.of(5).vector(0f, 0.8f, 0.6f).text("blue plum").attr("color", "blue").attr("size", 4)));
        System.out.println("upserted: inserted=" + up.inserted() + " operation_id=" + up.operationId());
        check(up.inserted() == 5, "inserted " + up.inserted());

        SearchResult near = tamter.search(NS, SearchRequest.vector(1f, 0f, 0f).topK(2)); // (2, 3 and 5 tie for third)
        print("nearest to [1,0,0]", near);
        check(near.ids().equals(List.of(1L, 4L)), "nearest ids " + near.ids());
        check(near.matches().get(0).dist() == 0.0, "distance to itself " + near.matches().get(0).dist());

        SearchResult blue = tamter.search(NS, SearchRequest.vector(0f, 0f, 1f).topK(10).filter(Map.of("color", "blue")));
        print("blue ones", blue);
        check(blue.ids().equals(List.of(3L, 5L)), "blue ids " + blue.ids());

        WriteResult patched = tamter.patch(NS, Patch.of(2).set("color", "blue"), Patch.of(99).set("color", "blue"));
        System.out.println("patched: updated=" + patched.updated() + " errors=" + patched.errors());
        check(patched.updated() == 1 && patched.errors().size() == 1 && patched.errors().get(0).id().equals(99L), "patch " + patched.json());
        SearchResult blueNow = tamter.search(NS, SearchRequest.vector(0f, 1f, 0f).topK(10).filter("{\"color\":\"blue\",\"size\":{\"$gte\":2}}"));
        print("blue ones with size >= 2 after the patch", blueNow);
        check(blueNow.ids().equals(List.of(2L, 5L)), "blue ids after patch " + blueNow.ids());

        WriteResult deleted = tamter.delete(NS, 1L);
        System.out.println("deleted: " + deleted.deleted());
        check(deleted.deleted() == 1, "deleted " + deleted.deleted());
        SearchResult afterDelete = tamter.search(NS, SearchRequest.vector(1f, 0f, 0f).topK(1));
        print("nearest to [1,0,0] after deleting 1", afterDelete);
        check(afterDelete.ids().equals(List.of(4L)), "nearest after delete " + afterDelete.ids());
        check(tamter.getDocument(NS, 1L).isEmpty(), "document 1 still there");

        Optional<Document> four = tamter.getDocument(NS, 4L, true);
        System.out.println("document 4: " + four.map(d -> d.text() + " " + d.attributes()).orElse("missing"));
        check(four.isPresent() && four.get().attributes().get("color").equals("red") && four.get().vector().length == 3, "document 4 " + four);

        NamespaceInfo info = tamter.namespace(NS);
        System.out.println("namespace " + info.name() + ": " + info.approxRowCount() + " rows, " + info.dimensions() + " dimensions");
        check(info.approxRowCount() == 4 && info.dimensions() == 3, "namespace " + info.json());
        check(tamter.namespaces().contains(NS), "namespaces " + tamter.namespaces());

        try {
            tamter.upsert(NS, Row.of(6).vector(1f, 2f));
            throw new Mismatch("a 2-dimensional vector in a 3-dimensional namespace was accepted");
        } catch (TamterException e) {
            System.out.println("refused as expected: " + e.httpStatus() + " " + e.code() + " at " + e.path());
            check(e.httpStatus() == 400 && e.code().equals("invalid_vector_dimensions"), "error " + e.getMessage());
        }
    }

    private static void print(String what, SearchResult r) {
        System.out.println(what + ":");
        for (SearchResult.Match m : r.matches())
            System.out.println("  id=" + m.id() + " dist=" + m.dist() + " " + m.attributes());
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new Mismatch("unexpected " + what);
    }

    static final class Mismatch extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Mismatch(String message) {
            super(message);
        }
    }
}
