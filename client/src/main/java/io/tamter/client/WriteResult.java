package io.tamter.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A write's answer (API.md's write response): counts, the rows not applied for a non-fatal reason
 * (a patch of a missing id: {@code not_found}) and the operation id the grid logged it under.
 */
public record WriteResult(long inserted, long updated, long deleted, long skipped, List<RowError> errors, String operationId, JsonNode json) {
    /** A row that was not applied: its id, the code ({@code not_found}, …) and why. */
    public record RowError(Object id, String code, String message) {}

    static WriteResult fromJson(JsonNode body) {
        List<RowError> errors = new ArrayList<>();
        for (JsonNode e : body.path("errors"))
            errors.add(new RowError(Json.id(e.get("id")), e.path("code").asText(), e.path("message").asText()));
        return new WriteResult(body.path("inserted").asLong(), body.path("updated").asLong(), body.path("deleted").asLong(),
                body.path("skipped").asLong(), List.copyOf(errors), body.path("operation_id").asText(null), body);
    }
}
