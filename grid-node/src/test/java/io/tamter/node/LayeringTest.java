package io.tamter.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layers of grid-node (CONVENTIONS.md: layers visible in the tree, no package imports the one
 * above it), checked on the sources: every reference from one package of {@code io.tamter.node} to
 * another, by import or by a qualified name in code (comments are left out), goes to a lower layer,
 * or stays within the index ({@code index.spann} and {@code index.lire} work on each other).
 * A new package gets a layer here; a reference upwards fails with the file and the package named.
 */
class LayeringTest {
    /** Lower numbers lie below; a package uses only lower layers. */
    static final Map<String, Integer> LAYERS = Map.ofEntries(
            Map.entry("storage", 0), Map.entry("vector", 0), Map.entry("objectstore", 0), Map.entry("embed", 0),
            Map.entry("doc", 1),
            Map.entry("schema", 2),
            Map.entry("text", 3), Map.entry("wal", 3), Map.entry("crypto", 3),
            Map.entry("filter", 4),
            Map.entry("index", 5), Map.entry("index.lire", 5), Map.entry("index.spann", 5),
            Map.entry("shard", 6),
            Map.entry("namespace", 7),
            Map.entry("cluster", 8),
            Map.entry("cli", 9));
    static final Pattern REF = Pattern.compile("\\bio\\.tamter\\.node\\.([a-z][a-z0-9]*(?:\\.[a-z][a-z0-9]*)*)\\.[A-Z*]");
    static final Pattern PACKAGE = Pattern.compile("^package io\\.tamter\\.node\\.([a-z0-9.]+);", Pattern.MULTILINE);
    static final Pattern COMMENTS = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

    @Test
    void noPackageUsesOneAboveIt() throws IOException {
        Path root = Path.of("src/main/java/io/tamter/node");
        List<String> violations = new ArrayList<>();
        int files = 0;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".java")).toList()) {
                String src = Files.readString(f);
                Matcher pm = PACKAGE.matcher(src);
                if (!pm.find()) continue; // a file directly in io.tamter.node (none today)
                String pkg = pm.group(1);
                Integer mine = LAYERS.get(pkg);
                assertThat(mine).as("%s: package %s has no layer in LayeringTest.LAYERS", f, pkg).isNotNull();
                files++;
                Matcher m = REF.matcher(COMMENTS.matcher(src).replaceAll(" "));
                while (m.find()) {
                    String used = m.group(1);
                    if (used.equals(pkg)) continue;
                    Integer theirs = LAYERS.get(used);
                    if (theirs == null) {
                        violations.add(f + ": uses io.tamter.node." + used + ", a package with no layer");
                    } else if (theirs > mine || theirs.equals(mine) && !(pkg.startsWith("index") && used.startsWith("index"))) {
                        violations.add(f + ": package " + pkg + " (layer " + mine + ") uses " + used + " (layer " + theirs + ")");
                    }
                }
            }
        }
        assertThat(files).as("sources found").isGreaterThan(50);
        assertThat(violations).as("references that go up or sideways").isEmpty();
    }
}
