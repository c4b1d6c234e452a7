package io.tamter.node.shard;

import java.io.IOException;
import java.nio.file.Path;

/** Package-private helpers of the shard package for tests in other packages. */
public final class CheckpointerTestAccess {
    private CheckpointerTestAccess() {
    }

    public static void deleteTree(Path p) throws IOException {
        Checkpointer.deleteTree(p);
    }
}
