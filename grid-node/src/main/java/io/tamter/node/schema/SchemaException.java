package io.tamter.node.schema;

/**
 * A schema, or a value written against it, is invalid: the caller's mistake (HTTP 400). The
 * message names the offending attribute; {@link #path()} is the JSON path of the bad part of the
 * request (for the error body's {@code path}), relative to the object that was parsed.
 */
public class SchemaException extends IllegalArgumentException implements io.tamter.node.doc.RequestError {
    private static final long serialVersionUID = 1L;

    private final String path;
    private final String code;

    public SchemaException(String path, String message) {
        this("invalid_schema", path, message);
    }

    public SchemaException(String code, String path, String message) {
        super(message);
        this.code = code;
        this.path = path;
    }

    /** JSON path of the offending part, e.g. {@code price.full_text_search.k1}. */
    public String path() {
        return path;
    }

    /** Machine-readable error code for the error body, e.g. {@code invalid_schema}, {@code type_mismatch}. */
    public String code() {
        return code;
    }
}
