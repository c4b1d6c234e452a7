/**
 * The namespace schema (API.md, {@code POST /v1/namespaces/{ns}/schema}): attribute types
 * ({@code string int float bool datetime} and their arrays {@code []string …}), whether an
 * attribute is {@code filterable}, and its {@code full_text_search} options (language, stemming,
 * stopwords, case sensitivity, BM25 k1 and b).
 *
 * <p>A {@link io.tamter.node.schema.Schema} is immutable; schema requests and writes that bring
 * new attributes produce a new one. Types are fixed once known: declared, or inferred from the
 * first non-null value written ({@link io.tamter.node.schema.Schema#withInferred}); a type change
 * is rejected because the indexes hold data by type. {@link io.tamter.node.schema.Values} checks
 * written values against their types and converts them to their indexed form (datetimes to epoch
 * milliseconds).
 *
 * <p>Every caller mistake is a {@link io.tamter.node.schema.SchemaException} (HTTP 400) whose
 * message starts with the JSON path it concerns, e.g. {@code price.type: cannot change the type of
 * attribute 'price' from int to float}.
 *
 * <p>API.md does not list the default of {@code filterable}; Tamter follows turbopuffer: true,
 * except for full-text attributes (their filter index would hold whole texts as terms).
 */
package io.tamter.node.schema;
