/**
 * Text embedding, in process: a namespace's {@code text} rows and text queries become vectors
 * here, with no embedding service beside the node.
 *
 * <p><b>Why in process.</b> A node that needs a sidecar or a remote API to accept a text row is
 * not a "no configuration" database: it adds a network hop per write and per query, a second
 * process to size and monitor, and a failure mode (embedding down, database up). The models are
 * small (MiniLM-L6: 6 layers, 384 dims; BGE-small: 12 layers, 384 dims) and int8-quantized, so the
 * CPU the node already has embeds hundreds of short texts per second.
 *
 * <p><b>Where the models come from.</b> {@link io.tamter.node.embed.EmbeddingModel} names, per
 * model, two classpath resources: the ONNX export and the HuggingFace {@code tokenizer.json}.
 * Both ship inside Maven artifacts that are ordinary dependencies of this module (the langchain4j
 * "embeddings" model jars; we read their resources only, never their Java API). So the model
 * files are versioned, checksummed and cached like any other dependency, and <em>nothing is
 * downloaded at run time</em>: an air-gapped node embeds as well as any other. The native parts
 * also come in jars: ONNX Runtime unpacks its library to {@code java.io.tmpdir} at load, DJL
 * unpacks {@code libtokenizers.so} to {@code ~/.djl.ai} ({@code $DJL_CACHE_DIR} or
 * {@code $ENGINE_CACHE_DIR} when set; the temp dir when home is not writable).
 *
 * <p><b>How a text becomes a vector.</b> The tokenizer (BERT WordPiece, lower-cased) adds
 * {@code [CLS]}/{@code [SEP]} and truncates to the model's limit, as sentence-transformers does;
 * ONNX Runtime runs the encoder on {@code input_ids}, {@code attention_mask} and
 * {@code token_type_ids} (those the model declares); the token states are pooled (MiniLM: mean
 * over the real tokens; BGE: the {@code [CLS]} state) and L2-normalized, so cosine similarity is
 * a dot product. References: Reimers &amp; Gurevych, "Sentence-BERT" (EMNLP 2019) for mean pooling;
 * Xiao et al., "C-Pack: Packaged Resources To Advance General Chinese Embedding" (2023) for BGE.
 *
 * <p><b>Resources and backpressure.</b> A node holds one {@link io.tamter.node.embed.Embedders}:
 * at most one {@link io.tamter.node.embed.Embedder} per model, loaded on first use and shared by
 * the namespaces naming it. Each embedder owns one ONNX Runtime session, a fixed set of workers
 * and one bounded queue of texts ({@code embed.*} in {@link io.tamter.config.Params}); CPU use is
 * at most {@code embed.threads * embed.intra_op_threads} cores per model. The workers take texts
 * from the queue whoever sent them, so concurrent requests share windows (dynamic batching), and
 * order each window by token count before cutting it into model calls. A request that does not
 * fit in the queue is rejected whole with {@link io.tamter.node.embed.EmbeddingRejectedException},
 * which the HTTP edge maps to 429 with {@code Retry-After}, rather than letting embedding work
 * pile up in memory.
 *
 * <p><b>Reproducibility.</b> The quantized models scale activations dynamically over each model
 * call, so texts embedded in one call influence each other's vectors. By default each text is its
 * own call ({@code embed.texts_per_run} 1): a text's vector depends on the text only, the same for
 * a document in a bulk upsert and for the query that looks for it, whatever else was embedded at
 * the same time (see {@link io.tamter.node.embed.Embedder}).
 */
package io.tamter.node.embed;
