package io.vq4j.data;

/** What {@link ImageFolder} does with a file it cannot decode: leave it out (and say so once), or stop. */
public enum BadFilePolicy {
    /** Log the file and the reason once, list it in {@link ImageFolder#skipped()}, and go on without it. */
    SKIP,
    /** Fail with an IOException naming the first bad file (in path order) and the reason. */
    FAIL
}
