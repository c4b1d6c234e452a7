package io.tamter.http.api;

import io.javalin.http.HandlerType;
import io.tamter.client.wire.Op;
import java.util.List;

/**
 * One REST route of API.md: the HTTP methods it answers, its path template ({@code {ns}} is the
 * namespace), the engine operation behind it, whether it takes a JSON body, and a one-line summary
 * (for {@code /openapi.json}).
 */
public record Route(List<HandlerType> methods, String path, Op op, boolean jsonBody, String summary) {
    public boolean namespaced() {
        return path.contains("{ns}");
    }
}
