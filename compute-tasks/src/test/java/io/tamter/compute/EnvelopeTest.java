package io.tamter.compute;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tamter.client.wire.Envelope;
import io.tamter.client.wire.Op;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The wire format the thin client (tamter-client) and the task share: one encoding, read the same on both sides. */
class EnvelopeTest {
    @Test
    void theClientRunsTheTaskByItsClassName() {
        assertThat(Envelope.TASK_NAME).isEqualTo(TamterTask.class.getName()).isEqualTo(TamterTask.NAME);
    }

    @Test
    void requestsAndResponsesRoundTripBetweenClientAndServerTypes() {
        var body = JsonNodeFactory.instance.objectNode().put("top_k", 3);
        String wire = new Envelope.Request("get-document", "ns", body, Map.of("id", "7"), "t-1", null).encode();
        OpRequest r = OpRequest.decode(wire);
        assertThat(r.op()).isEqualTo(Op.GET_DOCUMENT);
        assertThat(r.namespace()).isEqualTo("ns");
        assertThat(r.param("id")).isEqualTo("7");
        assertThat(r.traceId()).isEqualTo("t-1");
        assertThat(r.operationId()).isNull();
        assertThat(r.encode()).isEqualTo(wire);

        OpResponse err = OpResponse.error(503, "shard_moved", "moved", "", 1);
        Envelope.Response back = Envelope.Response.decode(err.encode());
        assertThat(back.httpStatus()).isEqualTo(503);
        assertThat(back.retryAfterSeconds()).isEqualTo(1);
        assertThat(back.body().get("error").get("code").asText()).isEqualTo("shard_moved");
        assertThat(back.body().get("error").has("path")).isFalse();
        assertThat(OpResponse.decode(back.encode())).isEqualTo(err);
        assertThat(EngineOps.newOperationId()).startsWith("op-");
    }

    @Test
    void theSizeEstimateOfAWriteIsCloseToItsEncodedLength() throws Exception {
        java.util.Random r = new java.util.Random(5);
        StringBuilder rows = new StringBuilder("{\"upsert_rows\":[");
        for (int i = 0; i < 200; i++) {
            rows.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append(",\"title\":\"row ").append(i).append("\",\"vector\":[");
            for (int d = 0; d < 128; d++) rows.append(d == 0 ? "" : ",").append(i % 2 == 0 ? (float) r.nextGaussian() : (float) r.nextInt(128));
            rows.append("],\"tags\":[\"a\",\"b\"],\"ok\":true}");
        }
        var body = OpRequest.JSON.readTree(rows.append("]}").toString());
        OpRequest w = new OpRequest(Op.UPSERT, "ns", body, Map.of(), "t-2", "op-1");
        long real = w.encode().length(), estimate = w.sizeEstimate();
        // backpressure needs a measure that grows with the write, not the exact text: within a factor of 1.5 either way
        assertThat((double) estimate).isBetween(real / 1.5, real * 1.5);
        assertThat(new OpRequest(Op.UPSERT, "ns", null, null, null, null).sizeEstimate()).isPositive();
    }
}
