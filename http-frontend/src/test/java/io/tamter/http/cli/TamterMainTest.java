package io.tamter.http.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code --help} of every command the tamter main class runs: usage on stdout, exit code 0. */
class TamterMainTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) throws Exception {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = TamterMain.run(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpPrintsUsageAndExitsZero() throws Exception {
        for (String[] args : new String[][] {{"--help"}, {"-h"}, {"help"}, {}}) {
            Run r = run(args);
            assertThat(r.code()).as(String.join(" ", args)).isZero();
            assertThat(r.out()).startsWith("usage: ./tamter <command>").contains("serve", "load", "check");
        }
        for (String cmd : new String[] {"check", "serve", "load"}) {
            for (String flag : new String[] {"--help", "-h"}) {
                Run r = run(cmd, flag);
                assertThat(r.code()).as(cmd + " " + flag + ": " + r.err()).isZero();
                assertThat(r.out()).as(cmd + " " + flag).startsWith("usage: tamter " + cmd);
                assertThat(r.err()).as(cmd + " " + flag).isEmpty();
            }
        }
        assertThat(run("check", "--help").out()).contains("--index DIR", "exit code");
    }

    @Test
    void wrongCommandsAndOptionsAreUsageErrors() throws Exception {
        Run unknown = run("frobnicate");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("tamter: unknown command frobnicate").contains("usage:");
        assertThat(unknown.out()).isEmpty();

        Run check = run("check", "--bogus");
        assertThat(check.code()).isEqualTo(2);
        assertThat(check.err()).startsWith("tamter check: unknown argument '--bogus'");

        Run serve = run("serve", "--bogus");
        assertThat(serve.code()).isEqualTo(2);
        assertThat(serve.err().strip()).isEqualTo("tamter serve: unknown option --bogus (try --help)");
    }
}
