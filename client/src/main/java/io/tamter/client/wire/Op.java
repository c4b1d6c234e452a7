package io.tamter.client.wire;

import java.util.Locale;

/**
 * Every operation of API.md that reaches the engine, by the name callers use ({@link #wire()}):
 * the HTTP routes map to these, and {@link io.tamter.client.TamterClient} sends them over the Ignite thin client.
 */
public enum Op {
    UPSERT(Access.WRITE, true),
    UPSERT_COLUMNS(Access.WRITE, true),
    UPDATE(Access.WRITE, true),
    UPDATE_COLUMNS(Access.WRITE, true),
    BATCH_DELETE(Access.WRITE, true),
    CONDITIONAL_UPSERT(Access.WRITE, true),
    CONDITIONAL_UPDATE(Access.WRITE, true),
    CONDITIONAL_DELETE(Access.WRITE, true),
    FILTER_DELETE(Access.WRITE, true),
    UPDATE_BY_FILTER(Access.WRITE, true),
    CONFIGURE_METRIC(Access.WRITE, true),
    GET_SCHEMA(Access.READ, false),
    SET_SCHEMA(Access.WRITE, true),
    GET_ENCRYPTION(Access.READ, false),
    SET_ENCRYPTION(Access.ADMIN, true),
    COPY(Access.WRITE, true),
    SEARCH(Access.READ, false),
    MULTI_SEARCH(Access.READ, false),
    LIST_NAMESPACES(Access.READ, false),
    GET_NAMESPACE(Access.READ, false),
    DELETE_NAMESPACE(Access.WRITE, true),
    GET_DOCUMENT(Access.READ, false),
    EXPORT(Access.READ, false),
    WARM(Access.READ, false),
    DEBUG_RECALL(Access.READ, false),
    CREATE_NAMESPACE(Access.WRITE, true),
    GET_CLUSTER(Access.ADMIN, false);

    /** What an API key needs for the operation (API.md "Auth"). */
    public enum Access { READ, WRITE, ADMIN }

    private final Access access;
    private final boolean mutates;

    Op(Access access, boolean mutates) {
        this.access = access;
        this.mutates = mutates;
    }

    public Access access() {
        return access;
    }

    /** Whether it changes data: it gets an operation id, and it creates a missing namespace. */
    public boolean mutates() {
        return mutates;
    }

    /** Whether it is about one namespace (all but listing and the cluster view). */
    public boolean namespaced() {
        return this != LIST_NAMESPACES && this != GET_CLUSTER;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Op fromWire(String s) {
        for (Op o : values()) if (o.wire().equals(s)) return o;
        throw new IllegalArgumentException("unknown operation: " + s);
    }
}
