package io.vgate.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * vLLM's small JSON endpoints that vgate calls for itself. Built by {@link VllmClient} against the
 * resolved upstream; the client traffic never goes through here (see {@link VllmHttpClient}).
 */
@Path("/")
interface VllmRestClient {

    /** {@code GET /health}: 200 with an empty body when the engine is up. */
    @GET
    @Path("health")
    Uni<Response> health();

    /** {@code GET /v1/models}: the served models with their {@code max_model_len}. */
    @GET
    @Path("v1/models")
    @Produces(MediaType.APPLICATION_JSON)
    Uni<JsonNode> models();

    /** {@code POST /tokenize}: the token count of a prompt or, in chat form, of rendered messages. */
    @POST
    @Path("tokenize")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    Uni<JsonNode> tokenize(JsonNode request);
}
