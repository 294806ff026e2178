package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The deltas and messages of reasoning and tool calls, token by token, in vLLM's framing. */
class ModelOutputTests {

    private static final ToolPlan.Call CALL =
            new ToolPlan.Call("chatcmpl-tool-5d2c9e41a0b3f786", "get_weather", "{\"city\": \"Paris\"}");

    /** Runs the output to its end, one delta per token as a stream with zero latency writes them. */
    private static List<String> deltas(ModelOutput out) {
        List<String> deltas = new ArrayList<>();
        StringBuilder content = new StringBuilder();
        while (true) {
            ModelOutput.Token t = out.next();
            boolean end = t == ModelOutput.Token.END;
            String text = t == ModelOutput.Token.CONTENT ? out.lastText() : "";
            content.append(text);
            if (end || !text.isEmpty() || out.pending()) {
                StringBuilder sb = new StringBuilder("{");
                out.writeDelta(sb, text, end);
                deltas.add(sb.append('}').toString());
            }
            if (end) {
                return deltas;
            }
        }
    }

    @Test
    void aNamedCallStartsWithItsFirstFragmentAndEndsWithAnEmptyOne() {
        ModelOutput out =
                new ModelOutput(null, false, null, ToolPlan.Mode.NAMED, List.of(CALL), ReasoningPlan.Field.REASONING);

        List<String> deltas = deltas(out);

        assertThat(deltas.getFirst())
                .startsWith("{\"tool_calls\":[{\"id\":\"chatcmpl-tool-5d2c9e41a0b3f786\",\"type\":\"function\","
                        + "\"index\":0,\"function\":{\"name\":\"get_weather\",\"arguments\":\"{");
        assertThat(deltas.get(1)).startsWith("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":");
        assertThat(deltas.getLast()).isEqualTo("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\"}}]}");
        assertThat(out.endReason()).isEqualTo("stop");
        StringBuilder message = new StringBuilder();
        out.writeMessage(message, "");
        assertThat(message.toString())
                .isEqualTo("\"content\":\"\",\"refusal\":null,\"annotations\":null,\"audio\":null,"
                        + "\"function_call\":null,\"tool_calls\":[{\"id\":\"chatcmpl-tool-5d2c9e41a0b3f786\","
                        + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
                        + "\"{\\\"city\\\": \\\"Paris\\\"}\"}}],\"reasoning\":null");
    }

    @Test
    void reasoningComesFirstUnderTheConfiguredKeyAndItsEndMarkerSendsNothing() {
        ModelOutput out = new ModelOutput(
                TokenSource.echo("Let me think.", 1, 10, false),
                true,
                TokenSource.echo("391", 1, 10, false),
                ToolPlan.Mode.NONE,
                List.of(),
                ReasoningPlan.Field.REASONING_CONTENT);

        List<String> deltas = deltas(out);

        assertThat(deltas.getFirst()).startsWith("{\"reasoning_content\":\"");
        assertThat(String.join("", deltas)).doesNotContain("</think>");
        assertThat(deltas.get(deltas.size() - 2)).isEqualTo("{\"content\":\"391\"}");
        assertThat(deltas.getLast()).isEqualTo("{\"content\":\"\"}");
        assertThat(out.reasoningTokens()).isEqualTo(SimTokenizer.instance().count("Let me think.") + 1);
    }

    @Test
    void hiddenReasoningStillCountsButIsNeverSent() {
        ModelOutput out = new ModelOutput(
                TokenSource.echo("Quietly.", 1, 10, false),
                false,
                TokenSource.echo("Yes", 1, 10, false),
                ToolPlan.Mode.NONE,
                List.of(),
                ReasoningPlan.Field.REASONING);

        assertThat(String.join("", deltas(out))).doesNotContain("reasoning");
        assertThat(out.reasoningTokens()).isPositive();
    }
}
