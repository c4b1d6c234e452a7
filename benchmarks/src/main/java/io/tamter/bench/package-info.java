/**
 * The benchmark harness ({@code ./tamter bench …}, BENCHMARKS.md): {@code ann} for static recall and
 * speed against exact search and in-JVM peers, {@code stream} for freshness under inserts and
 * deletes. Results are JSON lines on stdout, the last a summary; progress goes to stderr.
 */
package io.tamter.bench;
