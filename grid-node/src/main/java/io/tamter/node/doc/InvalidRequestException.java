package io.tamter.node.doc;

/**
 * A caller mistake in a write or search request (HTTP 400): a bad id, a vector of the wrong
 * dimensions or with NaN/Inf, a duplicate id, an attribute given twice, … The message starts with
 * the JSON path it concerns ({@code upsert_rows[3].vector: …}); {@link #code()} is the error code of
 * API.md's error body. Schema and filter mistakes have their own exceptions
 * ({@link io.tamter.node.schema.SchemaException}, {@link io.tamter.node.filter.FilterException}),
 * which are also {@link IllegalArgumentException}s with a code and a path.
 */
public class InvalidRequestException extends IllegalArgumentException implements RequestError {
    private final String code;
    private final String path;

    public InvalidRequestException(String code, String path, String message) {
        super(message);
        this.code = code;
        this.path = path;
    }

    public String code() {
        return code;
    }

    public String path() {
        return path;
    }
}
