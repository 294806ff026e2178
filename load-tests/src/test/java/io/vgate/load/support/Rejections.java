package io.vgate.load.support;

import static io.gatling.javaapi.core.CoreDsl.crashLoadGeneratorIf;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.status;

import java.time.Duration;
import java.util.Arrays;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.CheckBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.http.HttpRequestActionBuilder;

/**
 * Checks that let a request be turned away, but only properly: the answer is a 200, or the given rejection status
 * with {@code Retry-After} of at least one second and an OpenAI-shaped error body
 * ({@code {"error":{"message","type","param","code"}}}) of the given type and one of the given codes. Any other
 * answer fails the request.
 *
 * <p>{@link #allow} counts a proper rejection as OK. {@link #counted} counts it as KO, so that the size of the
 * rejections can be asserted ({@code failedRequests}), and crashes the run on any answer that is neither a 200 nor
 * a proper rejection (another status, a missing Retry-After, a wrong code, no answer at all), so a KO there always
 * means "properly turned away".
 */
public final class Rejections {

    /** vgate's admission queue turned the request away: 503, type server_error. */
    public static final String[] QUEUE_CODES = {"queue_full", "queue_timeout", "queue_shed"};

    private Rejections() {
    }

    public static HttpRequestActionBuilder allow(HttpRequestActionBuilder request, int rejectionStatus, String type,
            String... codes) {
        return request
                .check(status().in(200, rejectionStatus))
                .checkIf((response, session) -> response.status().code() == rejectionStatus)
                .then(wellFormed(type, codes));
    }

    public static ChainBuilder counted(HttpRequestActionBuilder request, int rejectionStatus, String type,
            String... codes) {
        return counted(request, false, rejectionStatus, type, codes);
    }

    /**
     * As {@link #counted(HttpRequestActionBuilder, int, String, String...)}; with {@code honourRetryAfter}, a
     * rejected virtual user waits the Retry-After it was given before going on, as a well-behaved client does (a
     * looping user that does not would hammer the target with requests that are refused in microseconds).
     */
    public static ChainBuilder counted(HttpRequestActionBuilder request, boolean honourRetryAfter,
            int rejectionStatus, String type, String... codes) {
        return exec(request.check(
                        status().saveAs("rj.status"),
                        header("Retry-After").optional().saveAs("rj.retryAfter"),
                        jsonPath("$.error.message").optional().saveAs("rj.message"),
                        jsonPath("$.error.type").optional().saveAs("rj.type"),
                        jsonPath("$.error.code").optional().saveAs("rj.code"),
                        status().is(200)))
                .exec(crashLoadGeneratorIf(
                        s -> "not a 200 nor a proper " + rejectionStatus + " (" + type + ", " + Arrays.toString(codes)
                                + ", Retry-After >= 1): status " + get(s, "rj.status") + ", Retry-After "
                                + get(s, "rj.retryAfter") + ", type " + get(s, "rj.type") + ", code "
                                + get(s, "rj.code"),
                        s -> !properOutcome(s, rejectionStatus, type, codes)))
                .doIf(s -> honourRetryAfter && !"200".equals(get(s, "rj.status"))).then(
                        pause(s -> Duration.ofSeconds(Long.parseLong(get(s, "rj.retryAfter")))))
                .exec(s -> s.removeAll("rj.status", "rj.retryAfter", "rj.message", "rj.type", "rj.code"));
    }

    private static boolean properOutcome(Session s, int rejectionStatus, String type, String... codes) {
        String status = get(s, "rj.status");
        if ("200".equals(status)) {
            return true;
        }
        String retryAfter = get(s, "rj.retryAfter");
        return Integer.toString(rejectionStatus).equals(status)
                && retryAfter != null && retryAfter.matches("[1-9][0-9]*")
                && get(s, "rj.message") != null
                && type.equals(get(s, "rj.type"))
                && Arrays.asList(codes).contains(get(s, "rj.code"));
    }

    private static String get(Session s, String name) {
        return s.contains(name) ? String.valueOf((Object) s.get(name)) : null;
    }

    /** Retry-After and the error body of a rejection. */
    public static CheckBuilder[] wellFormed(String type, String... codes) {
        return new CheckBuilder[] {
                header("Retry-After").transform(v -> v.matches("[1-9][0-9]*")).is(true),
                jsonPath("$.error.message").ofString().notNull(),
                jsonPath("$.error.type").is(type),
                jsonPath("$.error.code").in(codes),
                // "param" is always present, null when no parameter is at fault
                jsonPath("$.error").ofMap().transform(m -> m.containsKey("param")).is(true)};
    }
}
