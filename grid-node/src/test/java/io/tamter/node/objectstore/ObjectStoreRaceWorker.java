package io.tamter.node.objectstore;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A child JVM of {@link LocalDirectoryObjectStoreTest}: opens the store, says {@code READY},
 * waits for the go file, then races the other workers: {@code putIfAbsent} on the same keys in
 * the same order (printing {@code WON <i>} for each key it created), then compare-and-set
 * increments of one shared counter. Output goes to stdout, which the test sends to a file.
 *
 * <p>Arguments: root, worker id, number of keys, number of increments, go file.
 */
public final class ObjectStoreRaceWorker {
    static final String RACE_PREFIX = "race/";
    static final String COUNTER = "race-counter";

    private ObjectStoreRaceWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        String id = args[1];
        int keys = Integer.parseInt(args[2]);
        int increments = Integer.parseInt(args[3]);
        Path go = Path.of(args[4]);
        try (ObjectStore store = new LocalDirectoryObjectStore(root)) {
            System.out.println("READY");
            System.out.flush();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!Files.exists(go)) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("no go file after 60 s: " + go);
                Thread.onSpinWait();
            }
            StringBuilder won = new StringBuilder();
            for (int i = 0; i < keys; i++) {
                if (store.putIfAbsent(RACE_PREFIX + i, ("worker " + id).getBytes(UTF_8))) won.append("WON ").append(i).append('\n');
            }
            for (int i = 0; i < increments; i++) ObjectStoreContractTest.increment(store, COUNTER);
            System.out.print(won);
            System.out.println("DONE");
            System.out.flush();
        }
    }
}
