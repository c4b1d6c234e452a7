package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.node.crypto.EnvelopeCodec;
import io.tamter.node.doc.InvalidRequestException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;

/**
 * How a namespace's data is encrypted in the object store (API.md, the {@code encryption} route):
 * {@code {"mode":"default"}} (no encryption by Tamter; the object store's own encryption at rest)
 * or {@code {"mode":"customer-managed","key_name":"…"}} (every object of the namespace but
 * {@code meta.json} and the wrapped data key record is encrypted with the namespace's data key,
 * wrapped by the key-encryption key {@code key_name} of the node's keystore: see
 * {@link io.tamter.node.crypto}). The key name is not secret; key material never appears here.
 */
public record EncryptionSettings(Mode mode, String keyName) {
    public enum Mode {
        DEFAULT("default"), CUSTOMER_MANAGED("customer-managed");

        private final String apiName;

        Mode(String apiName) {
            this.apiName = apiName;
        }

        public String apiName() {
            return apiName;
        }
    }

    public static final EncryptionSettings DEFAULT = new EncryptionSettings(Mode.DEFAULT, null);
    /** The fields of the body (the OpenAPI schema of that body is checked against them). */
    public static final Set<String> KEYS = Set.of("mode", "key_name");

    public EncryptionSettings {
        if (mode == null) throw new IllegalArgumentException("mode must not be null");
        if (mode == Mode.DEFAULT && keyName != null) throw new IllegalArgumentException("mode default has no key name");
        if (mode == Mode.CUSTOMER_MANAGED && (keyName == null || keyName.isEmpty()))
            throw new IllegalArgumentException("mode customer-managed needs a key name");
    }

    public static EncryptionSettings customerManaged(String keyName) {
        return new EncryptionSettings(Mode.CUSTOMER_MANAGED, keyName);
    }

    public boolean customerManaged() {
        return mode == Mode.CUSTOMER_MANAGED;
    }

    /**
     * Parses {@code {"mode":…, "key_name":…}}; {@code path} is the JSON path of the object in the
     * request ({@code ""} for the body of the encryption route, {@code "encryption"} in creation
     * options). Errors name the field ({@code key_name}, {@code encryption.mode}).
     */
    public static EncryptionSettings fromJson(JsonNode o, String path) {
        String p = path.isEmpty() ? "" : path + ".";
        if (o == null || !o.isObject())
            throw new InvalidRequestException("invalid_request", path, (path.isEmpty() ? "the body" : path)
                    + ": encryption settings are an object {\"mode\":\"default\"|\"customer-managed\", \"key_name\":…}");
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) throw new InvalidRequestException("invalid_request", p + k, p + k + ": unknown encryption field; known: " + KEYS);
        }
        JsonNode m = o.get("mode");
        if (m == null || m.isNull()) throw new InvalidRequestException("invalid_request", p + "mode", p + "mode: is missing (default or customer-managed)");
        JsonNode k = o.get("key_name");
        boolean hasKey = k != null && !k.isNull();
        switch (m.asText()) {
            case "default" -> {
                if (hasKey) throw new InvalidRequestException("invalid_request", p + "key_name", p + "key_name: mode default takes no key_name");
                return DEFAULT;
            }
            case "customer-managed" -> {
                if (!hasKey) throw new InvalidRequestException("invalid_request", p + "key_name", p + "key_name: mode customer-managed needs the key_name of a key in the node's keystore");
                if (!k.isTextual()) throw new InvalidRequestException("invalid_request", p + "key_name", p + "key_name: must be a string; got " + k);
                String name = k.textValue();
                int bytes = name.getBytes(StandardCharsets.UTF_8).length;
                if (bytes == 0 || bytes > EnvelopeCodec.MAX_KEY_NAME_BYTES || name.chars().anyMatch(Character::isISOControl))
                    throw new InvalidRequestException("invalid_request", p + "key_name", p + "key_name: must be 1.." + EnvelopeCodec.MAX_KEY_NAME_BYTES
                            + " UTF-8 bytes without control characters");
                return customerManaged(name);
            }
            default -> throw new InvalidRequestException("invalid_request", p + "mode", p + "mode: must be default or customer-managed; got " + m);
        }
    }

    /** {@code {"mode":…}} plus {@code key_name} for customer-managed keys: what meta.json and GET show. */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("mode", mode.apiName());
        if (keyName != null) o.put("key_name", keyName);
        return o;
    }
}
