package io.tamter.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} and {@code --flag} arguments; {@code --set key=value} may repeat. */
final class Args {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> sets = new ArrayList<>();

    /** {@code --help} or {@code -h} among a bench's arguments: BenchMain prints the usage, exit code 0. */
    static final class HelpRequested extends RuntimeException {
        HelpRequested() {
            super(null, null, false, false);
        }
    }

    Args(String[] args, java.util.Set<String> flags) {
        for (String a : args) if (a.equals("--help") || a.equals("-h")) throw new HelpRequested();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument '" + a + "'");
            String name = a.substring(2);
            if (flags.contains(name)) {
                values.put(name, "true");
            } else {
                if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
                String v = args[++i];
                if (name.equals("set")) sets.add(v);
                else values.put(name, v);
            }
        }
    }

    String get(String name, String def) {
        return values.getOrDefault(name, def);
    }

    String require(String name) {
        String v = values.get(name);
        if (v == null) throw new IllegalArgumentException("--" + name + " is required");
        return v;
    }

    int getInt(String name, int def) {
        String v = values.get(name);
        try {
            return v == null ? def : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be an integer; --" + name + " " + v);
        }
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    List<String> sets() {
        return sets;
    }

    void checkKnown(java.util.Set<String> known) {
        for (String k : values.keySet()) if (!known.contains(k)) throw new IllegalArgumentException("unknown option --" + k);
    }
}
