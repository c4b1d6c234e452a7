package io.tamter.http.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10: two {@code tamter serve} on one machine never hang. Real processes: with default grid
 * flags a second server (its own --data and --port) starts too, on free ports it prints; a second
 * process on the same --data exits at once naming --data; an explicit --grid-port that is taken
 * exits at once naming --grid-port. A start logs no Ignite warning.
 */
class ServeTwiceTest {
    @TempDir
    Path dir;

    @Test
    void secondServerStartsOrExitsAtOnceNeverHangs() throws Exception {
        Path outA = dir.resolve("a.log"), outB = dir.resolve("b.log");
        Process a = ServeCrashTest.start(dir.resolve("a"), ServeCrashTest.freePort(), List.of(), outA);
        Process b = null;
        try {
            ServeCrashTest.waitListening(a, outA);
            String logA = Files.readString(outA, StandardCharsets.UTF_8);
            int discoveryA = discoveryPort(logA);
            // issue 12: a start prints no Ignite warning a user cannot act on (heap size, message
            // queue limit, IPv4 stack, Ignite's info lines routed through warn)
            assertThat(logA).as("serve's start log").doesNotContain("WARN org.apache.ignite");

            b = ServeCrashTest.start(dir.resolve("b"), ServeCrashTest.freePort(), List.of(), outB);
            ServeCrashTest.waitListening(b, outB);
            String logB = Files.readString(outB, StandardCharsets.UTF_8);
            assertThat(discoveryPort(logB)).as("the second server's discovery port").isNotEqualTo(discoveryA);
            assertThat(logB).contains("tamter: grid: discovery").contains("1 server node(s)");

            // the same data directory: exits at once, naming --data
            Path outC = dir.resolve("c.log");
            long t0 = System.nanoTime();
            Process c = ServeCrashTest.start(dir.resolve("a"), ServeCrashTest.freePort(), List.of(), outC);
            assertThat(c.waitFor(30, TimeUnit.SECONDS)).as("a second process on a locked --data exits").isTrue();
            assertThat(c.exitValue()).isNotZero();
            assertThat(Files.readString(outC, StandardCharsets.UTF_8)).contains("--data").contains("in use");
            System.out.printf("ServeTwiceTest: second process on one --data exited with %d after %d ms%n", c.exitValue(),
                    (System.nanoTime() - t0) / 1_000_000);

            // an explicit --grid-port that is taken: exits at once, naming --grid-port
            Path outD = dir.resolve("d.log");
            Process d = ServeCrashTest.start(dir.resolve("d"), ServeCrashTest.freePort(), List.of("--grid-port", Integer.toString(discoveryA)), outD);
            assertThat(d.waitFor(60, TimeUnit.SECONDS)).as("a server on a taken --grid-port exits").isTrue();
            assertThat(d.exitValue()).isNotZero();
            assertThat(Files.readString(outD, StandardCharsets.UTF_8)).contains("--grid-port");
        } finally {
            for (Process p : new Process[] {a, b}) {
                if (p == null || !p.isAlive()) continue;
                p.destroy();
                if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
            }
        }
    }

    static int discoveryPort(String log) {
        Matcher m = Pattern.compile("tamter: grid: discovery [^:]+:(\\d+)").matcher(log);
        assertThat(m.find()).as("the printed ports in:\n" + log).isTrue();
        return Integer.parseInt(m.group(1));
    }
}
