package io.tamter.bench;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * A streaming runbook in the NeurIPS'23 big-ann streaming track's format:
 * {@code dataset}, {@code max_pts} and numbered {@code steps}, each {@code insert}/{@code delete}
 * of a half-open row range or a {@code search}.
 */
record Runbook(Path file, String dataset, int maxPts, List<Step> steps) {

    record Step(int number, String operation, int start, int end) {}

    static Runbook load(Path file) throws IOException {
        Map<?, ?> root;
        try (Reader r = Files.newBufferedReader(file)) {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        }
        if (root == null) throw new IllegalArgumentException(file + " is empty");
        Object ds = root.get("dataset");
        if (ds == null) throw new IllegalArgumentException(file + ": dataset is missing");
        int maxPts = root.get("max_pts") instanceof Number n ? n.intValue() : Integer.MAX_VALUE;
        if (!(root.get("steps") instanceof Map<?, ?> raw)) throw new IllegalArgumentException(file + ": steps is missing");
        TreeMap<Integer, Map<?, ?>> ordered = new TreeMap<>();
        for (Map.Entry<?, ?> e : raw.entrySet()) {
            int num;
            try {
                num = Integer.parseInt(String.valueOf(e.getKey()));
            } catch (NumberFormatException x) {
                throw new IllegalArgumentException(file + ": step key '" + e.getKey() + "' is not a number");
            }
            if (!(e.getValue() instanceof Map<?, ?> m)) throw new IllegalArgumentException(file + ": step " + num + " is not a mapping");
            ordered.put(num, m);
        }
        List<Step> steps = new ArrayList<>();
        for (Map.Entry<Integer, Map<?, ?>> e : ordered.entrySet()) {
            Map<?, ?> m = e.getValue();
            String op = String.valueOf(m.get("operation"));
            switch (op) {
                case "insert", "delete" -> {
                    if (!(m.get("start") instanceof Number s) || !(m.get("end") instanceof Number en)) {
                        throw new IllegalArgumentException(file + ": step " + e.getKey() + " (" + op + ") needs numeric start and end");
                    }
                    if (s.intValue() < 0 || en.intValue() < s.intValue() || en.intValue() > maxPts) {
                        throw new IllegalArgumentException(file + ": step " + e.getKey() + " range [" + s + ", " + en + ") is outside 0.." + maxPts);
                    }
                    steps.add(new Step(e.getKey(), op, s.intValue(), en.intValue()));
                }
                case "search" -> steps.add(new Step(e.getKey(), op, 0, 0));
                default -> throw new IllegalArgumentException(file + ": step " + e.getKey() + " has unknown operation '" + op + "'");
            }
        }
        return new Runbook(file, String.valueOf(ds), maxPts, steps);
    }
}
