package io.tamter.http.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code --help} of every command the tamter main class runs: usage on stdout listing every option,
 * exit code 0; a wrong option or value: one line on stderr naming it, exit code 2.
 */
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
        assertThat(check.err().strip()).isEqualTo("tamter check: unknown option --bogus (try --help)");

        Run serve = run("serve", "--bogus");
        assertThat(serve.code()).isEqualTo(2);
        assertThat(serve.err().strip()).isEqualTo("tamter serve: unknown option --bogus (try --help)");
    }

    /** The commands picocli knows, from the command tree itself (a new command is covered without editing this test). */
    static Map<String, CommandLine> commands() {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        return TamterMain.commandLine(new TamterMain.Tamter(sink, sink)).getSubcommands();
    }

    @Test
    void everyCommandsHelpListsItsOptions() throws Exception {
        assertThat(commands().keySet()).contains("serve", "node", "load", "check", "frontend", "help");
        for (Map.Entry<String, CommandLine> c : commands().entrySet()) {
            for (String flag : new String[] {"--help", "-h"}) {
                Run r = run(c.getKey(), flag);
                assertThat(r.code()).as(c.getKey() + " " + flag + ": " + r.err()).isZero();
                assertThat(r.err()).as(c.getKey() + " " + flag).isEmpty();
                assertThat(r.out()).as(c.getKey() + " " + flag).containsIgnoringCase("usage: tamter " + c.getKey());
                for (OptionSpec o : c.getValue().getCommandSpec().options())
                    assertThat(r.out()).as(c.getKey() + " " + flag + " lists " + o.longestName()).contains(o.longestName());
            }
        }
        assertThat(run("serve", "--help").out()).contains("--port N", "--data DIR", "--object-store URI", "--join", "--set key=value");
        assertThat(run("load", "--help").out()).contains("--namespace NS", "--batch N", "FILE");
        assertThat(run("help", "serve").out()).startsWith("usage: tamter serve");
    }

    @Test
    void aWrongOptionIsOneLineNamingItAndExitCodeTwo() throws Exception {
        for (String cmd : commands().keySet()) {
            Run r = run(cmd, "--no-such-option");
            assertThat(r.code()).as(cmd + ": " + r.err()).isEqualTo(2);
            assertThat(r.err().strip()).as(cmd).doesNotContain("\n").contains("--no-such-option").startsWith("tamter " + cmd + ": ");
            assertThat(r.out()).as(cmd).isEmpty();
        }
        // a value of the wrong type, a missing value, a value the command refuses: one line naming the option
        for (String[] args : new String[][] {{"load", "--namespace", "x", "--batch", "many", "f.fvecs"}, {"serve", "--port"},
                {"serve", "--set", "novalue"}, {"serve", "--grid-port", "70000"}, {"check"}, {"load", "--namespace", "x", "a.fvecs", "b.fvecs"}}) {
            Run r = run(args);
            String what = String.join(" ", args);
            assertThat(r.code()).as(what + ": " + r.err()).isEqualTo(2);
            assertThat(r.err().strip()).as(what).startsWith("tamter " + args[0] + ": ").doesNotContain("\n");
        }
        assertThat(run("load", "--namespace", "x", "--batch", "many", "f.fvecs").err()).contains("--batch", "many");
        assertThat(run("serve", "--port").err()).contains("--port");
        assertThat(run("serve", "--grid-port", "70000").err()).contains("--grid-port", "70000");
        assertThat(run("check").err()).contains("--index");
        assertThat(run("load", "--namespace", "x", "a.fvecs", "b.fvecs").err()).contains("unexpected argument b.fvecs");
    }

    /**
     * {@code tamter completion} prints a bash completion script naming every command (the
     * launcher's own too) and their options; sourced into a real bash, it completes a command from
     * its first letters and a command's options, typed as {@code ./tamter}.
     */
    @Test
    void completionScriptCompletesCommandsAndOptions() throws Exception {
        Run r = run("completion");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("complete -F", "serve", "node", "load", "check", "frontend", "completion", "help", "test", "build",
                "bench", "jmh", "--namespace", "--concurrency", "--object-store", "--index", "--join", "--help");

        Run help = run("completion", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).startsWith("usage: tamter completion").contains("source <(./tamter completion)", "--help");
        assertThat(run("completion", "--bogus").code()).isEqualTo(TamterMain.USAGE_ERROR);

        java.nio.file.Path script = java.nio.file.Files.createTempFile("tamter-completion", ".bash");
        try {
            java.nio.file.Files.writeString(script, r.out());
            assertThat(complete(script, "./tamter", "se")).containsExactly("serve");
            assertThat(complete(script, "./tamter", "")).contains("serve", "node", "load", "check", "frontend", "completion", "help", "test",
                    "build", "bench", "jmh");
            assertThat(complete(script, "./tamter", "load", "--na")).containsExactly("--namespace");
            assertThat(complete(script, "tamter", "check", "--")).contains("--index", "--help");
        } finally {
            java.nio.file.Files.delete(script);
        }
    }

    /** What the sourced {@code script} offers in a real bash for the last of {@code words} (the others typed before it). */
    private static java.util.List<String> complete(java.nio.file.Path script, String... words) throws Exception {
        StringBuilder w = new StringBuilder();
        for (String x : words) w.append(" '").append(x).append('\'');
        String line = String.join(" ", words);
        String cmd = "source '" + script + "' && COMP_WORDS=(" + w + ") && COMP_CWORD=" + (words.length - 1) + " && COMP_LINE='" + line
                + "' && COMP_POINT=" + line.length() + " && _complete_tamter 2>/dev/null; printf '%s\\n' \"${COMPREPLY[@]}\"";
        Process p = new ProcessBuilder("bash", "-c", cmd).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(err).isZero();
        return out.lines().map(String::strip).filter(x -> !x.isEmpty()).toList();
    }
}
