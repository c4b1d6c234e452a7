package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** LIRE's replica-count hint and the rule that uses it to decide whether a re-checked vector moves. */
class ReplicaCountsTest {
    @Test
    void countsGrowWithTheVidsAndStartUnknown() {
        ReplicaCounts c = new ReplicaCounts();
        assertThat(c.get(5)).isEqualTo(ReplicaCounts.UNKNOWN);
        assertThat(c.get(-1)).isEqualTo(ReplicaCounts.UNKNOWN);
        c.set(5, 3);
        c.set(100_000, 2);
        c.set(7, 1000); // capped, not wrapped
        assertThat(c.get(5)).isEqualTo(3);
        assertThat(c.get(100_000)).isEqualTo(2);
        assertThat(c.get(7)).isEqualTo(255);
        assertThat(c.get(99_999)).isEqualTo(ReplicaCounts.UNKNOWN);
    }

    @Test
    void aVectorStaysOnlyInItsNearestHeadWithAsManyReplicasAsTheRulesWant() {
        // previousHead, nearest chosen head, heads chosen now, replicas last written
        assertThat(SpannCore.staysPut(4, 4, 2, 2)).isTrue();
        assertThat(SpannCore.staysPut(4, 4, 1, 3)).as("fewer wanted than it has: stays").isTrue();
        assertThat(SpannCore.staysPut(4, 9, 2, 2)).as("found in a posting that is not its nearest head").isFalse();
        assertThat(SpannCore.staysPut(4, 4, 3, 1)).as("the rules now want more replicas than it has").isFalse();
        assertThat(SpannCore.staysPut(4, 4, 3, ReplicaCounts.UNKNOWN)).as("count unknown (reopened): nearest head is enough").isTrue();
    }
}
