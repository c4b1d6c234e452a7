package io.tamter.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

    @Test
    void defaultsAreValid() {
        Settings s = Settings.defaults();
        s.validate();
        assertThat(s.get(Params.MAX_POSTING)).isEqualTo(Params.MAX_POSTING.defaultValue());
    }

    @Test
    void laterSourcesWin(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tamter.conf");
        Files.writeString(f, "index.nprobe = 10\nindex.replica_count = 3\nstorage.block_cache_bytes = 64m\n");
        Properties sys = new Properties();
        sys.setProperty("tamter.index.nprobe", "30");
        Settings s = Settings.load(f, Map.of("TAMTER_INDEX_REPLICA_COUNT", "5"), sys);
        assertThat(s.get(Params.NPROBE)).isEqualTo(30);
        assertThat(s.get(Params.REPLICA_COUNT)).isEqualTo(5);
        assertThat(s.get(Params.BLOCK_CACHE_BYTES)).isEqualTo(64L << 20);
        assertThat(s.overrides()).containsEntry("index.nprobe", 30);
    }

    @Test
    void constrainedSettingsMoveTogetherInOneStep() {
        // one at a time, either order fails half-way (build 128 > max 96, or max 48 < build 64)
        Settings big = Settings.defaults().withTexts(Map.of("index.build_posting", "128", "index.max_posting", "192"));
        assertThat(big.get(Params.BUILD_POSTING)).isEqualTo(128);
        assertThat(big.get(Params.MAX_POSTING)).isEqualTo(192);
        Settings small = Settings.defaults().withTexts(Map.of("index.build_posting", "32", "index.max_posting", "48"));
        assertThat(small.get(Params.MAX_POSTING)).isEqualTo(48);
        assertThatThrownBy(() -> Settings.defaults().withTexts(Map.of("index.build_posting", "128")))
                .hasMessageContaining("index.build_posting must be <= index.max_posting");
        assertThatThrownBy(() -> Settings.defaults().withTexts(Map.of("index.nprobee", "3")))
                .hasMessageContaining("unknown setting 'index.nprobee'");
    }

    @Test
    void badValuesNameTheKeyAndValue(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> Settings.defaults().with(Params.NPROBE, 0))
                .hasMessage("index.nprobe must be >= 1; index.nprobe=0");
        assertThatThrownBy(() -> Settings.defaults().with(Params.MIN_POSTING, 10).with(Params.MAX_POSTING, 8))
                .hasMessageContaining("index.max_posting must be > index.min_posting; index.max_posting=8, index.min_posting=10");
        assertThatThrownBy(() -> Settings.defaults().with(Params.WAL_MAX_PENDING_BYTES, 1L << 20))
                .hasMessageContaining("wal.max_pending_bytes must be >= wal.group_commit_max_bytes; wal.max_pending_bytes=1048576");
        assertThatThrownBy(() -> Settings.defaults().withText("index.closure_epsilon", "lots"))
                .hasMessageContaining("index.closure_epsilon: cannot parse 'lots'");
        Path f = dir.resolve("bad.conf");
        Files.writeString(f, "index.nprobee = 3\n");
        assertThatThrownBy(() -> Settings.load(f, Map.of(), new Properties()))
                .hasMessageContaining("unknown setting 'index.nprobee'");
        assertThatThrownBy(() -> Settings.defaults().withText("kernels", "gpu"))
                .hasMessageContaining("kernels=gpu");
        assertThatThrownBy(() -> Settings.defaults().with(Params.EMBED_BATCH_SIZE, 8).with(Params.EMBED_TEXTS_PER_RUN, 16))
                .hasMessageContaining("embed.texts_per_run must be <= embed.batch_size; embed.texts_per_run=16, embed.batch_size=8");
    }

    @Test
    void envNamesFollowKeys() {
        assertThat(Params.MAX_POSTING.envName()).isEqualTo("TAMTER_INDEX_MAX_POSTING");
        assertThat(Params.all()).extracting(Param::key).doesNotHaveDuplicates();
        for (Param<?> p : Params.all()) assertThat(p.doc()).as(p.key()).isNotBlank();
    }

    @Test
    void theKeystorePasswordComesFromTheEnvironmentAndIsNeverShown() {
        Settings s = Settings.load(null, Map.of("TAMTER_CRYPTO_KEYSTORE_PASSWORD", "s3cret pass",
                "TAMTER_CRYPTO_KEYSTORE_PATH", "/etc/tamter/keks.p12"), null);
        assertThat(s.get(Params.CRYPTO_KEYSTORE_PASSWORD)).isEqualTo("s3cret pass");
        assertThat(s.get(Params.CRYPTO_KEYSTORE_PATH)).isEqualTo("/etc/tamter/keks.p12");
        assertThat(Params.CRYPTO_KEYSTORE_PASSWORD.secret()).isTrue();
        assertThat(s.overrides()).containsEntry("crypto.keystore_password", "***")
                .containsEntry("crypto.keystore_path", "/etc/tamter/keks.p12");
        assertThat(s.overrides().toString()).doesNotContain("s3cret");
        assertThat(Params.markdownTable()).doesNotContain("s3cret");
    }
}
