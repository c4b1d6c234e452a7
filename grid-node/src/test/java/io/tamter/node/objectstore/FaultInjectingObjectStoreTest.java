package io.tamter.node.objectstore;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.node.objectstore.FaultInjectingObjectStore.Call;
import io.tamter.node.objectstore.FaultInjectingObjectStore.Fault;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each fault of {@link FaultInjectingObjectStore} does what it says, over a local directory store. */
class FaultInjectingObjectStoreTest {
    @TempDir
    Path tmp;

    private LocalDirectoryObjectStore local;
    private FaultInjectingObjectStore store;

    @BeforeEach
    void open() throws IOException {
        local = new LocalDirectoryObjectStore(tmp.resolve("store"));
        store = new FaultInjectingObjectStore(local);
    }

    @AfterEach
    void close() {
        local.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void anErrorFailsTheCallAndChangesNothing() throws Exception {
        store.inject(Set.of(Call.PUT_IF_ABSENT), Fault.ERROR, Duration.ZERO, 1);

        assertThatThrownBy(() -> store.putIfAbsent("wal/1.log", bytes("batch"))).isInstanceOf(IOException.class)
                .hasMessageContaining("wal/1.log").hasMessageContaining("unavailable");
        assertThat(local.stat("wal/1.log")).isEmpty();
        assertThat(store.putIfAbsent("wal/1.log", bytes("batch"))).as("only the next call failed").isTrue();
        assertThat(store.injected()).isEqualTo(1);
    }

    @Test
    void aLostResponseFailsAfterTheWriteTookEffect() throws Exception {
        store.inject(Set.of(Call.PUT_IF_ABSENT), Fault.LOST_RESPONSE, Duration.ZERO, 1);

        assertThatThrownBy(() -> store.putIfAbsent("wal/1.log", bytes("batch"))).isInstanceOf(IOException.class).hasMessageContaining("lost");
        assertThat(local.get("wal/1.log")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("batch")));
        // what a caller that blindly retries sees: its own write, as a conflict
        assertThat(store.putIfAbsent("wal/1.log", bytes("batch"))).isFalse();
    }

    @Test
    void aTimeoutWaitsThenFailsWithoutEffect() throws Exception {
        store.inject(FaultInjectingObjectStore.WRITES, Fault.TIMEOUT, Duration.ofMillis(100), 1);

        long start = System.nanoTime();
        assertThatThrownBy(() -> store.put("k", bytes("v"))).isInstanceOf(SocketTimeoutException.class);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(100);
        assertThat(local.stat("k")).isEmpty();
    }

    @Test
    void latencyOnlySlowsACallDown() throws Exception {
        local.put("k", bytes("v"));
        store.inject(FaultInjectingObjectStore.READS, Fault.LATENCY, Duration.ofMillis(100), 2);

        long start = System.nanoTime();
        assertThat(store.get("k")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("v")));
        assertThat(store.list("")).hasSize(1);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(200);
    }

    @Test
    void anOutageLastsUntilCleared() throws Exception {
        store.outage(Set.of(Call.values()), Fault.ERROR, Duration.ZERO);
        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> store.stat("k")).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> store.deletePrefix("ns/")).isInstanceOf(IOException.class);
        }
        store.clear();
        assertThat(store.stat("k")).isEmpty();
        assertThat(store.injected()).isEqualTo(10);
    }

    @Test
    void anOutageOnKeysSparesTheOtherKeys() throws Exception {
        store.outageOnKeys(FaultInjectingObjectStore.WRITES, "ns/shards/1/", Fault.ERROR, Duration.ZERO);
        assertThatThrownBy(() -> store.putIfAbsent("ns/shards/1/wal/1.log", bytes("b"))).isInstanceOf(IOException.class);
        assertThat(store.putIfAbsent("ns/shards/0/wal/1.log", bytes("a"))).isTrue();
        assertThat(store.stat("ns/shards/1/wal/1.log")).as("reads are not in the rule").isEmpty();
        assertThat(store.injected()).isEqualTo(1);
    }

    @Test
    void randomFaultsRepeatWithTheirSeed() throws Exception {
        int[] failures = new int[2];
        String[] patterns = new String[2];
        for (int run = 0; run < 2; run++) {
            FaultInjectingObjectStore s = new FaultInjectingObjectStore(local)
                    .injectRandomly(Set.of(Call.STAT), Fault.ERROR, Duration.ZERO, 0.3, 42);
            StringBuilder pattern = new StringBuilder();
            for (int i = 0; i < 200; i++) {
                try {
                    s.stat("k");
                    pattern.append('.');
                } catch (IOException e) {
                    pattern.append('x');
                    failures[run]++;
                }
            }
            assertThat(s.injected()).isEqualTo(failures[run]);
            patterns[run] = pattern.toString();
        }
        assertThat(patterns[1]).as("the same seed fails the same calls").isEqualTo(patterns[0]);
        assertThat(failures[0]).isBetween(30, 90);
    }
}
