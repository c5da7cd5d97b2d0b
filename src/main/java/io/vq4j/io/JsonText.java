package io.vq4j.io;

/**
 * Writes JSON strings exactly as Rust's serde_json does (the safetensors library's writer), so
 * our headers are byte-identical to the Python library's: only {@code "}, {@code \} and control
 * characters below U+0020 are escaped ({@code \b \t \n \f \r}, else backslash-u plus 4 lowercase hex digits
 * hex); everything else, DEL and U+2028 included, goes out as raw UTF-8. (Gson would also escape
 * {@code < > & = '} and U+2028, which is valid JSON but different bytes.)
 */
final class JsonText {
    private JsonText() {}

    static void appendString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\f' -> out.append("\\f");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
