package io.vgate.shaping;

/**
 * vLLM's own load at one instant, read from its Prometheus {@code /metrics}: the signals the adaptive in-flight
 * limit ({@link AdaptiveLimit}) follows.
 *
 * <p>{@link #parse} reads only the four series it needs and skips everything else after looking at the first few
 * characters of a line, so reading vLLM's whole exposition (a few hundred lines, mostly histogram buckets) every
 * few hundred milliseconds costs next to nothing: no full parser, no regular expression, no allocation per skipped
 * line. Samples of one series are combined over all their label sets (several engines under data parallelism,
 * several served models): counts are summed, the KV-cache usage is the highest of any engine, since the engine
 * whose cache is fullest is the one that starts to queue and preempt first.
 *
 * @param running sequences in vLLM's running batch ({@code vllm:num_requests_running})
 * @param waiting requests in vLLM's own waiting queue ({@code vllm:num_requests_waiting})
 * @param kvCacheUsage KV-cache usage from 0 to 1 ({@code vllm:kv_cache_usage_perc}, or the older
 *     {@code vllm:gpu_cache_usage_perc})
 * @param preemptions preemptions since vLLM started ({@code vllm:num_preemptions_total}), or {@code -1} when vLLM
 *     does not export the counter
 */
public record VllmLoad(double running, double waiting, double kvCacheUsage, double preemptions) {

    private static final String RUNNING = "vllm:num_requests_running";
    private static final String WAITING = "vllm:num_requests_waiting";
    private static final String KV_USAGE = "vllm:kv_cache_usage_perc";
    /** The name before vLLM 0.10 renamed it; read only when the new one is absent. */
    private static final String KV_USAGE_OLD = "vllm:gpu_cache_usage_perc";
    /** A counter: {@code prometheus_client} writes its sample with {@code _total}, OpenMetrics names the family bare. */
    private static final String PREEMPTIONS = "vllm:num_preemptions";

    private static final int S_RUNNING = 0;
    private static final int S_WAITING = 1;
    private static final int S_KV = 2;
    private static final int S_KV_OLD = 3;
    private static final int S_PREEMPTIONS_TOTAL = 4;
    private static final int S_PREEMPTIONS = 5;

    /**
     * Reads the load from a Prometheus text exposition (format 0.0.4 or OpenMetrics). Comments, blank lines, other
     * series (including {@code _created} and histogram samples), timestamps and exemplars are ignored, as are
     * samples whose value is not a finite number.
     *
     * @return the load, or {@code null} when the running count, the waiting count or the KV-cache usage is missing
     *     (not vLLM, or a vLLM too different to steer by)
     */
    public static VllmLoad parse(CharSequence text) {
        double[] sums = new double[6];
        boolean[] seen = new boolean[6];
        int length = text.length();
        int pos = 0;
        while (pos < length) {
            int end = indexOf(text, '\n', pos, length);
            int series = series(text, pos, end);
            if (series >= 0) {
                double value = value(text, pos, end);
                if (Double.isFinite(value)) {
                    sums[series] = series == S_KV || series == S_KV_OLD
                            ? (seen[series] ? Math.max(sums[series], value) : value)
                            : sums[series] + value;
                    seen[series] = true;
                }
            }
            pos = end + 1;
        }
        int kv = seen[S_KV] ? S_KV : S_KV_OLD;
        if (!seen[S_RUNNING] || !seen[S_WAITING] || !seen[kv]) {
            return null;
        }
        double preemptions =
                seen[S_PREEMPTIONS_TOTAL] ? sums[S_PREEMPTIONS_TOTAL] : seen[S_PREEMPTIONS] ? sums[S_PREEMPTIONS] : -1;
        return new VllmLoad(sums[S_RUNNING], sums[S_WAITING], Math.clamp(sums[kv], 0.0, 1.0), preemptions);
    }

    /** Which wanted series the sample line {@code [start, end)} belongs to, or -1. */
    private static int series(CharSequence text, int start, int end) {
        // Every wanted name starts with "vllm:" and then 'n', 'k' or 'g'; anything else is skipped on sight.
        if (end - start < 6 || text.charAt(start) != 'v' || text.charAt(start + 4) != ':') {
            return -1;
        }
        char first = text.charAt(start + 5);
        if (first == 'n') {
            if (nameIs(text, start, end, RUNNING, "")) {
                return S_RUNNING;
            }
            if (nameIs(text, start, end, WAITING, "")) {
                return S_WAITING;
            }
            if (nameIs(text, start, end, PREEMPTIONS, "_total")) {
                return S_PREEMPTIONS_TOTAL;
            }
            if (nameIs(text, start, end, PREEMPTIONS, "")) {
                return S_PREEMPTIONS;
            }
        } else if (first == 'k') {
            if (nameIs(text, start, end, KV_USAGE, "")) {
                return S_KV;
            }
        } else if (first == 'g') {
            if (nameIs(text, start, end, KV_USAGE_OLD, "")) {
                return S_KV_OLD;
            }
        }
        return -1;
    }

    /** True when the line's metric name is exactly {@code name + suffix} (followed by labels or a space). */
    private static boolean nameIs(CharSequence text, int start, int end, String name, String suffix) {
        int n = name.length();
        int total = n + suffix.length();
        if (end - start <= total) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (text.charAt(start + i) != name.charAt(i)) {
                return false;
            }
        }
        for (int i = 0; i < suffix.length(); i++) {
            if (text.charAt(start + n + i) != suffix.charAt(i)) {
                return false;
            }
        }
        char next = text.charAt(start + total);
        return next == '{' || next == ' ' || next == '\t';
    }

    /** The sample value of the line {@code [start, end)}: the token after the name and label set. */
    private static double value(CharSequence text, int start, int end) {
        int pos = start;
        while (pos < end && text.charAt(pos) != '{' && text.charAt(pos) != ' ' && text.charAt(pos) != '\t') {
            pos++;
        }
        if (pos < end && text.charAt(pos) == '{') {
            pos = afterLabels(text, pos + 1, end);
            if (pos < 0) {
                return Double.NaN;
            }
        }
        while (pos < end && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t')) {
            pos++;
        }
        int valueStart = pos;
        // The value ends at a space (a timestamp or an OpenMetrics exemplar "# {...} v" may follow) or the line end.
        while (pos < end && text.charAt(pos) != ' ' && text.charAt(pos) != '\t' && text.charAt(pos) != '\r') {
            pos++;
        }
        return number(text, valueStart, pos);
    }

    /** Skips a label set whose '{' is just before {@code pos}; label values may hold escaped quotes and braces. */
    private static int afterLabels(CharSequence text, int pos, int end) {
        boolean quoted = false;
        while (pos < end) {
            char c = text.charAt(pos);
            if (quoted) {
                if (c == '\\') {
                    pos++;
                } else if (c == '"') {
                    quoted = false;
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == '}') {
                return pos + 1;
            }
            pos++;
        }
        return -1;
    }

    private static double number(CharSequence text, int start, int end) {
        if (start >= end) {
            return Double.NaN;
        }
        try {
            // Double.parseDouble reads Go's and Python's float forms (1.0, 1e+06, NaN); "+Inf" is not finite anyway.
            return Double.parseDouble(text.subSequence(start, end).toString());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static int indexOf(CharSequence text, char c, int from, int length) {
        if (text instanceof String s) {
            int at = s.indexOf(c, from);
            return at < 0 ? length : at;
        }
        for (int i = from; i < length; i++) {
            if (text.charAt(i) == c) {
                return i;
            }
        }
        return length;
    }
}
