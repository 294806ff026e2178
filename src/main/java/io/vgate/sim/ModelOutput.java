package io.vgate.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * What a chat choice writes beyond plain text, token by token, as vLLM's reasoning and tool parsers split it: a
 * reasoning section (its end marker counts as a token but is never sent), then either the content (free, or
 * constrained text) or tool calls. Keeps what has been sent so far and writes the {@code delta} of a stream chunk and
 * the {@code message} parts of a full answer in vLLM's field order.
 *
 * <p>Tool calls are written as the model's own text would be tokenized: for {@code auto} a Hermes-style
 * {@code <tool_call>} block per call (the call starts, without arguments, once its name is complete), for
 * {@code required} a JSON array of {@code {"name", "parameters"}} and for a named function the bare arguments (both
 * start with their first argument fragment). Markup tokens count but send nothing.</p>
 */
final class ModelOutput {

    /** What a generated token was. */
    enum Token {
        REASONING,
        CONTENT,
        /** Counted, not sent: the end-of-reasoning marker, call markup. */
        SILENT,
        CALL,
        /** End of sequence. */
        END
    }

    private enum Phase {
        REASONING,
        ANSWER,
        DONE
    }

    private final TokenSource reasoning;
    private final boolean reasoningVisible;
    private final TokenSource content;
    private final ToolPlan.Mode callMode;
    private final List<CallState> calls;
    private final ReasoningPlan.Field field;

    private Phase phase;
    private String lastText;
    private int reasoningTokens;
    private final StringBuilder reasoningText = new StringBuilder();
    private int reasoningSent;
    /** The call script: one entry per token after the reasoning; null for plain content. */
    private final List<Step> script;

    private int scriptPos;

    private record Step(int call, String text, boolean starts, boolean args) {}

    private static final class CallState {
        final ToolPlan.Call call;
        final StringBuilder args = new StringBuilder();
        boolean started;
        boolean headerSent;
        int argsSent;

        CallState(ToolPlan.Call call) {
            this.call = call;
        }
    }

    /**
     * @param reasoning the reasoning text source, or null when the model does not think
     * @param reasoningVisible whether the reasoning is returned ({@code include_reasoning})
     * @param content the answer's text source; unused when there are calls
     * @param callMode how the calls were asked for
     * @param calls the calls the model makes; empty for a text answer
     * @param field the key reasoning travels under
     */
    ModelOutput(
            TokenSource reasoning,
            boolean reasoningVisible,
            TokenSource content,
            ToolPlan.Mode callMode,
            List<ToolPlan.Call> calls,
            ReasoningPlan.Field field) {
        this.reasoning = reasoning;
        this.reasoningVisible = reasoningVisible;
        this.content = content;
        this.callMode = callMode;
        this.field = field;
        this.calls = new ArrayList<>(calls.size());
        for (ToolPlan.Call c : calls) {
            this.calls.add(new CallState(c));
        }
        this.script = calls.isEmpty() ? null : script(callMode, calls);
        this.phase = reasoning != null ? Phase.REASONING : Phase.ANSWER;
    }

    private static List<Step> script(ToolPlan.Mode mode, List<ToolPlan.Call> calls) {
        List<Step> steps = new ArrayList<>();
        SimTokenizer tokenizer = SimTokenizer.instance();
        if (mode == ToolPlan.Mode.REQUIRED) {
            silent(steps, tokenizer, "[");
        }
        for (int i = 0; i < calls.size(); i++) {
            ToolPlan.Call call = calls.get(i);
            String head = "";
            String tail = "";
            switch (mode) {
                case AUTO -> {
                    head = (i > 0 ? "\n" : "") + "<tool_call>\n{\"name\": " + Json.quote(call.name())
                            + ", \"arguments\": ";
                    tail = "}\n</tool_call>";
                }
                case REQUIRED -> {
                    head = (i > 0 ? ", " : "") + "{\"name\": " + Json.quote(call.name()) + ", \"parameters\": ";
                    tail = "}";
                }
                default -> {}
            }
            int before = steps.size();
            silent(steps, tokenizer, head);
            if (mode == ToolPlan.Mode.AUTO && steps.size() > before) {
                // Hermes-style parsers send the call's name once the name is complete.
                Step last = steps.removeLast();
                steps.add(new Step(i, last.text(), true, false));
            }
            SimTokenizer.Tokens args = tokenizer.encodeWithPieces(call.arguments());
            for (int t = 0; t < args.size(); t++) {
                boolean starts = t == 0 && mode != ToolPlan.Mode.AUTO;
                steps.add(new Step(i, args.piece(t), starts, true));
            }
            silent(steps, tokenizer, tail);
        }
        if (mode == ToolPlan.Mode.REQUIRED) {
            silent(steps, tokenizer, "]");
        }
        return steps;
    }

    private static void silent(List<Step> steps, SimTokenizer tokenizer, String text) {
        if (text.isEmpty()) {
            return;
        }
        SimTokenizer.Tokens tokens = tokenizer.encodeWithPieces(text);
        for (int t = 0; t < tokens.size(); t++) {
            steps.add(new Step(-1, tokens.piece(t), false, false));
        }
    }

    /** Generates the next token; its text, for {@link Token#CONTENT}, is {@link #lastText()}. */
    Token next() {
        lastText = null;
        if (phase == Phase.REASONING) {
            String piece = reasoning.next();
            if (piece != null) {
                reasoningTokens++;
                reasoningText.append(piece);
                return Token.REASONING;
            }
            // The end-of-reasoning marker: one token, never sent.
            phase = Phase.ANSWER;
            reasoningTokens++;
            return Token.SILENT;
        }
        if (phase == Phase.DONE) {
            return Token.END;
        }
        if (script == null) {
            String piece = content.next();
            if (piece == null) {
                phase = Phase.DONE;
                return Token.END;
            }
            lastText = piece;
            return Token.CONTENT;
        }
        if (scriptPos >= script.size()) {
            phase = Phase.DONE;
            return Token.END;
        }
        Step step = script.get(scriptPos++);
        if (step.call() < 0) {
            return Token.SILENT;
        }
        CallState call = calls.get(step.call());
        if (step.starts()) {
            call.started = true;
        }
        if (step.args()) {
            call.args.append(step.text());
        }
        return Token.CALL;
    }

    String lastText() {
        return lastText;
    }

    /** Whether the answer is tool calls rather than text. */
    boolean calling() {
        return script != null;
    }

    /** Whether the model has left its reasoning section. */
    boolean answering() {
        return phase != Phase.REASONING;
    }

    /** The finish reason at end of sequence: vLLM's {@code tool_calls} for parsed and required calls. */
    String endReason() {
        return script != null && callMode != ToolPlan.Mode.NAMED ? "tool_calls" : "stop";
    }

    /** Tokens of the reasoning section, its end marker included. */
    int reasoningTokens() {
        return reasoningTokens;
    }

    /** The reasoning written so far, empty when it is hidden ({@code include_reasoning: false}). */
    CharSequence visibleReasoning() {
        return reasoningVisible ? reasoningText : "";
    }

    /** How many calls the answer makes (0 for text). */
    int callCount() {
        return calls.size();
    }

    /** The {@code i}-th call (its id and name, and the whole arguments it will write). */
    ToolPlan.Call call(int i) {
        return calls.get(i).call;
    }

    /** Whether the {@code i}-th call has started, as a parser would report it. */
    boolean callStarted(int i) {
        return calls.get(i).started;
    }

    /** The arguments of the {@code i}-th call generated so far. */
    CharSequence callArguments(int i) {
        return calls.get(i).args;
    }

    /** Whether a stream chunk has something new to send besides content. */
    boolean pending() {
        if (reasoningVisible && reasoningSent < reasoningText.length()) {
            return true;
        }
        for (CallState c : calls) {
            if (c.started && (!c.headerSent || c.argsSent < c.args.length())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Writes the inner fields of a stream chunk's {@code delta} and marks them sent.
     *
     * @param contentDelta new content text (may be empty)
     * @param finished whether this is the choice's last chunk
     */
    void writeDelta(StringBuilder sb, String contentDelta, boolean finished) {
        int start = sb.length();
        if (reasoningVisible && reasoningSent < reasoningText.length()) {
            Json.str(sb.append('"').append(field.json).append("\":"), reasoningText.substring(reasoningSent));
            reasoningSent = reasoningText.length();
        }
        if (!contentDelta.isEmpty()) {
            Json.str(sb.append(sb.length() > start ? "," : "").append("\"content\":"), contentDelta);
        }
        int entries = 0;
        for (int i = 0; i < calls.size(); i++) {
            CallState c = calls.get(i);
            if (!c.started) {
                continue;
            }
            String fragment = c.args.substring(c.argsSent);
            boolean header = !c.headerSent;
            if (!header && fragment.isEmpty()) {
                continue;
            }
            sb.append(entries == 0 ? (sb.length() > start ? ",\"tool_calls\":[" : "\"tool_calls\":[") : ",");
            entries++;
            if (header) {
                c.headerSent = true;
                sb.append("{\"id\":");
                Json.str(sb, c.call.id())
                        .append(",\"type\":\"function\",\"index\":")
                        .append(i);
                Json.str(sb.append(",\"function\":{\"name\":"), c.call.name());
                if (callMode == ToolPlan.Mode.AUTO) {
                    sb.append("}}");
                    if (!fragment.isEmpty()) {
                        sb.append(",{\"index\":").append(i).append(",\"function\":{\"arguments\":");
                        Json.str(sb, fragment).append("}}");
                    }
                } else {
                    Json.str(sb.append(",\"arguments\":"), fragment).append("}}");
                }
            } else {
                sb.append("{\"index\":").append(i).append(",\"function\":{");
                if (callMode == ToolPlan.Mode.REQUIRED) {
                    sb.append("\"name\":null,");
                }
                Json.str(sb.append("\"arguments\":"), fragment).append("}}");
            }
            c.argsSent = c.args.length();
        }
        if (entries > 0) {
            sb.append(']');
        }
        if (finished && sb.length() == start) {
            if (script != null && callMode == ToolPlan.Mode.NAMED) {
                // The end-of-sequence step of a named call carries an empty fragment.
                sb.append("\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\"}}]");
            } else if (script == null && phase != Phase.REASONING) {
                sb.append("\"content\":\"\"");
            }
        }
    }

    /**
     * Writes a full answer's {@code message} from {@code content} on: content, the fixed null fields, tool calls and
     * the reasoning, in vLLM's order.
     */
    void writeMessage(StringBuilder sb, CharSequence text) {
        sb.append("\"content\":");
        if (script != null) {
            // Parsed calls leave no content; forced ones an empty string.
            sb.append(callMode == ToolPlan.Mode.AUTO ? "null" : "\"\"");
        } else if (phase == Phase.REASONING) {
            sb.append("null");
        } else {
            Json.str(sb, text);
        }
        sb.append(",\"refusal\":null,\"annotations\":null,\"audio\":null,\"function_call\":null");
        boolean any = false;
        for (CallState c : calls) {
            if (!c.started && c.args.isEmpty()) {
                continue;
            }
            sb.append(any ? "," : ",\"tool_calls\":[");
            any = true;
            sb.append("{\"id\":");
            Json.str(sb, c.call.id()).append(",\"type\":\"function\",\"function\":{\"name\":");
            Json.str(sb, c.call.name()).append(",\"arguments\":");
            Json.str(sb, c.args).append("}}");
        }
        if (any) {
            sb.append(']');
        }
        sb.append(",\"").append(field.json).append("\":");
        Json.strOrNull(sb, reasoningVisible && reasoningText.length() > 0 ? reasoningText : null);
    }
}
