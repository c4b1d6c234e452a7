/**
 * Customer-managed encryption of a namespace's data in the object store (API.md, the
 * {@code encryption} route: {@code {"mode":"customer-managed","key_name":"…"}}).
 *
 * <h2>Keys</h2>
 * Envelope encryption with two levels:
 * <ul>
 *   <li>a <b>key-encryption key</b> (KEK), an AES-256 secret-key entry of the node's local PKCS#12
 *       keystore, named by the namespace's {@code key_name} ({@link io.tamter.node.crypto.KeyEncryptionKeys},
 *       settings {@code crypto.keystore_path} and {@code crypto.keystore_password});</li>
 *   <li>a random 256-bit <b>data key</b> per namespace ({@link io.tamter.node.crypto.DataKey}),
 *       stored only wrapped by the KEK with AES-256-GCM in {@code <ns>/keys/data-key.bin}
 *       ({@link io.tamter.node.crypto.EnvelopeCodec}, {@link io.tamter.node.crypto.NamespaceDataKeys}),
 *       created with create-if-absent so concurrent nodes agree on one.</li>
 * </ul>
 * Each object under {@code <ns>/} is encrypted by
 * {@link io.tamter.node.crypto.EncryptingObjectStore}, a decorator of any
 * {@link io.tamter.node.objectstore.ObjectStore}, in 64 KiB AES-256-GCM chunks under a key derived
 * per object from the data key ({@link io.tamter.node.crypto.EncryptedObjectCodec}). Mode
 * {@code default} uses no decorator: the data is then protected only by the object store's own
 * encryption at rest (GCS encrypts every object with Google-managed keys).
 *
 * <h2>Threat model</h2>
 * Covered:
 * <ul>
 *   <li><b>Readers of the object store</b> (a leaked bucket, a stolen backup, an operator with
 *       storage access but not the node's keystore) see only ciphertext: WAL segments, manifests,
 *       RocksDB and Lucene checkpoint files, vectors and texts. What they still see: object keys
 *       (namespace and shard names, sequence numbers, file names), object sizes (plaintext size +
 *       36 bytes + 16 bytes per 64 KiB), write times, the KEK's name and the data key's public id.</li>
 *   <li><b>Writers of the object store</b> cannot change, truncate, extend, reorder, mix or move
 *       encrypted objects unnoticed: every chunk is authenticated with its index, a last-chunk flag,
 *       the object's header and the object key; a failure is an
 *       {@link io.tamter.node.crypto.ObjectIntegrityException} and no plaintext of that chunk (or,
 *       for whole reads, of the object) is returned. They can still delete objects or replace an
 *       object with an <em>older</em> encrypted version of the same key (rollback): generations are
 *       the store's, not authenticated. They can delete the data key record, which makes the
 *       namespace unreadable.</li>
 *   <li>The <b>KEK never leaves the node's keystore</b> and process memory: it is not written to
 *       the object store, to logs or to exception messages. Revoking a customer's key (removing
 *       it from the keystores of the nodes) makes the namespace unreadable ("crypto-shredding"),
 *       apart from copies on nodes' local disks (below).</li>
 * </ul>
 * Not covered:
 * <ul>
 *   <li>A node's <b>local state</b>: the shard's RocksDB and Lucene files (the local cache that
 *       checkpoints are uploaded from and downloaded to) are plaintext on the node's disk (use disk
 *       encryption), as are files passed to {@code putFile} or written by {@code downloadTo}; and
 *       the node's memory, which holds unwrapped data keys and plaintext.</li>
 *   <li>Anyone who can read the keystore <em>and</em> its password (from the node's environment or
 *       config file) can read everything.</li>
 *   <li>Traffic between clients, frontends and nodes (TLS is a separate concern), and namespace
 *       settings in the Ignite caches.</li>
 *   <li>Key rotation and re-encryption of an existing plaintext namespace are not implemented: a
 *       namespace keeps the data key and KEK name it had at its first write
 *       ({@link io.tamter.node.namespace.NamespaceManager#setEncryption} refuses a change after it).</li>
 *   <li>Names of checkpoint objects: immutable checkpoint files are keyed by their plaintext size
 *       and CRC32C (see {@code CheckpointManifest}), which object store readers see.</li>
 * </ul>
 */
package io.tamter.node.crypto;
