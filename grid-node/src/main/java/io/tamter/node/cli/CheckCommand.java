package io.tamter.node.cli;

import io.tamter.config.Settings;
import io.tamter.node.index.spann.IntegrityCheck;
import io.tamter.node.storage.ShardDb;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code tamter check --index DIR}: the integrity check of a vector index directory (a shard
 * directory or a standalone index). Prints one JSON line; exits 0 when the index is sound, 1
 * when it is not, 2 when DIR is not an index directory. The command line (options, help, usage
 * errors) is the http-frontend's {@code TamterMain}; this is the check itself.
 */
public final class CheckCommand {
    private CheckCommand() {}

    /** Checks the index in {@code dir}: the JSON report on {@code out}, a usage problem on {@code err}; returns the exit code. */
    public static int check(Path dir, PrintStream out, PrintStream err) {
        if (!Files.isRegularFile(dir.resolve(ShardDb.VERSION_FILE))) {
            err.println("tamter check: " + dir + " is not an index directory (no " + ShardDb.VERSION_FILE + ")");
            return 2;
        }
        try (ShardDb db = ShardDb.open(dir, Settings.fromEnvironment())) {
            IntegrityCheck.Report r = IntegrityCheck.run(db);
            out.println(r.toJson());
            return r.ok() ? 0 : 1;
        }
    }
}
