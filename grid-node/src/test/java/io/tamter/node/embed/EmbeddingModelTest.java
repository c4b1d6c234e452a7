package io.tamter.node.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The model registry: names as namespace settings use them, and what each model declares. */
class EmbeddingModelTest {
    @Test
    void namesResolveToModels() {
        assertThat(EmbeddingModel.fromName("all-minilm-l6-v2")).isSameAs(EmbeddingModel.ALL_MINILM_L6_V2);
        assertThat(EmbeddingModel.fromName("bge-small-en-v1.5")).isSameAs(EmbeddingModel.BGE_SMALL_EN_V1_5);
        assertThat(EmbeddingModel.fromName(" BGE-Small-EN-v1.5 ")).isSameAs(EmbeddingModel.BGE_SMALL_EN_V1_5);
        assertThat(EmbeddingModel.DEFAULT).isSameAs(EmbeddingModel.ALL_MINILM_L6_V2);
        assertThat(EmbeddingModel.names()).containsExactly("all-minilm-l6-v2", "bge-small-en-v1.5");
        for (EmbeddingModel m : EmbeddingModel.values()) {
            assertThat(m.settingName()).isEqualTo(m.settingName().toLowerCase(java.util.Locale.ROOT));
            assertThat(EmbeddingModel.fromName(m.settingName())).isSameAs(m);
        }
    }

    @Test
    void unknownNamesAreRejectedWithTheKnownOnes() {
        assertThatThrownBy(() -> EmbeddingModel.fromName("text-embedding-3-small"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'text-embedding-3-small'")
                .hasMessageContaining("all-minilm-l6-v2")
                .hasMessageContaining("bge-small-en-v1.5");
        assertThatThrownBy(() -> EmbeddingModel.fromName(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'null'");
    }

    @Test
    void modelsDeclareTheirShape() {
        assertThat(EmbeddingModel.ALL_MINILM_L6_V2.dimensions()).isEqualTo(384);
        assertThat(EmbeddingModel.ALL_MINILM_L6_V2.pooling()).isEqualTo(EmbeddingModel.Pooling.MEAN);
        assertThat(EmbeddingModel.ALL_MINILM_L6_V2.maxTokens()).isEqualTo(256);
        assertThat(EmbeddingModel.BGE_SMALL_EN_V1_5.dimensions()).isEqualTo(384);
        assertThat(EmbeddingModel.BGE_SMALL_EN_V1_5.pooling()).isEqualTo(EmbeddingModel.Pooling.CLS);
        assertThat(EmbeddingModel.BGE_SMALL_EN_V1_5.maxTokens()).isEqualTo(512);
        for (EmbeddingModel m : EmbeddingModel.values()) {
            assertThat(m.normalized()).isTrue();
            assertThat(Embedder.class.getClassLoader().getResource(m.modelResource())).as(m.modelResource()).isNotNull();
            assertThat(Embedder.class.getClassLoader().getResource(m.tokenizerResource())).as(m.tokenizerResource()).isNotNull();
        }
    }
}
