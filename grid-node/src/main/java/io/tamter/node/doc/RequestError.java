package io.tamter.node.doc;

/**
 * A caller mistake with what the error body of API.md needs: a machine-readable {@link #code()}
 * and the JSON {@link #path()} of the offending part ({@code upsert_rows[3].vector}). Implemented by
 * the engine's 400-class exceptions so the layers above map them without knowing each one.
 */
public interface RequestError {
    String code();

    String path();
}
