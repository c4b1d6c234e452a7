package io.tamter.node.namespace;

import static io.tamter.node.namespace.NamespaceEngineTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.config.Settings;
import io.tamter.node.crypto.KeyEncryptionKeys;
import io.tamter.node.crypto.KeyUnavailableException;
import io.tamter.node.doc.Document;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Customer-managed encryption wired into namespaces: what reaches the object store, and what happens without the key. */
class NamespaceEncryptionTest {
    static final char[] PASSWORD = "keystore-pw".toCharArray();
    static final String MARKER = "PLAINTEXT-MARKER-4711";
    static final String TEXT_MARKER = "SECRETWORDZEBRA";
    /** Local object files: a 28-byte header, then the payload; an encrypted payload starts with "TENC". */
    static final int LOCAL_HEADER = 28;
    static final byte[] TENC = {0x54, 0x45, 0x4E, 0x43};

    @TempDir
    Path tmp;
    LocalDirectoryObjectStore store;
    NamespaceManager engine;
    Path keystore;
    byte[] k1 = randomKey();

    static byte[] randomKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    static Path keystore(Path file, Map<String, byte[]> keys) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        for (Map.Entry<String, byte[]> e : keys.entrySet())
            ks.setEntry(e.getKey(), new KeyStore.SecretKeyEntry(new SecretKeySpec(e.getValue(), "AES")), new KeyStore.PasswordProtection(PASSWORD));
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, PASSWORD);
        }
        return file;
    }

    @BeforeEach
    void open() throws Exception {
        store = new LocalDirectoryObjectStore(tmp.resolve("store"));
        keystore = keystore(tmp.resolve("keks.p12"), Map.of("k1", k1, "k2", randomKey()));
        engine = manager(tmp.resolve("data"), KeyEncryptionKeys.open(keystore, PASSWORD));
    }

    NamespaceManager manager(Path data, KeyEncryptionKeys keks) {
        return new NamespaceManager(data, store, Settings.defaults(), null, keks);
    }

    @AfterEach
    void close() throws Exception {
        if (engine != null) engine.close();
        store.close();
    }

    static float[] vector(int i) {
        return new float[] {0.123456789f + i, 3.14159f * (i + 1), -2.71828f / (i + 1), 1.41421f + 0.001f * i};
    }

    static JsonNode rows(int from, int n) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = from; i < from + n; i++) {
            if (i > from) sb.append(',');
            float[] v = vector(i);
            sb.append("{'id':").append(i).append(",'vector':[").append(v[0]).append(',').append(v[1]).append(',').append(v[2]).append(',')
                    .append(v[3]).append("],'secret':'").append(MARKER).append("','price':").append(i)
                    .append(",'text':'").append(TEXT_MARKER).append(" number ").append(i).append("'}");
        }
        return json(sb.append(']').toString());
    }

    static byte[] floats(float[] v, ByteOrder order) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(order);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    /** Every object file under the namespace's folder of the local store, by key. */
    Map<String, byte[]> objects(String ns) throws Exception {
        Map<String, byte[]> out = new LinkedHashMap<>();
        Path root = tmp.resolve("store");
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String key = root.relativize(p).toString().replace('\\', '/');
                if (key.startsWith(ns + "/")) out.put(key, Files.readAllBytes(p));
            }
        }
        return out;
    }

    static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return true;
        }
        return false;
    }

    /** Objects of {@code ns} holding the marker, the text or the raw bytes of a vector (either byte order). */
    List<String> leaks(String ns, int docs) throws Exception {
        List<byte[]> needles = new ArrayList<>();
        needles.add(MARKER.getBytes(StandardCharsets.UTF_8));
        needles.add(TEXT_MARKER.getBytes(StandardCharsets.UTF_8));
        needles.add(TEXT_MARKER.toLowerCase().getBytes(StandardCharsets.UTF_8)); // as the analyzer indexes it
        for (int i = 0; i < docs; i++) {
            needles.add(floats(vector(i), ByteOrder.LITTLE_ENDIAN));
            needles.add(floats(vector(i), ByteOrder.BIG_ENDIAN));
        }
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : objects(ns).entrySet())
            for (byte[] n : needles) if (contains(e.getValue(), n)) out.add(e.getKey());
        return out;
    }

    void assertEveryDataObjectEncrypted(String ns) throws Exception {
        Map<String, byte[]> objs = objects(ns);
        assertThat(objs.keySet()).anyMatch(k -> k.contains("/shards/"));
        for (Map.Entry<String, byte[]> e : objs.entrySet()) {
            if (e.getKey().equals(ns + "/meta.json") || e.getKey().equals(ns + "/keys/data-key.bin")) continue;
            byte[] magic = java.util.Arrays.copyOfRange(e.getValue(), LOCAL_HEADER, LOCAL_HEADER + 4);
            assertThat(magic).as("object %s is encrypted", e.getKey()).isEqualTo(TENC);
        }
    }

    static JsonNode cm(String key) {
        return json("{'mode':'customer-managed','key_name':'" + key + "'}");
    }

    Namespace createEncrypted(String name, int shards) throws Exception {
        return engine.create(name, json("{'embedding_model':null,'num_shards':" + shards + ",'encryption':{'mode':'customer-managed','key_name':'k1'}}"));
    }

    @Test
    void noPlaintextReachesTheObjectStoreAndRestoreWorksFromItAlone() throws Exception {
        // control: the same data without encryption leaks, so the scan can see plaintext at all
        Namespace plain = engine.create("plain", json("{'embedding_model':null}"));
        plain.upsert(rows(0, 50), null);
        plain.shard(0).checkpoint();
        assertThat(leaks("plain", 50)).isNotEmpty();

        Namespace ns = createEncrypted("secret", 2);
        ns.upsert(rows(0, 50), null);
        ns.patch(json("[{'id':3,'secret':'" + MARKER + "-patched'}]"), null);
        assertThat(leaks("secret", 50)).isEmpty();
        assertEveryDataObjectEncrypted("secret");
        // checkpoints: RocksDB and Lucene files are uploaded encrypted
        for (int i = 0; i < 2; i++) assertThat(ns.shard(i).checkpoint().filesUploaded()).isPositive();
        ns.upsert(rows(50, 10), null); // WAL after the checkpoint
        assertThat(objects("secret").keySet()).anyMatch(k -> k.contains("/vectors/spfresh-index/")).anyMatch(k -> k.contains("/fulltext/bm25-index/"));
        assertThat(leaks("secret", 60)).isEmpty();
        assertEveryDataObjectEncrypted("secret");
        String meta = new String(objects("secret").get("secret/meta.json"), StandardCharsets.UTF_8);
        assertThat(meta).contains("customer-managed", "k1").doesNotContain(MARKER);
        assertThat(ns.info().encryption()).isEqualTo(json("{'mode':'customer-managed','key_name':'k1'}"));

        // restore from the object store alone (checkpoint + WAL), with the key
        engine.close();
        engine = manager(tmp.resolve("fresh-data"), KeyEncryptionKeys.open(keystore, PASSWORD));
        Namespace back = engine.get("secret");
        assertThat(back.info().approxRowCount()).isEqualTo(60);
        Document d = back.get(json("3"));
        assertThat(d.attributes().get("secret").asText()).isEqualTo(MARKER + "-patched");
        assertThat(back.get(json("55")).vector()).containsExactly(vector(55));
        SearchResult r = back.search(SearchRequest.ofVector(vector(17), 1));
        assertThat(r.matches().get(0).id().asInt()).isEqualTo(17);
        assertThat(back.search(SearchRequest.ofText(TEXT_MARKER.toLowerCase(), SearchRequest.Mode.BM25, 100)).matches()).hasSize(60);
        assertThat(leaks("secret", 60)).isEmpty(); // the final checkpoint at close was encrypted too
    }

    @Test
    void aCopyOfAnEncryptedNamespaceIsEncryptedWithItsOwnDataKey() throws Exception {
        Namespace ns = createEncrypted("secret", 2);
        ns.upsert(rows(0, 30), null);
        assertThat(engine.copy("secret-copy", json("{'source_namespace':'secret'}")).copied()).isEqualTo(30);
        Namespace copy = engine.get("secret-copy");
        assertThat(copy.encryption()).isEqualTo(EncryptionSettings.customerManaged("k1"));
        assertThat(copy.get(json("9")).attributes().get("secret").asText()).isEqualTo(MARKER);
        for (int i = 0; i < 2; i++) copy.shard(i).checkpoint();
        assertThat(leaks("secret-copy", 30)).isEmpty();
        assertEveryDataObjectEncrypted("secret-copy");
        assertThat(store.get("secret-copy/keys/data-key.bin").orElseThrow()).isNotEqualTo(store.get("secret/keys/data-key.bin").orElseThrow());
    }

    @Test
    void withoutTheKeyTheNamespaceDoesNotOpenAndServesNothing() throws Exception {
        Namespace ns = createEncrypted("secret", 1);
        ns.upsert(rows(0, 20), null);
        engine.close();
        engine = null;
        Path data = tmp.resolve("data"); // the local (plaintext) cache is still there: it must not be served

        // a keystore without k1
        Path other = keystore(tmp.resolve("other.p12"), Map.of("k2", randomKey()));
        NamespaceManager m = manager(data, KeyEncryptionKeys.open(other, PASSWORD));
        assertThatThrownBy(() -> m.get("secret")).isInstanceOf(KeyUnavailableException.class).hasMessageContaining("'k1'")
                .hasMessageContaining("no entry");
        assertThatThrownBy(() -> m.getOrCreate("secret")).isInstanceOf(KeyUnavailableException.class);
        m.close();

        // another key under the name k1
        Path wrong = keystore(tmp.resolve("wrong.p12"), Map.of("k1", randomKey()));
        NamespaceManager w = manager(data, KeyEncryptionKeys.open(wrong, PASSWORD));
        assertThatThrownBy(() -> w.get("secret")).isInstanceOf(KeyUnavailableException.class).hasMessageContaining("'k1'");
        w.close();

        // no keystore at all
        NamespaceManager none = manager(data, KeyEncryptionKeys.none());
        assertThatThrownBy(() -> none.get("secret")).isInstanceOf(KeyUnavailableException.class).hasMessageContaining("'k1'")
                .hasMessageContaining("no keystore");
        none.close();

        // with the key again, everything is there
        engine = manager(data, KeyEncryptionKeys.open(keystore, PASSWORD));
        assertThat(engine.get("secret").info().approxRowCount()).isEqualTo(20);
        assertThat(engine.get("secret").get(json("7")).attributes().get("secret").asText()).isEqualTo(MARKER);
    }

    @Test
    void encryptionRouteSetsTheModeOnlyBeforeTheFirstWrite() throws Exception {
        // a write to a namespace that does not exist creates it
        assertThat(engine.setEncryption("fresh", cm("k1"))).isEqualTo(EncryptionSettings.customerManaged("k1"));
        Namespace fresh = engine.get("fresh");
        assertThat(fresh.encryption().keyName()).isEqualTo("k1");

        // an existing empty namespace: default → k2 → k1 → default → k1, then data, all encrypted
        Namespace ns = engine.create("ns", json("{'embedding_model':null}"));
        assertThat(ns.encryption()).isEqualTo(EncryptionSettings.DEFAULT);
        engine.setEncryption("ns", cm("k2"));
        engine.setEncryption("ns", cm("k1"));
        engine.setEncryption("ns", json("{'mode':'default'}"));
        assertThat(store.get("ns/keys/data-key.bin")).isEmpty();
        engine.setEncryption("ns", cm("k1"));
        assertThat(ns.info().encryption()).isEqualTo(json("{'mode':'customer-managed','key_name':'k1'}"));
        ns.upsert(rows(0, 10), null);
        assertThat(leaks("ns", 10)).isEmpty();
        assertEveryDataObjectEncrypted("ns");

        // after data: the same settings are fine, a change is a conflict and changes nothing
        assertThat(engine.setEncryption("ns", cm("k1")).keyName()).isEqualTo("k1");
        assertThatThrownBy(() -> engine.setEncryption("ns", json("{'mode':'default'}"))).isInstanceOf(NamespaceConflictException.class)
                .hasMessageContaining("has data").satisfies(e -> assertThat(((NamespaceConflictException) e).code()).isEqualTo("namespace_not_empty"));
        assertThatThrownBy(() -> engine.setEncryption("ns", cm("k2"))).isInstanceOf(NamespaceConflictException.class);
        assertThat(ns.encryption().keyName()).isEqualTo("k1");
        Namespace plain = engine.create("plain", json("{'embedding_model':null}"));
        plain.upsert(rows(0, 1), null);
        assertThatThrownBy(() -> engine.setEncryption("plain", cm("k1"))).isInstanceOf(NamespaceConflictException.class);

        // reopen: the settings and the data are there
        engine.close();
        engine = manager(tmp.resolve("data"), KeyEncryptionKeys.open(keystore, PASSWORD));
        assertThat(engine.get("ns").get(json("4")).attributes().get("price").asInt()).isEqualTo(4);
        assertThat(engine.get("fresh").encryption().keyName()).isEqualTo("k1");
    }

    @Test
    void badEncryptionRequestsNameTheField() throws Exception {
        engine.create("ns", json("{'embedding_model':null}"));
        assertError(() -> engine.setEncryption("ns", json("{'key_name':'k1'}")), "invalid_request", "mode");
        assertError(() -> engine.setEncryption("ns", json("{'mode':'aes'}")), "invalid_request", "mode");
        assertError(() -> engine.setEncryption("ns", json("{'mode':'customer-managed'}")), "invalid_request", "key_name");
        assertError(() -> engine.setEncryption("ns", json("{'mode':'customer-managed','key_name':''}")), "invalid_request", "key_name");
        assertError(() -> engine.setEncryption("ns", json("{'mode':'default','key_name':'k1'}")), "invalid_request", "key_name");
        assertError(() -> engine.setEncryption("ns", json("{'mode':'default','rotate':true}")), "invalid_request", "rotate");
        assertError(() -> engine.setEncryption("ns", json("[]")), "invalid_request", "");
        assertError(() -> engine.setEncryption("ns", cm("nope")), "key_unavailable", "key_name");
        assertError(() -> engine.create("other", json("{'encryption':{'mode':'customer-managed','key_name':'nope'}}")), "key_unavailable",
                "encryption.key_name");
        assertError(() -> engine.create("other2", json("{'encryption':{'mode':'x'}}")), "invalid_request", "encryption.mode");
        assertThat(engine.find("other")).isEmpty();
        assertThat(engine.get("ns").encryption()).isEqualTo(EncryptionSettings.DEFAULT);
    }

    /** {@code c} throws a request error (InvalidRequestException, SchemaException or FilterException) with this code and path. */
    static void assertError(org.assertj.core.api.ThrowableAssert.ThrowingCallable c, String code, String path) {
        assertThatThrownBy(c).isInstanceOf(io.tamter.node.doc.RequestError.class).satisfies(e -> {
            io.tamter.node.doc.RequestError re = (io.tamter.node.doc.RequestError) e;
            assertThat(new String[] {re.code(), re.path()}).as(e.getMessage()).containsExactly(code, path);
            assertThat(e.getMessage()).startsWith(path);
        });
    }

    @Test
    void settingsOfFormatVersionOneReadAsDefaultEncryption() {
        NamespaceSettings s = NamespaceSettings.decode(("{\"format_version\":1,\"name\":\"old\",\"distance_metric\":\"dot_product\",\"dimensions\":8,"
                + "\"schema\":{},\"embedding_model\":null,\"num_shards\":2,\"created_at\":1,\"updated_at\":2}").getBytes(StandardCharsets.UTF_8));
        assertThat(s.encryption()).isEqualTo(EncryptionSettings.DEFAULT);
        assertThat(s.numShards()).isEqualTo(2);
        NamespaceSettings again = NamespaceSettings.decode(s.withEncryption(EncryptionSettings.customerManaged("k"), 3).encode());
        assertThat(again.encryption().keyName()).isEqualTo("k");
        assertThat(again.toJson().get("format_version").asInt()).isEqualTo(2);
        assertThatThrownBy(() -> NamespaceSettings.decode("{\"format_version\":3}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("format_version 3");
    }
}
