package io.tamter.node.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Full-text options of one attribute ({@code full_text_search} in the schema): how its text is
 * analyzed and the BM25 parameters it is ranked with.
 *
 * <p>Analysis options ({@link #language}, {@link #stemming}, {@link #removeStopwords},
 * {@link #caseSensitive}) shape the index: changing them on an attribute that already holds data
 * needs that data re-indexed. {@link #k1} and {@link #b} only affect ranking (Lucene's BM25
 * norms do not depend on them), so they take effect on the next query.
 *
 * @param k1 term-frequency saturation, {@code >= 0} (0 ignores term frequency)
 * @param b  length normalization in {@code [0, 1]} (0 ignores document length)
 */
public record FullTextOptions(String language, boolean stemming, boolean removeStopwords, boolean caseSensitive,
                              double k1, double b) {

    /**
     * Languages with a stemmer and a stopword list ({@code io.tamter.node.text.Analyzers} maps each
     * to Lucene's analysis-common).
     */
    public static final Set<String> LANGUAGES = Set.of("arabic", "danish", "dutch", "english", "finnish", "french",
            "german", "hungarian", "italian", "norwegian", "portuguese", "romanian", "russian", "spanish", "swedish");

    /** The API's defaults: english, stemmed, stopwords removed, case-insensitive, k1 = 1.2, b = 0.75. */
    public static final FullTextOptions DEFAULTS = new FullTextOptions("english", true, true, false, 1.2, 0.75);

    public FullTextOptions {
        if (language == null || !LANGUAGES.contains(language))
            throw new IllegalArgumentException("unsupported language: " + language + "; supported: " + LANGUAGES);
        if (!(k1 >= 0) || !Double.isFinite(k1)) throw new IllegalArgumentException("k1 must be finite and >= 0; k1=" + k1);
        if (!(b >= 0 && b <= 1)) throw new IllegalArgumentException("b must be in [0, 1]; b=" + b);
    }

    /** The same analysis: two attributes with equal keys tokenize text identically. */
    public AnalysisKey analysisKey() {
        return new AnalysisKey(language, stemming, removeStopwords, caseSensitive);
    }

    /** The options that decide tokenization (everything but the BM25 parameters). */
    public record AnalysisKey(String language, boolean stemming, boolean removeStopwords, boolean caseSensitive) {}

    /**
     * Parses a {@code full_text_search} value: {@code true} (defaults), {@code false} or null (no
     * full-text index: returns null) or an object whose absent keys take their defaults.
     *
     * @param path JSON path of {@code node} for error messages
     */
    public static FullTextOptions parse(JsonNode node, String path) {
        if (node == null || node.isNull() || node.isMissingNode()) return null;
        if (node.isBoolean()) return node.booleanValue() ? DEFAULTS : null;
        if (!node.isObject())
            throw new SchemaException(path, path + ": full_text_search must be true, false or an object, got " + node.getNodeType());
        String language = DEFAULTS.language;
        boolean stemming = DEFAULTS.stemming, stop = DEFAULTS.removeStopwords, cs = DEFAULTS.caseSensitive;
        double k1 = DEFAULTS.k1, b = DEFAULTS.b;
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String p = path + "." + e.getKey();
            JsonNode v = e.getValue();
            switch (e.getKey()) {
                case "language" -> {
                    if (!v.isTextual()) throw new SchemaException(p, p + ": language must be a string");
                    language = v.textValue().strip().toLowerCase(Locale.ROOT);
                    if (!LANGUAGES.contains(language))
                        throw new SchemaException(p, p + ": unsupported language '" + v.textValue() + "'; supported: "
                                + LANGUAGES.stream().sorted().toList());
                }
                case "stemming" -> stemming = bool(v, p);
                case "remove_stopwords" -> stop = bool(v, p);
                case "case_sensitive" -> cs = bool(v, p);
                case "k1" -> {
                    k1 = number(v, p);
                    if (!(k1 >= 0) || !Double.isFinite(k1)) throw new SchemaException(p, p + ": k1 must be >= 0; k1=" + v);
                }
                case "b" -> {
                    b = number(v, p);
                    if (!(b >= 0 && b <= 1)) throw new SchemaException(p, p + ": b must be in [0, 1]; b=" + v);
                }
                default -> throw new SchemaException(p, p + ": unknown full_text_search option '" + e.getKey()
                        + "'; known: language, stemming, remove_stopwords, case_sensitive, k1, b");
            }
        }
        return new FullTextOptions(language, stemming, stop, cs, k1, b);
    }

    private static boolean bool(JsonNode v, String p) {
        if (!v.isBoolean()) throw new SchemaException(p, p + ": must be true or false, got " + v);
        return v.booleanValue();
    }

    private static double number(JsonNode v, String p) {
        if (!v.isNumber()) throw new SchemaException(p, p + ": must be a number, got " + v);
        return v.doubleValue();
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("language", language).put("stemming", stemming).put("remove_stopwords", removeStopwords)
                .put("case_sensitive", caseSensitive).put("k1", k1).put("b", b);
        return o;
    }
}
