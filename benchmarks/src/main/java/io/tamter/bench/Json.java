package io.tamter.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;

/** Result lines: one JSON object per line on stdout (progress goes to stderr). */
public final class Json {
    private static final ObjectMapper M = new ObjectMapper();

    private Json() {}

    public static void line(Map<String, Object> fields) {
        try {
            System.out.println(M.writeValueAsString(fields));
            System.out.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    /** The machine a run happened on, for the summary line. */
    public static Map<String, Object> machine() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        long mem = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        m.put("memory_gb", Math.round(mem / (1024.0 * 1024 * 1024)));
        m.put("jdk", System.getProperty("java.vm.vendor") + " " + Runtime.version());
        m.put("kernels", io.tamter.kernels.Kernels.get().name());
        m.put("max_heap_gb", round(Runtime.getRuntime().maxMemory() / (1024.0 * 1024 * 1024), 1));
        return m;
    }
}
