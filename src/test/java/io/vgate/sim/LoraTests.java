package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runtime LoRA loading: the admin routes, the model list, and adapters named as {@code model}. */
@QuarkusTest
class LoraTests extends SimSuite {

    @TempDir
    Path adapters;

    @Test
    void hasNoLoraRoutesUnlessRuntimeUpdatingIsAllowed() {
        HttpResponse<String> load =
                client.post("/v1/load_lora_adapter", "{\"lora_name\":\"sql\",\"lora_path\":\"org/sql-lora\"}");

        assertThat(load.statusCode()).isEqualTo(404);
        assertThat(load.body()).isEqualTo("{\"detail\":\"Not Found\"}");
    }

    @Test
    void loadsListsServesAndUnloadsAnAdapter() throws IOException {
        sim.settings().serving().allowRuntimeLoraUpdating(true);
        Path path = Files.createDirectory(adapters.resolve("sql"));

        HttpResponse<String> load = client.post(
                "/v1/load_lora_adapter",
                "{\"lora_name\":\"sql-lora\",\"lora_path\":" + Json.quote(path.toString()) + "}");

        assertThat(load.statusCode()).isEqualTo(200);
        assertThat(load.body()).isEqualTo("Success: LoRA adapter 'sql-lora' added successfully.");
        assertThat(load.headers().firstValue("content-type")).isEmpty();
        JsonNode models = SimClient.parse(client.get("/v1/models").body()).get("data");
        assertThat(models).hasSize(2);
        JsonNode card = models.get(1);
        assertThat(SimClient.fieldNames(card))
                .containsExactly(
                        "id", "object", "created", "owned_by", "root", "parent", "max_model_len", "permission");
        assertThat(card.get("id").asText()).isEqualTo("sql-lora");
        assertThat(card.get("root").asText()).isEqualTo(path.toString());
        assertThat(card.get("parent").asText()).isEqualTo("vgate-sim-llama-3-8b");
        assertThat(card.get("max_model_len").isNull()).isTrue();

        JsonNode chat = client.postJson(
                "/v1/chat/completions",
                "{\"model\":\"sql-lora\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2}");
        assertThat(chat.get("model").asText()).isEqualTo("sql-lora");
        JsonNode embedding = client.postJson("/v1/embeddings", "{\"model\":\"sql-lora\",\"input\":\"x\"}");
        assertThat(embedding.get("model").asText()).isEqualTo("sql-lora");

        HttpResponse<String> unload = client.post("/v1/unload_lora_adapter", "{\"lora_name\":\"sql-lora\"}");
        assertThat(unload.statusCode()).isEqualTo(200);
        assertThat(unload.body()).isEqualTo("Success: LoRA adapter 'sql-lora' removed successfully.");
        assertThat(SimClient.parse(client.get("/v1/models").body()).get("data")).hasSize(1);
        assertThat(client.post("/v1/completions", "{\"model\":\"sql-lora\",\"prompt\":\"Hi\",\"max_tokens\":1}")
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void answersVllmsLoraErrors() {
        sim.settings().serving().allowRuntimeLoraUpdating(true);
        String load = "{\"lora_name\":\"a\",\"lora_path\":\"org/a\"}";
        assertThat(client.post("/v1/load_lora_adapter", load).statusCode()).isEqualTo(200);

        HttpResponse<String> again = client.post("/v1/load_lora_adapter", load);
        HttpResponse<String> inPlace = client.post(
                "/v1/load_lora_adapter", "{\"lora_name\":\"a\",\"lora_path\":\"org/a2\",\"load_inplace\":true}");
        HttpResponse<String> empty = client.post("/v1/load_lora_adapter", "{\"lora_name\":\"\",\"lora_path\":\"p\"}");
        HttpResponse<String> missingKey = client.post("/v1/load_lora_adapter", "{\"lora_name\":\"b\"}");
        HttpResponse<String> noSuchPath =
                client.post("/v1/load_lora_adapter", "{\"lora_name\":\"b\",\"lora_path\":\"/no/such/adapter/dir\"}");
        HttpResponse<String> unknown = client.post("/v1/unload_lora_adapter", "{\"lora_name\":\"zzz\"}");

        assertThat(again.statusCode()).isEqualTo(400);
        assertThat(again.body())
                .isEqualTo("{\"error\":{\"message\":\"The lora adapter 'a' has already been loaded. If you want to"
                        + " load the adapter in place, set 'load_inplace' to True.\",\"type\":\"InvalidUserInput\","
                        + "\"param\":null,\"code\":400}}");
        assertThat(inPlace.statusCode()).isEqualTo(200);
        assertThat(SimClient.parse(empty.body()).at("/error/message").asText())
                .isEqualTo("Both 'lora_name' and 'lora_path' must be provided.");
        assertThat(missingKey.statusCode()).isEqualTo(400);
        assertThat(SimClient.parse(missingKey.body()).at("/error/type").asText())
                .isEqualTo("Bad Request");
        assertThat(noSuchPath.statusCode()).isEqualTo(404);
        assertThat(SimClient.parse(noSuchPath.body()).at("/error/message").asText())
                .isEqualTo("Loading lora b failed: No adapter found for /no/such/adapter/dir");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body())
                .isEqualTo("{\"error\":{\"message\":\"The lora adapter 'zzz' cannot be found.\","
                        + "\"type\":\"NotFoundError\",\"param\":null,\"code\":404}}");
    }
}
