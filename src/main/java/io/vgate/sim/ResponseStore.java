package io.vgate.sim;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * vLLM's in-process store of the Responses API ({@code VLLM_ENABLE_RESPONSES_API_STORE=1}): plain maps in the API
 * server process, never evicted, gone with the process. A follow-up ({@code previous_response_id}), a retrieval or a
 * cancel sent to another simulator finds nothing here and gets vLLM's 404, exactly as with several vLLM replicas.
 *
 * <p>A background response is stored at once, {@code queued}, and replaced by its final object when it ends; a
 * background stream also keeps its events, for the replay of {@code GET /v1/responses/{id}?stream=true}. Other
 * responses are stored when they finish.</p>
 */
final class ResponseStore {

    /** A sink for the events of a background stream (a client replaying it). */
    interface Subscriber {
        /** One event, {@code event: ...\ndata: ...\n\n}. */
        void event(String event);

        /** No more events. */
        void end();
    }

    /** One stored response. */
    static final class Entry {

        final String id;
        final boolean background;
        /** Whether the events are kept for replay (a background stream). */
        final boolean recording;

        private String json;
        private String status;
        /** The conversation to continue from: input messages (without instructions) and the answer, chat-shaped. */
        private ArrayNode conversation;
        /** Aborts the running generation (a background response being cancelled); null once it ended. */
        private Runnable abort;

        private final List<String> events = new ArrayList<>();
        private final List<Subscriber> subscribers = new ArrayList<>(1);
        private boolean closed;

        Entry(String id, boolean background, boolean recording, String json, String status, ArrayNode conversation) {
            this.id = id;
            this.background = background;
            this.recording = recording;
            this.json = json;
            this.status = status;
            this.conversation = conversation;
        }

        synchronized String json() {
            return json;
        }

        synchronized String status() {
            return status;
        }

        synchronized ArrayNode conversation() {
            return conversation;
        }

        synchronized void abortWith(Runnable abort) {
            this.abort = abort;
        }

        /**
         * The generation ended: its final object replaces the stored one, unless the response was cancelled first.
         *
         * @return false when the response had been cancelled
         */
        synchronized boolean finish(String finalJson, String finalStatus, ArrayNode finalConversation) {
            abort = null;
            if ("cancelled".equals(status)) {
                return false;
            }
            json = finalJson;
            status = finalStatus;
            conversation = finalConversation;
            return true;
        }

        /**
         * Cancels a response that is still queued or in progress.
         *
         * @param cancelledJson the stored object with status {@code cancelled}
         * @return the abort of the running generation (may be null), or null with the entry unchanged when the
         *     response is not cancellable; the caller tells which by {@link #status()}
         */
        synchronized Runnable cancel(String cancelledJson) {
            if (!"queued".equals(status) && !"in_progress".equals(status)) {
                return null;
            }
            status = "cancelled";
            json = cancelledJson;
            Runnable running = abort;
            abort = null;
            return running == null ? () -> {} : running;
        }

        /** Records one event of a background stream and hands it to the clients following it. */
        void event(String event) {
            List<Subscriber> now;
            synchronized (this) {
                if (closed) {
                    return;
                }
                events.add(event);
                if (subscribers.isEmpty()) {
                    return;
                }
                now = List.copyOf(subscribers);
            }
            for (Subscriber s : now) {
                s.event(event);
            }
        }

        /** The background stream is over (completed, failed or cancelled): its clients' streams end. */
        void close() {
            List<Subscriber> now;
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                now = List.copyOf(subscribers);
                subscribers.clear();
            }
            for (Subscriber s : now) {
                s.end();
            }
        }

        /**
         * Replays the recorded events after index {@code startingAfter} (an event's index is its
         * {@code sequence_number}), then follows the live ones until the stream is over.
         */
        synchronized void subscribe(int startingAfter, Subscriber subscriber) {
            for (int i = Math.max(0, startingAfter + 1); i < events.size(); i++) {
                subscriber.event(events.get(i));
            }
            if (closed) {
                subscriber.end();
            } else {
                subscribers.add(subscriber);
            }
        }

        synchronized void unsubscribe(Subscriber subscriber) {
            subscribers.remove(subscriber);
        }
    }

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    Entry get(String id) {
        return entries.get(id);
    }

    void put(Entry entry) {
        entries.put(entry.id, entry);
    }

    /** Forgets everything, as a vLLM restart does. */
    void clear() {
        entries.clear();
    }
}
