/** The indexes under test behind one interface: SPFresh (Tamter), exact search, Lucene HNSW, JVector. */
package io.tamter.bench.engine;
