package io.tamter.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/CONFIG.md is generated from {@link Params}; run with -Dtamter.updateDocs=true to rewrite it. */
class ParamsDocTest {
    @Test
    void configDocIsUpToDate() throws Exception {
        Path doc = Path.of(System.getProperty("tamter.root", "..")).resolve("docs/CONFIG.md");
        String expected = Params.markdownTable();
        if (Boolean.getBoolean("tamter.updateDocs")) Files.writeString(doc, expected);
        assertThat(doc).exists();
        assertThat(Files.readString(doc))
                .as("docs/CONFIG.md is stale: run ./tamter test -pl config -Dtamter.updateDocs=true")
                .isEqualTo(expected);
    }
}
