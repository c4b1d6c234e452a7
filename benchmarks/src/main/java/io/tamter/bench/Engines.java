package io.tamter.bench;

import io.tamter.bench.engine.AnnEngine;
import io.tamter.bench.engine.ExactEngine;
import io.tamter.bench.engine.JVectorEngine;
import io.tamter.bench.engine.LuceneHnswEngine;
import io.tamter.bench.engine.SpfreshEngine;
import io.tamter.config.Settings;
import io.tamter.node.vector.VectorMetric;
import java.nio.file.Path;
import java.util.List;

/** The one registry of engine names. */
final class Engines {
    static final List<String> NAMES = List.of("spfresh", "spfresh-inserted", "exact", "lucene-hnsw", "jvector");

    private Engines() {}

    static AnnEngine create(String name, VectorMetric metric, int dim, Settings settings, Path work) {
        return switch (name) {
            case "spfresh" -> new SpfreshEngine(metric, dim, settings, work);
            case "spfresh-inserted" -> new SpfreshEngine(metric, dim, settings, work, true);
            case "exact" -> new ExactEngine(metric);
            case "lucene-hnsw" -> new LuceneHnswEngine(metric, work, 16, 100);
            case "jvector" -> new JVectorEngine(metric, dim, 16, 100);
            default -> throw new IllegalArgumentException("unknown engine '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }

    /** Settings from the environment, then each {@code --set key=value}. */
    static Settings settings(List<String> sets) {
        java.util.Map<String, String> all = new java.util.LinkedHashMap<>();
        for (String kv : sets) {
            String[] f = kv.split("=", 2);
            if (f.length != 2) throw new IllegalArgumentException("--set needs key=value; got '" + kv + "'");
            all.put(f[0].trim(), f[1].trim());
        }
        return Settings.fromEnvironment().withTexts(all); // validated together
    }
}
