package io.tamter.node.filter;

import org.apache.lucene.util.automaton.Automata;
import org.apache.lucene.util.automaton.Automaton;
import org.apache.lucene.util.automaton.Operations;
import org.apache.lucene.util.automaton.TooComplexToDeterminizeException;

import java.util.ArrayList;
import java.util.List;

/**
 * Compiles Unix-style globs to Lucene automata over code points (matched against whole terms):
 * {@code *} any sequence (also empty), {@code ?} any one character, {@code [abc]} / {@code [a-z]}
 * a class, {@code [!…]} or {@code [^…]} a negated class ({@code ]} first in a class is literal),
 * {@code \} escapes the next character. Case-insensitive globs ({@code $iglob}) match each literal
 * with its upper- and lower-case forms; class ranges of at most 512 code points are case-folded
 * element by element, wider ranges as written.
 */
final class Globs {
    private Globs() {}

    private static final int FOLDABLE_RANGE = 512;

    /** The determinized automaton of {@code glob}; {@link IllegalArgumentException} with a reason when invalid. */
    static Automaton compile(String glob, boolean caseInsensitive) {
        List<Automaton> parts = new ArrayList<>();
        int i = 0;
        while (i < glob.length()) {
            int c = glob.codePointAt(i);
            i += Character.charCount(c);
            switch (c) {
                case '*' -> parts.add(Automata.makeAnyString());
                case '?' -> parts.add(Automata.makeAnyChar());
                case '\\' -> {
                    if (i >= glob.length()) throw new IllegalArgumentException("glob ends with an escape '\\'");
                    int e = glob.codePointAt(i);
                    i += Character.charCount(e);
                    parts.add(literal(e, caseInsensitive));
                }
                case '[' -> i = charClass(glob, i, caseInsensitive, parts);
                default -> parts.add(literal(c, caseInsensitive));
            }
        }
        Automaton a = parts.isEmpty() ? Automata.makeEmptyString() : Operations.concatenate(parts);
        try {
            return Operations.determinize(a, Operations.DEFAULT_DETERMINIZE_WORK_LIMIT);
        } catch (TooComplexToDeterminizeException e) {
            throw new IllegalArgumentException("glob is too complex");
        }
    }

    private static Automaton literal(int c, boolean ci) {
        if (!ci) return Automata.makeChar(c);
        List<int[]> r = new ArrayList<>();
        addFolded(r, c);
        return ranges(r);
    }

    private static void addFolded(List<int[]> r, int c) {
        r.add(new int[] {c, c});
        int l = Character.toLowerCase(c), u = Character.toUpperCase(c), t = Character.toTitleCase(c);
        if (l != c) r.add(new int[] {l, l});
        if (u != c) r.add(new int[] {u, u});
        if (t != c && t != u) r.add(new int[] {t, t});
    }

    /** Parses a class starting after '['; returns the index after its ']'. */
    private static int charClass(String g, int i, boolean ci, List<Automaton> parts) {
        boolean negate = false;
        if (i < g.length() && (g.charAt(i) == '!' || g.charAt(i) == '^')) {
            negate = true;
            i++;
        }
        List<int[]> ranges = new ArrayList<>();
        boolean first = true;
        while (true) {
            if (i >= g.length()) throw new IllegalArgumentException("unterminated character class '['");
            int c = g.codePointAt(i);
            i += Character.charCount(c);
            if (c == ']' && !first) break;
            first = false;
            if (c == '\\') {
                if (i >= g.length()) throw new IllegalArgumentException("glob ends with an escape '\\'");
                c = g.codePointAt(i);
                i += Character.charCount(c);
            }
            int hi = c;
            if (i + 1 < g.length() && g.charAt(i) == '-' && g.charAt(i + 1) != ']') {
                i++;
                hi = g.codePointAt(i);
                i += Character.charCount(hi);
                if (hi == '\\') {
                    if (i >= g.length()) throw new IllegalArgumentException("glob ends with an escape '\\'");
                    hi = g.codePointAt(i);
                    i += Character.charCount(hi);
                }
                if (hi < c) throw new IllegalArgumentException("character range out of order: " + new String(Character.toChars(c))
                        + "-" + new String(Character.toChars(hi)));
            }
            if (ci && hi - c <= FOLDABLE_RANGE) {
                for (int x = c; x <= hi; x++) addFolded(ranges, x);
            } else {
                ranges.add(new int[] {c, hi});
            }
        }
        parts.add(negate ? ranges(complement(ranges)) : ranges(ranges));
        return i;
    }

    private static List<int[]> complement(List<int[]> ranges) {
        List<int[]> sorted = new ArrayList<>(ranges);
        sorted.sort((a, b) -> Integer.compare(a[0], b[0]));
        List<int[]> out = new ArrayList<>();
        int next = 0;
        for (int[] r : sorted) {
            if (r[0] > next) out.add(new int[] {next, r[0] - 1});
            next = Math.max(next, r[1] + 1);
        }
        if (next <= Character.MAX_CODE_POINT) out.add(new int[] {next, Character.MAX_CODE_POINT});
        return out;
    }

    private static Automaton ranges(List<int[]> ranges) {
        if (ranges.isEmpty()) return Automata.makeEmpty();
        List<Automaton> as = new ArrayList<>(ranges.size());
        for (int[] r : ranges) as.add(Automata.makeCharRange(r[0], r[1]));
        return as.size() == 1 ? as.get(0) : Operations.union(as);
    }
}
