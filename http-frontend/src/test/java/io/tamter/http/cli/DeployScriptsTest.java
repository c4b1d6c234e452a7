package io.tamter.http.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/gce/}: no cloud can be reached from here, so this checks what can be checked
 * without one. Every script parses ({@code bash -n}); {@code render.sh} renders the example config
 * into a startup script that parses, runs {@code tamter serve} on the bucket with discovery through
 * it, and has no placeholder left; a bad config is refused naming the variable; {@code create.sh}
 * and {@code delete.sh} in a dry run print the gcloud commands of every piece (template, group,
 * autoscaling, health checks on /ready, load balancer). shellcheck runs too where it is installed.
 */
class DeployScriptsTest {
    static final Path GCE = Path.of(System.getProperty("tamter.root", "..")).toAbsolutePath().normalize().resolve("deploy/gce");

    @TempDir
    Path tmp;

    record Result(int exit, String out) {}

    static Result bash(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("bash " + args[0] + " did not finish: " + out);
        }
        return new Result(p.exitValue(), out);
    }

    static List<Path> scripts() throws IOException {
        try (Stream<Path> s = Files.list(GCE)) {
            return s.filter(f -> f.toString().endsWith(".sh") || f.toString().endsWith(".sh.tmpl")).sorted().toList();
        }
    }

    @Test
    void everyScriptParses() throws Exception {
        List<Path> scripts = scripts();
        assertThat(scripts.stream().map(f -> f.getFileName().toString()))
                .contains("lib.sh", "render.sh", "package.sh", "create.sh", "delete.sh", "startup.sh.tmpl");
        for (Path f : scripts) {
            Result r = bash(Map.of(), "-n", f.toString());
            assertThat(r.exit()).as("bash -n %s: %s", f.getFileName(), r.out()).isZero();
        }
    }

    @Test
    void theExampleConfigRendersAStartupScriptThatServesTheBucket() throws Exception {
        Path config = tmp.resolve("config.env");
        Files.writeString(config, Files.readString(GCE.resolve("config.env.example"))
                .replace("EXTRA_SETTINGS=\"\"", "EXTRA_SETTINGS=\"grid.shard_backups=2 index.nprobe=64\""));
        Path out = tmp.resolve("out");
        Result r = bash(Map.of(), GCE.resolve("render.sh").toString(), config.toString(), out.toString());
        assertThat(r.exit()).as(r.out()).isZero();
        Path startup = out.resolve("startup.sh");
        String s = Files.readString(startup);
        assertThat(s).doesNotContainPattern("@[A-Z_]+@")
                .contains("OBJECT_STORE='gs://my-tamter-bucket/tamter'")
                .contains("RELEASE='gs://my-tamter-bucket/releases/tamter-0123abc.tar.gz'")
                .contains("EXTRA_ARGS=( --set 'grid.shard_backups=2' --set 'index.nprobe=64')")
                .contains("serve --data \"$DATA\" --object-store \"$OBJECT_STORE\"")
                .contains("--set grid.discovery=object_store")
                .contains("io.tamter.http.cli.TamterMain");
        assertThat(bash(Map.of(), "-n", startup.toString()).exit()).isZero();
        shellcheck(startup);
        for (Path f : scripts()) if (f.toString().endsWith(".sh")) shellcheck(f);
    }

    @Test
    void aBadConfigIsRefusedNamingTheVariable() throws Exception {
        Path config = tmp.resolve("bad.env");
        Files.writeString(config, Files.readString(GCE.resolve("config.env.example"))
                .replace("BUCKET=\"my-tamter-bucket\"", "BUCKET=\"\"")
                .replace("MAX_NODES=\"6\"", "MAX_NODES=\"2\"")
                .replace("EXTRA_SETTINGS=\"\"", "EXTRA_SETTINGS=\"http.api_keys='x'\""));
        Result r = bash(Map.of(), GCE.resolve("render.sh").toString(), config.toString(), tmp.resolve("out").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("BUCKET is required").contains("MAX_NODES must be >= MIN_NODES; got MAX_NODES=2, MIN_NODES=3")
                .contains("EXTRA_SETTINGS takes key=value words without single quotes");
        assertThat(tmp.resolve("out/startup.sh")).doesNotExist();
    }

    @Test
    void dryRunsPrintTheGcloudCommandsOfEveryPiece() throws Exception {
        Path config = tmp.resolve("config.env");
        Files.writeString(config, Files.readString(GCE.resolve("config.env.example")).replace("DOMAIN=\"\"", "DOMAIN=\"search.example.com\""));
        Result r = bash(Map.of("DRY_RUN", "1", "OUT_DIR", tmp.resolve("out").toString()), GCE.resolve("create.sh").toString(), config.toString());
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out())
                .containsPattern("\\+ gcloud compute instance-templates create tamter-tmpl-[0-9a-f]{10} .*--metadata-from-file=startup-script=")
                .contains("+ gcloud compute health-checks create http tamter-ready --global --project=my-project --port=8080 --request-path=/ready")
                .contains("+ gcloud compute instance-groups managed create tamter-mig --region=us-central1")
                .contains("--health-check=tamter-live")
                .contains("+ gcloud compute instance-groups managed set-autoscaling tamter-mig")
                .contains("--min-num-replicas=3 --max-num-replicas=6")
                .contains("+ gcloud compute backend-services create tamter-backend").contains("--health-checks=tamter-ready")
                .contains("+ gcloud compute ssl-certificates create tamter-cert --global --project=my-project --domains=search.example.com")
                .contains("--target-https-proxy=tamter-proxy --ports=443")
                .contains("dry run: nothing was created");
        Result d = bash(Map.of("DRY_RUN", "1"), GCE.resolve("delete.sh").toString(), config.toString());
        assertThat(d.exit()).as(d.out()).isZero();
        assertThat(d.out()).contains("+ gcloud compute forwarding-rules delete tamter-fr --global --project=my-project --quiet")
                .contains("+ gcloud compute instance-groups managed delete tamter-mig --region=us-central1")
                .doesNotContain("storage buckets delete");
    }

    /** shellcheck, where it is installed (apt-get install shellcheck); the checks above run without it. */
    static void shellcheck(Path f) throws Exception {
        if (bash(Map.of(), "-c", "command -v shellcheck").exit() != 0) return;
        Result r = bash(Map.of(), "-c", "cd \"$0\" && shellcheck -x \"$1\"", f.getParent().toString(), f.getFileName().toString());
        assertThat(r.exit()).as("shellcheck %s: %s", f, r.out()).isZero();
    }
}
