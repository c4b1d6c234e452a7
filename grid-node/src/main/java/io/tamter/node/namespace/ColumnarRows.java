package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.doc.RequestError;
import io.tamter.node.filter.FilterException;
import io.tamter.node.schema.SchemaException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The columnar write forms of API.md ({@code upsert_columns}, {@code patch_columns}): an object of
 * equally long arrays, one per row field ({@code id}, {@code vector}, {@code text}, attributes),
 * where {@code null} at index i means row i does not have that field. They are turned into the
 * row form and take the row path, so validation and effects are exactly those of rows; errors
 * are reported in column terms: {@code upsert_rows[3].price} becomes {@code upsert_columns.price[3]},
 * {@code upsert_rows[3].vector[5]} becomes {@code upsert_columns.vector[3][5]}, and a message about
 * row 3 as a whole ({@code patch_rows[3]: document 7 does not exist}) names {@code patch_columns.id[3]}.
 *
 * <p>In {@code patch_columns}, null means "not given", so columns cannot remove an attribute
 * (patch rows with a null value do that).
 */
final class ColumnarRows {
    private static final Pattern ROW_PATH = Pattern.compile("^(upsert_rows|patch_rows)\\[(\\d+)\\](?:\\.([^.\\[]+))?(.*)$", Pattern.DOTALL);

    private ColumnarRows() {
    }

    /** The rows of {@code columns} ({@code list} is {@code upsert_columns} or {@code patch_columns}, for error paths). */
    static ArrayNode toRows(JsonNode columns, String list) {
        if (columns == null || !columns.isObject())
            throw new InvalidRequestException("invalid_request", list, list + ": must be an object of columns (arrays of equal length)");
        JsonNode ids = columns.get("id");
        if (ids == null || !ids.isArray())
            throw new InvalidRequestException("invalid_request", list + ".id", list + ".id: the id column is required and must be an array");
        int n = ids.size();
        List<Map.Entry<String, JsonNode>> cols = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = columns.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String p = list + "." + e.getKey();
            if (!e.getValue().isArray())
                throw new InvalidRequestException("invalid_request", p, p + ": a column is an array (null for rows without the field); got "
                        + e.getValue().getNodeType().name().toLowerCase(java.util.Locale.ROOT));
            if (e.getValue().size() != n)
                throw new InvalidRequestException("invalid_column_length", p, p + ": has " + e.getValue().size()
                        + " values, the id column has " + n + "; all columns must be equally long");
            cols.add(e);
        }
        ArrayNode rows = JsonNodeFactory.instance.arrayNode(n);
        for (int i = 0; i < n; i++) {
            ObjectNode row = rows.addObject();
            for (Map.Entry<String, JsonNode> c : cols) {
                JsonNode v = c.getValue().get(i);
                if (v != null && !v.isNull()) row.set(c.getKey(), v);
            }
        }
        return rows;
    }

    /**
     * {@code e} with its path (and the path at the start of its message) in column terms; the
     * same exception type, code and cause. Exceptions without a row path are returned as they are.
     */
    static RuntimeException rewrite(IllegalArgumentException e, String list) {
        if (!(e instanceof RequestError re)) return e;
        String path = re.path();
        String code = re.code();
        String np = columnPath(path, list);
        if (np == null) return e;
        String msg = e.getMessage() == null ? null : e.getMessage().replace(path, np);
        RuntimeException out;
        if (e instanceof NamespaceConflictException) out = new NamespaceConflictException(code, np, msg);
        else if (e instanceof SchemaException) out = new SchemaException(code, np, msg);
        else if (e instanceof FilterException) out = new FilterException(code, np, msg);
        else out = new InvalidRequestException(code, np, msg);
        out.initCause(e.getCause());
        out.setStackTrace(e.getStackTrace());
        return out;
    }

    /** A message that names a row path, in column terms. */
    static String rewriteMessage(String message, String list) {
        Matcher m = Pattern.compile("(upsert_rows|patch_rows)\\[\\d+\\][^\\s:]*").matcher(message);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String np = columnPath(m.group(), list);
            m.appendReplacement(sb, Matcher.quoteReplacement(np == null ? m.group() : np));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** {@code upsert_rows[3].price.x} → {@code upsert_columns.price[3].x}; null when {@code path} is not a row path. */
    static String columnPath(String path, String list) {
        if (path == null) return null;
        Matcher m = ROW_PATH.matcher(path);
        if (!m.matches()) return null;
        String field = m.group(3);
        if (field == null) return list + ".id[" + m.group(2) + "]" + m.group(4); // the row as a whole: named by its id
        return list + "." + field + "[" + m.group(2) + "]" + m.group(4);
    }
}
