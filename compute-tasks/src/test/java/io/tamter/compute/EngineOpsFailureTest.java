package io.tamter.compute;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tamter.client.wire.Op;
import io.tamter.node.namespace.WriteOutcomeUnknownException;
import io.tamter.node.wal.WalUnavailableException;
import io.tamter.node.wal.WalWriteException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How object-store failures map to API errors ({@link EngineOps#failure}, the one place): 503
 * {@code storage_unavailable} with Retry-After when nothing was written, 500
 * {@code write_outcome_unknown} when a write may have been.
 */
class EngineOpsFailureTest {
    private static final OpRequest UPSERT = new OpRequest(Op.UPSERT, "ns", JsonNodeFactory.instance.objectNode(), Map.of(), "t1", "op1");

    private static void assertError(OpResponse r, int status, String code, boolean retryAfter) {
        assertThat(r.httpStatus()).isEqualTo(status);
        assertThat(r.body().at("/error/code").asText()).isEqualTo(code);
        if (retryAfter) assertThat(r.retryAfterSeconds()).isPositive();
        else assertThat(r.retryAfterSeconds()).isZero();
    }

    @Test
    void aStoreErrorIs503WithRetryAfterWhetherPlainOrWrapped() {
        assertError(EngineOps.failure(new SocketTimeoutException("read timed out"), UPSERT), 503, "storage_unavailable", true);
        assertError(EngineOps.failure(new UncheckedIOException(new IOException("store down")), UPSERT), 503, "storage_unavailable", true);
        assertError(EngineOps.failure(new WalUnavailableException("segment 7 unsettled"), UPSERT), 503, "storage_unavailable", true);
    }

    @Test
    void aWriteThatMayHaveLandedIsAnUnknownOutcomeNotA503() {
        OpResponse r = EngineOps.failure(new WalWriteException("outcome unknown", new IOException("lost")), UPSERT);
        assertError(r, 500, "write_outcome_unknown", false);
        assertThat(r.body().at("/error/message").asText()).contains("may or may not");
        assertError(EngineOps.failure(new WriteOutcomeUnknownException("shard 1 failed after shard 0", new WalUnavailableException("x")),
                UPSERT), 500, "write_outcome_unknown", false);
    }

    @Test
    void theRetryAfterTravelsWithTheResponseToAnotherNode() {
        OpResponse r = EngineOps.failure(new WalUnavailableException("segment 7 unsettled"), UPSERT);
        OpResponse again = OpResponse.decode(r.encode());
        assertThat(again.httpStatus()).isEqualTo(503);
        assertThat(again.retryAfterSeconds()).isEqualTo(r.retryAfterSeconds());
        assertThat(again.body().at("/error/code").asText()).isEqualTo("storage_unavailable");
    }
}
