package io.vq4j.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the small subset of Python literals a {@code .npy} header uses: a dict with string keys
 * whose values are strings, True/False/None, integers, and tuples or lists of those. Gives
 * Map&lt;String, Object&gt;, String, Boolean, null, Long and List&lt;Object&gt;. Anything else is
 * an IllegalArgumentException saying where (the .npy reader turns it into a file error).
 */
final class PyLiteral {
    private final String s;
    private int i;

    private PyLiteral(String s) { this.s = s; }

    /** The dict the whole of {@code text} (surrounding whitespace aside) spells. */
    static Map<String, Object> parseDict(String text) {
        PyLiteral p = new PyLiteral(text);
        p.skipSpace();
        if (p.peek() != '{') throw p.error("expected a dict '{...}'");
        @SuppressWarnings("unchecked") Map<String, Object> d = (Map<String, Object>) p.value();
        p.skipSpace();
        if (p.i != text.length()) throw p.error("unexpected text after the dict");
        return d;
    }

    private Object value() {
        skipSpace();
        char c = peek();
        if (c == '{') return dict();
        if (c == '(') return sequence('(', ')');
        if (c == '[') return sequence('[', ']');
        if (c == '\'' || c == '"') return string();
        if (c == '-' || (c >= '0' && c <= '9')) return integer();
        if (s.startsWith("True", i)) { i += 4; return Boolean.TRUE; }
        if (s.startsWith("False", i)) { i += 5; return Boolean.FALSE; }
        if (s.startsWith("None", i)) { i += 4; return null; }
        throw error("unexpected " + (i < s.length() ? "'" + c + "'" : "end of header"));
    }

    private Map<String, Object> dict() {
        Map<String, Object> d = new LinkedHashMap<>();
        i++; // '{'
        while (true) {
            skipSpace();
            if (peek() == '}') { i++; return d; }
            if (peek() != '\'' && peek() != '"') throw error("expected a string key");
            String key = string();
            skipSpace();
            if (peek() != ':') throw error("expected ':' after key '" + key + "'");
            i++;
            if (d.containsKey(key)) throw error("key '" + key + "' appears twice");
            d.put(key, value());
            skipSpace();
            if (peek() == ',') i++;
            else if (peek() != '}') throw error("expected ',' or '}'");
        }
    }

    private List<Object> sequence(char open, char close) {
        List<Object> items = new ArrayList<>();
        i++; // open
        while (true) {
            skipSpace();
            if (peek() == close) { i++; return items; }
            items.add(value());
            skipSpace();
            if (peek() == ',') i++;
            else if (peek() != close) throw error("expected ',' or '" + close + "'");
        }
    }

    private String string() {
        char quote = s.charAt(i++);
        StringBuilder b = new StringBuilder();
        while (i < s.length() && s.charAt(i) != quote) {
            char c = s.charAt(i++);
            if (c == '\\') { // numpy never escapes in these headers; take the next char literally
                if (i >= s.length()) break;
                c = s.charAt(i++);
            }
            b.append(c);
        }
        if (i >= s.length()) throw error("unterminated string");
        i++; // closing quote
        return b.toString();
    }

    private Long integer() {
        int start = i;
        if (peek() == '-') i++;
        while (i < s.length() && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) i++;
        String digits = s.substring(start, i);
        if (i < s.length() && (s.charAt(i) == 'L' || s.charAt(i) == 'l')) i++; // Python 2 longs
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            i = start;
            throw error("bad integer '" + digits + "'");
        }
    }

    private void skipSpace() {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n' || s.charAt(i) == '\r')) i++;
    }

    private char peek() { return i < s.length() ? s.charAt(i) : '\0'; }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at character " + i + " of " + s.strip());
    }
}
