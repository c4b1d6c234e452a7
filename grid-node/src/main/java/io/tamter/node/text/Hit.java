package io.tamter.node.text;

/** A BM25 match: the document's vid and its score (higher is better). */
public record Hit(long vid, float score) {}
