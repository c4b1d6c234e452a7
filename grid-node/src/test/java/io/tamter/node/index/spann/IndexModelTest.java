package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.node.storage.ShardDb;
import io.tamter.node.vector.VectorMetric;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The crash test's operation stream in one process without kills: the model (live set) and storage agree. */
class IndexModelTest {
    @Test
    void storageMatchesTheModel(@TempDir Path dir) {
        Random r = new Random(1);
        Map<Integer, Long> live = new HashMap<>(); // vid -> seq, absent = deleted
        long seq = 0;
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, CrashWorker.DIM, CrashWorker.settings())) {
            for (int op = 0; op < 30000; op++) {
                int vid = r.nextInt(CrashWorker.VIDS);
                seq++;
                if (r.nextInt(100) < 30) {
                    index.delete(vid);
                    live.remove(vid);
                } else {
                    index.insert(vid, CrashWorker.vector(vid, seq));
                    live.put(vid, seq);
                }
                if (op % 5000 == 4999) {
                    for (int v = 0; v < CrashWorker.VIDS; v++) {
                        boolean want = live.containsKey(v);
                        assertThat(index.contains(v)).as("op %d vid %d", op, v).isEqualTo(want);
                    }
                }
            }
            index.awaitQuiescent();
        }
        try (ShardDb db = ShardDb.open(dir, CrashWorker.settings())) {
            assertThat(IntegrityCheck.run(db).problems()).isEmpty();
            SpannStorage st = new SpannStorage(db);
            VersionMap vm = new VersionMap(4096);
            st.forEachVersion((vid, v) -> vm.set(vid, VersionMap.decode(vid, v)));
            for (int v = 0; v < CrashWorker.VIDS; v++) {
                assertThat(!VersionMap.isDeleted(vm.get(v))).as("vid %d", v).isEqualTo(live.containsKey(v));
            }
        }
    }
}
