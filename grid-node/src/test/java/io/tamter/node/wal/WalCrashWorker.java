package io.tamter.node.wal;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.objectstore.ObjectStore;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A child JVM of {@link WalCrashTest}: recovers the shard's next sequence number, starts a
 * writer there, and appends payloads {@code <run>-<thread>-<i>} from several threads forever.
 * After each acknowledgement it appends {@code "<seq> <payload>\n"} to the ack log and fsyncs
 * it, so the log holds only writes the WAL acknowledged. Prints {@code READY <nextSeq>} once the
 * writer runs; the test kills it with SIGKILL at a random moment.
 *
 * <p>Arguments: store root, namespace, shard, ack log, run id, threads.
 */
public final class WalCrashWorker {
    private WalCrashWorker() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        WalShard shard = new WalShard(args[1], Integer.parseInt(args[2]));
        Path ackLog = Path.of(args[3]);
        String run = args[4];
        int threads = Integer.parseInt(args[5]);
        ObjectStore store = new LocalDirectoryObjectStore(root);
        long next = new WalReader(store, shard).nextSeq(0);
        WalWriter writer = WalWriter.start(store, shard, next, new WalWriter.Config(2, 4L << 20, 64L << 20, 3, 10));
        FileChannel acks = FileChannel.open(ackLog, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        System.out.println("READY " + next);
        System.out.flush();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread th = new Thread(() -> {
                try {
                    for (long i = 0; ; i++) {
                        String payload = run + "-" + thread + "-" + i;
                        long seq = writer.append(payload.getBytes(UTF_8)).join();
                        byte[] line = (seq + " " + payload + "\n").getBytes(UTF_8);
                        synchronized (acks) {
                            ByteBuffer buf = ByteBuffer.wrap(line);
                            while (buf.hasRemaining()) acks.write(buf);
                            acks.force(false);
                        }
                    }
                } catch (Throwable e) {
                    System.out.println("FAILED " + e);
                    e.printStackTrace(System.out);
                    System.out.flush();
                    Runtime.getRuntime().halt(3);
                }
            }, "appender-" + t);
            th.start();
            workers.add(th);
        }
        for (Thread th : workers) th.join();
    }
}
