package io.tamter.node.text;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.schema.AttributeSpec;
import io.tamter.node.schema.AttributeType;
import io.tamter.node.schema.FullTextOptions;
import io.tamter.node.schema.Schema;
import io.tamter.node.schema.SchemaException;
import io.tamter.node.schema.Values;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.DelegatingAnalyzerWrapper;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KeywordField;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.SortedNumericDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexCommit;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.KeepOnlyLastCommitDeletionPolicy;
import org.apache.lucene.index.SnapshotDeletionPolicy;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.SearcherFactory;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.Weight;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.search.similarities.PerFieldSimilarityWrapper;
import org.apache.lucene.search.similarities.Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.NumericUtils;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Lucene index of one shard: BM25 full-text fields and the attribute (filter) index, keyed by
 * vid. Layout of a document: {@link IndexFields}.
 *
 * <p>Writes ({@link #upsert}, {@link #delete}) go to an {@link IndexWriter} and are visible to
 * every read that starts after the write returned: a write marks the index stale, and the next
 * read refreshes it (near-real-time, no commit needed) before it takes a searcher. So a run of
 * writes with no read between them costs one refresh, not one per write (a refresh per apply
 * was most of the apply's cost in Lucene). {@link #commit} makes writes durable.
 *
 * <p>The schema decides how each attribute is indexed and analyzed and is swapped with
 * {@link #setSchema}. BM25 parameters (k1, b) are read from the current schema at every query
 * (Lucene's BM25 norms do not depend on them), so changing them needs no re-index; changing an
 * attribute's analysis options or making it filterable affects only documents written afterwards.
 *
 * <p>Directory layout: {@code <dir>/VERSION} (the format version of this directory, written
 * atomically; an unknown version fails the open) and {@code <dir>/lucene/} (the Lucene index).
 * Thread-safe.
 */
public final class TextIndex implements Closeable {
    /** Version of the directory layout and field encoding ({@link IndexFields}). History: 1 — first. */
    public static final int FORMAT_VERSION = 1;
    static final String VERSION_FILE = "VERSION";
    static final String LUCENE_DIR = "lucene";

    private final Directory directory;
    private final IndexWriter writer;
    private final SnapshotDeletionPolicy snapshots;
    private final Path luceneDir;
    private final SearcherManager searchers;
    /** Writes so far, and how many of them the last refresh covers (see {@link #acquire}). */
    private final java.util.concurrent.atomic.AtomicLong writes = new java.util.concurrent.atomic.AtomicLong();
    private volatile long refreshed;
    private final Object refreshLock = new Object();
    private final int maxQueryTerms;
    private final Similarity similarity;
    private volatile Schema schema;

    private TextIndex(Path dir, Schema schema, Settings settings) throws IOException {
        this.schema = schema;
        this.maxQueryTerms = settings.getInt(Params.TEXT_MAX_QUERY_TERMS);
        this.similarity = new SchemaSimilarity();
        checkVersion(dir);
        this.luceneDir = dir.resolve(LUCENE_DIR);
        this.directory = FSDirectory.open(luceneDir);
        this.snapshots = new SnapshotDeletionPolicy(new KeepOnlyLastCommitDeletionPolicy());
        IndexWriterConfig cfg = new IndexWriterConfig(new SchemaAnalyzer())
                .setIndexDeletionPolicy(snapshots)
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                .setSimilarity(similarity)
                .setRAMBufferSizeMB(settings.getDouble(Params.TEXT_RAM_BUFFER_MB))
                .setCommitOnClose(true);
        IndexWriter w;
        try {
            w = new IndexWriter(directory, cfg);
        } catch (IOException | RuntimeException e) {
            directory.close();
            throw e;
        }
        this.writer = w;
        Similarity sim = similarity;
        this.searchers = new SearcherManager(writer, new SearcherFactory() {
            @Override
            public IndexSearcher newSearcher(org.apache.lucene.index.IndexReader reader, org.apache.lucene.index.IndexReader previous) {
                IndexSearcher s = new IndexSearcher(reader);
                s.setSimilarity(sim);
                return s;
            }
        });
    }

    /** Opens (or creates) the index in {@code dir} with default settings. */
    public static TextIndex open(Path dir, Schema schema) throws IOException {
        return open(dir, schema, Settings.defaults());
    }

    /** Opens (or creates) the index in {@code dir}. */
    public static TextIndex open(Path dir, Schema schema, Settings settings) throws IOException {
        return new TextIndex(dir, schema, settings);
    }

    private static void checkVersion(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path vf = dir.resolve(VERSION_FILE);
        if (Files.exists(vf)) {
            String s = Files.readString(vf, StandardCharsets.UTF_8).strip();
            if (!s.equals(Integer.toString(FORMAT_VERSION)))
                throw new IOException("text index " + dir + " has format version " + s + "; this build reads version "
                        + FORMAT_VERSION + " (rebuild the shard's local state from the object store)");
            return;
        }
        if (Files.exists(dir.resolve(LUCENE_DIR)))
            throw new IOException("text index " + dir + " has a Lucene directory but no " + VERSION_FILE + " file");
        Path tmp = dir.resolve(VERSION_FILE + ".tmp");
        Files.writeString(tmp, FORMAT_VERSION + "\n", StandardCharsets.UTF_8);
        try {
            Files.move(tmp, vf, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, vf, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    public Schema schema() {
        return schema;
    }

    /** Replaces the schema used for indexing, analysis and ranking from now on. */
    public void setSchema(Schema schema) {
        this.schema = schema;
    }

    // ---------------------------------------------------------------- writes

    /**
     * Inserts or replaces the document of {@code vid} with these attributes (name → JSON value;
     * null or absent = the document does not have it). Every attribute must be in the schema and
     * its value of the attribute's type ({@link Schema#withInferred} evolves the schema first).
     *
     * @throws SchemaException for an unknown attribute or a value of the wrong type; nothing is written
     */
    public void upsert(long vid, Map<String, JsonNode> attributes) throws IOException {
        writer.updateDocument(IndexFields.idTerm(checkVid(vid)), document(vid, attributes, schema));
        writes.incrementAndGet(); // after the write: a refresh that reads this count sees the write
    }

    /** Removes the document of {@code vid}; a no-op when there is none. */
    public void delete(long vid) throws IOException {
        writer.deleteDocuments(IndexFields.idTerm(checkVid(vid)));
        writes.incrementAndGet();
    }

    /**
     * A searcher that sees every write that returned before this call: refreshes first unless a
     * refresh already covers the writes counted now. A refresh covers the count it read before
     * it began; a reader that finds a refresh running waits for it (the lock) and then checks
     * again, so it never takes a searcher older than its own start.
     */
    private IndexSearcher acquire() throws IOException {
        long seen = writes.get();
        if (seen > refreshed) refreshCovering(seen);
        return searchers.acquire();
    }

    private void refreshCovering(long seen) throws IOException {
        synchronized (refreshLock) {
            if (seen <= refreshed) return;
            long target = writes.get();
            searchers.maybeRefreshBlocking();
            refreshed = target;
        }
    }

    private static long checkVid(long vid) {
        if (vid < 0) throw new IllegalArgumentException("vid must be >= 0; vid=" + vid);
        return vid;
    }

    static Document document(long vid, Map<String, JsonNode> attributes, Schema schema) {
        Document doc = new Document();
        doc.add(new StringField(IndexFields.ID, IndexFields.idTerm(vid).bytes(), Field.Store.NO));
        doc.add(new NumericDocValuesField(IndexFields.VID, vid));
        for (Map.Entry<String, JsonNode> e : attributes.entrySet()) {
            String name = e.getKey();
            JsonNode value = e.getValue();
            AttributeSpec spec = schema.get(name);
            if (spec == null)
                throw new SchemaException("unknown_attribute", name, name + ": attribute '" + name + "' is not in the schema");
            Values.check(spec, value, name);
            if (value == null || value.isNull() || value.isMissingNode()) continue;
            doc.add(new StringField(IndexFields.HAS, name, Field.Store.NO));
            AttributeType t = spec.type().element();
            String ff = IndexFields.filter(name);
            for (JsonNode v : Values.elements(value)) {
                if (spec.filterable()) {
                    switch (t) {
                        case STRING -> {
                            String s = v.textValue();
                            if (s.length() * 3 > IndexWriter.MAX_TERM_LENGTH
                                    && new BytesRef(s).length > IndexWriter.MAX_TERM_LENGTH)
                                throw new SchemaException("value_too_long", name, name + ": a filterable string is at most "
                                        + IndexWriter.MAX_TERM_LENGTH + " UTF-8 bytes; make '" + name + "' filterable:false to store longer text");
                            doc.add(new KeywordField(ff, s, Field.Store.NO));
                        }
                        case INT, DATETIME -> {
                            long l = t == AttributeType.INT ? Values.asInt(name, v, name) : Values.asDatetime(name, v, name);
                            doc.add(new LongPoint(ff, l));
                            doc.add(new SortedNumericDocValuesField(ff, l));
                        }
                        case FLOAT -> {
                            double d = IndexFields.normalize(Values.asFloat(name, v, name));
                            doc.add(new DoublePoint(ff, d));
                            doc.add(new SortedNumericDocValuesField(ff, NumericUtils.doubleToSortableLong(d)));
                        }
                        case BOOL -> doc.add(new StringField(ff, v.booleanValue() ? IndexFields.TRUE : IndexFields.FALSE, Field.Store.NO));
                        default -> throw new IllegalStateException(t.apiName());
                    }
                }
                if (spec.fullTextSearch()) doc.add(new TextField(IndexFields.text(name), v.textValue(), Field.Store.NO));
            }
        }
        return doc;
    }

    /** Makes all writes so far visible to searches now (reads do it themselves when needed, see the class comment). */
    public void refresh() throws IOException {
        refreshCovering(writes.get());
    }

    /** Makes all writes so far durable, with {@code userData} (e.g. the WAL sequence applied) attached. */
    public void commit(Map<String, String> userData) throws IOException {
        writer.setLiveCommitData(new LinkedHashMap<>(userData).entrySet());
        writer.commit();
    }

    /**
     * Commits like {@link #commit(Map)} and pins that commit: its files (listed in the returned
     * commit, {@code segments_N} included, all under {@link #luceneDir()}) are not deleted until
     * {@link #releaseSnapshot} is called, however many commits and merges happen meanwhile. Used by
     * checkpoints, which upload the files after the shard's apply lock is released.
     */
    public IndexCommit commitAndSnapshot(Map<String, String> userData) throws IOException {
        commit(userData);
        return snapshots.snapshot();
    }

    /** Unpins a commit of {@link #commitAndSnapshot}; its files go at the next commit or now if unused. */
    public void releaseSnapshot(IndexCommit commit) throws IOException {
        snapshots.release(commit);
        writer.deleteUnusedFiles();
    }

    /**
     * Merges the index into one segment, which drops its deleted documents: BM25's statistics then
     * count live documents only ({@link TermStats}). Which deleted documents an index still holds
     * depends on its history of flushes and merges, not only on its documents: a shard restored
     * from a checkpoint and one that never stopped hold the same live documents but not the same
     * deleted ones after many updates, and so score slightly apart until both merge. Rewrites the
     * whole index: for tests that compare scores across such indexes, and for an operator after a
     * bulk rewrite, not for the write path.
     */
    public void forceMerge() throws IOException {
        writer.forceMerge(1);
        writes.incrementAndGet(); // the next read refreshes onto the merged segment
    }

    /** The directory of the Lucene index files. */
    public Path luceneDir() {
        return luceneDir;
    }

    /**
     * Writes the {@code VERSION} file of a text-index directory {@code dir} whose {@code lucene/}
     * files were restored from a checkpoint of this format version.
     */
    public static void writeVersionFile(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(VERSION_FILE), FORMAT_VERSION + "\n", StandardCharsets.UTF_8);
    }

    /** The subdirectory of a text-index directory that holds the Lucene files. */
    public static Path luceneDir(Path dir) {
        return dir.resolve(LUCENE_DIR);
    }

    /** Makes all writes so far durable. */
    public void commit() throws IOException {
        writer.commit();
    }

    /** The user data of the last commit (empty for a new index). */
    public Map<String, String> lastCommitData() throws IOException {
        if (!DirectoryReader.indexExists(directory)) return Map.of();
        Map<String, String> out = new HashMap<>();
        for (var e : writer.getLiveCommitData() == null ? List.<Map.Entry<String, String>>of() : writer.getLiveCommitData())
            out.put(e.getKey(), e.getValue());
        return out;
    }

    // ---------------------------------------------------------------- reads

    /** Live documents visible to searches. */
    public int count() throws IOException {
        IndexSearcher s = acquire();
        try {
            return s.getIndexReader().numDocs();
        } finally {
            searchers.release(s);
        }
    }

    /**
     * The statistics BM25 ranks a term of one full-text attribute with, as a search sees them now.
     * Lucene counts deleted documents in all but {@code numDocs} until a merge drops them, so two
     * indexes with the same live documents score differently when one holds more deleted ones
     * (what a replay that wrote documents again would leave).
     *
     * @param maxDoc           documents, live and deleted
     * @param numDocs          live documents
     * @param docCount         documents with a value in the attribute (deleted ones included)
     * @param sumTotalTermFreq tokens of the attribute over those documents (the average field length's numerator)
     * @param docFreq          documents holding the term (deleted ones included)
     */
    public record TermStats(int maxDoc, int numDocs, int docCount, long sumTotalTermFreq, int docFreq) {}

    /**
     * {@link TermStats} of {@code word} in the full-text attribute {@code attribute}; the word is
     * analyzed as a query's would be (the first term it gives counts).
     *
     * @throws SchemaException when {@code attribute} is not a full-text attribute
     */
    public TermStats termStats(String attribute, String word) throws IOException {
        AttributeSpec spec = schema.get(attribute);
        if (spec == null || !spec.fullTextSearch())
            throw new SchemaException("not_full_text", attribute, attribute + ": attribute '" + attribute + "' is not full-text indexed");
        String field = IndexFields.text(attribute);
        String term = analyze(Analyzers.forOptions(spec.fullText()), field, word).keySet().stream().findFirst().orElse(word);
        IndexSearcher s = acquire();
        try {
            var r = s.getIndexReader();
            return new TermStats(r.maxDoc(), r.numDocs(), r.getDocCount(field), r.getSumTotalTermFreq(field),
                    r.docFreq(new Term(field, term)));
        } finally {
            searchers.release(s);
        }
    }

    /**
     * Whether any document holds a value in a full-text attribute: what tells "BM25 found nothing"
     * from "there is nothing for BM25 to rank". Lucene's per-field doc count ignores deletions, so
     * this may say true for deleted text, never false for live text.
     */
    public boolean hasFullTextValues() throws IOException {
        return hasFullTextValues(null);
    }

    /** {@link #hasFullTextValues()} for one full-text attribute ({@code null}: any). */
    public boolean hasFullTextValues(String attribute) throws IOException {
        IndexSearcher s = acquire();
        try {
            for (AttributeSpec a : schema.fullTextAttributes())
                if ((attribute == null || a.name().equals(attribute)) && s.getIndexReader().getDocCount(IndexFields.text(a.name())) > 0)
                    return true;
            return false;
        } finally {
            searchers.release(s);
        }
    }

    /** Live documents matching {@code filter} (null = all). */
    public int count(Query filter) throws IOException {
        IndexSearcher s = acquire();
        try {
            return s.count(filter == null ? new MatchAllDocsQuery() : filter);
        } finally {
            searchers.release(s);
        }
    }

    /**
     * BM25 over one full-text attribute ({@code attribute} non-null) or all of them (null; the
     * score is the sum of the per-attribute scores). Each query term is a SHOULD clause, a term
     * repeated in the query counts that many times.
     *
     * @param filter only documents matching it (null = all); it does not change scores
     * @return at most {@code topK} hits, best first (ties by vid); empty when the query has no terms
     * @throws SchemaException when {@code attribute} is not a full-text attribute
     */
    public List<Hit> bm25(String attribute, String query, int topK, Query filter) throws IOException {
        List<String> attrs;
        if (attribute == null) {
            attrs = schema.fullTextAttributes().stream().map(AttributeSpec::name).toList();
        } else {
            AttributeSpec spec = schema.get(attribute);
            if (spec == null || !spec.fullTextSearch())
                throw new SchemaException("not_full_text", attribute, attribute + ": attribute '" + attribute
                        + (spec == null ? "' is not in the schema" : "' is not full-text indexed (full_text_search)"));
            attrs = List.of(attribute);
        }
        return bm25(attrs, query, topK, filter);
    }

    /** BM25 over the given full-text attributes (sum of their scores); see {@link #bm25(String, String, int, Query)}. */
    public List<Hit> bm25(List<String> attributes, String query, int topK, Query filter) throws IOException {
        if (topK < 1) throw new IllegalArgumentException("topK must be >= 1; topK=" + topK);
        Query q = bm25Query(attributes, query);
        if (q == null) return List.of();
        if (filter != null) {
            q = new BooleanQuery.Builder().add(q, BooleanClause.Occur.MUST).add(filter, BooleanClause.Occur.FILTER).build();
        }
        IndexSearcher s = acquire();
        try {
            TopDocs td = s.search(q, topK);
            return toHits(s, td.scoreDocs);
        } finally {
            searchers.release(s);
        }
    }

    /**
     * The BM25 query of {@code text} over these full-text attributes: per attribute, a boolean
     * query of SHOULD term clauses (terms analyzed with the attribute's analyzer, at most
     * {@code text.max_query_terms} distinct ones), and the attributes' queries as SHOULD clauses of
     * one boolean query, so scores add up. Null when the text has no terms in any attribute.
     */
    public Query bm25Query(List<String> attributes, String text) throws IOException {
        Schema sc = schema;
        BooleanQuery.Builder all = new BooleanQuery.Builder();
        int clauses = 0;
        for (String a : attributes) {
            AttributeSpec spec = sc.get(a);
            if (spec == null || !spec.fullTextSearch())
                throw new SchemaException("not_full_text", a, a + ": attribute '" + a + "' is not full-text indexed");
            String field = IndexFields.text(a);
            Map<String, Integer> terms = analyze(Analyzers.forOptions(spec.fullText()), field, text);
            if (terms.isEmpty()) continue;
            BooleanQuery.Builder b = new BooleanQuery.Builder();
            for (Map.Entry<String, Integer> t : terms.entrySet()) {
                Query tq = new TermQuery(new Term(field, t.getKey()));
                b.add(t.getValue() == 1 ? tq : new BoostQuery(tq, t.getValue()), BooleanClause.Occur.SHOULD);
            }
            all.add(b.build(), BooleanClause.Occur.SHOULD);
            clauses++;
        }
        return clauses == 0 ? null : all.build();
    }

    private Map<String, Integer> analyze(Analyzer analyzer, String field, String text) throws IOException {
        Map<String, Integer> terms = new LinkedHashMap<>();
        try (TokenStream ts = analyzer.tokenStream(field, text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                String t = term.toString();
                Integer n = terms.get(t);
                if (n != null) terms.put(t, n + 1);
                else if (terms.size() < maxQueryTerms) terms.put(t, 1);
            }
            ts.end();
        }
        return terms;
    }

    private static List<Hit> toHits(IndexSearcher s, ScoreDoc[] docs) throws IOException {
        Integer[] order = new Integer[docs.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt(i -> docs[i].doc));
        List<LeafReaderContext> leaves = s.getIndexReader().leaves();
        long[] vids = new long[docs.length];
        int leaf = -1;
        NumericDocValues dv = null;
        for (int i : order) {
            int doc = docs[i].doc;
            int l = ReaderUtil.subIndex(doc, leaves);
            if (l != leaf) {
                leaf = l;
                dv = leaves.get(l).reader().getNumericDocValues(IndexFields.VID);
            }
            int local = doc - leaves.get(l).docBase;
            if (dv == null || !dv.advanceExact(local)) throw new IllegalStateException("document without a vid: " + doc);
            vids[i] = dv.longValue();
        }
        List<Hit> out = new ArrayList<>(docs.length);
        for (int i = 0; i < docs.length; i++) out.add(new Hit(vids[i], docs[i].score));
        out.sort((a, b) -> a.score() != b.score() ? Float.compare(b.score(), a.score()) : Long.compare(a.vid(), b.vid()));
        return out;
    }

    /** The vids of all live documents matching {@code filter} (null = all). */
    public VidBitSet matchingVids(Query filter) throws IOException {
        return matchingVids(filter, 0);
    }

    /**
     * The vids of all live documents matching {@code filter} (null = all), as a bitset of at least
     * {@code minLimitBits} bits (so a caller can size it to its own vid space).
     */
    public VidBitSet matchingVids(Query filter, long minLimitBits) throws IOException {
        IndexSearcher s = acquire();
        try {
            Query q = s.rewrite(filter == null ? new MatchAllDocsQuery() : filter);
            Weight w = s.createWeight(q, ScoreMode.COMPLETE_NO_SCORES, 1f);
            long[] words = new long[(int) Math.max(1, (minLimitBits + 63) >>> 6)];
            long maxVid = -1, count = 0;
            for (LeafReaderContext ctx : s.getIndexReader().leaves()) {
                Scorer scorer = w.scorer(ctx);
                if (scorer == null) continue;
                NumericDocValues vids = ctx.reader().getNumericDocValues(IndexFields.VID);
                if (vids == null) continue;
                Bits live = ctx.reader().getLiveDocs();
                DocIdSetIterator it = scorer.iterator();
                for (int d = it.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = it.nextDoc()) {
                    if (live != null && !live.get(d)) continue;
                    if (!vids.advanceExact(d)) continue;
                    long vid = vids.longValue();
                    int wi = (int) (vid >>> 6);
                    if (wi >= words.length) words = Arrays.copyOf(words, Math.max(wi + 1, words.length * 2));
                    long bit = 1L << vid;
                    if ((words[wi] & bit) == 0) {
                        words[wi] |= bit;
                        count++;
                    }
                    maxVid = Math.max(maxVid, vid);
                }
            }
            long limit = Math.max(minLimitBits, maxVid + 1);
            int n = (int) Math.max(1, (limit + 63) >>> 6);
            if (n != words.length) words = Arrays.copyOf(words, n);
            return new VidBitSet(words, limit, count);
        } finally {
            searchers.release(s);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            searchers.close();
        } finally {
            try {
                writer.close();
            } finally {
                directory.close();
            }
        }
    }

    // ---------------------------------------------------------------- analysis and similarity by schema

    /** Picks each field's analyzer from the current schema; non-text fields are never analyzed. */
    private final class SchemaAnalyzer extends DelegatingAnalyzerWrapper {
        private final Analyzer fallback = new StandardAnalyzer();

        SchemaAnalyzer() {
            super(PER_FIELD_REUSE_STRATEGY);
        }

        @Override
        protected Analyzer getWrappedAnalyzer(String fieldName) {
            String attr = IndexFields.attributeOfText(fieldName);
            AttributeSpec spec = attr == null ? null : schema.get(attr);
            return spec != null && spec.fullTextSearch() ? Analyzers.forOptions(spec.fullText()) : fallback;
        }
    }

    /** BM25 with each full-text attribute's k1 and b from the current schema. */
    private final class SchemaSimilarity extends PerFieldSimilarityWrapper {
        private final Similarity fallback = new BM25Similarity();
        private final Map<Long, Similarity> byParams = new ConcurrentHashMap<>();

        @Override
        public Similarity get(String fieldName) {
            String attr = IndexFields.attributeOfText(fieldName);
            AttributeSpec spec = attr == null ? null : schema.get(attr);
            if (spec == null || !spec.fullTextSearch()) return fallback;
            FullTextOptions o = spec.fullText();
            float k1 = (float) o.k1(), b = (float) o.b();
            long key = ((long) Float.floatToIntBits(k1) << 32) | (Float.floatToIntBits(b) & 0xffffffffL);
            return byParams.computeIfAbsent(key, k -> new BM25Similarity(k1, b));
        }
    }
}
