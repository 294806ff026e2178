package io.vgate.api;

/** A message's declared {@code Content-Length}, as the limits read it before its body is. */
public final class ContentLength {

    private ContentLength() {}

    /** The length {@code header} declares, or {@code -1} when it is absent or not a number. */
    public static long of(String header) {
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
