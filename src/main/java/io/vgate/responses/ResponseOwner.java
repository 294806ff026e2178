package io.vgate.responses;

/**
 * Who created a stored response, and where it lives.
 *
 * @param tenant the creating tenant (vgate's tenant of the caller; {@code ""} when auth is off)
 * @param replica the API address of the replica whose vLLM holds it, or {@code null} when not known
 */
public record ResponseOwner(String tenant, String replica) {

    private static final char SEPARATOR = '\n';

    /** The owner as one string, for the shared store. */
    String encode() {
        return tenant + SEPARATOR + (replica == null ? "" : replica);
    }

    static ResponseOwner decode(String value) {
        int at = value.indexOf(SEPARATOR);
        if (at < 0) {
            return new ResponseOwner(value, null);
        }
        String replica = value.substring(at + 1);
        return new ResponseOwner(value.substring(0, at), replica.isEmpty() ? null : replica);
    }
}
