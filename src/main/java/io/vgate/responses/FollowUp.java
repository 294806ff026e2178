package io.vgate.responses;

/**
 * Where a request about a stored response goes ({@code GET}, {@code cancel}, a {@code previous_response_id}):
 * to this replica's vLLM, or forwarded to the replica whose vLLM holds it. A response the caller does not own
 * never gets a {@code FollowUp}: it is refused with 404.
 *
 * @param replica the owning replica's API address to forward to, or {@code null} for this replica's vLLM
 */
public record FollowUp(String replica) {

    /** This replica's vLLM holds it (or it holds no owner's replica: vLLM answers for itself). */
    public static final FollowUp HERE = new FollowUp(null);

    /** True when the request is to be forwarded to {@link #replica()}. */
    public boolean forwarded() {
        return replica != null;
    }
}
