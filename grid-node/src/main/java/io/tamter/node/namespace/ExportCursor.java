package io.tamter.node.namespace;

import io.tamter.node.doc.DocId;
import io.tamter.node.doc.InvalidRequestException;
import java.util.Base64;

/**
 * Order and cursor of a namespace export ({@code GET …/documents?cursor=&limit=}).
 *
 * <p><b>Id order</b> is the byte order of {@link DocId#key()} ({@link DocId#compareTo}): first every
 * unsigned 64-bit integer id in numeric order, then every UUID in the order of its 128-bit value
 * (the order of the canonical lower-case strings), then every string id in the byte order of its
 * UTF-8 form (code point order). It does not depend on the number of shards: each shard reads
 * its document store in that order from the cursor and the namespace merges the shards.
 *
 * <p>The <b>cursor</b> is opaque to clients: {@code "1"} (the cursor version) followed by the
 * unpadded base64url form of the last exported id's key. A page holds the documents with ids
 * greater than the cursor's, so documents written or deleted during an export do not shift the
 * pages: an id is exported at most once, and a document that exists throughout is exported once.
 */
final class ExportCursor {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 10_000;
    private static final char VERSION = '1';

    private ExportCursor() {
    }

    static String encode(DocId last) {
        return VERSION + Base64.getUrlEncoder().withoutPadding().encodeToString(last.key());
    }

    /** The id a page starts after; null for a null or empty cursor (the first page). */
    static DocId decode(String cursor) {
        if (cursor == null || cursor.isEmpty()) return null;
        try {
            if (cursor.charAt(0) != VERSION) throw new IllegalArgumentException("unknown cursor version");
            return DocId.fromKey(Base64.getUrlDecoder().decode(cursor.substring(1)));
        } catch (RuntimeException e) {
            throw new InvalidRequestException("invalid_cursor", "cursor", "cursor: not a cursor of this export (pass the next_cursor of the previous page)");
        }
    }

    static int parseLimit(String limit) {
        if (limit == null || limit.isEmpty()) return DEFAULT_LIMIT;
        int n;
        try {
            n = Integer.parseInt(limit.trim());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > MAX_LIMIT)
            throw new InvalidRequestException("invalid_request", "limit", "limit: must be an integer in 1.." + MAX_LIMIT + "; got '" + limit + "'");
        return n;
    }
}
