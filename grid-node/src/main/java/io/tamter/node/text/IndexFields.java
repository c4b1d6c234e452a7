package io.tamter.node.text;

import org.apache.lucene.index.Term;
import org.apache.lucene.util.BytesRef;

/**
 * Names and encodings of the Lucene fields of a shard's text index; the filter parser builds its
 * queries against the same names.
 *
 * <table>
 *   <caption>Fields of one document</caption>
 *   <tr><th>field</th><th>indexed as</th><th>for</th></tr>
 *   <tr><td>{@code _id}</td><td>term: the vid as 8 bytes big-endian</td><td>update and delete by vid</td></tr>
 *   <tr><td>{@code _vid}</td><td>numeric doc values</td><td>mapping hits back to vids</td></tr>
 *   <tr><td>{@code _has}</td><td>one term per present (non-null) attribute name</td><td>{@code $exists},
 *       and the complement operators that must match documents missing the attribute</td></tr>
 *   <tr><td>{@code f.<attr>}</td><td>string: keyword term + sorted-set doc values; int, datetime: long
 *       point + sorted-numeric doc values; float: double point + sorted-numeric doc values; bool: the
 *       term {@code true}/{@code false}. Array attributes hold one value per element.</td>
 *       <td>filters (filterable attributes only)</td></tr>
 *   <tr><td>{@code t.<attr>}</td><td>analyzed text (BM25 norms), analyzer from the attribute's options</td>
 *       <td>BM25 (full-text attributes only)</td></tr>
 * </table>
 * The prefixes keep attribute names from colliding with the internal fields and with each other's
 * two roles (an attribute can be both filterable and full-text).
 */
public final class IndexFields {
    private IndexFields() {}

    public static final String ID = "_id";
    public static final String VID = "_vid";
    public static final String HAS = "_has";
    public static final String TRUE = "true";
    public static final String FALSE = "false";

    /** The filter field of an attribute. */
    public static String filter(String attribute) {
        return "f." + attribute;
    }

    /** The full-text field of an attribute. */
    public static String text(String attribute) {
        return "t." + attribute;
    }

    /** The attribute of a full-text field name, or null when it is not one. */
    public static String attributeOfText(String field) {
        return field.startsWith("t.") ? field.substring(2) : null;
    }

    /** The unique term of a vid. */
    public static Term idTerm(long vid) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) b[i] = (byte) (vid >>> (56 - 8 * i));
        return new Term(ID, new BytesRef(b));
    }

    /** Floats are indexed with -0.0 folded into 0.0, so that {@code $eq: 0} finds both. */
    public static double normalize(double d) {
        return d == 0.0 ? 0.0 : d;
    }
}
