package io.tamter.client;

/**
 * An operation the grid refused or could not run, with API.md's error body: the HTTP status the
 * REST API would have answered (400, 404, 409, 429, 503, …), the error code ({@code invalid_vector_dimensions},
 * {@code namespace_not_found}, …), the message, the JSON path of the offending value ("" when the
 * error is not about one value) and, for 429/503, the seconds after which to retry (0 = none).
 */
public class TamterException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int httpStatus;
    private final String code;
    private final String path;
    private final int retryAfterSeconds;

    public TamterException(int httpStatus, String code, String message, String path, int retryAfterSeconds) {
        super(httpStatus + " " + code + ": " + message);
        this.httpStatus = httpStatus;
        this.code = code;
        this.path = path == null ? "" : path;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String code() {
        return code;
    }

    /** The JSON path of the value at fault ({@code upsert_rows[3].vector}), or "". */
    public String path() {
        return path;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
