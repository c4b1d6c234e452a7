package io.tamter.node.index.lire;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * LIRE's necessary conditions for re-checking a vector after a split (SPFresh §4.2, as its
 * implementation checks them); members of merged postings are all re-checked. Whether a re-checked
 * vector moves is {@code SpannCore#staysPut}, tested in its package.
 */
class ReassignRulesTest {
    @Test
    void splitMembersAreRecheckedOnlyWhenTheOldHeadWasCloser() {
        assertThat(LireOps.splitMemberMayMove(1f, 2f)).isTrue();   // old head closer than its new head
        assertThat(LireOps.splitMemberMayMove(2f, 1f)).isFalse();  // the new head serves it better
        assertThat(LireOps.splitMemberMayMove(1f, 1f)).isFalse();  // ties stay
    }

    @Test
    void neighboursMoveOnlyWhenANewHeadBeatsBothOldAndCurrent() {
        // dOld, dCurrent, dNew0, dNew1
        assertThat(LireOps.neighbourMayMove(5f, 4f, 3f, 9f)).isTrue();
        assertThat(LireOps.neighbourMayMove(5f, 4f, 9f, 3f)).isTrue();
        assertThat(LireOps.neighbourMayMove(2f, 4f, 3f, 9f)).as("old head was already closer: the split changed nothing").isFalse();
        assertThat(LireOps.neighbourMayMove(5f, 2f, 3f, 9f)).as("current head still closest").isFalse();
        assertThat(LireOps.neighbourMayMove(3f, 4f, 3f, 3f)).as("ties do not move").isFalse();
    }

    @Test
    void longPostingsSplitInProportionToTheirLength() {
        assertThat(LireOps.splitParts(97, 96)).isEqualTo(2);   // just over the limit: in two, as SPFresh
        assertThat(LireOps.splitParts(150, 96)).isEqualTo(3);
        assertThat(LireOps.splitParts(8812, 96)).isEqualTo(184); // a burst: one split, parts of ~48
    }
}
