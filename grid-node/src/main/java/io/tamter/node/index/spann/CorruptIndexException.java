package io.tamter.node.index.spann;

/** The stored index is not in a form this build can read (bad magic, version, length or checksum). */
public class CorruptIndexException extends RuntimeException {
    public CorruptIndexException(String message) {
        super(message);
    }
}
