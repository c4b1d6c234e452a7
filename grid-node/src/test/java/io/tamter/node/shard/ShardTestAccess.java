package io.tamter.node.shard;

import java.util.concurrent.CountDownLatch;

/** Test hooks of the shard package for tests elsewhere. */
public final class ShardTestAccess {
    private ShardTestAccess() {
    }

    /** Vector index rebuilds wait before each step until {@link #releaseRebuilds()}. */
    public static void holdRebuilds() {
        VectorIndexRebuild.holdForTests = new CountDownLatch(1);
    }

    public static void releaseRebuilds() {
        CountDownLatch l = VectorIndexRebuild.holdForTests;
        VectorIndexRebuild.holdForTests = null;
        if (l != null) l.countDown();
    }
}
