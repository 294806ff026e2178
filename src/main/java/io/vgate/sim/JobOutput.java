package io.vgate.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of one {@link GenerationJob}'s answer: vLLM's chat or completion chunks ({@link ChunkWriter}) or, for an
 * API built on the chat path, its {@link Dialect}'s events. Each event is appended to the batch the job is about to
 * write and counted against the job's {@link FaultPlan}; the methods that write events return where the plan cuts the
 * answer ({@link FaultPlan.Cut#NONE} while it goes on).
 *
 * <p>Runs on the job's event loop only, like the job.</p>
 */
final class JobOutput {

    private final ChunkWriter chunks;
    /** The answer's shape when it is not chat or completions; null otherwise. */
    private final Dialect dialect;

    private final FaultPlan faults;
    private final boolean roleChunks;
    private final boolean includeUsage;
    /** Characters of a sequence's text held back while they could still start a stop string that is not shown. */
    private final int holdBack;
    /** Events a dialect hands over for one step; reused, as everything of the job runs on one event loop. */
    private final List<CharSequence> scratch = new ArrayList<>(8);

    JobOutput(GenerationRequest b, FaultPlan faults) {
        this.chunks = b.chunks != null
                ? b.chunks
                : new ChunkWriter(
                        b.kind,
                        b.id,
                        b.created,
                        b.model,
                        b.continuousUsage,
                        b.usagePromptTokens,
                        b.settings.reasoningField());
        this.dialect = b.dialect;
        this.faults = faults;
        this.roleChunks = b.kind == GenerationJob.Kind.CHAT && b.dialect == null;
        this.includeUsage = b.includeUsage;
        int longest = 0;
        for (String s : b.stops) {
            longest = Math.max(longest, s.length());
        }
        this.holdBack = (b.stops.length > 0 && !b.includeStopStr) ? longest - 1 : 0;
    }

    /** A dialect's opening events, sent with the headers before the engine runs the request; none for chat. */
    FaultPlan.Cut opening(StringBuilder out) {
        if (dialect == null) {
            return FaultPlan.Cut.NONE;
        }
        scratch.clear();
        dialect.opening(scratch);
        return events(out, scratch);
    }

    /** The chat stream's first chunk of each choice, which carries the assistant role; nothing for other answers. */
    FaultPlan.Cut roles(StringBuilder out, Choice[] choices) {
        FaultPlan.Cut cut = FaultPlan.Cut.NONE;
        if (roleChunks) {
            for (Choice c : choices) {
                cut = event(out, chunks.roleChunk(c));
                if (cut != FaultPlan.Cut.NONE) {
                    break;
                }
            }
        }
        return cut;
    }

    /**
     * One engine step of a stream: the new text of every sequence not reported finished yet (a finished one is
     * reported once more, with its finish reason), then, once all finished, the usage chunk that was asked for.
     * Nothing is added after {@code cut}, where an earlier event of the step cut the answer.
     */
    FaultPlan.Cut step(StringBuilder out, Choice[] choices, boolean allFinished, FaultPlan.Cut cut) {
        if (dialect != null) {
            for (Choice c : choices) {
                if (cut != FaultPlan.Cut.NONE || c.reported) {
                    continue;
                }
                String delta = c.takeDelta(holdBack);
                c.reported = c.finished();
                scratch.clear();
                dialect.step(c, delta, c.finished(), scratch);
                cut = events(out, scratch);
            }
            return cut;
        }
        for (Choice c : choices) {
            if (cut != FaultPlan.Cut.NONE) {
                break;
            }
            if (c.reported) {
                continue;
            }
            String delta = c.takeDelta(holdBack);
            if (c.finished()) {
                c.reported = true;
                cut = event(out, chunks.contentChunk(c, delta));
            } else if (!delta.isEmpty() || (c.output != null && c.output.pending())) {
                cut = event(out, chunks.contentChunk(c, delta));
            }
        }
        if (allFinished && cut == FaultPlan.Cut.NONE && includeUsage) {
            cut = event(out, chunks.usageChunk(choices));
        }
        return cut;
    }

    /** What ends a stream that finished: vLLM's {@code [DONE]}; a dialect's last step already ended its own. */
    void end(StringBuilder out) {
        if (dialect == null) {
            out.append(ChunkWriter.DONE_EVENT);
        }
    }

    /** The bytes a stream fails with after its headers: vLLM's error event and [DONE], or the dialect's. */
    void failure(StringBuilder out) {
        if (dialect == null) {
            out.append(ChunkWriter.errorEvent()).append(ChunkWriter.DONE_EVENT);
            return;
        }
        scratch.clear();
        dialect.failure(scratch);
        for (CharSequence e : scratch) {
            out.append(e);
        }
    }

    /** The JSON body of a non-streaming answer, once every choice finished. */
    String body(Choice[] choices) {
        return dialect != null ? dialect.body(choices[0]) : chunks.body(choices);
    }

    /** Tells the dialect that the request left the engine, finished or aborted. */
    void ended(Choice[] choices, boolean aborted) {
        if (dialect != null) {
            dialect.ended(choices[0], aborted);
        }
    }

    /** Adds a dialect's events one by one, as {@link #event} does, up to the first one the fault plan cuts after. */
    private FaultPlan.Cut events(StringBuilder out, List<CharSequence> batch) {
        FaultPlan.Cut cut = FaultPlan.Cut.NONE;
        for (int i = 0; i < batch.size() && cut == FaultPlan.Cut.NONE; i++) {
            cut = event(out, batch.get(i));
        }
        return cut;
    }

    /** Adds one SSE event to the batch being written and asks the fault plan whether the answer is cut after it. */
    private FaultPlan.Cut event(StringBuilder out, CharSequence data) {
        out.append(data);
        return faults.countEvent();
    }
}
