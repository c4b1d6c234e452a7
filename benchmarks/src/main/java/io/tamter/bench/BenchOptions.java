package io.tamter.bench;

import io.tamter.config.Settings;
import io.tamter.node.vector.VectorMetric;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The options several benches share, declared once as picocli mixins, and the converters of the
 * benches' typed values: a value that does not convert is a usage error naming its option.
 */
final class BenchOptions {
    private BenchOptions() {}

    /** {@code --metric}: the distance the vectors are searched by. */
    static final class Metric {
        @Option(names = "--metric", paramLabel = "l2|cosine|dot", converter = MetricConverter.class, defaultValue = "l2",
                description = "distance (default ${DEFAULT-VALUE})")
        VectorMetric metric;
    }

    /** {@code --set key=value}, repeated: settings (config Params) over the environment's. */
    static final class Sets {
        @Option(names = "--set", paramLabel = "KEY=VALUE", description = "a setting of config Params for this run (e.g. "
                + "index.nprobe=64), over the TAMTER_* environment; repeats")
        List<String> sets = new ArrayList<>();

        /** The environment's settings with every {@code --set}, validated together. */
        Settings settings() {
            return Engines.settings(sets);
        }
    }

    /** {@code --work DIR}: where the engines keep their files. */
    static final class Work {
        @Option(names = "--work", paramLabel = "DIR", description = "directory for the engines' files (default: java.io.tmpdir)")
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** {@code l2}, {@code cosine}, {@code dot} (and the metrics' long names). */
    static final class MetricConverter implements ITypeConverter<VectorMetric> {
        @Override
        public VectorMetric convert(String value) {
            try {
                return VectorMetric.fromShortName(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not l2, cosine or dot");
            }
        }
    }

    /** A duration in seconds: {@code 30s}, {@code 500ms}, {@code 2m}, or a bare number of seconds. */
    static final class SecondsConverter implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            try {
                double s = HttpBench.seconds(value);
                if (!(s >= 0) || Double.isInfinite(s)) throw new NumberFormatException();
                return s;
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a duration like 30s, 500ms or 2m");
            }
        }
    }

    /** One of {@link Engines#NAMES}. */
    static final class EngineConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (!Engines.NAMES.contains(value))
                throw new TypeConversionException("unknown engine '" + value + "'; known: " + String.join(", ", Engines.NAMES));
            return value;
        }
    }
}
