package io.vgate.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestParser;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code priority} sent to vLLM per class, and the body edit that carries it. */
class VllmPrioritiesTests {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final PriorityClasses CLASSES = new PriorityClasses(List.of("interactive", "batch", "bulk"));

    private static ShapingConfig.Priority config(boolean toVllm, Map<String, Integer> values) {
        return new ShapingConfig.Priority() {
            @Override
            public List<String> classes() {
                return CLASSES.names();
            }

            @Override
            public Map<String, java.time.Duration> maxQueueWait() {
                return Map.of();
            }

            @Override
            public boolean toVllm() {
                return toVllm;
            }

            @Override
            public Map<String, Integer> vllmValues() {
                return values;
            }
        };
    }

    private static InferenceRequest chat(String body) {
        return new RequestParser(MAPPER).parse(ApiRoute.CHAT_COMPLETIONS, "application/json", Buffer.buffer(body));
    }

    @Test
    void sendsEachClassItsPositionUnlessAValueIsConfigured() {
        var priorities = new VllmPriorities(config(true, Map.of("bulk", 100)), CLASSES);

        assertThat(priorities.value(CLASSES.rank("interactive"))).isZero();
        assertThat(priorities.value(CLASSES.rank("batch"))).isEqualTo(1);
        assertThat(priorities.value(CLASSES.rank("bulk"))).isEqualTo(100);
    }

    @Test
    void replacesThePriorityTheClientSentAndMarksTheBodyForSerialising() throws Exception {
        var priorities = new VllmPriorities(config(true, Map.of()), CLASSES);
        var request = chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"priority\":-50}");

        priorities.applyTo(request, CLASSES.rank("batch"));

        assertThat(request.modified()).isTrue();
        assertThat(MAPPER.readTree(request.bytesToSend(MAPPER).getBytes())
                        .get("priority")
                        .asInt())
                .isEqualTo(1);
    }

    @Test
    void leavesTheBodyAloneWhenOff() {
        var priorities = new VllmPriorities(config(false, Map.of()), CLASSES);
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"priority\":-50}";
        var request = chat(body);

        priorities.applyTo(request, CLASSES.rank("interactive"));

        assertThat(priorities.enabled()).isFalse();
        assertThat(request.modified()).isFalse();
        assertThat(request.bytesToSend(MAPPER).toString()).isEqualTo(body);
    }
}
