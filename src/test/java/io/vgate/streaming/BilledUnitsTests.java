package io.vgate.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

/** Cohere's embed format ({@code /v2/embed}) counts its tokens in {@code meta.billed_units}. */
class BilledUnitsTests {

    @Test
    void readsTheInputTokensOfACohereEmbedBody() {
        var body = Buffer.buffer("""
                {"id":"embd-1","embeddings":{"float":[[0.1,0.2]],"binary":null,"ubinary":null,"base64":null},
                 "texts":["hello"],"meta":{"api_version":{"version":"2"},
                 "billed_units":{"input_tokens":7,"image_tokens":null}},"response_type":"embeddings_by_type"}
                """);

        assertThat(UsageReader.read(body)).isEqualTo(new UsageReader.Usage(7, 0, false));
    }

    @Test
    void aMetaWithoutBilledUnitsIsNoUsage() {
        assertThat(UsageReader.read(Buffer.buffer("{\"meta\":{\"api_version\":{\"version\":\"2\"}}}")))
                .isNull();
    }
}
