package io.tamter.http.api;

import io.tamter.compute.OpRequest;
import io.tamter.compute.OpResponse;

/** Where the REST layer sends operations: the grid ({@link GridExecutor}). */
@FunctionalInterface
public interface OpExecutor {
    OpResponse execute(OpRequest request);
}
