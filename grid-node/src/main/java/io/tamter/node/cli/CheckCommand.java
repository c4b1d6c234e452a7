package io.tamter.node.cli;

import io.tamter.config.Settings;
import io.tamter.node.index.spann.IntegrityCheck;
import io.tamter.node.shard.ShardDb;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code tamter check --index DIR}: the integrity check of a vector index directory (a shard
 * directory or a standalone index). Prints one JSON line; exits 0 when the index is sound, 1
 * when it is not, 2 on bad usage; {@code --help} prints the usage and exits 0.
 */
public final class CheckCommand {
    private CheckCommand() {}

    public static int run(String[] args) {
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--index") && i + 1 < args.length) dir = Path.of(args[++i]);
            else if (args[i].equals("--help") || args[i].equals("-h")) {
                System.out.println(USAGE);
                return 0;
            } else {
                System.err.println("tamter check: unknown argument '" + args[i] + "'");
                return usage();
            }
        }
        if (dir == null) return usage();
        if (!Files.isRegularFile(dir.resolve(ShardDb.VERSION_FILE))) {
            System.err.println("tamter check: " + dir + " is not an index directory (no " + ShardDb.VERSION_FILE + ")");
            return 2;
        }
        try (ShardDb db = ShardDb.open(dir, Settings.fromEnvironment())) {
            IntegrityCheck.Report r = IntegrityCheck.run(db);
            System.out.println(r.toJson());
            return r.ok() ? 0 : 1;
        }
    }

    static final String USAGE = """
            usage: tamter check --index DIR
              Integrity check of a vector index: DIR is a shard's data directory (RocksDB) or a
              standalone index. Reads one snapshot; checks every head's and posting's codec, that
              every posting has a head and every head a posting, and that every live vector is in
              at least one posting with a head. Prints one JSON line.
            exit code: 0 sound, 1 problems found, 2 bad usage or not an index directory""";

    private static int usage() {
        System.err.println(USAGE);
        return 2;
    }
}
