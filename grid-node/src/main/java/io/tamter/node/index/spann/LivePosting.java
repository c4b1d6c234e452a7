package io.tamter.node.index.spann;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The live entries of a posting: those whose version equals the vid's current version slot
 * (which also excludes deleted vids), at most one per vid. What a rewrite keeps.
 */
public final class LivePosting {
    private final long[] vids;
    private final int[] versions;
    private final float[][] vectors;
    private final int count;
    private final int totalEntries;

    private LivePosting(long[] vids, int[] versions, float[][] vectors, int count, int totalEntries) {
        this.vids = vids;
        this.versions = versions;
        this.vectors = vectors;
        this.count = count;
        this.totalEntries = totalEntries;
    }

    public static LivePosting of(byte[] posting, int dim, VersionMap vm, long headId) {
        int n = PostingCodec.count(posting, dim, headId);
        long[] vids = new long[n];
        int[] vers = new int[n];
        float[][] vecs = new float[n][];
        Set<Long> seen = new HashSet<>();
        int m = 0;
        for (int i = 0; i < n; i++) {
            long vid = PostingCodec.vid(posting, dim, i);
            int ver = PostingCodec.version(posting, dim, i);
            if (vm.get(vid) != ver || !seen.add(vid)) continue;
            vids[m] = vid;
            vers[m] = ver;
            vecs[m] = PostingCodec.vector(posting, dim, i, new float[dim]);
            m++;
        }
        return new LivePosting(vids, vers, vecs, m, n);
    }

    /** Entries whose version is current (a cheap pass over the headers only). */
    public static int countLive(byte[] posting, int dim, int count, VersionMap vm) {
        int live = 0;
        for (int i = 0; i < count; i++) {
            if (vm.get(PostingCodec.vid(posting, dim, i)) == PostingCodec.version(posting, dim, i)) live++;
        }
        return live;
    }

    /** {@link #countLive(byte[], int, int, VersionMap)} for a decoded posting (versions compared as unsigned 16 bits). */
    public static int countLive(long[] vids, short[] versions, int count, VersionMap vm) {
        int live = 0;
        for (int i = 0; i < count; i++) if (vm.get(vids[i]) == (versions[i] & 0xFFFF)) live++;
        return live;
    }

    public int count() { return count; }
    public int totalEntries() { return totalEntries; }
    public long vid(int i) { return vids[i]; }
    public int version(int i) { return versions[i]; }
    public float[] vector(int i) { return vectors[i]; }

    public byte[] encode(int dim) {
        return PostingCodec.encode(dim, count, vids, versions, vectors);
    }

    /** The subset of entries at the given positions. */
    public LivePosting subset(int[] positions, int n) {
        long[] v = new long[n];
        int[] ve = new int[n];
        float[][] x = new float[n][];
        for (int i = 0; i < n; i++) {
            v[i] = vids[positions[i]];
            ve[i] = versions[positions[i]];
            x[i] = vectors[positions[i]];
        }
        return new LivePosting(v, ve, x, n, n);
    }

    /** This posting's entries followed by those of {@code other} whose vid is not already here. */
    public LivePosting union(LivePosting other) {
        Set<Long> have = new HashSet<>();
        for (int i = 0; i < count; i++) have.add(vids[i]);
        long[] v = Arrays.copyOf(vids, count + other.count);
        int[] ve = Arrays.copyOf(versions, count + other.count);
        float[][] x = Arrays.copyOf(vectors, count + other.count);
        int m = count;
        for (int i = 0; i < other.count; i++) {
            if (!have.add(other.vids[i])) continue;
            v[m] = other.vids[i];
            ve[m] = other.versions[i];
            x[m] = other.vectors[i];
            m++;
        }
        return new LivePosting(v, ve, x, m, m);
    }
}
