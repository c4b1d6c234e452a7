package io.tamter.bench;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Measures what an engine keeps resident, from outside the engine: Java heap in use after full
 * GCs, direct buffers (what NIO allocated off-heap), and from {@code /proc/self/status} the
 * process's anonymous and file-backed resident memory (RssFile grows with mmap'd index files a
 * search touches, Lucene's case). The engine adds what its own native code holds (RocksDB's
 * memtables, table readers and block cache, as RocksDB accounts them).
 */
public final class MemoryProbe {
    /** One reading. */
    public record Reading(long heap, long direct, long rssAnon, long rssFile) {}

    private MemoryProbe() {}

    public static Reading read() {
        for (int i = 0; i < 4; i++) {
            System.gc();
            try {
                Thread.sleep(40);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = 0;
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) direct = b.getMemoryUsed();
        }
        long anon = 0, file = 0;
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("RssAnon:")) anon = kb(l);
                if (l.startsWith("RssFile:")) file = kb(l);
            }
        } catch (IOException e) {
            // not Linux: the heap and direct figures still stand
        }
        return new Reading(heap, direct, anon, file);
    }

    private static long kb(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }

    /**
     * What the engine holds between two readings: heap and direct growth, the engine's native
     * bytes, and mapped file pages touched.
     */
    public static Map<String, Object> delta(Reading before, Reading after, long engineNative) {
        Map<String, Object> m = new LinkedHashMap<>();
        long heap = Math.max(0, after.heap() - before.heap());
        long direct = Math.max(0, after.direct() - before.direct());
        long mapped = Math.max(0, after.rssFile() - before.rssFile());
        m.put("heap", heap);
        m.put("direct", direct);
        m.put("native", engineNative);
        m.put("mapped", mapped);
        m.put("total", heap + direct + engineNative + mapped);
        return m;
    }
}
