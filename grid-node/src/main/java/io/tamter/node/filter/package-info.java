/**
 * The filter language of API.md ("Filters"), compiled by {@link io.tamter.node.filter.FilterParser}
 * against a {@link io.tamter.node.schema.Schema} into a Lucene query over the shard's
 * {@link io.tamter.node.text.TextIndex}. The query serves three uses: a BM25 filter clause, the vid
 * bitset of a filtered vector search ({@code TextIndex.matchingVids}) and the conditions of
 * conditional writes and filter-delete.
 *
 * <h2>Grammar</h2>
 * <pre>
 * filter    := { (attr: value | attr: {op: operand, …} | "$and": [filter…] | "$or": [filter…] | "$not": filter), … }
 *            | {"field": attr, "operator": "gt" | "$gt" | …, "value": operand}      (short form of conditions)
 * op        := $eq $ne $gt $gte $lt $lte $in $nin $exists $contains $contains_any $glob $iglob $not
 * operand   := value | {"$ref_new": attr}                                           (conditions only)
 * </pre>
 * Several keys in one object, and several operators on one attribute, must all hold (implicit
 * AND). {@code {}} matches every document; {@code $and: []} every document; {@code $or: []} none.
 * The short form is recognized when an object has exactly the keys {@code field}, {@code operator}
 * and {@code value} with string field and operator, unless the schema has an attribute named
 * {@code field}. {@code $ref_new} stands for the incoming row's value (missing = null).
 *
 * <h2>Semantics</h2>
 * <ul>
 *   <li><b>Missing attributes</b> (absent or null): every comparison is false, except {@code $ne},
 *       {@code $nin} and {@code $exists: false}, which are exact complements of {@code $eq},
 *       {@code $in} and {@code $exists: true} (API.md). {@code $not} is the exact complement of its
 *       filter, so it too matches documents missing the attribute. {@code $eq: null} means "missing",
 *       {@code $ne: null} "present", and a null inside {@code $in} also matches missing documents.
 *       A comparison with null ({@code $gt: null}) matches nothing.</li>
 *   <li><b>Arrays</b> match element-wise, as in MongoDB: {@code $eq}, {@code $in} and the range
 *       operators hold when some element satisfies them ({@code $eq} on an array attribute is the
 *       same as {@code $contains}); {@code $ne}/{@code $nin} hold when no element does. An empty
 *       array is present ({@code $exists: true}) but has no element to match.
 *       {@code $contains}/{@code $contains_any} need an array attribute; comparing with a whole array
 *       ({@code {"tags": ["a","b"]}}) is rejected rather than guessed (order-sensitive equality or
 *       set equality?) and the message points at {@code $contains_any}.</li>
 *   <li><b>Types</b>: strings compare by UTF-8 bytes (ISO-8601 strings therefore compare in time
 *       order); an {@code int} attribute accepts any number ({@code $gt: 4.5} is {@code >= 5},
 *       {@code $eq: 4.5} matches nothing); floats compare as doubles with -0.0 equal to 0.0;
 *       datetimes take ISO-8601 strings or epoch milliseconds; bools take only {@code true}/{@code false}
 *       and reject range operators.</li>
 *   <li><b>Globs</b> ({@code $glob}, case-insensitive {@code $iglob}) match whole strings with Unix
 *       syntax: {@code * ? [abc] [a-z] [!a]} and {@code \} to escape.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * Every problem is a {@link io.tamter.node.filter.FilterException} (HTTP 400) with a code
 * ({@code unknown_operator}, {@code unknown_attribute}, {@code not_filterable}, {@code type_mismatch},
 * {@code invalid_filter}) and the JSON path of the offending part, e.g. {@code filter.price.$lt}
 * or {@code filter.$or[2].tags}.
 */
package io.tamter.node.filter;
