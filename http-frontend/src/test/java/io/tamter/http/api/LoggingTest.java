package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The launcher's logback.xml (README: Logging), loaded into this JVM's logger context with stderr
 * captured: the default text line is the one slf4j-simple printed (ServeTwiceTest and scripts read
 * it), and {@code tamter.log.format=json} makes every line one JSON object, the access log's with
 * its trace id as a field. Both go to stderr, none to stdout.
 */
class LoggingTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TEXT_LINE = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3} \\[[^\\]]+\\] ";

    @TempDir
    Path dir;

    final PrintStream realErr = System.err, realOut = System.out;
    final ByteArrayOutputStream err = new ByteArrayOutputStream(), out = new ByteArrayOutputStream();

    @AfterEach
    void restore() throws Exception {
        configure(null);
        System.setErr(realErr);
        System.setOut(realOut);
    }

    @Test
    void jsonFormatWritesOneObjectPerLineWithTheAccessLogsTraceId() throws Exception {
        capture();
        configure("json");
        try (TestServer s = TestServer.start(dir.resolve("json"))) {
            assertThat(s.call("GET", "/health", null, "X-Trace-Id", "logjson-7f3a").statusCode()).isEqualTo(200);
            LoggerFactory.getLogger(LoggingTest.class).warn("a message with \"quotes\"\nand a second line");
            awaitStderr("logjson-7f3a");
        }
        configure(null); // stops the access log's queue, which writes what it holds
        List<String> lines = stderrLines();
        List<JsonNode> events = new ArrayList<>();
        for (String line : lines) {
            JsonNode n = JSON.readTree(line);
            assertThat(n.isObject()).as("a JSON object: " + line).isTrue();
            assertThat(n.path("level").asText()).as(line).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
            assertThat(n.path("loggerName").asText()).as(line).isNotEmpty();
            assertThat(n.has("formattedMessage")).as(line).isTrue();
            events.add(n);
        }
        assertThat(events).as("the server's start, the access line and the test's own").hasSizeGreaterThanOrEqualTo(3);
        JsonNode access = events.stream().filter(n -> n.path("loggerName").asText().equals("tamter.access")
                && n.path("formattedMessage").asText().startsWith("GET /health 200 ")).findFirst().orElseThrow();
        assertThat(access.path("level").asText()).isEqualTo("INFO");
        assertThat(access.path("formattedMessage").asText()).endsWith("trace=logjson-7f3a");
        assertThat(access.path("kvpList").findValuesAsText("trace_id")).containsExactly("logjson-7f3a");
        assertThat(access.path("threadName").asText()).as("the request thread, not the queue's writer").doesNotContain("AsyncAppender");
        JsonNode own = events.stream().filter(n -> n.path("loggerName").asText().equals(LoggingTest.class.getName())).findFirst().orElseThrow();
        assertThat(own.path("level").asText()).isEqualTo("WARN");
        assertThat(own.path("formattedMessage").asText()).isEqualTo("a message with \"quotes\"\nand a second line");
        assertThat(out.toString(StandardCharsets.UTF_8)).as("stdout").doesNotContain("loggerName").doesNotContain("tamter.access");
    }

    @Test
    void textFormatIsTheLineTestsAndScriptsRead() throws Exception {
        capture();
        configure(null);
        try (TestServer s = TestServer.start(dir.resolve("text"))) {
            assertThat(s.call("GET", "/health", null, "X-Trace-Id", "logtext-91c2").statusCode()).isEqualTo(200);
            LoggerFactory.getLogger("org.apache.ignite.LoggingTest").info("dropped: Ignite logs at warn");
            LoggerFactory.getLogger("org.apache.ignite.LoggingTest").warn("kept");
            LoggerFactory.getLogger(LoggingTest.class).debug("dropped: Tamter logs at info");
            awaitStderr("logtext-91c2");
        }
        configure(null);
        List<String> lines = stderrLines();
        assertThat(lines).anySatisfy(l -> assertThat(l).matches(TEXT_LINE + "INFO tamter\\.access - GET /health 200 \\d+ ms trace=logtext-91c2"));
        assertThat(lines).anySatisfy(l -> assertThat(l).matches(TEXT_LINE + "WARN org\\.apache\\.ignite\\.LoggingTest - kept"));
        assertThat(String.join("\n", lines)).doesNotContain("dropped:");
        assertThat(out.toString(StandardCharsets.UTF_8)).as("stdout").doesNotContain("tamter.access").doesNotContain("org.apache.ignite");
    }

    @Test
    void levelsPerPackageFromAFileNamedByTamterLogConfig() throws Exception {
        Path levels = dir.resolve("levels.xml");
        java.nio.file.Files.writeString(levels, """
                <included>
                  <logger name="io.tamter.http.api.LoggingTest" level="DEBUG"/>
                  <logger name="org.apache.ignite.LoggingTest" level="ERROR"/>
                </included>
                """);
        capture();
        LoggerContext ctx = configure(null, levels);
        LoggerFactory.getLogger(LoggingTest.class).debug("now at debug");
        LoggerFactory.getLogger("org.apache.ignite.LoggingTest").warn("dropped: now at error");
        LoggerFactory.getLogger("io.tamter.other").debug("dropped: the rest stays at info");
        ctx.reset();
        String all = String.join("\n", stderrLines());
        assertThat(all).contains("DEBUG io.tamter.http.api.LoggingTest - now at debug").doesNotContain("dropped:");
    }

    private void capture() {
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    private List<String> stderrLines() {
        synchronized (err) {
            return err.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        }
    }

    /** The access log is written by its queue's thread: wait (bounded) until the line is out. */
    private void awaitStderr(String text) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!err.toString(StandardCharsets.UTF_8).contains(text)) {
            assertThat(System.nanoTime()).as("stderr shows " + text + " within 30 s").isLessThan(deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    static LoggerContext configure(String format) throws Exception {
        return configure(format, null);
    }

    /** This JVM's logback context, reset and configured from the launcher's logback.xml. */
    static LoggerContext configure(String format, Path levels) throws Exception {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();
        if (format != null) ctx.putProperty("tamter.log.format", format);
        if (levels != null) ctx.putProperty("tamter.log.config", levels.toString());
        JoranConfigurator jc = new JoranConfigurator();
        jc.setContext(ctx);
        jc.doConfigure(LoggingTest.class.getResource("/logback.xml"));
        return ctx;
    }
}
