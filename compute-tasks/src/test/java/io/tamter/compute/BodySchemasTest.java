package io.tamter.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tamter.client.wire.Op;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.namespace.SearchRequest;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The body schemas describe every operation, every {@code $ref} points at a schema, and the field
 * lists the request checks use are the schemas' (the response side is checked against real answers
 * in http-frontend's OpenApiSpecTest).
 */
class BodySchemasTest {
    @Test
    void everyOperationHasAResponseSchemaAndEveryRefResolves() {
        for (Op op : Op.values()) {
            assertThat(BodySchemas.response(op).get("$ref").asText()).as(op.wire()).startsWith("#/components/schemas/");
            BodySchemas.checkRefs(BodySchemas.response(op));
            if (BodySchemas.request(op) != null) BodySchemas.checkRefs(BodySchemas.request(op));
        }
        BodySchemas.checkRefs(BodySchemas.components());
        BodySchemas.checkRefs(BodySchemas.error());
        assertThatThrownBy(() -> BodySchemas.checkRefs(JsonNodeFactory.instance.objectNode().put("$ref", "#/components/schemas/Nope")))
                .hasMessageContaining("Nope");
    }

    @Test
    void theSearchSchemaListsExactlyTheFieldsTheParserTakes() {
        assertThat(BodySchemas.requestFields(Op.SEARCH)).isEqualTo(SearchRequest.KEYS);
        assertThat(BodySchemas.requestFields(Op.CONDITIONAL_UPSERT)).isEqualTo(Set.of("upsert_rows", "condition"));
        assertThat(BodySchemas.requestFields(Op.GET_NAMESPACE)).isEmpty();
    }

    @Test
    void aFieldTheSchemaDoesNotListIsA400NamingIt() {
        var body = JsonNodeFactory.instance.objectNode();
        body.putArray("upsert_rows");
        body.put("conditon", 1);
        assertThatThrownBy(() -> EngineOps.checkFields(body, BodySchemas.requestFields(Op.CONDITIONAL_UPSERT)))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("conditon");
    }
}
