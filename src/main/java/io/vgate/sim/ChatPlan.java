package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import io.vgate.sim.SimulatorConfig.Mode;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The chat request that vLLM builds from a Responses or Anthropic Messages body, read with the chat path's own parts
 * (messages, tools, structured output, reasoning, sampling), and the one {@link Choice} the simulated model answers it
 * with: the same text, calls and reasoning a chat completion of that request would get.
 */
final class ChatPlan {

    final List<SimTokenizer.Message> messages;
    final ToolPlan tools;
    final OutputConstraint constraint;
    final ReasoningPlan reasoning;
    final Sampling sampling;
    /** The rendered prompt: chat template, tool definitions and earlier calls. */
    final int promptTokens;

    private final String prompt;

    /** The rendered prompt, as the prefix cache splits it into blocks. */
    String prompt() {
        return prompt;
    }

    private ChatPlan(RequestReader r, SimSettings settings) {
        this.messages = PromptReader.messages(r);
        this.sampling = Sampling.read(r);
        this.reasoning = ReasoningPlan.read(r, settings.reasoningMode());
        this.tools = ToolPlan.read(r);
        this.constraint = OutputConstraint.read(r, tools);
        r.throwIfInvalid();
        SimTokenizer tokenizer = SimTokenizer.instance();
        this.prompt = tokenizer.renderChat(messages, true, false);
        String templated = tools.promptText() + assistantCalls(r.raw("messages"));
        this.promptTokens = tokenizer.count(prompt) + (templated.isEmpty() ? 0 : tokenizer.count(templated));
    }

    /** The chat route's request, read and rendered by the route itself (its prompt and token count are its own). */
    ChatPlan(
            List<SimTokenizer.Message> messages,
            Sampling sampling,
            ReasoningPlan reasoning,
            ToolPlan tools,
            OutputConstraint constraint,
            String prompt,
            int promptTokens) {
        this.messages = messages;
        this.sampling = sampling;
        this.reasoning = reasoning;
        this.tools = tools;
        this.constraint = constraint;
        this.prompt = prompt;
        this.promptTokens = promptTokens;
    }

    /**
     * Reads a chat-shaped request tree.
     *
     * @throws SimError the chat path's validation errors
     */
    static ChatPlan read(JsonNode chatRequest, SimSettings settings) {
        return new ChatPlan(RequestReader.of(chatRequest), settings);
    }

    /** The one sequence of the answer, at most {@code maxTokens} long. */
    Choice choice(int maxTokens, SimSettings settings) {
        return choice(0, maxTokens, settings);
    }

    /**
     * Sequence {@code index} of the answer, at most {@code maxTokens} long: its text, tool calls or a constrained
     * output in its place, and reasoning before it, each drawn from the request's seed and the index.
     */
    Choice choice(int index, int maxTokens, SimSettings settings) {
        long baseSeed = sampling.seed() != null ? sampling.seed() : TokenSource.seedOf(prompt);
        String lastUser = lastUserContent();
        long seed = TokenSource.seedFor(baseSeed, index);
        int mean = settings.meanOutputTokens();
        TokenSource source = settings.mode() == Mode.ECHO
                ? TokenSource.echo(lastUser, seed, mean, sampling.ignoreEos())
                : TokenSource.random(seed, mean, sampling.ignoreEos());
        boolean afterToolResults = !messages.isEmpty()
                && ("tool".equals(messages.getLast().role())
                        || "function".equals(messages.getLast().role()));
        List<ToolPlan.Call> calls = tools.calls(
                new SplittableRandom(TokenSource.seedFor(seed, 2)),
                new SplittableRandom(ThreadLocalRandom.current().nextLong()),
                settings.autoToolCallRate(),
                afterToolResults,
                lastUser);
        if (constraint != null && calls.isEmpty()) {
            String constrained = constraint.render(new SplittableRandom(TokenSource.seedFor(seed, 3)));
            source = TokenSource.echo(constrained, seed, mean, false);
        }
        Choice choice = new Choice(index, promptTokens, maxTokens, source);
        if (reasoning.think() || !calls.isEmpty() || constraint != null) {
            TokenSource thinking = reasoning.think()
                    ? TokenSource.random(
                            TokenSource.seedFor(seed, 1),
                            Math.max(4, (int) Math.round(mean * reasoning.lengthFactor() / 2)),
                            false)
                    : null;
            choice.output = new ModelOutput(
                    thinking, reasoning.visible(), source, tools.mode, calls, settings.reasoningField());
        }
        return choice;
    }

    private String lastUserContent() {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if ("user".equals(messages.get(i).role())) {
                return messages.get(i).content();
            }
        }
        return messages.isEmpty() ? "" : messages.getLast().content();
    }

    /** The tool calls of earlier assistant turns, as a template writes them back into the prompt. */
    static String assistantCalls(JsonNode messages) {
        if (messages == null || !messages.isArray()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode m : messages) {
            JsonNode calls = m.get("tool_calls");
            if (calls != null && calls.isArray()) {
                for (JsonNode call : calls) {
                    JsonNode function = call.path("function");
                    sb.append("<tool_call>\n{\"name\": ")
                            .append(Json.quote(function.path("name").asText("")))
                            .append(", \"arguments\": ")
                            .append(function.path("arguments").asText("{}"))
                            .append("}\n</tool_call>\n");
                }
            }
        }
        return sb.toString();
    }
}
