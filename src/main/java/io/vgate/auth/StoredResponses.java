package io.vgate.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import io.vgate.api.InferenceRequest;
import jakarta.inject.Singleton;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Stored responses belong to their creator. vLLM's Responses API stores every response in the API server's
 * memory and serves it, cancels it or continues from it ({@code previous_response_id}) for anyone who names its
 * id. vgate therefore decides the id itself (vLLM takes the body's {@code request_id} as the response id) and
 * remembers which tenant asked for it; a lookup, a cancel or a follow-up from any other tenant gets the same 404
 * as an id that never existed, and never reaches vLLM.
 * <p>
 * Ids are {@code resp_} and 32 random hex digits, as vLLM's own; a client's own {@code request_id} is kept, and
 * refused when another tenant's response already has it. Without authentication there are no tenants, and
 * this step does nothing. The memory is this replica's: bounded ({@link StoredResponsesConfig}), lost on restart
 * (as vLLM's store is).
 */
@Singleton
public class StoredResponses {

    private static final String PREFIX = "resp_";
    private static final String REQUEST_ID = "request_id";
    private static final String PREVIOUS = "previous_response_id";

    private final Cache<String, String> owners;
    private final SecureRandom random = new SecureRandom();

    public StoredResponses(StoredResponsesConfig config) {
        this.owners = Caffeine.newBuilder()
                .maximumSize(Math.max(1, config.maxEntries()))
                .expireAfterAccess(config.retention())
                .build();
    }

    /**
     * Before a new response is queued for {@code tenant}: a {@code previous_response_id} must name one of the
     * tenant's own responses, and a {@code request_id} of the client's own must not be another tenant's.
     * No-op when {@code tenant} is {@code null} (authentication off).
     *
     * @throws ApiException 404 for another tenant's (or an unknown) previous response, 400 for a taken id
     */
    public void checkNew(InferenceRequest request, String tenant) {
        if (tenant == null || request.body() == null) {
            return;
        }
        ObjectNode body = request.body();
        JsonNode previous = body.get(PREVIOUS);
        if (previous != null && previous.isTextual()) {
            checkOwner(previous.textValue(), tenant, PREVIOUS);
        }
        JsonNode chosen = body.get(REQUEST_ID);
        if (chosen != null && chosen.isTextual()) {
            String owner = owners.getIfPresent(chosen.textValue());
            if (owner != null && !owner.equals(tenant)) {
                throw new ApiException(ApiError.invalidValue(
                        REQUEST_ID, "'request_id' is already in use; leave it out and vgate chooses one."));
            }
        }
    }

    /**
     * Just before a new response goes to vLLM: records its id as {@code tenant}'s, choosing the id (the body's
     * {@code request_id}) unless the client named one. Done after context fitting, whose cheap size bound only
     * holds for a body as the client sent it. No-op when {@code tenant} is {@code null}.
     *
     * @throws ApiException 400 when another tenant took the client's own {@code request_id} meanwhile
     */
    public void claim(InferenceRequest request, String tenant) {
        if (tenant == null || request.body() == null) {
            return;
        }
        ObjectNode body = request.body();
        JsonNode chosen = body.get(REQUEST_ID);
        if (chosen != null && chosen.isTextual()) {
            String owner = owners.asMap().putIfAbsent(chosen.textValue(), tenant);
            if (owner != null && !owner.equals(tenant)) {
                // Another tenant took the same id since checkNew: refused all the same.
                throw new ApiException(ApiError.invalidValue(
                        REQUEST_ID, "'request_id' is already in use; leave it out and vgate chooses one."));
            }
            return;
        }
        String id = newId();
        owners.put(id, tenant);
        body.put(REQUEST_ID, id);
        request.markModified();
    }

    /**
     * Before a stored response is read or cancelled: 404 unless {@code tenant} created {@code responseId}.
     * No-op when {@code tenant} is {@code null} (authentication off).
     */
    public void checkOwner(String responseId, String tenant) {
        if (tenant != null) {
            checkOwner(responseId, tenant, "response_id");
        }
    }

    private void checkOwner(String responseId, String tenant, String param) {
        String owner = responseId == null ? null : owners.getIfPresent(responseId);
        if (!tenant.equals(owner)) {
            throw new ApiException(notFound(responseId, param));
        }
    }

    /** The 404 an unknown response id gets from vLLM, in vgate's shape. */
    static ApiError notFound(String responseId, String param) {
        return new ApiError(
                404,
                ApiError.INVALID_REQUEST,
                "response_not_found",
                "Response with id '" + responseId + "' not found.",
                param,
                null);
    }

    private String newId() {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return PREFIX + HexFormat.of().formatHex(bytes);
    }
}
