package io.tamter.node.shard;

import static io.tamter.node.shard.ShardCheckpointTest.json;
import static io.tamter.node.shard.ShardCheckpointTest.rows;
import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.node.namespace.Namespace;
import io.tamter.node.namespace.NamespaceManager;
import io.tamter.node.namespace.WriteResult;
import io.tamter.node.objectstore.ForwardingObjectStore;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.objectstore.ObjectStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write touching several shards hands every part to its shard's WAL before waiting for any
 * (Namespace via ShardParts): the store below holds each WAL write until the WAL writes of all
 * four shards have arrived. Written shard after shard, the first part's write would wait for the
 * others, which would never come while it waits: every gate would time out.
 */
class ParallelShardPartsTest {
    static final int SHARDS = 4;

    @TempDir
    Path tmp;

    /** Holds WAL writes, once armed, until one from every shard is held at once (or 10 s pass). */
    static final class WalGate extends ForwardingObjectStore {
        final ObjectStore inner;
        volatile CountDownLatch allShards;
        final Set<String> arrived = ConcurrentHashMap.newKeySet();
        final AtomicInteger timedOut = new AtomicInteger();
        final AtomicInteger held = new AtomicInteger();

        WalGate(ObjectStore inner) {
            this.inner = inner;
        }

        @Override
        protected ObjectStore delegate() {
            return inner;
        }

        void arm() {
            arrived.clear();
            allShards = new CountDownLatch(SHARDS);
        }

        private void gate(String key) {
            CountDownLatch l = allShards;
            int wal = key.indexOf("/wal/");
            if (l == null || wal < 0) return;
            if (arrived.add(key.substring(0, wal))) l.countDown();
            held.incrementAndGet();
            try {
                if (!l.await(10, TimeUnit.SECONDS)) timedOut.incrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public boolean putIfAbsent(String key, byte[] bytes) throws IOException {
            gate(key);
            return super.putIfAbsent(key, bytes);
        }

        @Override
        public io.tamter.node.objectstore.ObjectInfo put(String key, byte[] bytes) throws IOException {
            gate(key);
            return super.put(key, bytes);
        }
    }

    @Test
    void theShardPartsOfOneWriteAreInTheirWalsAtOnce() throws Exception {
        try (LocalDirectoryObjectStore local = new LocalDirectoryObjectStore(tmp.resolve("store"))) {
            WalGate gate = new WalGate(local);
            try (NamespaceManager e = new NamespaceManager(tmp.resolve("data"), gate, ShardCheckpointTest.MANUAL, null)) {
                Namespace ns = e.create("ns1", json("{'embedding_model':null,'num_shards':" + SHARDS + "}"));
                ns.upsert(rows(0, 40), null); // opens every shard's WAL before the gate is armed
                gate.arm();
                WriteResult up = ns.upsert(rows(40, 40), null);
                assertThat(gate.arrived).as("shards whose WAL write was held").hasSize(SHARDS);
                gate.arm();
                WriteResult del = ns.delete(json("[0,1,2,3,4,5,6,7,8,9,10,11]"), null);
                assertThat(gate.arrived).as("shards whose WAL write was held").hasSize(SHARDS);
                assertThat(gate.held.get()).as("WAL writes held").isGreaterThanOrEqualTo(2 * SHARDS);
                assertThat(gate.timedOut.get()).as("WAL writes that waited in vain for the other shards'").isZero();
                assertThat(up.inserted()).isEqualTo(40);
                assertThat(del.deleted()).isEqualTo(12);
                assertThat(ns.info().approxRowCount()).isEqualTo(68);
                assertThat(ns.get(json("79"))).isNotNull();
                assertThat(ns.get(json("5"))).isNull();
            }
        }
    }
}
