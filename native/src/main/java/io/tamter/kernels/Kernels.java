package io.tamter.kernels;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the {@link VectorKernels} implementation once per JVM and logs the choice and any
 * fallback reason. {@code -Dtamter.kernels=scalar|vector|native|auto} forces one (auto: the
 * one the JMH posting-scan benchmark found fastest on this kind of machine, see
 * benchmarks/README.md, falling back to the next when it cannot load).
 */
public final class Kernels {
    private static final Logger LOG = LoggerFactory.getLogger(Kernels.class);
    private static volatile VectorKernels instance;

    private Kernels() {}

    public static VectorKernels get() {
        VectorKernels k = instance;
        if (k == null) {
            synchronized (Kernels.class) {
                k = instance;
                if (k == null) {
                    k = select(System.getProperty("tamter.kernels", "auto"));
                    instance = k;
                }
            }
        }
        return k;
    }

    /** Picks an implementation by name; "auto" tries the preferred order. */
    public static VectorKernels select(String requested) {
        String want = requested.trim().toLowerCase(Locale.ROOT);
        switch (want) {
            case "scalar" -> {
                LOG.info("vector kernels: scalar (requested)");
                return new ScalarKernels();
            }
            case "vector", "native" -> {
                VectorKernels k = tryLoad(want);
                if (k != null) {
                    LOG.info("vector kernels: {} (requested)", k.name());
                    return k;
                }
                LOG.warn("vector kernels: {} requested but unavailable ({}); using scalar", want, lastFailure);
                return new ScalarKernels();
            }
            case "auto" -> {
                for (String name : AUTO_ORDER) {
                    VectorKernels k = tryLoad(name);
                    if (k != null) {
                        LOG.info("vector kernels: {} (auto)", k.name());
                        return k;
                    }
                    LOG.info("vector kernels: {} unavailable ({}), trying the next", name, lastFailure);
                }
                LOG.info("vector kernels: scalar (auto; nothing faster could load)");
                return new ScalarKernels();
            }
            default -> throw new IllegalArgumentException("tamter.kernels must be auto, scalar, vector or native; tamter.kernels=" + requested);
        }
    }

    /** Preference order of "auto". */
    static final String[] AUTO_ORDER = {"vector", "native"};

    private static volatile String lastFailure = "";

    /** Loads an optional implementation by name, or returns null with the reason kept for the log. */
    static VectorKernels tryLoad(String name) {
        String cls = switch (name) {
            case "vector" -> "io.tamter.kernels.VectorApiKernels";
            case "native" -> "io.tamter.kernels.NativeKernels";
            default -> throw new IllegalArgumentException(name);
        };
        try {
            return (VectorKernels) Class.forName(cls).getDeclaredConstructor().newInstance();
        } catch (Throwable t) {
            Throwable root = t;
            while (root.getCause() != null) root = root.getCause();
            lastFailure = root.getClass().getSimpleName() + ": " + root.getMessage();
            return null;
        }
    }
}
