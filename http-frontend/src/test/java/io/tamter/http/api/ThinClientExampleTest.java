package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The thin-client artifact as an app sees it: installs {@code tamter-client} from this checkout into
 * the local Maven repository ({@code mvn install -pl client -am}, as the build's package phase
 * does), builds {@code examples/thin-client} as the separate Maven project it is (offline: it needs
 * nothing the Tamter build has not fetched), and runs its jar ({@code java -jar}, in a JVM of its own
 * with the example's dependencies only: tamter-client, ignite-core, Jackson, no engine jar) against a grid of three real
 * nodes. The example checks every answer itself and exits 1 on a mismatch; here its exit code and
 * output are checked.
 */
class ThinClientExampleTest {
    @TempDir
    Path dir;

    @Test
    void theExampleBuildsAgainstTheInstalledClientAndRunsAgainstAThreeNodeGrid() throws Exception {
        Path root = Path.of(System.getProperty("tamter.root", "..")).toAbsolutePath().normalize();
        Path example = root.resolve("examples/thin-client");
        assertThat(example.resolve("pom.xml")).exists();

        mvn(root, "-f", root.resolve("pom.xml").toString(), "install", "-pl", "client", "-am", "-DskipTests");
        mvn(root, "-f", example.resolve("pom.xml").toString(), "package");
        List<String> libs;
        try (var files = Files.list(example.resolve("target/lib"))) {
            libs = files.map(f -> f.getFileName().toString().replaceAll("-[0-9][^-]*(-SNAPSHOT)?\\.jar$", "")).sorted().toList(); // no versions
        }
        // the app's whole runtime: the client, ignite-core (with its two small dependencies) and Jackson
        assertThat(libs).containsExactlyInAnyOrder("tamter-client", "ignite-core", "cache-api", "annotations", "jackson-databind", "jackson-core",
                "jackson-annotations");

        Path store = dir.resolve("store");
        try (TestServer n1 = GridTest.node(dir, "n1", store, null)) {
            String join = "127.0.0.1:" + n1.node.ports().discovery();
            try (TestServer n2 = GridTest.node(dir, "n2", store, join); TestServer n3 = GridTest.node(dir, "n3", store, join)) {
                assertThat(n1.node.ignite().cluster().forServers().nodes()).hasSize(3);
                List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-jar", example.resolve("target/thin-client-example.jar").toString()));
                for (TestServer t : List.of(n1, n2, n3)) cmd.add("127.0.0.1:" + t.clientPort);
                Run r = run(dir, cmd, 180);
                System.out.println("thin-client example (exit " + r.exit + "):\n" + r.output);
                assertThat(r.exit).as("example output:%n%s", r.output).isZero();
                assertThat(r.output)
                        .contains("created thin-client-example: euclidean_squared, 6 shards")
                        .contains("upserted: inserted=5")
                        .contains("refused as expected: 400 invalid_vector_dimensions at upsert_rows[0].vector")
                        .contains("thin-client example: all checks passed");
                // what the app wrote is what the grid serves over HTTP, through any node
                assertThat(n3.ok("GET", "/v1/namespaces/thin-client-example/documents/2", null).get("document").get("metadata").get("color").asText())
                        .isEqualTo("blue");
                n2.expect(404, "GET", "/v1/namespaces/thin-client-example/documents/1", null);
            }
        }
    }

    /** The Maven running this test (surefire passes maven.home), else mvn on the PATH; offline, batch mode, quiet. */
    private void mvn(Path workDir, String... args) throws Exception {
        String home = System.getProperty("maven.home");
        Path exe = home == null || home.isEmpty() ? null : Path.of(home, "bin", "mvn");
        List<String> cmd = new ArrayList<>(List.of(exe != null && Files.isExecutable(exe) ? exe.toString() : "mvn", "-B", "-q", "-o"));
        cmd.addAll(List.of(args));
        Run r = run(workDir, cmd, 600);
        assertThat(r.exit).as("%s:%n%s", String.join(" ", cmd), r.output).isZero();
    }

    record Run(int exit, String output) {}

    private Run run(Path workDir, List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
        Path log = Files.createTempFile(dir, "run", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home")); // Maven on this test's JDK (21+), not the machine's default
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", cmd) + ": no exit within " + timeoutSeconds + " s:\n" + Files.readString(log, StandardCharsets.UTF_8));
        }
        return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
}
