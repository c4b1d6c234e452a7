package io.tamter.node.crypto;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.node.objectstore.CorruptObjectException;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.objectstore.ObjectInfo;
import io.tamter.node.objectstore.ObjectStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What encryption adds to the contract: nothing readable at rest, tampering and wrong keys detected, ranges exact. */
class EncryptingObjectStoreTest {
    private static final char[] PASSWORD = "keystore pass".toCharArray();
    private static final String NS = "tenant_ns";
    private static final String SECRET_TEXT = "the quick brown fox knows the launch code 0451";
    private static final float[] VECTOR = {0.125f, -3.5f, 42.0f, 1e-3f, 7.25f, -0.0625f, 1234.5f, 0.333f};
    private static final int C = EncryptedObjectCodec.CHUNK_BYTES;

    @TempDir
    Path tmp;

    private Path root;
    private LocalDirectoryObjectStore inner;
    private byte[] kek;
    private KeyEncryptionKeys keks;

    @BeforeEach
    void setUp() throws Exception {
        root = tmp.resolve("store");
        inner = new LocalDirectoryObjectStore(root);
        kek = TestKeystores.randomKey();
        keks = KeyEncryptionKeys.open(TestKeystores.create(tmp.resolve("a.p12"), PASSWORD, Map.of("customer-key", kek)), PASSWORD);
    }

    @AfterEach
    void tearDown() throws Exception {
        inner.close();
    }

    private static byte[] vectorBytes() {
        ByteBuffer b = ByteBuffer.allocate(VECTOR.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : VECTOR) b.putFloat(f);
        return b.array();
    }

    /** A WAL-like payload: some framing, the text, the vector, repeated so it spans several chunks. */
    private static byte[] document(int repeats) {
        ByteBuffer b = ByteBuffer.allocate(repeats * (8 + SECRET_TEXT.length() + VECTOR.length * 4));
        for (int i = 0; i < repeats; i++) b.putLong(i).put(SECRET_TEXT.getBytes(UTF_8)).put(vectorBytes());
        return b.array();
    }

    private static byte[] pattern(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    /** Every file under {@code dir} that contains {@code needle}. */
    private static List<Path> filesContaining(Path dir, byte[] needle) throws Exception {
        List<Path> hits = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                if (indexOf(Files.readAllBytes(f), needle) >= 0) hits.add(f);
            }
        }
        return hits;
    }

    @Test
    void nothingReadableAtRestUnderACustomerManagedKey() throws Exception {
        EncryptingObjectStore store = EncryptingObjectStore.forNamespace(inner, NS, "customer-key", keks);
        byte[] doc = document(3000); // ~240 KB: four chunks
        store.put(NS + "/meta.json", ("{\"note\":\"" + SECRET_TEXT + "\"}").getBytes(UTF_8));
        assertThat(store.putIfAbsent(NS + "/shards/0/wal/00000000000000000001.log", doc)).isTrue();
        assertThat(store.compareAndSet(NS + "/shards/0/manifest.json", ObjectStore.NO_GENERATION, vectorBytes())).isTrue();
        Path file = tmp.resolve("000007.sst");
        Files.write(file, doc);
        store.putFile(NS + "/shards/0/vectors/spfresh-index/000007.sst", file);
        store.put("other_ns/meta.json", "plain neighbour".getBytes(UTF_8));

        byte[] dataKey = NamespaceDataKeys.load(inner, NS, keks).material();
        for (byte[] needle : List.of(SECRET_TEXT.getBytes(UTF_8), vectorBytes(), Arrays.copyOf(vectorBytes(), 12), kek, dataKey)) {
            assertThat(filesContaining(root, needle)).as("files under the store root containing a secret").isEmpty();
        }
        assertThat(filesContaining(root, "plain neighbour".getBytes(UTF_8))).as("keys outside the prefix pass through").hasSize(1);
        assertThat(filesContaining(root, "customer-key".getBytes(UTF_8))).as("the record names its KEK").hasSize(1);

        assertThat(store.get(NS + "/shards/0/wal/00000000000000000001.log")).hasValueSatisfying(b -> assertThat(b).isEqualTo(doc));
        assertThat(store.get(NS + "/shards/0/manifest.json")).hasValueSatisfying(b -> assertThat(b).isEqualTo(vectorBytes()));
        ObjectInfo raw = inner.stat(NS + "/shards/0/wal/00000000000000000001.log").orElseThrow();
        assertThat(raw.size()).isEqualTo(EncryptedObjectCodec.ciphertextSize(doc.length));
        assertThat(store.list(NS + "/shards/")).extracting(ObjectInfo::size).containsExactly((long) vectorBytes().length,
                (long) doc.length, (long) doc.length);
        assertThat(store.list(NS + "/keys/")).extracting(ObjectInfo::key).containsExactly(NamespaceDataKeys.recordKey(NS));
        assertThatThrownBy(() -> store.put(NamespaceDataKeys.recordKey(NS), new byte[1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("data key record");

        // a second node opening the namespace gets the same data key and reads the data
        EncryptingObjectStore again = EncryptingObjectStore.forNamespace(inner, NS, "customer-key", keks);
        assertThat(again.get(NS + "/shards/0/vectors/spfresh-index/000007.sst")).hasValueSatisfying(b -> assertThat(b).isEqualTo(doc));
    }

    @Test
    void nodesRacingToEnableEncryptionAgreeOnOneDataKey() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<DataKey>> keys = new ArrayList<>();
            for (int i = 0; i < 4; i++) keys.add(pool.submit(() -> NamespaceDataKeys.createOrLoad(inner, "race", "customer-key", keks)));
            DataKey first = keys.get(0).get(30, TimeUnit.SECONDS);
            for (Future<DataKey> k : keys) assertThat(k.get(30, TimeUnit.SECONDS)).isEqualTo(first);
            assertThat(NamespaceDataKeys.load(inner, "race", keks)).isEqualTo(first);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void tamperingIsAnIntegrityErrorAndReturnsNoPlaintext() throws Exception {
        EncryptingObjectStore store = EncryptingObjectStore.forNamespace(inner, NS, "customer-key", keks);
        String k = NS + "/shards/0/wal/00000000000000000009.log";
        byte[] doc = document(2500); // ~200 KB: four chunks
        store.put(k, doc);
        byte[] sealed = inner.get(k).orElseThrow();

        // the attacker writes through the storage API (the local store's own checksum would catch a raw file edit first)
        byte[] flipped = sealed.clone();
        flipped[EncryptedObjectCodec.HEADER_BYTES + C + 100] ^= 0x01; // a byte of chunk 1
        inner.put(k, flipped);
        assertThatThrownBy(() -> store.get(k)).isInstanceOf(ObjectIntegrityException.class)
                .hasMessageContaining(k).hasMessageContaining("chunk 1 fails authentication");
        assertThatThrownBy(() -> store.getRange(k, C + 50, 10)).isInstanceOf(ObjectIntegrityException.class);
        assertThatThrownBy(() -> store.getRange(k, 10, C)).as("a range spanning the bad chunk").isInstanceOf(ObjectIntegrityException.class);
        assertThat(store.getRange(k, 10, 100)).as("an intact chunk still reads").isEqualTo(Arrays.copyOfRange(doc, 10, 110));
        Path target = tmp.resolve("dl");
        Files.createDirectories(target);
        assertThatThrownBy(() -> store.downloadTo(k, target.resolve("seg"))).isInstanceOf(ObjectIntegrityException.class);
        try (Stream<Path> left = Files.list(target)) {
            assertThat(left).as("no partial download or temporary file is left").isEmpty();
        }

        int seal = EncryptedObjectCodec.SEALED_CHUNK_BYTES;
        int h = EncryptedObjectCodec.HEADER_BYTES;
        byte[] truncated = Arrays.copyOf(sealed, h + 2 * seal); // the first two chunks only
        inner.put(k, truncated);
        assertThat(store.stat(k).orElseThrow().size()).isEqualTo(2L * C);
        assertThatThrownBy(() -> store.get(k)).isInstanceOf(ObjectIntegrityException.class).hasMessageContaining("chunk 1 (the last)");
        assertThatThrownBy(() -> store.getRange(k, 0, 2 * C)).isInstanceOf(ObjectIntegrityException.class);

        byte[] swapped = sealed.clone();
        System.arraycopy(sealed, h, swapped, h + seal, seal);
        System.arraycopy(sealed, h + seal, swapped, h, seal);
        inner.put(k, swapped);
        assertThatThrownBy(() -> store.get(k)).isInstanceOf(ObjectIntegrityException.class).hasMessageContaining("chunk 0");

        inner.put(NS + "/shards/0/wal/00000000000000000010.log", sealed); // moved to another key
        assertThatThrownBy(() -> store.get(NS + "/shards/0/wal/00000000000000000010.log")).isInstanceOf(ObjectIntegrityException.class);

        byte[] header = sealed.clone();
        header[20] ^= 0x01; // the salt
        inner.put(k, header);
        assertThatThrownBy(() -> store.get(k)).isInstanceOf(CorruptObjectException.class).hasMessageContaining("header fails its checksum");

        inner.put(k, Arrays.copyOf(sealed, sealed.length - 3)); // a size that could be an object's: found by the tag
        assertThatThrownBy(() -> store.get(k)).isInstanceOf(ObjectIntegrityException.class).hasMessageContaining("(the last)");
        inner.put(k, Arrays.copyOf(sealed, h + seal + 5)); // a size no object has: found by stat and list already
        assertThatThrownBy(() -> store.stat(k)).isInstanceOf(CorruptObjectException.class).hasMessageContaining(k)
                .hasMessageContaining("partial chunk");
        assertThatThrownBy(() -> store.list(NS + "/shards/")).isInstanceOf(CorruptObjectException.class);

        inner.put(k, "not encrypted at all, but long enough to have a header".getBytes(UTF_8));
        assertThatThrownBy(() -> store.get(k)).isInstanceOf(CorruptObjectException.class).hasMessageContaining("not an encrypted object");
    }

    @Test
    void aMissingOrWrongKeyIsAClearErrorAndGivesNoData() throws Exception {
        EncryptingObjectStore store = EncryptingObjectStore.forNamespace(inner, NS, "customer-key", keks);
        String k = NS + "/meta.json";
        store.put(k, SECRET_TEXT.getBytes(UTF_8));

        // another keystore with a different key under the same name
        KeyEncryptionKeys impostor = KeyEncryptionKeys.open(TestKeystores.create(tmp.resolve("b.p12"), PASSWORD,
                Map.of("customer-key", TestKeystores.randomKey())), PASSWORD);
        assertThatThrownBy(() -> EncryptingObjectStore.forNamespace(inner, NS, "customer-key", impostor))
                .isInstanceOf(KeyUnavailableException.class).hasMessageContaining("'customer-key'")
                .hasMessageContaining("cannot unwrap the data key of namespace '" + NS + "'")
                .hasMessageContaining("different key under that name");
        assertThatThrownBy(() -> NamespaceDataKeys.load(inner, NS, impostor)).isInstanceOf(KeyUnavailableException.class);

        // the key removed from the keystore
        KeyEncryptionKeys revoked = KeyEncryptionKeys.open(TestKeystores.create(tmp.resolve("c.p12"), PASSWORD,
                Map.of("someone-else", TestKeystores.randomKey())), PASSWORD);
        assertThatThrownBy(() -> NamespaceDataKeys.load(inner, NS, revoked)).isInstanceOf(KeyUnavailableException.class)
                .hasMessageContaining("'customer-key'").hasMessageContaining("has no entry of that name");
        assertThatThrownBy(() -> NamespaceDataKeys.load(inner, NS, KeyEncryptionKeys.none()))
                .isInstanceOf(KeyUnavailableException.class).hasMessageContaining("no keystore is configured");

        // asking for another key name than the namespace's
        KeyEncryptionKeys both = KeyEncryptionKeys.open(TestKeystores.create(tmp.resolve("d.p12"), PASSWORD,
                Map.of("customer-key", kek, "other-key", TestKeystores.randomKey())), PASSWORD);
        assertThatThrownBy(() -> EncryptingObjectStore.forNamespace(inner, NS, "other-key", both))
                .isInstanceOf(KeyUnavailableException.class).hasMessageContaining("wrapped by key 'customer-key'");

        // the record moved to another namespace
        inner.put(NamespaceDataKeys.recordKey("copy"), inner.get(NamespaceDataKeys.recordKey(NS)).orElseThrow());
        assertThatThrownBy(() -> NamespaceDataKeys.load(inner, "copy", keks)).isInstanceOf(KeyUnavailableException.class)
                .hasMessageContaining("namespace 'copy'");

        // objects read with another data key
        EncryptingObjectStore stranger = new EncryptingObjectStore(inner, NS + "/", DataKey.generate());
        assertThatThrownBy(() -> stranger.get(k)).isInstanceOf(ObjectIntegrityException.class)
                .hasMessageContaining("encrypted with data key " + NamespaceDataKeys.load(inner, NS, keks).idHex());
        assertThatThrownBy(() -> stranger.getRange(k, 0, 5)).isInstanceOf(ObjectIntegrityException.class);
    }

    @Test
    void rangedReadsAtChunkBoundariesEqualThePlaintext() throws Exception {
        EncryptingObjectStore store = EncryptingObjectStore.forNamespace(inner, NS, "customer-key", keks);
        for (int size : new int[] {C - 1, C, C + 1, 3 * C, 3 * C + 100}) {
            String k = NS + "/ranges/" + size;
            byte[] data = pattern(size, size);
            store.put(k, data);
            assertThat(store.stat(k).orElseThrow().size()).isEqualTo(size);
            long[][] ranges = {{0, C}, {C - 1, 2}, {C - 1, 1}, {C, C}, {C, 1}, {2L * C - 5, C + 10}, {0, size}, {size - 1, 1},
                    {size, 10}, {3L * C, 100}, {1, 3 * C}, {C - 16, 32}, {2L * C, Integer.MAX_VALUE}};
            for (long[] r : ranges) {
                if (r[0] > size) continue;
                int from = (int) r[0];
                int to = (int) Math.min(size, r[0] + r[1]);
                assertThat(store.getRange(k, r[0], (int) r[1])).as("size %d, range [%d, +%d)", size, r[0], r[1])
                        .isEqualTo(Arrays.copyOfRange(data, from, to));
            }
            long seed = new Random().nextLong();
            Random rnd = new Random(seed);
            for (int i = 0; i < 50; i++) {
                int from = rnd.nextInt(size + 1);
                int len = rnd.nextInt(2 * C);
                assertThat(store.getRange(k, from, len)).as("seed %d, size %d, range [%d, +%d)", seed, size, from, len)
                        .isEqualTo(Arrays.copyOfRange(data, from, Math.min(size, from + len)));
            }
        }
    }

    @Test
    void fiveMegabyteFileRoundTrip() throws Exception {
        EncryptingObjectStore store = new EncryptingObjectStore(inner, NS + "/", NamespaceDataKeys.createOrLoad(inner, NS, "customer-key", keks),
                Files.createDirectories(tmp.resolve("spool")));
        byte[] data = pattern(5 * 1024 * 1024, 5);
        System.arraycopy(document(10), 0, data, 1_000_000, document(10).length);
        Path source = tmp.resolve("big.sst");
        Files.write(source, data);
        String k = NS + "/shards/0/fulltext/bm25-index/_0.cfs";

        ObjectInfo written = store.putFile(k, source);
        assertThat(written.size()).isEqualTo(data.length);
        assertThat(inner.stat(k).orElseThrow().size()).isEqualTo(EncryptedObjectCodec.ciphertextSize(data.length));
        assertThat(filesContaining(root, SECRET_TEXT.getBytes(UTF_8))).isEmpty();
        try (Stream<Path> spool = Files.list(tmp.resolve("spool"))) {
            assertThat(spool).as("the spooled ciphertext is removed").isEmpty();
        }

        Path target = tmp.resolve("restored.cfs");
        assertThat(store.downloadTo(k, target)).isEqualTo(written);
        assertThat(Files.mismatch(source, target)).isEqualTo(-1);
        assertThat(store.getRange(k, 1_000_000, 500)).isEqualTo(Arrays.copyOfRange(data, 1_000_000, 1_000_500));
        assertThat(store.get(k)).hasValueSatisfying(b -> assertThat(b).isEqualTo(data));
    }

    @Test
    void rangedReadsDuringOverwritesSeeOneWholeWrite() throws Exception {
        EncryptingObjectStore store = new EncryptingObjectStore(inner, NS + "/", DataKey.generate());
        String k = NS + "/shards/0/manifest.json";
        byte[][] versions = new byte[4][];
        for (int v = 0; v < versions.length; v++) {
            versions[v] = new byte[3 * C];
            Arrays.fill(versions[v], (byte) v);
        }
        store.put(k, versions[0]);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> writer = pool.submit(() -> {
                for (int i = 1; !stop.get(); i++) store.put(k, versions[i % versions.length]);
                return null;
            });
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
            int reads = 0;
            while (System.nanoTime() < deadline) {
                byte[] r = store.getRange(k, C - 10, C + 20); // spans three chunks
                assertThat(r).hasSize(C + 20);
                byte first = r[0];
                for (byte b : r) if (b != first) throw new AssertionError("a range mixed two writes after " + reads + " reads");
                reads++;
            }
            stop.set(true);
            writer.get(30, TimeUnit.SECONDS);
            assertThat(reads).isPositive();
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
    }
}
