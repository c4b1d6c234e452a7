package io.tamter.node.objectstore;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.NoCredentials;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import io.tamter.node.objectstore.GcsTestServer.FaultKind;
import io.tamter.node.objectstore.GcsTestServer.Op;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What only the GCS store has: its retries under injected faults (errors, latency, timeouts,
 * answers lost after the write took effect), resumable uploads, checksums, a root prefix, the
 * endpoint from {@code STORAGE_EMULATOR_HOST}, and the test server's own routes.
 */
class GcsObjectStoreTest {
    private static final String BUCKET = "tamter-test";

    @TempDir
    Path tmp;

    private GcsTestServer server;
    private GcsObjectStore store;

    @BeforeEach
    void start() throws IOException {
        server = new GcsTestServer().createBucket(BUCKET);
        store = new GcsObjectStore(options(""));
    }

    @AfterEach
    void stop() throws IOException {
        store.close();
        assertThat(server.unhandled()).as("requests the test server does not implement").isEmpty();
        server.close();
    }

    private GcsObjectStoreOptions options(String root) {
        return GcsObjectStoreOptions.of(BUCKET, root).withHost(server.endpoint())
                .withRetries(4, Duration.ofMillis(1), Duration.ofMillis(20))
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5))
                .withUploads(512 * 1024, 256 * 1024);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    // ---- retries that respect preconditions ----

    @Test
    void createWhoseAnswerWasLostIsASuccessNotAConflict() throws Exception {
        server.inject(Op.INSERT, FaultKind.LOSE_RESPONSE, 0, 0, 1);

        assertThat(store.putIfAbsent("ns/shards/0/wal/00000000000000000001.log", bytes("batch 1"))).isTrue();

        assertThat(server.requests(Op.INSERT)).as("the lost attempt and the retry that met its own object").isEqualTo(2);
        assertThat(server.requests(Op.GET_METADATA)).as("the retry's 412 was checked against the write token").isEqualTo(1);
        assertThat(store.get("ns/shards/0/wal/00000000000000000001.log")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("batch 1")));
        assertThat(store.putIfAbsent("ns/shards/0/wal/00000000000000000001.log", bytes("another node"))).as("the fencing still holds").isFalse();
    }

    @Test
    void aRealConflictAfterARetryIsStillAConflict() throws Exception {
        assertThat(store.putIfAbsent("wal/1.log", bytes("the other node's batch"))).isTrue();
        long before = store.stat("wal/1.log").orElseThrow().generation();
        server.inject(Op.INSERT, FaultKind.ERROR, 503, 0, 1);
        server.inject(Op.INSERT, FaultKind.LOSE_RESPONSE, 0, 0, 1);

        assertThat(store.putIfAbsent("wal/1.log", bytes("my batch"))).isFalse();

        assertThat(server.requests(Op.INSERT)).isEqualTo(1 + 3);
        assertThat(store.get("wal/1.log")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("the other node's batch")));
        assertThat(store.stat("wal/1.log").orElseThrow().generation()).isEqualTo(before);
    }

    @Test
    void compareAndSetWhoseAnswerWasLostIsASuccess() throws Exception {
        ObjectInfo v1 = store.put("ns/shards/0/manifest.json", bytes("manifest 1"));
        server.inject(Op.INSERT, FaultKind.LOSE_RESPONSE, 0, 0, 1);

        assertThat(store.compareAndSet("ns/shards/0/manifest.json", v1.generation(), bytes("manifest 2"))).isTrue();

        StoredObject now = store.getObject("ns/shards/0/manifest.json").orElseThrow();
        assertThat(now.bytes()).isEqualTo(bytes("manifest 2"));
        assertThat(now.generation()).isGreaterThan(v1.generation());
        assertThat(store.compareAndSet("ns/shards/0/manifest.json", v1.generation(), bytes("stale"))).isFalse();
        assertThat(store.compareAndSet("ns/shards/0/manifest.json", now.generation(), bytes("manifest 3"))).isTrue();
    }

    @Test
    void racingCreatesUnderLostAnswersStillHaveExactlyOneWinner() throws Exception {
        int racers = 6;
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        try {
            for (int round = 0; round < 10; round++) {
                String key = "race/" + round;
                server.inject(Op.INSERT, FaultKind.LOSE_RESPONSE, 0, 0, 3);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < racers; t++) {
                    byte[] mine = bytes("racer " + t);
                    results.add(pool.submit(() -> {
                        go.await();
                        return store.putIfAbsent(key, mine);
                    }));
                }
                go.countDown();
                List<Integer> winners = new ArrayList<>();
                for (int t = 0; t < racers; t++) if (results.get(t).get(30, TimeUnit.SECONDS)) winners.add(t);
                assertThat(winners).as("winners of round %d", round).hasSize(1);
                assertThat(store.get(key)).hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo("racer " + winners.get(0)));
                server.clearFaults();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void resumableCreateWhoseLastAnswerWasLostIsASuccess() throws Exception {
        byte[] big = random(600 * 1024, 7); // above the 512 KiB threshold: three chunks
        // the third chunk is the last: it commits the object, and its answer is lost
        server.injectAfter(2, Op.RESUMABLE_CHUNK, FaultKind.LOSE_RESPONSE, 0, 0, 1);

        assertThat(store.putIfAbsent("big/once", big)).isTrue();
        assertThat(server.requests(Op.RESUMABLE_START)).as("the retry starts a new upload").isEqualTo(2);
        assertThat(server.requests(Op.GET_METADATA)).as("whose 412 was checked against the write token").isEqualTo(1);
        assertThat(store.get("big/once")).hasValueSatisfying(b -> assertThat(b).isEqualTo(big));
        assertThat(store.putIfAbsent("big/once", random(600 * 1024, 8))).isFalse();
    }

    @Test
    void deleteWhoseAnswerWasLostReportsTheDelete() throws Exception {
        store.put("old/segment", bytes("x"));
        server.inject(Op.DELETE, FaultKind.LOSE_RESPONSE, 0, 0, 1);

        assertThat(store.delete("old/segment")).isTrue();
        assertThat(store.stat("old/segment")).isEmpty();
        assertThat(store.delete("old/segment")).isFalse();
    }

    // ---- transient errors, latency, timeouts ----

    @Test
    void transientErrorsAreRetriedWithBackoff() throws Exception {
        store.put("k", bytes("v"));
        server.inject(Op.GET_METADATA, FaultKind.ERROR, 503, 0, 1);
        server.inject(Op.GET_METADATA, FaultKind.ERROR, 429, 0, 1);
        server.inject(Op.GET_METADATA, FaultKind.ERROR, 500, 0, 1);

        assertThat(store.stat("k")).hasValueSatisfying(i -> assertThat(i.size()).isEqualTo(1));
        assertThat(server.requests(Op.GET_METADATA)).isEqualTo(4);
    }

    @Test
    void aStoreOutageFailsWithAnIOExceptionAfterTheLastAttempt() throws Exception {
        server.inject(Op.INSERT, FaultKind.ERROR, 503, 0, 100);

        assertThatThrownBy(() -> store.put("ns/meta.json", bytes("{}")))
                .isInstanceOf(IOException.class).hasMessageContaining("ns/meta.json").hasMessageContaining("after 4 attempts")
                .hasMessageContaining("503");
        assertThat(server.requests(Op.INSERT)).isEqualTo(4);

        server.clearFaults();
        assertThat(store.put("ns/meta.json", bytes("{}")).size()).as("recovers when the store comes back").isEqualTo(2);
    }

    @Test
    void permanentErrorsAreNotRetried() throws Exception {
        server.inject(Op.INSERT, FaultKind.ERROR, 403, 0, 1);

        assertThatThrownBy(() -> store.putIfAbsent("k", bytes("v"))).isInstanceOf(IOException.class).hasMessageContaining("403");
        assertThat(server.requests(Op.INSERT)).isEqualTo(1);
        assertThat(store.stat("k")).isEmpty();
    }

    @Test
    void aHungRequestTimesOutAndIsRetried() throws Exception {
        byte[] data = random(4096, 1);
        store.put("range.bin", data);
        server.inject(Op.GET_MEDIA, FaultKind.HANG, 0, 3000, 1);

        long millis;
        try (GcsObjectStore impatient = new GcsObjectStore(options("").withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(500)))) {
            long start = System.nanoTime();
            assertThat(impatient.getRange("range.bin", 100, 50)).isEqualTo(Arrays.copyOfRange(data, 100, 150));
            millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
        assertThat(millis).as("waited for the 500 ms read timeout, not the 3 s hang").isBetween(450L, 2900L);
        assertThat(server.requests(Op.GET_MEDIA)).isEqualTo(2);
    }

    @Test
    void addedLatencyIsOnlySlower() throws Exception {
        store.put("k", bytes("value"));
        server.inject(Op.GET_METADATA, FaultKind.LATENCY, 0, 100, 2);
        server.inject(Op.GET_MEDIA, FaultKind.LATENCY, 0, 100, 1);

        long start = System.nanoTime();
        assertThat(store.getObject("k")).hasValueSatisfying(o -> assertThat(o.bytes()).isEqualTo(bytes("value")));
        assertThat(store.stat("k")).isPresent();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(300);
        assertThat(server.requests(Op.GET_METADATA)).isEqualTo(2);
    }

    // ---- uploads, checksums, roots ----

    @Test
    void largeObjectsGoUpResumablyInChunksAndSmallOnesInOneRequest() throws Exception {
        store.put("small", random(1000, 1));
        assertThat(server.requests(Op.INSERT)).isEqualTo(1);
        assertThat(server.requests(Op.RESUMABLE_START)).isZero();

        byte[] big = random(3 * 256 * 1024 + 17, 2);
        Path file = tmp.resolve("000001.sst");
        Files.write(file, big);
        ObjectInfo info = store.putFile("ns/shards/0/vectors/spfresh-index/000001.sst", file);

        assertThat(info.size()).isEqualTo(big.length);
        assertThat(server.requests(Op.RESUMABLE_START)).isEqualTo(1);
        assertThat(server.requests(Op.RESUMABLE_CHUNK)).as("four 256 KiB chunks").isEqualTo(4);
        assertThat(server.blob(BUCKET, "ns/shards/0/vectors/spfresh-index/000001.sst").bytes()).isEqualTo(big);
        assertThat(server.blob(BUCKET, "ns/shards/0/vectors/spfresh-index/000001.sst").metadata()).containsKey(GcsObjectStore.WRITE_TOKEN);

        store.put("big-bytes", big);
        assertThat(server.requests(Op.RESUMABLE_START)).isEqualTo(2);
        assertThat(server.checkedUploads()).as("every upload carried its CRC32C for the server to check").isEqualTo(3);
        assertThat(store.getRange("big-bytes", 256 * 1024 - 5, 10)).isEqualTo(Arrays.copyOfRange(big, 256 * 1024 - 5, 256 * 1024 + 5));
    }

    @Test
    void aCorruptObjectIsNeverReturned() throws Exception {
        store.put("ns/shards/0/manifest.json", bytes("good manifest"));
        server.corrupt(BUCKET, "ns/shards/0/manifest.json", bytes("bad! manifest"));

        assertThatThrownBy(() -> store.get("ns/shards/0/manifest.json"))
                .isInstanceOf(CorruptObjectException.class).hasMessageContaining("ns/shards/0/manifest.json").hasMessageContaining("CRC32C");
        Path target = tmp.resolve("manifest.json");
        assertThatThrownBy(() -> store.downloadTo("ns/shards/0/manifest.json", target)).isInstanceOf(CorruptObjectException.class);
        assertThat(target).doesNotExist();
        try (var files = Files.list(tmp)) {
            assertThat(files).as("no temporary download left").isEmpty();
        }
    }

    @Test
    void aRootPrefixHoldsEveryKeyAndHidesTheRestOfTheBucket() throws Exception {
        store.put("outside", bytes("not the tenant's"));
        try (GcsObjectStore tenant = new GcsObjectStore(options("tenants/a"))) {
            assertThat(tenant.options().root()).isEqualTo("tenants/a/");
            tenant.put("ns/meta.json", bytes("{}"));

            assertThat(server.blob(BUCKET, "tenants/a/ns/meta.json")).isNotNull();
            assertThat(tenant.list("")).extracting(ObjectInfo::key).containsExactly("ns/meta.json");
            assertThat(tenant.stat("outside")).isEmpty();
            assertThat(store.list("")).extracting(ObjectInfo::key).containsExactly("outside", "tenants/a/ns/meta.json");

            String longest = "k".repeat(ObjectKeys.MAX_KEY_BYTES - "tenants/a/".length());
            tenant.put(longest, bytes("fits"));
            int before = server.requests(Op.INSERT);
            assertThatThrownBy(() -> tenant.put(longest + "k", bytes("too long with the root")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1025 bytes");
            assertThat(server.requests(Op.INSERT)).as("rejected before any request").isEqualTo(before);
        }
    }

    // ---- endpoint and URIs ----

    @Test
    void storageEmulatorHostSelectsTheTestServerWithoutCredentials() {
        String hostPort = server.endpoint().substring("http://".length());
        assertThat(GcsObjectStoreOptions.fromEnvironment("b-1", "p", Map.of("STORAGE_EMULATOR_HOST", hostPort)).host())
                .isEqualTo(server.endpoint());
        assertThat(GcsObjectStoreOptions.fromEnvironment("b-1", "p", Map.of("STORAGE_EMULATOR_HOST", "https://gcs.test:4443")).host())
                .isEqualTo("https://gcs.test:4443");
        assertThat(GcsObjectStoreOptions.fromEnvironment("b-1", "p", Map.of()).host()).as("Google with ADC").isNull();
        assertThatThrownBy(() -> GcsObjectStoreOptions.of("Bad_Bucket", "")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Bad_Bucket");
    }

    @Test
    void objectStoresOpensTheStoreTheUriNames() throws Exception {
        Map<String, String> env = Map.of("STORAGE_EMULATOR_HOST", server.endpoint().substring("http://".length()));
        try (ObjectStore gcs = ObjectStores.open(URI.create("gs://" + BUCKET + "/deploy/one"), env)) {
            assertThat(gcs).isInstanceOf(GcsObjectStore.class);
            gcs.put("ns/meta.json", bytes("{}"));
            assertThat(server.blob(BUCKET, "deploy/one/ns/meta.json")).isNotNull();
        }
        try (ObjectStore local = ObjectStores.open(tmp.resolve("local").toUri(), env)) {
            assertThat(local).isInstanceOf(LocalDirectoryObjectStore.class);
            local.put("ns/meta.json", bytes("{}"));
            assertThat(tmp.resolve("local/ns/meta.json")).exists();
        }
        assertThatThrownBy(() -> ObjectStores.open(URI.create("s3://bucket/x"), env)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("s3");
        assertThatThrownBy(() -> ObjectStores.open(URI.create("gs:///nobucket"), env)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bucket");
    }

    // ---- the test server itself, through the raw client ----

    @Test
    void testServerTakesASimpleMediaUploadAndServesRanges() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(
                        URI.create(server.endpoint() + "/upload/storage/v1/b/" + BUCKET + "/o?uploadType=media&name=m%2Fone&ifGenerationMatch=0"))
                .POST(HttpRequest.BodyPublishers.ofString("0123456789")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).isEqualTo(200);
        assertThat(created.body()).contains("\"name\":\"m/one\"").contains("\"size\":\"10\"");

        HttpResponse<String> again = http.send(HttpRequest.newBuilder(
                        URI.create(server.endpoint() + "/upload/storage/v1/b/" + BUCKET + "/o?uploadType=media&name=m%2Fone&ifGenerationMatch=0"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(again.statusCode()).isEqualTo(412);

        HttpResponse<String> range = http.send(HttpRequest.newBuilder(
                        URI.create(server.endpoint() + "/storage/v1/b/" + BUCKET + "/o/m%2Fone?alt=media")).header("Range", "bytes=3-5").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.body()).isEqualTo("345");
        assertThat(range.headers().firstValue("Content-Range")).hasValue("bytes 3-5/10");
        assertThat(store.getRange("m/one", 8, 100)).isEqualTo(bytes("89"));
    }

    @Test
    void testServerListsWithDelimiterAndPagesAndEvaluatesPreconditions() throws Exception {
        try (Storage raw = StorageOptions.http().setHost(server.endpoint()).setProjectId("p")
                .setCredentials(NoCredentials.getInstance()).build().getService()) {
            for (String n : List.of("a/1", "a/2", "a/b/3", "a/c/4", "b/5")) raw.create(BlobInfo.newBuilder(BUCKET, n).build(), bytes(n));

            List<String> entries = new ArrayList<>();
            for (Blob b : raw.list(BUCKET, Storage.BlobListOption.prefix("a/"), Storage.BlobListOption.currentDirectory(),
                    Storage.BlobListOption.pageSize(2)).iterateAll()) {
                entries.add(b.getName() + (b.isDirectory() ? " (folder)" : ""));
            }
            assertThat(entries).containsExactlyInAnyOrder("a/1", "a/2", "a/b/ (folder)", "a/c/ (folder)");
            assertThat(server.requests(Op.LIST)).as("pages of 2").isGreaterThanOrEqualTo(2);

            Blob one = raw.get(BlobId.of(BUCKET, "a/1"));
            assertThatThrownBy(() -> raw.create(BlobInfo.newBuilder(BUCKET, "a/1").build(), bytes("x"),
                    Storage.BlobTargetOption.generationNotMatch(one.getGeneration())))
                    .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getCode()).isEqualTo(412));
            assertThatThrownBy(() -> raw.create(BlobInfo.newBuilder(BUCKET, "a/1").build(), bytes("x"),
                    Storage.BlobTargetOption.metagenerationMatch(7)))
                    .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getCode()).isEqualTo(412));
            assertThatThrownBy(() -> raw.delete(BlobId.of(BUCKET, "a/1"), Storage.BlobSourceOption.generationMatch(one.getGeneration() + 1)))
                    .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getCode()).isEqualTo(412));
            assertThat(raw.delete(BlobId.of(BUCKET, "no/such"))).isFalse();
            assertThat(server.preconditionFailures()).as("the 412s, recorded").containsExactly(
                    "INSERT: ifGenerationNotMatch=" + one.getGeneration() + " on a/1", "INSERT: ifMetagenerationMatch=7 on a/1",
                    "DELETE: ifGenerationMatch=" + (one.getGeneration() + 1) + " on a/1");
        }
        assertThat(server.blob(BUCKET, "a/1")).as("no failed precondition changed anything").isNotNull();
        assertThat(new String(server.blob(BUCKET, "a/1").bytes(), UTF_8)).isEqualTo("a/1");
    }
}
