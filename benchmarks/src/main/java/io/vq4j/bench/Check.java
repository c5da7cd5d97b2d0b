package io.vq4j.bench;

/**
 * The verdict of one correctness check of a GPU op against its CPU twin (or a double reference):
 * {@code ok} and a one-line detail with the largest errors seen (also when it passed).
 */
record Check(boolean ok, String detail) {
    static Check pass(String detail) { return new Check(true, detail); }

    static Check fail(String detail) { return new Check(false, detail); }

    /** Both must pass; the details are joined. */
    Check and(Check other) {
        return new Check(ok && other.ok, detail + "; " + other.detail);
    }

    /** What the JSON's {@code check} field says: "ok", or "FAIL: " and the detail. */
    String verdict() { return ok ? "ok" : "FAIL: " + detail; }
}
