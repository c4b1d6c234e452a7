package io.tamter.node.index.lire;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * LIRE's necessary condition for re-checking a neighbour's vector after a split (SPFresh §4.2, as
 * its implementation checks it); members of split and merged postings are all re-checked (the
 * rule that decides whether they move is {@code SpannCore#staysPut}, tested in its package).
 */
class ReassignRulesTest {
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
