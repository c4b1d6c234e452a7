package io.tamter.node.shard;

import io.tamter.node.doc.DocId;
import io.tamter.node.doc.Document;

/**
 * One resolved effect of a write batch on a shard, as the WAL records it: conditions have been
 * evaluated, patches merged and vids assigned before the batch is logged, so applying (and
 * replaying) a logged batch needs nothing but the effects themselves and is idempotent.
 */
public sealed interface ShardWrite {
    long vid();

    /** Store {@code doc} under {@code vid}, replacing what {@code vid} held. */
    record Put(long vid, Document doc) implements ShardWrite {}

    /** Remove the document {@code id}, stored under {@code vid}. */
    record Delete(long vid, DocId id) implements ShardWrite {}
}
