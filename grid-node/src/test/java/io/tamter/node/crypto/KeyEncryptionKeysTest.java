package io.tamter.node.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyEncryptionKeysTest {
    private static final char[] PASSWORD = "correct horse".toCharArray();

    @TempDir
    Path tmp;

    @Test
    void loadsAnAes256KeyByName() throws Exception {
        byte[] material = TestKeystores.randomKey();
        Path ks = TestKeystores.create(tmp.resolve("keks.p12"), PASSWORD, Map.of("tenant-a", material, "tenant-b", TestKeystores.randomKey()));
        KeyEncryptionKeys keks = KeyEncryptionKeys.open(ks, PASSWORD);
        keks.verify();
        assertThat(keks.configured()).isTrue();
        assertThat(keks.key("tenant-a").getEncoded()).isEqualTo(material);
        assertThat(keks.key("tenant-a").getAlgorithm()).isEqualTo("AES");
        assertThat(keks.toString()).doesNotContain(HexFormat.of().formatHex(material));
    }

    @Test
    void fromSettingsUsesPathAndPasswordAndIsNoneWhenThePathIsEmpty() throws Exception {
        byte[] material = TestKeystores.randomKey();
        Path ks = TestKeystores.create(tmp.resolve("keks.p12"), PASSWORD, Map.of("k", material));
        Settings s = Settings.load(null, Map.of("TAMTER_CRYPTO_KEYSTORE_PATH", ks.toString(),
                "TAMTER_CRYPTO_KEYSTORE_PASSWORD", new String(PASSWORD)), null);
        assertThat(KeyEncryptionKeys.fromSettings(s).key("k").getEncoded()).isEqualTo(material);

        KeyEncryptionKeys none = KeyEncryptionKeys.fromSettings(Settings.defaults());
        assertThat(none.configured()).isFalse();
        assertThatThrownBy(() -> none.key("k")).isInstanceOf(KeyUnavailableException.class)
                .hasMessageContaining("'k'").hasMessageContaining("no keystore is configured")
                .hasMessageContaining(Params.CRYPTO_KEYSTORE_PATH.key());
    }

    @Test
    void failuresNameTheKeyAndTheKeystoreButNoKeyMaterial() throws Exception {
        byte[] material = TestKeystores.randomKey();
        byte[] aes128 = new byte[16];
        Path ks = TestKeystores.create(tmp.resolve("keks.p12"), PASSWORD, Map.of("tenant-a", material, "short", aes128));

        assertThatThrownBy(() -> KeyEncryptionKeys.open(tmp.resolve("missing.p12"), PASSWORD).key("tenant-a"))
                .isInstanceOf(KeyUnavailableException.class)
                .hasMessageContaining("'tenant-a'").hasMessageContaining("missing.p12").hasMessageContaining("does not exist")
                .satisfies(e -> assertThat(((KeyUnavailableException) e).keyName()).isEqualTo("tenant-a"));
        assertThatThrownBy(() -> KeyEncryptionKeys.open(ks, "wrong".toCharArray()).key("tenant-a"))
                .isInstanceOf(KeyUnavailableException.class)
                .hasMessageContaining("'tenant-a'").hasMessageContaining("wrong keystore password");
        assertThatThrownBy(() -> KeyEncryptionKeys.open(ks, "wrong".toCharArray()).verify())
                .isInstanceOf(KeyUnavailableException.class).hasMessageContaining("wrong keystore password");
        KeyEncryptionKeys keks = KeyEncryptionKeys.open(ks, PASSWORD);
        assertThatThrownBy(() -> keks.key("tenant-z")).isInstanceOf(KeyUnavailableException.class)
                .hasMessageContaining("'tenant-z'").hasMessageContaining("has no entry of that name")
                .hasMessageNotContaining(HexFormat.of().formatHex(material));
        assertThatThrownBy(() -> keks.key("short")).isInstanceOf(KeyUnavailableException.class)
                .hasMessageContaining("'short'").hasMessageContaining("not an AES-256 key").hasMessageContaining("128 bits");
        assertThatThrownBy(() -> keks.key("")).isInstanceOf(IllegalArgumentException.class);
    }
}
