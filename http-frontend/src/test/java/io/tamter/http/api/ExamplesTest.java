package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product's original examples ({@code ../shared/design/examples}), applied verbatim in file
 * order to a fresh server. A response must contain every field the example shows with the value
 * shown; {@code "<…>"} stands for a value that varies (its JSON type is checked where the
 * placeholder names one). Extra fields in our response are allowed: the examples are sketches
 * (e.g. 04's match omits {@code created_at}, which 01 wrote and which {@code include_metadata:true} returns).
 */
class ExamplesTest {
    @TempDir
    Path dir;

    static Path examples() {
        return Path.of(System.getProperty("tamter.root", "..")).resolve("../shared/design/examples");
    }

    @Test
    void everyExampleWorksVerbatim() throws Exception {
        Path ex = examples();
        assumeTrue(Files.isDirectory(ex), "examples not found at " + ex + "; skipping");
        List<Path> files;
        try (Stream<Path> st = Files.list(ex)) {
            files = st.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        int ran = 0;
        try (TestServer s = TestServer.start(dir.resolve("in-order"))) {
            for (Path f : files) {
                JsonNode e = TestServer.JSON.readTree(f.toFile());
                if (!e.has("route")) continue; // a note-only file
                String assumed = assumedState(e);
                if (assumed == null) {
                    check(s, f, e);
                } else {
                    // the note names the state the example assumes: apply the files up to that one to a fresh server
                    try (TestServer fresh = TestServer.start(dir.resolve("state-" + f.getFileName()))) {
                        for (Path g : files) {
                            if (g.getFileName().toString().compareTo(assumed) > 0) break;
                            JsonNode ge = TestServer.JSON.readTree(g.toFile());
                            if (ge.has("route") && assumedState(ge) == null) check(fresh, g, ge);
                        }
                        JsonNode got = check(fresh, f, e);
                        if (f.getFileName().toString().startsWith("04"))
                            assertThat(got.get("matches")).as("04 right after 01: product-123 is the only match").hasSize(1);
                    }
                    if (f.getFileName().toString().startsWith("04")) {
                        // ... and the note's other half, in file order: after 02 set in_stock=false nothing matches
                        String[] route = e.get("route").asText().split(" ", 2);
                        JsonNode later = TestServer.JSON.readTree(s.call(route[0], route[1], e.get("request").toString()).body());
                        assertThat(later.get("matches")).as("04 after 02-update").isEmpty();
                    }
                }
                ran++;
            }
        }
        assertThat(ran).isGreaterThanOrEqualTo(6);
    }

    /** Sends an example's request verbatim and checks the response against the example's. */
    static JsonNode check(TestServer s, Path f, JsonNode e) throws Exception {
        // a route with a {namespace} placeholder works for any namespace: use one of its own
        String[] route = e.get("route").asText().replace("{namespace}", "example-" + f.getFileName().toString().substring(0, 2)).split(" ", 2);
        String body = e.has("request") ? e.get("request").toString() : null;
        var r = s.call(route[0], route[1], body);
        JsonNode got = TestServer.JSON.readTree(r.body());
        assertThat(r.statusCode()).as(f.getFileName() + ": " + r.body()).isEqualTo(200);
        if (e.has("response")) matches(e.get("response"), got, f.getFileName() + " response");
        return got;
    }

    /** The file-name prefix ("01-") of the example whose state a note says this one assumes ("right after 01-upsert"), or null. */
    static String assumedState(JsonNode e) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("right after (\\d\\d)-").matcher(e.path("note").asText());
        return m.find() ? m.group(1) + "-\uffff" : null;
    }

    /** Every field of {@code want} is in {@code got} with an equal value; {@code "<…>"} matches any value. */
    static void matches(JsonNode want, JsonNode got, String path) {
        if (want.isTextual() && want.asText().startsWith("<") && want.asText().endsWith(">")) {
            String w = want.asText();
            assertThat(got).as(path).isNotNull();
            if (w.startsWith("<float")) assertThat(got.isNumber()).as(path + " is a number").isTrue();
            if (w.startsWith("<int")) assertThat(got.isIntegralNumber()).as(path + " is an integer").isTrue();
            return;
        }
        if (want.isTextual() && want.asText().contains("<")) {
            String prefix = want.asText().substring(0, want.asText().indexOf('<'));
            assertThat(got.asText()).as(path).startsWith(prefix);
            return;
        }
        if (want.isObject()) {
            assertThat(got.isObject()).as(path + " is an object: " + got).isTrue();
            for (Iterator<Map.Entry<String, JsonNode>> it = want.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                assertThat(got.has(f.getKey())).as(path + "." + f.getKey() + " present in " + got).isTrue();
                matches(f.getValue(), got.get(f.getKey()), path + "." + f.getKey());
            }
            return;
        }
        if (want.isArray()) {
            assertThat(got.isArray()).as(path + " is an array").isTrue();
            assertThat(got.size()).as(path + " size").isEqualTo(want.size());
            for (int i = 0; i < want.size(); i++) matches(want.get(i), got.get(i), path + "[" + i + "]");
            return;
        }
        if (want.isNumber()) {
            assertThat(got.isNumber()).as(path).isTrue();
            assertThat(got.asDouble()).as(path).isEqualTo(want.asDouble());
            return;
        }
        assertThat(got).as(path).isEqualTo(want);
    }
}
