package io.tamter.node.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tamter.node.schema.FullTextOptions;
import io.tamter.node.schema.Schema;
import io.tamter.node.schema.SchemaException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.TermQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextIndexTest {
    static final ObjectMapper M = new ObjectMapper();

    @TempDir
    Path dir;

    static JsonNode json(String s) {
        try {
            return M.readTree(s.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    static Map<String, JsonNode> row(String s) {
        Map<String, JsonNode> m = new LinkedHashMap<>();
        json(s).fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }

    static Map<String, JsonNode> text(String t) {
        return Map.of("text", M.getNodeFactory().textNode(t));
    }

    static List<Long> vids(List<Hit> hits) {
        return hits.stream().map(Hit::vid).toList();
    }

    static Schema schema(String json) {
        return Schema.fromJson(json(json));
    }

    @Test
    void deletedDocumentsCountInBm25StatisticsUntilMerged() throws IOException {
        try (TextIndex ix = TextIndex.open(dir, Schema.empty())) {
            ix.upsert(1, text("apple pear"));
            ix.upsert(2, text("apple plum fig"));
            for (int vid = 3; vid <= 10; vid++) ix.upsert(vid, text("kiwi"));
            ix.commit();
            float before = ix.bm25("text", "apple", 10, null).get(0).score();
            assertThat(ix.termStats("text", "apple")).isEqualTo(new TextIndex.TermStats(10, 10, 10, 13, 2));
            // the same document written again (what a replay of a segment the index holds did): the old
            // copy is deleted but still counted, so the same live documents score differently. (One
            // deletion in eleven documents: past a fifth, Lucene's merge policy would merge it away
            // in the background, and the statistics would depend on when it did.)
            ix.upsert(2, text("apple plum fig"));
            assertThat(ix.termStats("text", "apple")).isEqualTo(new TextIndex.TermStats(11, 10, 11, 16, 3));
            assertThat(ix.bm25("text", "apple", 10, null).get(0).score()).isNotEqualTo(before);
            ix.forceMerge();
            assertThat(ix.termStats("text", "apple")).isEqualTo(new TextIndex.TermStats(10, 10, 10, 13, 2));
            assertThat(ix.bm25("text", "apple", 10, null).get(0).score()).isEqualTo(before);
        }
    }

    @Test
    void bm25RanksByTermFrequencyAndIdf() throws IOException {
        try (TextIndex ix = TextIndex.open(dir, Schema.empty())) {
            ix.upsert(1, text("apple apple apple pear"));
            ix.upsert(2, text("apple pear plum fig"));
            ix.upsert(3, text("rare pear plum fig"));
            ix.upsert(4, text("kiwi pear plum fig"));
            ix.upsert(5, text("kiwi pear plum lime"));
            ix.refresh();
            List<Hit> apple = ix.bm25("text", "apple", 10, null);
            assertThat(vids(apple)).as("more occurrences rank higher; docs without the term are not matched").containsExactly(1L, 2L);
            assertThat(apple.get(0).score()).isGreaterThan(apple.get(1).score());
            // same length, tf 1 each: the rarer term (df 1) scores more than the commoner one (df 2)
            float rare = ix.bm25("text", "rare", 10, null).get(0).score();
            float kiwi = ix.bm25("text", "kiwi", 10, null).stream().filter(h -> h.vid() == 4).findFirst().orElseThrow().score();
            assertThat(rare).isGreaterThan(kiwi);
            // a term in every document scores less than either
            float pear = ix.bm25("text", "pear", 10, null).stream().filter(h -> h.vid() == 3).findFirst().orElseThrow().score();
            assertThat(pear).isLessThan(kiwi);
            // several terms add up, a repeated query term counts twice
            List<Hit> both = ix.bm25("text", "rare fig", 10, null);
            assertThat(both.get(0).vid()).isEqualTo(3L);
            assertThat(ix.bm25("text", "kiwi kiwi lime", 10, null).get(0).vid()).isEqualTo(5L);
            assertThat(scores(ix.bm25("text", "kiwi kiwi", 10, null)).get(4L)).isCloseTo(2 * kiwi, within(1e-5f));
            assertThat(ix.bm25("text", "the of and", 10, null)).as("only stop words: no terms, no hits").isEmpty();
            assertThat(ix.bm25((String) null, "apple", 1, null)).hasSize(1);
        }
    }

    @Test
    void k1AndBAreHonouredWithoutReindexing() throws IOException {
        Schema s = schema("{'body':{'type':'string','full_text_search':true}}");
        try (TextIndex ix = TextIndex.open(dir, s)) {
            ix.upsert(1, row("{'body':'apple apple apple apple x y z w'}"));
            ix.upsert(2, row("{'body':'apple a1 b1 c1 d1 e1 f1 g1'}"));
            ix.upsert(3, row("{'body':'apple'}"));
            ix.upsert(4, row("{'body':'pear'}"));
            ix.refresh();
            Map<Long, Float> def = scores(ix.bm25("body", "apple", 10, null));
            assertThat(def.get(1L)).as("tf counts with k1=1.2").isGreaterThan(def.get(2L));
            assertThat(def.get(3L)).as("short docs win with b=0.75").isGreaterThan(def.get(2L));

            ix.setSchema(s.update(json("{'body':{'full_text_search':{'k1':0}}}")));
            Map<Long, Float> k0 = scores(ix.bm25("body", "apple", 10, null));
            assertThat(k0.get(1L)).as("k1=0 ignores term frequency and length").isCloseTo(k0.get(2L), within(1e-6f));
            assertThat(k0.get(3L)).isCloseTo(k0.get(2L), within(1e-6f));

            ix.setSchema(s.update(json("{'body':{'full_text_search':{'b':0}}}")));
            Map<Long, Float> b0 = scores(ix.bm25("body", "apple", 10, null));
            assertThat(b0.get(3L)).as("b=0 ignores document length").isCloseTo(b0.get(2L), within(1e-6f));
            assertThat(b0.get(1L)).isGreaterThan(b0.get(2L));

            ix.setSchema(s.update(json("{'body':{'full_text_search':{'k1':3,'b':1}}}")));
            Map<Long, Float> k3 = scores(ix.bm25("body", "apple", 10, null));
            assertThat(k3.get(1L) / k3.get(2L)).as("larger k1 lets tf count more").isGreaterThan(def.get(1L) / def.get(2L));
        }
    }

    private static Map<Long, Float> scores(List<Hit> hits) {
        Map<Long, Float> m = new LinkedHashMap<>();
        for (Hit h : hits) m.put(h.vid(), h.score());
        return m;
    }

    @Test
    void analyzerOptionsStemmingStopwordsAndCase() throws IOException {
        Schema s = schema("{'stem':{'type':'string','full_text_search':true},"
                + "'nostem':{'type':'string','full_text_search':{'stemming':false}},"
                + "'keepstop':{'type':'string','full_text_search':{'remove_stopwords':false}},"
                + "'cs':{'type':'string','full_text_search':{'case_sensitive':true,'stemming':false}},"
                + "'fr':{'type':'string','full_text_search':{'language':'french'}}}");
        try (TextIndex ix = TextIndex.open(dir, s)) {
            ix.upsert(1, row("{'stem':'Running the shoes','nostem':'Running the shoes','keepstop':'Running the shoes',"
                    + "'cs':'Running the shoes','fr':'les chaussures rouges'}"));
            ix.refresh();
            assertThat(vids(ix.bm25("stem", "run", 10, null))).containsExactly(1L);
            assertThat(vids(ix.bm25("stem", "RUNS", 10, null))).containsExactly(1L);
            assertThat(ix.bm25("nostem", "run", 10, null)).isEmpty();
            assertThat(vids(ix.bm25("nostem", "running", 10, null))).containsExactly(1L);

            assertThat(ix.bm25("stem", "the", 10, null)).as("stop words removed").isEmpty();
            assertThat(vids(ix.bm25("keepstop", "the", 10, null))).containsExactly(1L);

            assertThat(vids(ix.bm25("nostem", "RUNNING", 10, null))).as("case-insensitive by default").containsExactly(1L);
            assertThat(ix.bm25("cs", "running", 10, null)).isEmpty();
            assertThat(vids(ix.bm25("cs", "Running", 10, null))).containsExactly(1L);
            assertThat(ix.bm25("cs", "The", 10, null)).as("stop words match ignoring case").isEmpty();

            assertThat(vids(ix.bm25("fr", "chaussure rouge", 10, null))).as("french snowball stemming").containsExactly(1L);
            assertThat(ix.bm25("fr", "les", 10, null)).as("french stop words").isEmpty();
        }
        for (String lang : FullTextOptions.LANGUAGES) {
            assertThat(Analyzers.supports(lang)).as(lang).isTrue();
            Analyzers.forOptions(new FullTextOptions(lang, true, true, false, 1.2, 0.75));
        }
    }

    @Test
    void multiFieldBm25SumsPerFieldScoresAndHonoursFilters() throws IOException {
        Schema s = schema("{'title':{'type':'string','full_text_search':true},'body':{'type':'string','full_text_search':true},"
                + "'cat':{'type':'string'},'tags':{'type':'[]string','full_text_search':true,'filterable':true}}");
        try (TextIndex ix = TextIndex.open(dir, s)) {
            ix.upsert(1, row("{'title':'wireless charger','body':'a wireless pad','cat':'electronics'}"));
            ix.upsert(2, row("{'title':'wireless headphones','body':'noise cancelling','cat':'electronics'}"));
            ix.upsert(3, row("{'title':'garden hose','body':'wireless free','cat':'garden','tags':['wireless','outdoor']}"));
            ix.refresh();
            Map<Long, Float> title = scores(ix.bm25("title", "wireless", 10, null));
            Map<Long, Float> body = scores(ix.bm25("body", "wireless", 10, null));
            Map<Long, Float> tags = scores(ix.bm25("tags", "wireless", 10, null));
            List<Hit> all = ix.bm25((String) null, "wireless", 10, null);
            assertThat(vids(all)).containsExactlyInAnyOrder(1L, 2L, 3L);
            for (Hit h : all) {
                float sum = title.getOrDefault(h.vid(), 0f) + body.getOrDefault(h.vid(), 0f) + tags.getOrDefault(h.vid(), 0f);
                assertThat(h.score()).as("vid " + h.vid()).isCloseTo(sum, within(1e-4f));
            }
            assertThat(vids(ix.bm25(List.of("title", "body"), "wireless", 10, null))).startsWith(1L);
            List<Hit> filtered = ix.bm25((String) null, "wireless", 10, new TermQuery(new Term(IndexFields.filter("cat"), "garden")));
            assertThat(vids(filtered)).containsExactly(3L);
            assertThat(filtered.get(0).score()).as("a filter does not change scores").isEqualTo(scores(all).get(3L));
            assertThat(vids(ix.bm25("tags", "outdoor", 10, null))).containsExactly(3L);
            assertThatThrownBy(() -> ix.bm25("cat", "x", 10, null)).isInstanceOf(SchemaException.class).hasMessageContaining("cat");
            assertThatThrownBy(() -> ix.bm25("nope", "x", 10, null)).isInstanceOf(SchemaException.class).hasMessageContaining("nope");
        }
    }

    /**
     * Writers on three threads, each reading its own write back at once: a read never takes a
     * searcher from before a write that returned before it, also while another thread's read is
     * refreshing (TextIndex#acquire).
     */
    @Test
    void everyReadSeesTheWritesThatReturnedBeforeIt() throws Exception {
        Schema s = schema("{'cat':{'type':'string'}}");
        try (TextIndex ix = TextIndex.open(dir, s)) {
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            List<Thread> threads = new java.util.ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int base = t * 1000;
                Thread th = new Thread(() -> {
                    try {
                        for (int i = 0; i < 150; i++) {
                            ix.upsert(base + i, row("{'cat':'c" + i % 7 + "'}"));
                            if (!ix.matchingVids(null).get(base + i)) throw new AssertionError("vid " + (base + i) + " not visible right after its upsert");
                            if (i % 3 == 0) {
                                ix.delete(base + i);
                                if (ix.matchingVids(null).get(base + i)) throw new AssertionError("vid " + (base + i) + " visible right after its delete");
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                th.start();
                threads.add(th);
            }
            for (Thread th : threads) th.join();
            assertThat(failure.get()).isNull();
            assertThat(ix.count()).isEqualTo(3 * 100);
        }
    }

    @Test
    void upsertReplacesDeleteRemovesAndReopenKeepsData() throws IOException {
        Schema s = schema("{'cat':{'type':'string'},'n':{'type':'int'}}");
        try (TextIndex ix = TextIndex.open(dir, s)) {
            ix.upsert(1, row("{'text':'apple pie','cat':'a','n':1}"));
            ix.upsert(2, row("{'text':'apple tart','cat':'b','n':2}"));
            ix.upsert(70, row("{'text':'banana','cat':'a'}"));
            assertThat(ix.count()).as("a read after writes sees them, with no refresh called").isEqualTo(3);
            ix.upsert(1, row("{'text':'cherry pie','cat':'b'}"));
            ix.delete(2);
            ix.delete(12345); // absent: no-op
            assertThat(ix.count()).isEqualTo(2);
            assertThat(ix.bm25("text", "apple", 10, null)).isEmpty();
            assertThat(vids(ix.bm25("text", "cherry", 10, null))).containsExactly(1L);
            TermQuery catB = new TermQuery(new Term(IndexFields.filter("cat"), "b"));
            assertThat(ix.count(catB)).isEqualTo(1);
            VidBitSet all = ix.matchingVids(null);
            assertThat(all.cardinality()).isEqualTo(2);
            assertThat(all.get(1)).isTrue();
            assertThat(all.get(2)).isFalse();
            assertThat(all.get(70)).isTrue();
            assertThat(all.limitBits()).isEqualTo(71);
            ByteBuffer bb = all.toByteBuffer(null);
            assertThat(bb.isDirect()).isTrue();
            assertThat(bb.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
            assertThat(bb.getLong(0)).isEqualTo(1L << 1);
            assertThat(bb.getLong(8)).isEqualTo(1L << 6);
            assertThat(ix.matchingVids(catB, 1000).limitBits()).isEqualTo(1000);
            assertThat(ix.matchingVids(catB, 1000).words()).hasSize(16);
            ix.commit(Map.of("wal_seq", "42"));
        }
        try (TextIndex ix = TextIndex.open(dir, s)) {
            assertThat(ix.count()).isEqualTo(2);
            assertThat(vids(ix.bm25("text", "cherry", 10, null))).containsExactly(1L);
            assertThat(ix.matchingVids(new TermQuery(new Term(IndexFields.filter("cat"), "a"))).get(70)).isTrue();
            assertThat(ix.lastCommitData()).containsEntry("wal_seq", "42");
        }
    }

    @Test
    void rejectsUnknownAttributesBadValuesAndForeignDirectories() throws IOException {
        Schema s = schema("{'n':{'type':'int'},'cat':{'type':'string'}}");
        try (TextIndex ix = TextIndex.open(dir, s)) {
            assertThatThrownBy(() -> ix.upsert(1, row("{'zzz':1}"))).isInstanceOf(SchemaException.class).hasMessageContaining("zzz");
            assertThatThrownBy(() -> ix.upsert(1, row("{'n':'x'}"))).isInstanceOf(SchemaException.class).hasMessageContaining("'n'");
            assertThatThrownBy(() -> ix.upsert(1, Map.of("cat", M.getNodeFactory().textNode("x".repeat(40_000)))))
                    .isInstanceOf(SchemaException.class).hasMessageContaining("filterable");
            assertThatThrownBy(() -> ix.upsert(-1, row("{}"))).isInstanceOf(IllegalArgumentException.class);
            ix.refresh();
            assertThat(ix.count()).isZero();
        }
        Files.writeString(dir.resolve("VERSION"), "99\n");
        assertThatThrownBy(() -> TextIndex.open(dir, s)).isInstanceOf(IOException.class).hasMessageContaining("version 99");
    }
}
