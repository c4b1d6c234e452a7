package io.tamter.bench.engine;

import io.tamter.node.vector.VectorMetric;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.MMapDirectory;

/**
 * Lucene 10's HNSW (Lucene99HnswVectorsFormat) on an mmap'd directory: the in-JVM graph peer.
 * Static builds index with two threads (two segments, each building its graph as documents
 * arrive) and force-merge to one segment with two merge workers. Streaming uses
 * updateDocument/deleteDocuments and reopens the near-real-time reader before a search.
 * {@code ef} (candidates explored) is the search knob: a query asks for ef hits and keeps k.
 */
public final class LuceneHnswEngine implements AnnEngine {
    private static final String VEC = "v";
    private static final String ID = "id";
    private static final String KEY = "k";

    private final VectorSimilarityFunction similarity;
    private final int maxConn;
    private final int beamWidth;
    private final Path dir;
    private final ExecutorService mergeExec = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "lucene-hnsw-merge");
        t.setDaemon(true);
        return t;
    });
    private MMapDirectory directory;
    private IndexWriter writer;
    private DirectoryReader reader;
    private IndexSearcher searcher;
    private boolean dirty;
    private int ef = 100;
    private boolean merged;

    public LuceneHnswEngine(VectorMetric metric, Path workDir, int maxConn, int beamWidth) {
        this.similarity = switch (metric) {
            case EUCLIDEAN_SQUARED -> VectorSimilarityFunction.EUCLIDEAN;
            case COSINE_DISTANCE -> VectorSimilarityFunction.COSINE;
            case DOT_PRODUCT -> VectorSimilarityFunction.MAXIMUM_INNER_PRODUCT;
        };
        this.maxConn = maxConn;
        this.beamWidth = beamWidth;
        this.dir = workDir.resolve("lucene-hnsw");
        open();
    }

    private void open() {
        try {
            closeQuietly();
            Dirs.deleteTree(dir);
            Files.createDirectories(dir);
            directory = new MMapDirectory(dir);
            KnnVectorsFormat hnsw = new Lucene99HnswVectorsFormat(maxConn, beamWidth, 2, mergeExec);
            IndexWriterConfig cfg = new IndexWriterConfig().setRAMBufferSizeMB(1900).setCodec(new Lucene104Codec() {
                @Override
                public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                    return hnsw;
                }
            });
            writer = new IndexWriter(directory, cfg);
            reader = DirectoryReader.open(writer);
            searcher = new IndexSearcher(reader);
            dirty = false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return "lucene-hnsw";
    }

    @Override
    public Map<String, Object> params() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("M", maxConn);
        p.put("beam_width", beamWidth);
        p.put("ef", ef);
        p.put("single_segment", merged);
        return p;
    }

    private Document doc(int id, float[] v) {
        Document d = new Document();
        d.add(new KnnFloatVectorField(VEC, v, similarity));
        d.add(new NumericDocValuesField(ID, id));
        d.add(new StringField(KEY, Integer.toString(id), Field.Store.NO));
        return d;
    }

    @Override
    public void build(float[][] vectors, int[] ids) throws Exception {
        open();
        // two indexing threads: Lucene builds each segment's graph while documents arrive
        IntStream.range(0, 2).parallel().forEach(t -> {
            try {
                for (int i = t; i < ids.length; i += 2) writer.addDocument(doc(ids[i], vectors[ids[i]]));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        writer.forceMerge(1);
        writer.commit();
        merged = true;
        dirty = true;
        refresh();
    }

    @Override
    public void insert(int id, float[] vector) throws IOException {
        writer.updateDocument(new Term(KEY, Integer.toString(id)), doc(id, vector));
        dirty = true;
        merged = false;
    }

    @Override
    public void delete(int id) throws IOException {
        writer.deleteDocuments(new Term(KEY, Integer.toString(id)));
        dirty = true;
    }

    private void refresh() throws IOException {
        if (!dirty) return;
        DirectoryReader n = DirectoryReader.openIfChanged(reader, writer);
        if (n != null) {
            reader.close();
            reader = n;
            searcher = new IndexSearcher(reader);
        }
        dirty = false;
    }

    @Override
    public int[] search(float[] query, int k) throws IOException {
        refresh();
        TopDocs td = searcher.search(new KnnFloatVectorQuery(VEC, query, Math.max(k, ef)), Math.max(k, ef));
        ScoreDoc[] hits = td.scoreDocs;
        int n = Math.min(k, hits.length);
        int[] out = new int[n];
        List<LeafReaderContext> leaves = reader.leaves();
        for (int i = 0; i < n; i++) {
            int doc = hits[i].doc;
            LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
            NumericDocValues dv = leaf.reader().getNumericDocValues(ID);
            if (dv == null || !dv.advanceExact(doc - leaf.docBase)) throw new IllegalStateException("hit without id");
            out[i] = (int) dv.longValue();
        }
        return out;
    }

    @Override
    public long indexBytes() {
        return Dirs.size(dir);
    }

    @Override
    public List<Map<String, Object>> searchSweep() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int e : new int[] {10, 20, 40, 60, 100, 150, 200, 300}) out.add(Map.of("ef", e));
        return out;
    }

    @Override
    public void applySearchParams(Map<String, Object> p) {
        if (p.containsKey("ef")) ef = ((Number) p.get("ef")).intValue();
    }

    private void closeQuietly() {
        try {
            if (reader != null) reader.close();
            if (writer != null) writer.close();
            if (directory != null) directory.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        reader = null;
        writer = null;
        directory = null;
    }

    @Override
    public void close() {
        closeQuietly();
        mergeExec.shutdownNow();
        Dirs.deleteTree(dir);
    }

}
