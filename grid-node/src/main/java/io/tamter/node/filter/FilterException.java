package io.tamter.node.filter;

/**
 * A filter is invalid (HTTP 400): unknown operator, unknown or non-filterable attribute, or a
 * value whose type does not fit the attribute. The message starts with the offending path (e.g.
 * {@code filter.price.$lt}) and {@link #path()} returns it alone, for the error body.
 */
public class FilterException extends IllegalArgumentException implements io.tamter.node.doc.RequestError {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final String path;

    public FilterException(String code, String path, String message) {
        super(path + ": " + message);
        this.code = code;
        this.path = path;
    }

    /** {@code unknown_operator}, {@code unknown_attribute}, {@code not_filterable}, {@code type_mismatch} or {@code invalid_filter}. */
    public String code() {
        return code;
    }

    public String path() {
        return path;
    }
}
