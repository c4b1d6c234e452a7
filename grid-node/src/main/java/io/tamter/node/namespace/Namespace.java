package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tamter.node.doc.DocId;
import io.tamter.node.doc.Document;
import io.tamter.node.doc.DocumentCodec;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.embed.Embedder;
import io.tamter.node.embed.EmbeddingModel;
import io.tamter.node.filter.FilterParser;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.StoredObject;
import io.tamter.node.schema.Schema;
import io.tamter.node.shard.Shard;
import io.tamter.node.shard.ShardWrite;
import io.tamter.node.text.Hit;
import io.tamter.node.text.VidBitSet;
import io.tamter.node.vector.VectorMetric;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.apache.lucene.search.Query;

/**
 * An open namespace: its settings and its shards. Every request is validated as a whole before
 * anything is written (API.md): a bad row throws an {@link IllegalArgumentException} carrying a
 * code and the JSON path ({@link InvalidRequestException}, {@link io.tamter.node.schema.SchemaException},
 * {@link io.tamter.node.filter.FilterException}) and nothing changes. A request touching several
 * shards is applied shard by shard; it is atomic per shard, not across shards.
 */
public final class Namespace {
    static final int RRF_K = 60;

    private final String name;
    private final ObjectStore store;
    private final Function<EmbeddingModel, Embedder> embedders;
    private final Shard[] shards;
    private volatile NamespaceSettings settings;
    private long generation;

    Namespace(NamespaceSettings settings, long generation, ObjectStore store, Shard[] shards, Function<EmbeddingModel, Embedder> embedders) {
        this.name = settings.name();
        this.settings = settings;
        this.generation = generation;
        this.store = store;
        this.shards = shards;
        this.embedders = embedders;
    }

    public String name() {
        return name;
    }

    public NamespaceSettings settings() {
        return settings;
    }

    /** Shard {@code i} (tests, metadata). */
    public Shard shard(int i) {
        return shards[i];
    }

    // ================================================================== parsing

    /** A parsed row of an upsert or patch. {@code attrs} keeps nulls (a patch removes those). */
    record Row(int index, String path, DocId id, float[] vector, boolean hasText, String text, Map<String, JsonNode> attrs, JsonNode raw) {}

    static float[] parseVector(JsonNode v, String path) {
        if (!v.isArray()) throw new InvalidRequestException("invalid_vector", path, path + ": a vector is an array of numbers");
        if (v.isEmpty()) throw new InvalidRequestException("invalid_vector", path, path + ": a vector must not be empty");
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = v.get(i);
            if (!x.isNumber())
                throw new InvalidRequestException("invalid_vector", path + "[" + i + "]", path + "[" + i + "]: not a number: " + x);
            float f = (float) x.asDouble();
            if (!Float.isFinite(f))
                throw new InvalidRequestException("invalid_vector", path + "[" + i + "]", path + "[" + i + "]: is " + x.asDouble()
                        + "; vectors must be finite float32 values");
            out[i] = f;
        }
        return out;
    }

    private static Row parseRow(JsonNode row, int i, String list, boolean patch) {
        String path = list + "[" + i + "]";
        if (row == null || !row.isObject()) throw new InvalidRequestException("invalid_row", path, path + ": a row is a JSON object");
        DocId id = DocId.fromJson(row.get("id"), path + ".id");
        float[] vector = null;
        JsonNode vn = row.get("vector");
        if (vn != null && !vn.isNull()) {
            if (patch) throw new InvalidRequestException("invalid_row", path + ".vector", path + ".vector: a patch cannot change the vector; upsert the document");
            vector = parseVector(vn, path + ".vector");
        }
        boolean hasText = row.has("text");
        String text = null;
        JsonNode tn = row.get("text");
        if (tn != null && !tn.isNull()) {
            if (!tn.isTextual()) throw new InvalidRequestException("type_mismatch", path + ".text", path + ".text: must be a string; got " + tn);
            text = tn.textValue();
        }
        Map<String, JsonNode> attrs = new LinkedHashMap<>();
        JsonNode meta = row.get("metadata");
        if (meta != null && !meta.isNull()) {
            if (!meta.isObject()) throw new InvalidRequestException("invalid_row", path + ".metadata", path + ".metadata: must be an object");
            for (Iterator<Map.Entry<String, JsonNode>> it = meta.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String p = path + ".metadata." + e.getKey();
                checkAttrName(e.getKey(), p);
                if (e.getKey().equals("text") || Schema.RESERVED.contains(e.getKey()))
                    throw new InvalidRequestException("invalid_attribute", p, p + ": '" + e.getKey() + "' is a reserved row field, not an attribute");
                attrs.put(e.getKey(), e.getValue());
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = row.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            if (k.equals("text") || Schema.RESERVED.contains(k)) continue;
            String p = path + "." + k;
            checkAttrName(k, p);
            if (attrs.containsKey(k))
                throw new InvalidRequestException("duplicate_attribute", p, p + ": attribute '" + k + "' is given both in metadata and at the top level");
            attrs.put(k, e.getValue());
        }
        return new Row(i, path, id, vector, hasText, text, attrs, row);
    }

    private static void checkAttrName(String k, String p) {
        if (k.startsWith("$")) throw new InvalidRequestException("invalid_attribute", p, p + ": attribute names must not start with '$'");
    }

    private static List<Row> parseRows(JsonNode rows, String list, boolean patch) {
        if (rows == null || !rows.isArray()) throw new InvalidRequestException("invalid_request", list, list + ": must be an array of rows");
        List<Row> out = new ArrayList<>(rows.size());
        Set<DocId> seen = new HashSet<>();
        for (int i = 0; i < rows.size(); i++) {
            Row r = parseRow(rows.get(i), i, list, patch);
            if (!seen.add(r.id()))
                throw new InvalidRequestException("duplicate_id", r.path() + ".id", r.path() + ".id: id " + r.id() + " appears more than once in the request");
            out.add(r);
        }
        return out;
    }

    private static List<DocId> parseIds(JsonNode ids, String list) {
        if (ids == null || !ids.isArray()) throw new InvalidRequestException("invalid_request", list, list + ": must be an array of ids");
        List<DocId> out = new ArrayList<>();
        Set<DocId> seen = new HashSet<>();
        for (int i = 0; i < ids.size(); i++) {
            String p = list + "[" + i + "]";
            DocId id = DocId.fromJson(ids.get(i), p);
            if (!seen.add(id)) throw new InvalidRequestException("duplicate_id", p, p + ": id " + id + " appears more than once in the request");
            out.add(id);
        }
        return out;
    }

    /** The row's values for {@code $ref_new}: attributes, text and id. */
    private static Function<String, JsonNode> refNew(Row r) {
        return attr -> {
            if (attr.equals("text")) return r.text() == null ? null : JsonNodeFactory.instance.textNode(r.text());
            if (attr.equals("id")) return r.id().toJson();
            return r.attrs().get(attr);
        };
    }

    private static Function<String, JsonNode> noRefNew() {
        return attr -> null;
    }

    // ================================================================== writes

    /** Upserts whole documents (API.md {@code upsert_rows}); with a {@code condition}, a conditional upsert. */
    public WriteResult upsert(JsonNode rows, JsonNode condition) throws IOException {
        List<Row> parsed = parseRows(rows, "upsert_rows", false);
        NamespaceSettings s = settings;
        // dimensions and embedding
        int dims = s.dimensions();
        EmbeddingModel model = s.embeddingModel();
        for (Row r : parsed) {
            if (r.vector() == null) continue;
            if (dims == 0) dims = r.vector().length;
            if (r.vector().length != dims)
                throw new InvalidRequestException("invalid_vector_dimensions", r.path() + ".vector", r.path() + ".vector: vector has "
                        + r.vector().length + " dimensions, namespace has " + dims);
            if (s.metric() == VectorMetric.COSINE_DISTANCE && isZero(r.vector()))
                throw new InvalidRequestException("invalid_vector", r.path() + ".vector", r.path() + ".vector: a zero vector has no cosine distance");
        }
        List<Row> toEmbed = new ArrayList<>();
        for (Row r : parsed) {
            if (r.vector() != null || r.text() == null || model == null) continue;
            if (dims != 0 && dims != model.dimensions())
                throw new InvalidRequestException("invalid_vector_dimensions", r.path() + ".text", r.path() + ".text: a row without a vector is embedded by "
                        + model.settingName() + " into " + model.dimensions() + " dimensions, but the namespace has " + dims
                        + "; give the vector or configure an embedding model of that dimension");
            dims = model.dimensions();
            toEmbed.add(r);
        }
        // schema
        Schema schema = s.schema();
        for (Row r : parsed) {
            Map<String, JsonNode> a = new LinkedHashMap<>(r.attrs());
            if (r.text() != null) a.put("text", JsonNodeFactory.instance.textNode(r.text()));
            schema = schema.withInferred(a, r.path());
        }
        Query[] conditions = parseConditions(condition, parsed, schema);
        // embedding, outside any lock
        Map<Integer, float[]> embedded = new HashMap<>();
        if (!toEmbed.isEmpty()) {
            List<String> texts = new ArrayList<>();
            for (Row r : toEmbed) texts.add(r.text());
            float[][] vs = embedders.apply(model).embed(texts);
            for (int i = 0; i < vs.length; i++) embedded.put(toEmbed.get(i).index(), vs[i]);
        }
        ensureSettings(dims, schema);
        int[] counts = new int[3]; // inserted, updated, skipped
        for (int si = 0; si < shards.length; si++) {
            List<Row> mine = rowsOf(parsed, si);
            if (mine.isEmpty()) continue;
            int[] c = shards[si].write(view -> {
                List<ShardWrite> ws = new ArrayList<>();
                int[] out = new int[3];
                for (Row r : mine) {
                    DocumentCodec.Stored old = view.get(r.id());
                    if (old != null && conditions != null && !view.matches(old.vid(), conditions[r.index()])) {
                        out[2]++;
                        continue;
                    }
                    float[] v = r.vector() != null ? r.vector() : embedded.get(r.index());
                    long vid = old != null ? old.vid() : view.newVid();
                    ws.add(new ShardWrite.Put(vid, new Document(r.id(), v, r.text(), r.attrs())));
                    out[old == null ? 0 : 1]++;
                }
                return new Shard.Resolution<>(ws, out);
            });
            for (int i = 0; i < 3; i++) counts[i] += c[i];
        }
        return new WriteResult(counts[0], counts[1], 0, counts[2], counts[2] == 0, List.of());
    }

    /** Changes only the given attributes of existing documents (API.md {@code patch_rows}); null removes one. */
    public WriteResult patch(JsonNode rows, JsonNode condition) throws IOException {
        List<Row> parsed = parseRows(rows, "patch_rows", true);
        Schema schema = settings.schema();
        for (Row r : parsed) {
            Map<String, JsonNode> a = new LinkedHashMap<>(r.attrs());
            if (r.hasText()) a.put("text", r.raw().get("text"));
            schema = schema.withInferred(a, r.path());
        }
        Query[] conditions = parseConditions(condition, parsed, schema);
        ensureSettings(settings.dimensions(), schema);
        int updated = 0, skipped = 0;
        List<WriteResult.RowError> errors = new ArrayList<>();
        for (int si = 0; si < shards.length; si++) {
            List<Row> mine = rowsOf(parsed, si);
            if (mine.isEmpty()) continue;
            record Out(int updated, int skipped, List<WriteResult.RowError> errors) {}
            Out o = shards[si].write(view -> {
                List<ShardWrite> ws = new ArrayList<>();
                int u = 0, sk = 0;
                List<WriteResult.RowError> errs = new ArrayList<>();
                for (Row r : mine) {
                    DocumentCodec.Stored old = view.get(r.id());
                    if (old == null) {
                        if (conditions != null) sk++;
                        else errs.add(new WriteResult.RowError(r.id().toJson(), "not_found", r.path() + ": document " + r.id() + " does not exist"));
                        continue;
                    }
                    if (conditions != null && !view.matches(old.vid(), conditions[r.index()])) {
                        sk++;
                        continue;
                    }
                    Map<String, JsonNode> attrs = new LinkedHashMap<>(old.doc().attributes());
                    for (Map.Entry<String, JsonNode> e : r.attrs().entrySet()) {
                        if (e.getValue() == null || e.getValue().isNull()) attrs.remove(e.getKey());
                        else attrs.put(e.getKey(), e.getValue());
                    }
                    String text = r.hasText() ? r.text() : old.doc().text();
                    ws.add(new ShardWrite.Put(old.vid(), new Document(r.id(), old.doc().vector(), text, attrs)));
                    u++;
                }
                return new Shard.Resolution<>(ws, new Out(u, sk, errs));
            });
            updated += o.updated();
            skipped += o.skipped();
            errors.addAll(o.errors());
        }
        return new WriteResult(0, updated, 0, skipped, skipped == 0, errors);
    }

    /** Deletes documents by id (API.md {@code deletes}); with a {@code condition}, a conditional delete. Missing ids are ignored. */
    public WriteResult delete(JsonNode ids, JsonNode condition) throws IOException {
        List<DocId> parsed = parseIds(ids, "deletes");
        Query cond = condition == null || condition.isNull() ? null
                : new FilterParser(settings.schema()).parse(condition, "condition", noRefNew());
        int deleted = 0, skipped = 0;
        for (int si = 0; si < shards.length; si++) {
            final int shardIndex = si;
            List<DocId> mine = parsed.stream().filter(id -> id.shard(shards.length) == shardIndex).toList();
            if (mine.isEmpty()) continue;
            int[] c = shards[si].write(view -> {
                List<ShardWrite> ws = new ArrayList<>();
                int[] out = new int[2];
                for (DocId id : mine) {
                    DocumentCodec.Stored old = view.get(id);
                    if (old == null) {
                        if (cond != null) out[1]++;
                        continue;
                    }
                    if (cond != null && !view.matches(old.vid(), cond)) {
                        out[1]++;
                        continue;
                    }
                    ws.add(new ShardWrite.Delete(old.vid(), id));
                    out[0]++;
                }
                return new Shard.Resolution<>(ws, out);
            });
            deleted += c[0];
            skipped += c[1];
        }
        return new WriteResult(0, 0, deleted, skipped, skipped == 0, List.of());
    }

    /** Deletes every document matching {@code filter} (API.md {@code filter-delete}). */
    public WriteResult deleteByFilter(JsonNode filter) throws IOException {
        if (filter == null || filter.isNull()) throw new InvalidRequestException("invalid_filter", "filter", "filter: is missing");
        Query q = new FilterParser(settings.schema()).parse(filter, "filter", null);
        int deleted = 0;
        for (Shard sh : shards) {
            deleted += sh.write(view -> {
                VidBitSet bits = view.matching(q);
                List<ShardWrite> ws = new ArrayList<>();
                long[] words = bits.words();
                for (int w = 0; w < words.length; w++) {
                    for (long word = words[w]; word != 0; word &= word - 1) {
                        long vid = ((long) w << 6) + Long.numberOfTrailingZeros(word);
                        Document d = view.byVid(vid);
                        if (d != null) ws.add(new ShardWrite.Delete(vid, d.id()));
                    }
                }
                return new Shard.Resolution<>(ws, ws.size());
            });
        }
        return new WriteResult(0, 0, deleted, 0, true, List.of());
    }

    private Query[] parseConditions(JsonNode condition, List<Row> rows, Schema schema) {
        if (condition == null || condition.isNull()) return null;
        FilterParser fp = new FilterParser(schema);
        Query[] out = new Query[rows.size()];
        for (Row r : rows) out[r.index()] = fp.parse(condition, "condition", refNew(r));
        return out;
    }

    private List<Row> rowsOf(List<Row> rows, int shard) {
        List<Row> out = new ArrayList<>();
        for (Row r : rows) if (r.id().shard(shards.length) == shard) out.add(r);
        return out;
    }

    private static boolean isZero(float[] v) {
        for (float x : v) if (x != 0) return false;
        return true;
    }

    /** Persists new dimensions or a grown schema (compare-and-set on meta.json) before the write is logged. */
    private void ensureSettings(int dims, Schema schema) throws IOException {
        NamespaceSettings s = settings;
        if (s.dimensions() == dims && s.schema().equals(schema)) return;
        updateSettings(cur -> {
            if (cur.dimensions() != 0 && dims != 0 && cur.dimensions() != dims)
                throw new InvalidRequestException("invalid_vector_dimensions", "vector", "vector: namespace has " + cur.dimensions()
                        + " dimensions, the request " + dims);
            Schema merged = cur.schema();
            merged = merged.update(schema.toJson());
            long now = System.currentTimeMillis();
            return cur.withDimensions(cur.dimensions() == 0 ? dims : cur.dimensions(), now).withSchema(merged, now);
        });
    }

    /**
     * Adds attributes to the schema or changes their index options (API.md's schema route); a type
     * change is a {@link io.tamter.node.schema.SchemaException}. Returns the schema now in force.
     */
    public JsonNode updateSchema(JsonNode request) throws IOException {
        if (request == null || !request.isObject())
            throw new InvalidRequestException("invalid_request", "", "a schema update is a JSON object of attribute name -> options");
        settings.schema().update(request); // validate before touching meta.json
        updateSettings(cur -> cur.withSchema(cur.schema().update(request), System.currentTimeMillis()));
        return settings.schema().toJson();
    }

    /** Read-modify-write of {@code <ns>/meta.json} by compare-and-set, then pushes the result to the shards. */
    synchronized void updateSettings(UnaryOperator<NamespaceSettings> change) throws IOException {
        String key = NamespaceSettings.key(name);
        for (int attempt = 0; ; attempt++) {
            StoredObject cur = store.getObject(key).orElseThrow(() -> new NamespaceNotFoundException(name));
            NamespaceSettings old = NamespaceSettings.decode(cur.bytes());
            NamespaceSettings next = change.apply(old);
            if (next.equals(old) || store.compareAndSet(key, cur.generation(), next.encode())) {
                settings = next;
                generation = cur.generation();
                for (Shard sh : shards) {
                    sh.setSchema(next.schema());
                    if (next.dimensions() > 0) sh.ensureVectorIndex(next.dimensions());
                }
                return;
            }
            if (attempt > 100) throw new IOException("namespace settings of " + name + " keep changing; gave up after " + attempt + " attempts");
        }
    }

    // ================================================================== reads

    /** The document {@code id}, or null. */
    public Document get(JsonNode id) {
        DocId d = DocId.fromJson(id, "id");
        DocumentCodec.Stored s = shards[d.shard(shards.length)].get(d);
        return s == null ? null : s.doc();
    }

    public SearchResult search(SearchRequest r) throws IOException {
        NamespaceSettings s = settings;
        Query filter = r.filter() == null || r.filter().isNull() ? null : new FilterParser(s.schema()).parse(r.filter(), "filter", null);
        SearchRequest.Mode mode = r.mode() != null ? r.mode() : SearchRequest.Mode.VECTOR;
        float[] q = null;
        if (mode != SearchRequest.Mode.BM25) {
            q = r.vector();
            if (q == null) {
                if (s.embeddingModel() == null)
                    throw new InvalidRequestException("invalid_request", "text", "text: namespace " + name
                            + " has no embedding model; search text with mode bm25");
                q = embedders.apply(s.embeddingModel()).embed(r.text());
            }
            if (s.dimensions() != 0 && q.length != s.dimensions())
                throw new InvalidRequestException("invalid_vector_dimensions", "vector", "vector: query has " + q.length
                        + " dimensions, namespace has " + s.dimensions());
            if (s.metric() == VectorMetric.COSINE_DISTANCE && isZero(q))
                throw new InvalidRequestException("invalid_vector", "vector", "vector: a zero vector has no cosine distance");
        }
        int candidates = mode == SearchRequest.Mode.HYBRID ? Math.min(SearchRequest.MAX_TOP_K, Math.max(2 * r.topK(), 20)) : r.topK();
        record Ref(int shard, long vid) {}
        List<Object[]> vec = new ArrayList<>(); // {Ref, Shard.VectorHit}
        List<Object[]> bm = new ArrayList<>();  // {Ref, Hit}
        for (int si = 0; si < shards.length; si++) {
            if (q != null && s.dimensions() != 0)
                for (Shard.VectorHit h : shards[si].searchVector(q, candidates, filter, r.distanceThreshold()))
                    vec.add(new Object[] {new Ref(si, h.vid()), h});
            if (mode != SearchRequest.Mode.VECTOR)
                for (Hit h : shards[si].bm25(r.text(), candidates, filter)) bm.add(new Object[] {new Ref(si, h.vid()), h});
        }
        vec.sort((a, b) -> Float.compare(((Shard.VectorHit) a[1]).distance(), ((Shard.VectorHit) b[1]).distance()));
        bm.sort((a, b) -> Float.compare(((Hit) b[1]).score(), ((Hit) a[1]).score()));
        if (vec.size() > candidates) vec = vec.subList(0, candidates);
        if (bm.size() > candidates) bm = bm.subList(0, candidates);
        Map<Ref, float[]> scored = new LinkedHashMap<>(); // ref → {score, dist (NaN = none)}
        switch (mode) {
            case VECTOR -> {
                for (Object[] o : vec) {
                    Shard.VectorHit h = (Shard.VectorHit) o[1];
                    scored.put((Ref) o[0], new float[] {h.score(), h.distance()});
                }
            }
            case BM25 -> {
                for (Object[] o : bm) scored.put((Ref) o[0], new float[] {((Hit) o[1]).score(), Float.NaN});
            }
            case HYBRID -> {
                Map<Ref, float[]> fused = new HashMap<>();
                for (int i = 0; i < vec.size(); i++) {
                    Shard.VectorHit h = (Shard.VectorHit) vec.get(i)[1];
                    float[] f = fused.computeIfAbsent((Ref) vec.get(i)[0], k -> new float[] {0, Float.NaN});
                    f[0] += 1f / (RRF_K + i + 1);
                    f[1] = h.distance();
                }
                for (int i = 0; i < bm.size(); i++)
                    fused.computeIfAbsent((Ref) bm.get(i)[0], k -> new float[] {0, Float.NaN})[0] += 1f / (RRF_K + i + 1);
                List<Map.Entry<Ref, float[]>> es = new ArrayList<>(fused.entrySet());
                es.sort((a, b) -> a.getValue()[0] != b.getValue()[0] ? Float.compare(b.getValue()[0], a.getValue()[0])
                        : Long.compare(a.getKey().vid(), b.getKey().vid()));
                for (Map.Entry<Ref, float[]> e : es) scored.put(e.getKey(), e.getValue());
            }
        }
        List<SearchResult.Match> out = new ArrayList<>();
        for (Map.Entry<Ref, float[]> e : scored.entrySet()) {
            if (out.size() >= r.topK()) break;
            Document d = shards[e.getKey().shard()].byVid(e.getKey().vid());
            if (d == null) continue; // deleted between search and fetch
            Map<String, JsonNode> meta;
            if (r.includeMetadata() == null) meta = d.attributes();
            else {
                meta = new LinkedHashMap<>();
                for (String n : r.includeMetadata()) if (d.attributes().containsKey(n)) meta.put(n, d.attributes().get(n));
            }
            float dist = e.getValue()[1];
            out.add(new SearchResult.Match(d.id().toJson(), e.getValue()[0], Float.isNaN(dist) ? null : dist, meta,
                    r.includeVectors() ? d.vector() : null, r.includeText() ? d.text() : null));
        }
        return new SearchResult(out);
    }

    /** Namespace metadata for {@code GET /v1/namespaces/{ns}}. */
    public record Info(String name, long approxRowCount, int dimensions, String metric, JsonNode schema, int numShards,
            String embeddingModel, long createdAt, long updatedAt) {}

    public Info info() throws IOException {
        NamespaceSettings s = settings;
        long n = 0;
        for (Shard sh : shards) n += sh.count();
        return new Info(name, n, s.dimensions(), s.metric().apiName(), s.schema().toJson(), s.numShards(),
                s.embeddingModel() == null ? null : s.embeddingModel().settingName(), s.createdAt(), s.updatedAt());
    }

    void close() throws IOException {
        close(true);
    }

    /** Closes every shard; {@code finalCheckpoint=false} when the namespace is being deleted. */
    void close(boolean finalCheckpoint) throws IOException {
        IOException first = null;
        for (Shard sh : shards) {
            try {
                sh.close(finalCheckpoint);
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }

    @Override
    public String toString() {
        return "Namespace{" + name + ", shards=" + shards.length + ", settings=" + Arrays.toString(new Object[] {settings}) + "}";
    }
}
