package io.tamter.node.wal;

import static io.tamter.node.wal.WalTesting.bytes;
import static io.tamter.node.wal.WalTesting.replay;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.wal.WalTesting.Entry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link WalReader}: replay, gaps, corruption, truncation, on a real local store. */
class WalReaderTest {
    private static final WalShard SHARD = new WalShard("ns", 1);

    @TempDir
    Path tmp;
    private ObjectStore store;
    private WalReader reader;

    @BeforeEach
    void open() throws Exception {
        store = new LocalDirectoryObjectStore(tmp.resolve("store"));
        reader = new WalReader(store, SHARD);
    }

    @AfterEach
    void closeStore() throws Exception {
        store.close();
    }

    /** Writes segments 1..n directly, segment s holding "s.0" … "s.(s-1)". */
    private void writeSegments(int n) throws Exception {
        for (int s = 1; s <= n; s++) {
            List<byte[]> entries = new ArrayList<>();
            for (int i = 0; i < s; i++) entries.add(bytes(s + "." + i));
            assertThat(store.putIfAbsent(SHARD.segmentKey(s), WalSegmentCodec.encode(SHARD, s, 99, entries))).isTrue();
        }
    }

    @Test
    void emptyShard() throws Exception {
        assertThat(reader.segmentSeqs()).isEmpty();
        assertThat(reader.lastSeq()).isZero();
        assertThat(reader.nextSeq(0)).isEqualTo(1);
        assertThat(reader.replay(0, (s, i, p) -> { throw new AssertionError("no entries"); })).isZero();
    }

    @Test
    void replaysFromAnAppliedSeqInOrder() throws Exception {
        writeSegments(12); // 12 > 9 checks numeric, not textual, order of the keys
        // a neighbouring shard's prefix ("ns/shards/1" also matches "ns/shards/10/") must not leak in
        WalShard shard10 = new WalShard("ns", 10);
        store.putIfAbsent(shard10.segmentKey(1), WalSegmentCodec.encode(shard10, 1, 5, List.of(bytes("other"))));
        assertThat(reader.segmentSeqs()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);

        List<Entry> all = replay(store, SHARD, 0);
        assertThat(all).hasSize(12 * 13 / 2);
        assertThat(all.get(0)).isEqualTo(new Entry(1, 0, "1.0"));
        assertThat(all.get(all.size() - 1)).isEqualTo(new Entry(12, 11, "12.11"));

        List<Entry> after10 = replay(store, SHARD, 10);
        assertThat(after10).extracting(Entry::seq).containsOnly(11L, 12L);
        assertThat(after10).hasSize(23);
        assertThat(after10.get(0)).isEqualTo(new Entry(11, 0, "11.0"));
        assertThat(replay(store, SHARD, 12)).isEmpty();
        assertThat(replay(store, SHARD, 40)).isEmpty();
        assertThat(reader.replay(10, (s, i, p) -> {})).isEqualTo(12);
        assertThat(reader.replay(12, (s, i, p) -> {})).isEqualTo(12);
        assertThat(reader.nextSeq(0)).isEqualTo(13);
        assertThat(reader.read(5).entries()).hasSize(5);
    }

    @Test
    void aMissingSegmentInTheMiddleIsAGap() throws Exception {
        writeSegments(6);
        store.delete(SHARD.segmentKey(4));
        List<Long> seen = new ArrayList<>();
        assertThatThrownBy(() -> reader.replay(0, (s, i, p) -> seen.add(s))).isInstanceOf(WalGapException.class)
                .hasMessageContaining(SHARD.segmentKey(4)).hasMessageContaining("segment 4 is missing but segment 5 exists")
                .satisfies(e -> assertThat(((WalGapException) e).missingSeq()).isEqualTo(4));
        assertThat(seen).as("segments before the gap were replayed, none after").containsOnly(1L, 2L, 3L);
        assertThat(replay(store, SHARD, 4)).extracting(Entry::seq).containsOnly(5L, 6L);
        assertThatThrownBy(() -> reader.read(4)).isInstanceOf(WalGapException.class).hasMessageContaining("does not exist");
    }

    @Test
    void localStateOlderThanTheOldestKeptSegmentIsAGap() throws Exception {
        writeSegments(6);
        assertThat(reader.truncateBefore(4)).isEqualTo(3);
        assertThatThrownBy(() -> reader.replay(1, (s, i, p) -> {})).isInstanceOf(WalGapException.class)
                .hasMessageContaining("segment 2 is missing").hasMessageContaining("checkpoint");
        assertThat(replay(store, SHARD, 3)).extracting(Entry::seq).containsOnly(4L, 5L, 6L);
    }

    @Test
    void aCorruptSegmentStopsReplayAndNamesItsKey() throws Exception {
        writeSegments(4);
        String key = SHARD.segmentKey(3);
        byte[] b = store.get(key).orElseThrow();
        b[WalSegmentCodec.HEADER_BYTES + 6] ^= 0x01; // a payload byte: the store's own checksum is recomputed by put
        store.put(key, b);
        List<Long> seen = new ArrayList<>();
        assertThatThrownBy(() -> reader.replay(0, (s, i, p) -> seen.add(s))).isInstanceOf(CorruptWalException.class)
                .hasMessageContaining(key).hasMessageContaining("fails its checksum");
        assertThat(seen).containsOnly(1L, 2L);

        // a valid segment stored under another seq's key
        store.put(key, store.get(SHARD.segmentKey(2)).orElseThrow());
        assertThatThrownBy(() -> reader.read(3)).isInstanceOf(CorruptWalException.class).hasMessageContaining("has seq 2, its key says 3");

        // a stray object under the WAL prefix
        store.put(SHARD.prefix() + "notes.txt", bytes("?"));
        assertThatThrownBy(() -> reader.segmentSeqs()).isInstanceOf(CorruptWalException.class)
                .hasMessageContaining(SHARD.prefix() + "notes.txt").hasMessageContaining("not a WAL segment key");
    }

    @Test
    void truncateBeforeDeletesOnlyCoveredSegmentsAndNextSeqKeepsItsFloor() throws Exception {
        writeSegments(5);
        assertThat(reader.truncateBefore(1)).isZero();
        assertThat(reader.truncateBefore(3)).isEqualTo(2);
        assertThat(reader.segmentSeqs()).containsExactly(3L, 4L, 5L);
        assertThat(reader.truncateBefore(3)).isZero();
        assertThat(reader.nextSeq(2)).isEqualTo(6);
        // a checkpoint covering everything: all segments go, the numbering must not restart
        assertThat(reader.truncateBefore(6)).isEqualTo(3);
        assertThat(reader.segmentSeqs()).isEmpty();
        assertThat(reader.nextSeq(5)).isEqualTo(6);
        try (WalWriter w = WalWriter.start(store, SHARD, reader.nextSeq(5), WalTesting.config(1))) {
            assertThat(w.append(bytes("after checkpoint")).join()).isEqualTo(6);
        }
        assertThat(replay(store, SHARD, 5)).containsExactly(new Entry(6, 0, "after checkpoint"));
        assertThatThrownBy(() -> reader.nextSeq(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
