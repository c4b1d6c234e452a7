package io.tamter.node.index.spann;

import io.tamter.node.index.spann.IndexMetaCodec.Meta;
import io.tamter.node.index.spann.IndexMetaCodec.State;
import io.tamter.node.storage.ShardDb;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.rocksdb.ReadOptions;
import org.rocksdb.Snapshot;

/**
 * Verifies what SPFRESH.md promises survives any crash, from the stored state alone (never from
 * in-memory structures): the meta record decodes; every posting and head record decodes; no
 * posting without a head and no head without a posting (a flat index has exactly the flat
 * posting and no heads); and every live vid has an entry of its current version in at least
 * one posting whose head exists.
 */
public final class IntegrityCheck {
    private IntegrityCheck() {}

    public record Report(boolean ok, List<String> problems, long liveVectors, int heads, int postings, long entries, long missingLive) {
        public String toJson() {
            StringBuilder sb = new StringBuilder("{\"ok\":").append(ok).append(",\"live_vectors\":").append(liveVectors)
                    .append(",\"heads\":").append(heads).append(",\"postings\":").append(postings).append(",\"entries\":").append(entries)
                    .append(",\"missing_live\":").append(missingLive).append(",\"problems\":[");
            for (int i = 0; i < problems.size(); i++) {
                if (i > 0) sb.append(',');
                sb.append('"').append(problems.get(i).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
            return sb.append("]}").toString();
        }
    }

    private static final int MAX_REPORTED = 50;

    public static Report run(ShardDb db) {
        // one snapshot for every scan: each mutation is one atomic batch, so a consistent view
        // shows no half-done split even while the rebalancer runs
        Snapshot snap = db.db().getSnapshot();
        try (ReadOptions reads = new ReadOptions().setSnapshot(snap)) {
            return run(new SpannStorage(db, reads));
        } finally {
            db.db().releaseSnapshot(snap);
        }
    }

    private static Report run(SpannStorage storage) {
        List<String> problems = new ArrayList<>();
        byte[] mb = storage.meta();
        if (mb == null) {
            problems.add("no index meta record");
            return new Report(false, problems, 0, 0, 0, 0, 0);
        }
        Meta meta;
        try {
            meta = IndexMetaCodec.decode(mb);
        } catch (CorruptIndexException e) {
            problems.add(e.getMessage());
            return new Report(false, problems, 0, 0, 0, 0, 0);
        }
        int dim = meta.dim();
        VersionMap versions = new VersionMap(1024);
        long[] live = {0};
        storage.forEachVersion((vid, v) -> {
            int slot;
            try {
                slot = VersionMap.decode(vid, v);
            } catch (CorruptIndexException e) {
                add(problems, e.getMessage());
                return;
            }
            versions.set(vid, slot);
            if (!VersionMap.isDeleted(slot)) live[0]++;
        });
        Set<Long> headIds = new HashSet<>();
        storage.forEachHead((id, value) -> {
            try {
                HeadCodec.decode(value, dim, id);
                headIds.add(id);
            } catch (CorruptIndexException e) {
                add(problems, e.getMessage());
            }
        });
        BitSet found = new BitSet();
        Set<Long> postingIds = new HashSet<>();
        long[] entries = {0};
        storage.forEachPosting((id, value) -> {
            postingIds.add(id);
            int n;
            try {
                n = PostingCodec.count(value, dim, id);
            } catch (CorruptIndexException e) {
                add(problems, e.getMessage());
                return;
            }
            entries[0] += n;
            boolean flat = id == SpannStorage.FLAT_HEAD;
            if (flat && meta.state() != State.FLAT) add(problems, "built index still has the flat posting");
            if (!flat && !headIds.contains(id)) {
                add(problems, "posting " + id + " has no head");
                return;
            }
            for (int i = 0; i < n; i++) {
                long vid = PostingCodec.vid(value, dim, i);
                if (vid < 0 || vid > Integer.MAX_VALUE) {
                    add(problems, "posting " + id + " entry " + i + " has vid " + vid);
                    continue;
                }
                if (versions.get(vid) == PostingCodec.version(value, dim, i)) found.set((int) vid);
            }
        });
        for (long h : headIds) if (!postingIds.contains(h)) add(problems, "head " + h + " has no posting");
        if (meta.state() == State.FLAT && !headIds.isEmpty()) add(problems, "flat index has " + headIds.size() + " heads");
        long missing = 0;
        for (int vid = 0; vid < versions.limit(); vid++) {
            int b = versions.get(vid);
            if (!VersionMap.isDeleted(b) && !found.get(vid)) {
                missing++;
                add(problems, "live vid " + vid + " (version " + VersionMap.version(b) + ") is in no posting with a head");
            }
        }
        return new Report(problems.isEmpty(), problems, live[0], headIds.size(), postingIds.size(), entries[0], missing);
    }

    private static void add(List<String> problems, String p) {
        if (problems.size() < MAX_REPORTED) problems.add(p);
        else if (problems.size() == MAX_REPORTED) problems.add("… more problems not listed");
    }
}
