package io.tamter.node.namespace;

/**
 * A write request spanning several shards failed after the part of at least one shard was
 * written: it is partly applied (each row wholly or not at all), so no answer that promises
 * "nothing was written" is true (maps to HTTP 500 {@code write_outcome_unknown}). Upserts and
 * deletes by id can be sent again; the cause says what failed.
 */
public class WriteOutcomeUnknownException extends RuntimeException {
    public WriteOutcomeUnknownException(String message, Throwable cause) {
        super(message, cause);
    }
}
