package io.vgate.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vgate.shaping.PriorityClasses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The keys files an operator starts from — the example in deploy/ and the Secret template in the
 * generated manifests — are read by the same parser vgate uses, so they cannot drift from its format.
 */
class DeployedKeyFilesTests {

    private static final PriorityClasses CLASSES = new PriorityClasses(List.of("interactive", "batch"));

    @Test
    void theExampleKeysFileIsValid() throws IOException {
        var keys = KeyFile.parse(Files.readAllBytes(Path.of("deploy", "api-keys.example.yaml")), CLASSES);

        assertThat(keys).hasSize(1);
    }

    @Test
    void theSecretTemplateHoldsAValidKeysFile() throws IOException {
        var yaml = new ObjectMapper(new YAMLFactory());
        String secretFile = null;
        try (var documents = yaml.readerFor(JsonNode.class)
                .readValues(Files.readString(Path.of("deploy", "base", "kubernetes.yml")))) {
            while (documents.hasNextValue()) {
                JsonNode document = (JsonNode) documents.nextValue();
                if ("Secret".equals(document.path("kind").asText())
                        && "vgate-api-keys"
                                .equals(document.path("metadata").path("name").asText())) {
                    secretFile =
                            document.path("stringData").path("api-keys.yaml").asText();
                }
            }
        }

        assertThat(secretFile).isNotBlank();
        assertThat(KeyFile.parse(secretFile.getBytes(StandardCharsets.UTF_8), CLASSES))
                .hasSize(1);
    }
}
