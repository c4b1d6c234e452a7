package io.tamter.config;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The one parameter table (in the manner of SPTAG's {@code ParameterDefinitionList.h}): every
 * setting of Tamter with its type, default, unit, bounds and a one-line description.
 * {@code docs/CONFIG.md} is generated from this table and a test keeps the two in step.
 *
 * <p>Defaults of the vector index were chosen by the parameter sweep recorded in
 * {@code benchmarks/README.md}, not guessed.
 */
public final class Params {
    private Params() {}

    // ---- vector index: SPANN layout (see ../shared/design/SPFRESH.md) ----

    public static final Param<Integer> MAX_POSTING = Param.ofInt("index.max_posting", 96, 2, 1_000_000, "vectors",
            "A posting list longer than this (live entries) is split by the rebalancer");
    public static final Param<Integer> MIN_POSTING = Param.ofInt("index.min_posting", 8, 0, 1_000_000, "vectors",
            "A posting list whose live length falls under this is merged into its nearest neighbour");
    public static final Param<Double> GC_LIVE_FRACTION = Param.ofDouble("index.gc_live_fraction", 0.5, 0.0, 1.0, "ratio",
            "A posting whose live share of entries falls under this is rewritten without its stale ones (searches scan every entry)");
    public static final Param<Integer> BUILD_POSTING = Param.ofInt("index.build_posting", 64, 2, 1_000_000, "vectors",
            "Target posting length of the balanced k-means build (heads = vectors / build_posting)");
    public static final Param<Integer> REPLICA_COUNT = Param.ofInt("index.replica_count", 8, 1, 64, "postings",
            "At most this many postings hold each vector (closure + RNG assignment)");
    public static final Param<Double> CLOSURE_EPSILON = Param.ofDouble("index.closure_epsilon", 0.6, 0.0, 100.0, "ratio",
            "Closure rule: a vector goes to head c_j only when d(x,c_j) <= (1+closure_epsilon)*d(x,c_1)");
    public static final Param<Double> RNG_FACTOR = Param.ofDouble("index.rng_factor", 1.0, 0.0, 100.0, "ratio",
            "RNG rule: skip head c_j when some chosen c_i has rng_factor*d(c_i,c_j) < d(x,c_j)");
    public static final Param<Double> SEARCH_EPSILON = Param.ofDouble("index.search_epsilon", 9.0, 0.0, 1e6, "ratio",
            "Query-aware pruning: skip head c_j when d(q,c_j) > (1+search_epsilon)*d(q,c_1); 9 prunes nearly nothing: at 3 the "
            + "clustered-shift stream's out-of-distribution queries lost their true neighbours (recall 0.83 vs 0.98), see benchmarks/README.md");
    public static final Param<Integer> NPROBE = Param.ofInt("index.nprobe", 128, 1, 100_000, "postings",
            "Most postings searched per query (the nearest heads, before pruning by index.search_epsilon)");
    public static final Param<Long> POSTING_CACHE_BYTES = Param.ofLong("index.posting_cache_bytes", 128L << 20, 0, 1L << 40, "bytes",
            "Postings kept in memory per shard (on the heap, decoded into arrays), so that searches scan them without a RocksDB read; 0 turns the cache off (postings are then scanned as read)");
    public static final Param<Double> PROBE_RADIUS_FACTOR = Param.ofDouble("index.probe_radius_factor", 1.0, 0.0, 100.0, "ratio",
            "A posting is skipped once d(q,head) - factor*radius exceeds the current k-th distance; 1 is the exact triangle bound (loses nothing); "
            + "below 1 a heuristic that pays on SIFT and text embeddings and fails on low-dimensional clusters (see SpannSearcher, benchmarks/README.md)");
    public static final Param<Integer> PROBE_PATIENCE = Param.ofInt("index.probe_patience", 0, 0, 100_000, "postings",
            "A search stops once this many postings in a row left its k-th distance unchanged (0: off; index.nprobe stays the cap)");
    public static final Param<Double> PROBE_TARGET_RECALL = Param.ofDouble("index.probe_target_recall", 0.99, 0.0, 1.0, "ratio",
            "Searches probe as many postings (nearest head first; index.nprobe stays the cap) as the index's own recent queries needed to find this share "
            + "of their top k at the cap: one search in 32 runs at the cap and is the measure, and a query farther from every head than the measured ones "
            + "runs at the cap, as does every search while the rebalancer moves vectors (ProbeCalibrator); 0: every search probes index.nprobe");
    public static final Param<Integer> CODE_MIN_DIMS = Param.ofInt("index.code_min_dims", 256, 1, 1_000_000, "dimensions",
            "Cached postings of vectors with at least this many dimensions carry 1-bit codes against their head; a search scans the codes and computes exact "
            + "distances only where a code's error bound can beat the k-th (ResidualCodes; at 128 dimensions a float scan is as fast, see benchmarks/README.md)");
    public static final Param<Double> CODE_ERROR_BOUND = Param.ofDouble("index.code_error_bound", 1.9, 0.0, 100.0, "ratio",
            "epsilon0 of the codes' error bound (RaBitQ's, which holds with high probability over the codes' random rotation): larger computes more entries exactly and misses fewer");
    public static final Param<Integer> HEAD_CANDIDATES = Param.ofInt("index.head_candidates", 32, 1, 100_000, "heads",
            "Heads considered when assigning a vector (insert, reassign)");
    public static final Param<Integer> REASSIGN_K = Param.ofInt("index.reassign_k", 32, 0, 10_000, "postings",
            "After a split, vectors of this many neighbouring postings are checked for reassignment");
    public static final Param<Integer> BUILD_THRESHOLD = Param.ofInt("index.build_threshold", 2048, 0, 100_000_000, "vectors",
            "A shard with fewer vectors is searched exactly; at this size it builds heads by balanced k-means");
    public static final Param<Integer> REBALANCER_THREADS = Param.ofInt("index.rebalancer_threads", 1, 1, 256, "threads",
            "Background threads running split / merge / reassign");
    public static final Param<Integer> REBALANCER_QUEUE = Param.ofInt("index.rebalancer_queue", 100_000, 16, 100_000_000, "jobs",
            "Pending split/merge/reassign jobs kept; further requests are dropped and found again by the next sweep");
    public static final Param<Integer> HEAD_GRAPH_DEGREE = Param.ofInt("index.head_graph_degree", 32, 4, 512, "edges",
            "Maximum degree of the in-memory head graph (JVector)");
    public static final Param<Integer> HEAD_GRAPH_BEAM = Param.ofInt("index.head_graph_beam", 100, 8, 4096, "nodes",
            "Construction beam width of the head graph");
    public static final Param<Double> HEAD_SEARCH_OVERQUERY = Param.ofDouble("index.head_search_overquery", 2.0, 1.0, 64.0, "ratio",
            "The head graph is searched for ceil(overquery * wanted) candidates to make the nearest heads exact");
    public static final Param<Long> HEAD_SCAN_FLOATS = Param.ofLong("index.head_scan_floats", 1L << 21, 0, 1L << 40, "floats",
            "Up to this many centroid floats (heads x dimensions) the nearest heads are found by an exact scan of the packed centroids instead of the head graph");
    public static final Param<Integer> KMEANS_ITERATIONS = Param.ofInt("index.kmeans_iterations", 12, 1, 1000, "iterations",
            "Lloyd iterations of each balanced k-means step of the build");
    public static final Param<Integer> KMEANS_BRANCHING = Param.ofInt("index.kmeans_branching", 32, 2, 4096, "clusters",
            "Fan-out of each level of the hierarchical balanced k-means build");
    public static final Param<Integer> KMEANS_SAMPLE = Param.ofInt("index.kmeans_sample", 100_000, 1000, 100_000_000, "vectors",
            "At most this many vectors train each k-means step; the rest are assigned to the trained centroids");
    public static final Param<Double> KMEANS_BALANCE = Param.ofDouble("index.kmeans_balance", 1.0, 0.0, 1e6, "lambda",
            "Balance penalty of the k-means assignment (0 = plain k-means)");
    public static final Param<Double> FILTER_EXACT_FRACTION = Param.ofDouble("index.filter_exact_fraction", 0.02, 0.0, 1.0, "fraction",
            "A filter matching at most this fraction of a shard's vectors is answered by exact search over the matches");
    public static final Param<Long> MAX_UNINDEXED_BYTES = Param.ofLong("index.max_unindexed_bytes", 64L << 20, 1024, 1L << 40, "bytes",
            "WAL payload bytes of one shard that are applied to the documents but not yet to the vector index (the tail that "
            + "searches scan exactly); while a shard's tail is past this, writes to it get 429 backpressure with Retry-After");

    // ---- storage (RocksDB) ----

    public static final Param<Long> BLOCK_CACHE_BYTES = Param.ofLong("storage.block_cache_bytes", 256L << 20, 1L << 20, 1L << 40, "bytes",
            "RocksDB LRU block cache per shard (postings, documents)");
    public static final Param<Long> MIN_BLOB_BYTES = Param.ofLong("storage.min_blob_bytes", 4096, 0, 1L << 30, "bytes",
            "Posting values at least this large live in BlobDB blob files");
    public static final Param<Long> WRITE_BUFFER_BYTES = Param.ofLong("storage.rocksdb_write_buffer_bytes", 64L << 20, 1L << 20, 1L << 34, "bytes",
            "RocksDB memtable size per column family");

    // ---- cold tier (shards leave memory and local disk; the object store keeps them; see io.tamter.node.namespace.ShardCache) ----

    public static final Param<Long> LOCAL_DISK_BUDGET_BYTES = Param.ofLong("storage.local_disk_budget_bytes", 0, 0, 1L << 50, "bytes",
            "Local shard state under --data (RocksDB, Lucene) is kept within this: past it, the least recently used idle shards "
            + "are closed after a final checkpoint and their local directories deleted; their next request reloads them from "
            + "the object store (checkpoint plus WAL tail). 0 = unlimited, the default: a laptop's disk usually holds its "
            + "namespaces, and a reload costs a download");
    public static final Param<Long> IDLE_UNLOAD_MS = Param.ofLong("storage.idle_unload_ms", 0, 0, 30L * 86_400_000L, "ms",
            "A shard unused for this long (and with no index work pending) leaves memory: it is closed, its local files "
            + "kept, and reopened by its next request. 0 = never, the default: reopening costs a WAL listing and file "
            + "opens, and a laptop's few shards fit in memory; set it on nodes with many namespaces (each open shard holds "
            + "a RocksDB block cache and Lucene readers)");
    public static final Param<Long> CACHE_SWEEP_INTERVAL_MS = Param.ofLong("storage.cache_sweep_interval_ms", 5_000, 100, 3_600_000L, "ms",
            "How often the node measures its local shard state against storage.local_disk_budget_bytes and unloads idle "
            + "shards (storage.idle_unload_ms); a shard reload also triggers a measurement. Unused while both are 0");

    // ---- write-ahead log (one segment object per group commit; see io.tamter.node.wal) ----

    public static final Param<Integer> WAL_GROUP_COMMIT_MAX_DELAY_MS = Param.ofInt("wal.group_commit_max_delay_ms", 2, 0, 10_000, "ms",
            "A WAL group commit waits at most this long after its oldest write before it is written (latency added to a lone write)");
    public static final Param<Long> WAL_GROUP_COMMIT_MAX_BYTES = Param.ofLong("wal.group_commit_max_bytes", 4L << 20, 1L << 10, 256L << 20, "bytes",
            "A WAL group commit is written as soon as its payloads reach this size (a single larger payload is a segment of its own)");
    public static final Param<Long> WAL_MAX_PENDING_BYTES = Param.ofLong("wal.max_pending_bytes", 64L << 20, 1L << 10, 1L << 30, "bytes",
            "Payload bytes waiting for the WAL of one shard (queued or being written); a write past this fails fast (HTTP 429)");
    public static final Param<Integer> WAL_WRITE_RETRIES = Param.ofInt("wal.write_retries", 3, 0, 100, "retries",
            "Retries of a failed WAL segment write (same sequence number, same bytes) before its writes fail");
    public static final Param<Integer> WAL_WRITE_RETRY_BACKOFF_MS = Param.ofInt("wal.write_retry_backoff_ms", 50, 0, 60_000, "ms",
            "Wait before the first retry of a WAL segment write; doubled for each further retry. Also the first wait between "
                    + "background settles of a segment whose outcome is unknown (doubled, at most 1 s)");

    // ---- checkpoints (shard files + manifest in the object store; see io.tamter.node.shard.Checkpointer) ----

    public static final Param<Boolean> CHECKPOINT_ENABLED = Param.ofBool("checkpoint.enabled", true,
            "Checkpoint shards in the background (every checkpoint.interval_ms or checkpoint.wal_bytes) and drop the WAL they cover");
    public static final Param<Long> CHECKPOINT_INTERVAL_MS = Param.ofLong("checkpoint.interval_ms", 60_000, 100, 86_400_000L, "ms",
            "A shard with writes since its last checkpoint is checkpointed at least this often");
    public static final Param<Long> CHECKPOINT_WAL_BYTES = Param.ofLong("checkpoint.wal_bytes", 64L << 20, 1L << 10, 1L << 40, "bytes",
            "A shard is checkpointed as soon as this many WAL payload bytes were written since its last checkpoint");
    public static final Param<Boolean> CHECKPOINT_ON_CLOSE = Param.ofBool("checkpoint.on_close", true,
            "A clean close of a shard with writes since its last checkpoint takes a final checkpoint (when checkpoint.enabled)");

    // ---- embedding (ONNX Runtime, in process) ----

    public static final Param<Integer> EMBED_BATCH_SIZE = Param.ofInt("embed.batch_size", 32, 1, 1024, "texts",
            "Texts a worker takes from the model's queue at once, from any callers (dynamic batching), then orders by token "
            + "count and cuts into calls of embed.texts_per_run");
    public static final Param<Integer> EMBED_TEXTS_PER_RUN = Param.ofInt("embed.texts_per_run", 1, 1, 1024, "texts",
            "Texts per ONNX Runtime call, padded to the longest; 1 keeps a vector independent of its batch (the int8 "
            + "models scale activations over the whole call: batched texts move each other's vectors, cosine down to 0.95 "
            + "for short texts), and more measured little gain on 2 cores (benchmarks/README.md, bench embed)");
    public static final Param<Integer> EMBED_MAX_WAIT_US = Param.ofInt("embed.max_wait_us", 1_000, 0, 1_000_000, "us",
            "How long a worker with fewer than embed.texts_per_run texts waits for other callers' texts to share the call, "
            + "only while some caller is about to queue texts (a lone caller never waits); unused when texts_per_run is 1");
    public static final Param<Integer> EMBED_THREADS = Param.ofInt("embed.threads", 2, 1, 256, "threads",
            "Workers of each model (each runs one ONNX Runtime call at a time)");
    public static final Param<Integer> EMBED_INTRA_OP_THREADS = Param.ofInt("embed.intra_op_threads", 1, 1, 256, "threads",
            "ONNX Runtime threads inside one call (total CPU use is up to threads * intra_op_threads; on 2 cores 2 workers "
            + "x 1 embedded twice the short texts/s of 1 x 2)");
    public static final Param<Integer> EMBED_QUEUE = Param.ofInt("embed.queue", 8_192, 1, 10_000_000, "texts",
            "Texts waiting in each model's queue; a request whose texts do not all fit is rejected whole (HTTP 429)");

    // ---- full-text and attribute index (Lucene, one directory per shard) ----

    public static final Param<Double> TEXT_RAM_BUFFER_MB = Param.ofDouble("text.ram_buffer_mb", 16.0, 1.0, 4096.0, "MiB",
            "Lucene IndexWriter RAM buffer per shard; a full buffer is flushed to a new segment");
    public static final Param<Integer> TEXT_MAX_QUERY_TERMS = Param.ofInt("text.max_query_terms", 256, 1, 1024, "terms",
            "Distinct analyzed terms of a BM25 query text that are searched (per field); further terms are ignored");

    // ---- encryption of namespace data in the object store (grid-node io.tamter.node.crypto) ----

    public static final Param<String> CRYPTO_KEYSTORE_PATH = Param.ofString("crypto.keystore_path", "",
            "PKCS#12 keystore of the node's key-encryption keys (AES-256 secret-key entries, looked up by a namespace's "
            + "key_name); empty = no customer-managed keys, and enabling customer-managed encryption fails");
    public static final Param<String> CRYPTO_KEYSTORE_PASSWORD = Param.ofSecret("crypto.keystore_password",
            "Password of the keystore and of its entries; set it in the environment (TAMTER_CRYPTO_KEYSTORE_PASSWORD) "
            + "rather than in the config file; never logged (shown as ***)");

    // ---- the grid (Apache Ignite 2.x; grid-node io.tamter.node.cluster) ----

    public static final Param<String> GRID_HOST = Param.ofString("grid.host", "127.0.0.1",
            "Address the node's discovery, communication and thin-client ports bind to (loopback by default: "
            + "an embedded server never talks to the network unless told to)");
    public static final Param<String> GRID_DISCOVERY_ADDRESSES = Param.ofString("grid.discovery_addresses", "",
            "Static IP finder, used unless grid.discovery selects the object store (setting it makes auto static): comma-separated host:port[..port] of the grid's nodes; "
            + "empty = grid.host with the discovery port range (nodes on one machine find each other)");
    public static final Param<String> GRID_DISCOVERY = Param.ofString("grid.discovery", "auto",
            "How a server node finds the grid: static (the addresses of grid.discovery_addresses), object_store (nodes "
            + "register host:port under ~grid/discovery/ in the object store and read each other's registrations; for GCE), "
            + "or auto: object_store when the node was given --object-store and grid.discovery_addresses (--join) is empty, else static");
    public static final Param<Long> GRID_DISCOVERY_REFRESH_MS = Param.ofLong("grid.discovery_refresh_ms", 10_000, 100, 3_600_000L, "ms",
            "object_store discovery: how often a node rewrites its own registration (with the time of writing)");
    public static final Param<Long> GRID_DISCOVERY_EXPIRY_MS = Param.ofLong("grid.discovery_expiry_ms", 60_000, 1000, 86_400_000L, "ms",
            "object_store discovery: a registration older than this (its node was killed, not stopped) is ignored by joining "
            + "nodes and deleted; must exceed grid.discovery_refresh_ms, and the nodes' clocks must agree to well within it");
    public static final Param<Integer> GRID_DISCOVERY_PORT = Param.ofInt("grid.discovery_port", 47500, 1, 65535, "port",
            "First discovery port of this node");
    public static final Param<Integer> GRID_DISCOVERY_PORT_RANGE = Param.ofInt("grid.discovery_port_range", 0, 0, 1000, "ports",
            "Ports after grid.discovery_port the node may take (and the IP finder scans) when the first is busy; 0 (the default) "
            + "keeps `tamter serve` a one-node grid that never joins another server started on the same machine");
    public static final Param<Integer> GRID_COMMUNICATION_PORT = Param.ofInt("grid.communication_port", 47100, 1, 65535, "port",
            "First port of node-to-node communication (compute jobs)");
    public static final Param<Integer> GRID_CLIENT_PORT = Param.ofInt("grid.client_port", 10800, 0, 65535, "port",
            "Thin-client port (TamterClient); 0 = no thin-client connector");
    public static final Param<Long> GRID_JOIN_TIMEOUT_MS = Param.ofLong("grid.join_timeout_ms", 60_000, 0, 3_600_000L, "ms",
            "How long a starting node tries to join the grid through grid.discovery_addresses before it gives up with an error "
            + "(0 = forever); a node whose own address is the only one answering starts a grid of its own at once");
    public static final Param<Long> GRID_OWNERSHIP_CHECK_MS = Param.ofLong("grid.ownership_check_ms", 1000, 50, 600_000L, "ms",
            "How often a node compares the shards it serves with the shards the ownership cache gives it (besides reacting to "
            + "topology events at once): opens the ones it gained, drains and closes the ones it lost");
    public static final Param<Integer> GRID_JOB_THREADS = Param.ofInt("grid.job_threads", 64, 1, 4096, "threads",
            "Threads running operations on a node: Ignite's public pool (jobs from other nodes and thin clients), and as many for "
            + "the operations the REST frontend runs on its own node (vector searches without text run on the request's own thread); "
            + "writes wait there for the WAL, so with Ignite's default "
            + "of 8 at most 8 writes could share a group commit");
    public static final Param<Integer> GRID_MESSAGE_QUEUE_LIMIT = Param.ofInt("grid.message_queue_limit", 4096, 0, 1 << 20, "messages",
            "Messages a node queues per connection to another node before the sender waits (Ignite's communication "
            + "message queue limit); bounds the heap a slow peer can fill. 0 = no limit (Ignite's default, which it warns about)");
    public static final Param<Integer> GRID_SHARD_BACKUPS = Param.ofInt("grid.shard_backups", 1, 0, 16, "nodes",
            "Backups of the shard-ownership cache: the warm standbys of each shard");

    public static final Param<Long> WRITE_MAX_UNAPPLIED_BYTES = Param.ofLong("write.max_unapplied_bytes", 256L << 20, 1024, 1L << 40, "bytes",
            "Bytes of write requests a node holds that are not applied yet (waiting for their shard or for the WAL); a write "
            + "that would pass it gets 429 backpressure with Retry-After (one write alone always goes ahead)");

    // ---- the HTTP frontend (http-frontend io.tamter.http) ----

    public static final Param<String> HTTP_HOST = Param.ofString("http.host", "127.0.0.1",
            "Address the REST server binds to; any address but loopback needs http.api_keys");
    public static final Param<Integer> HTTP_PORT = Param.ofInt("http.port", 8080, 0, 65535, "port",
            "Port of the REST server (0 = any free port, printed at start)");
    public static final Param<Long> HTTP_MAX_BODY_BYTES = Param.ofLong("http.max_body_bytes", 64L << 20, 1024, 1L << 31, "bytes",
            "Largest request body; a bigger one gets 413 before it is read");
    public static final Param<String> HTTP_API_KEYS = Param.ofSecret("http.api_keys",
            "API keys and their scopes: 'KEY=SCOPE[,SCOPE...];KEY2=...' where a scope is admin, read:PREFIX or "
            + "write:PREFIX (PREFIX a namespace name prefix, empty = all); empty = no auth, loopback only");
    public static final Param<Double> HTTP_RATE_LIMIT = Param.ofDouble("http.rate_limit_per_second", 0.0, 0.0, 1e9, "requests/s",
            "Requests per second per API key (per client address without keys); 0 = no limit");
    public static final Param<Integer> HTTP_RATE_LIMIT_BURST = Param.ofInt("http.rate_limit_burst", 100, 1, 1_000_000_000, "requests",
            "Requests a key may send at once before the per-second rate applies");
    public static final Param<Long> HTTP_DRAIN_MS = Param.ofLong("http.drain_ms", 30_000, 0, 3_600_000, "ms",
            "On SIGTERM, how long in-flight requests get to finish before the server stops");

    // ---- kernels ----

    public static final Param<String> KERNELS = Param.ofString("kernels", "auto",
            "Vector math implementation: auto, scalar, vector (Java Vector API) or native (C via JNA); also -Dtamter.kernels");

    /** Every parameter, in declaration order. */
    public static List<Param<?>> all() {
        return ALL;
    }

    public static Param<?> byKey(String key) {
        for (Param<?> p : ALL) if (p.key().equals(key)) return p;
        return null;
    }

    private static final List<Param<?>> ALL = collect();

    private static List<Param<?>> collect() {
        List<Param<?>> out = new ArrayList<>();
        for (Field f : Params.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == Param.class) {
                try {
                    out.add((Param<?>) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** The parameter table as Markdown (docs/CONFIG.md is this text). */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Tamter settings\n\n")
          .append("Generated from `config/src/main/java/io/tamter/config/Params.java` (the one parameter table); ")
          .append("`ParamsDocTest` fails when this file is out of date. Set a key in the config file (`key = value`), ")
          .append("as an environment variable (`TAMTER_` + the key upper-cased, dots as underscores) or as a system ")
          .append("property (`-Dtamter.<key>=…`); later sources win in that order.\n\n")
          .append("| key | type | default | unit | range | what |\n|---|---|---|---|---|---|\n");
        for (Param<?> p : ALL) {
            String range = p.min() == null ? "" : p.min() + " … " + p.max();
            sb.append("| `").append(p.key()).append("` | ").append(p.type().getSimpleName().toLowerCase(java.util.Locale.ROOT))
              .append(" | `").append(p.defaultValue()).append("` | ").append(p.unit()).append(" | ").append(range)
              .append(" | ").append(p.doc()).append(" |\n");
        }
        return sb.toString();
    }
}
