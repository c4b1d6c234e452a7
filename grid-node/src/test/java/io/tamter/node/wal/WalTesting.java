package io.tamter.node.wal;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.tamter.node.objectstore.ObjectStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Helpers shared by the WAL tests. */
final class WalTesting {
    private WalTesting() {}

    /** One replayed entry. */
    record Entry(long seq, int index, String payload) {}

    static WalWriter.Config config(int delayMs) {
        return new WalWriter.Config(delayMs, 4L << 20, 64L << 20, 3, 1);
    }

    static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    /** Every entry of the shard's WAL after {@code appliedSeq}, in log order. */
    static List<Entry> replay(ObjectStore store, WalShard shard, long appliedSeq) throws IOException {
        List<Entry> out = new ArrayList<>();
        new WalReader(store, shard).replay(appliedSeq, (seq, i, p) -> out.add(new Entry(seq, i, new String(p, UTF_8))));
        return out;
    }
}
