package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The outcome of a write (API.md's write response without {@code status}/{@code operation_id}):
 * counts, and the rows not applied for a non-fatal reason. {@code conditionMet} is true when every
 * row met the condition (always true for unconditional writes); {@code skipped} counts rows whose
 * condition failed.
 */
public record WriteResult(int inserted, int updated, int deleted, int skipped, boolean conditionMet, List<RowError> errors) {
    /** A row not applied: its id as given, a code ({@code not_found}) and a message. */
    public record RowError(JsonNode id, String code, String message) {}
}
