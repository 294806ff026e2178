package io.vgate.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vgate.shaping.ShapingTestProfile;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Where the guard runs an attempt: on the caller's event loop, after the task that asked for it, so the event loop
 * reads every ready request before any goes to vLLM (measured cheaper than sending inside the read).
 */
@QuarkusTest
@TestProfile(ShapingTestProfile.class)
class UpstreamGuardTests {

    @Inject
    UpstreamGuard guard;

    @Inject
    Vertx vertx;

    @Inject
    CircuitBreakerMaintenance breakers;

    @AfterEach
    void reset() {
        breakers.resetAll();
    }

    @Test
    void anAttemptStartsOnTheCallersEventLoopOnceTheCallingTaskIsDone() throws Exception {
        Context eventLoop = vertx.getOrCreateContext();
        assertThat(eventLoop.isEventLoopContext()).isTrue();
        var seen = new CompletableFuture<Attempt>();
        var answered = new CompletableFuture<Thread>();

        eventLoop.runOnContext(ignored -> {
            Thread caller = Thread.currentThread();
            boolean[] callerDone = {false};
            guard.call(() -> {
                        seen.complete(new Attempt(
                                callerDone[0], Thread.currentThread() == caller, Vertx.currentContext() == eventLoop));
                        // vgate's own reset: neither retried nor counted by the breaker.
                        return CompletableFuture.failedFuture(UpstreamCall.CANCELLED);
                    })
                    .whenComplete((response, failure) -> answered.complete(Thread.currentThread()));
            callerDone[0] = true;
        });

        Attempt attempt = seen.get(10, TimeUnit.SECONDS);
        assertThat(attempt.afterCallerReturned())
                .as("the attempt waits for the calling task")
                .isTrue();
        assertThat(attempt.onCallersThread()).as("on the caller's event loop").isTrue();
        assertThat(attempt.onCallersContext()).as("in the caller's context").isTrue();
        answered.get(10, TimeUnit.SECONDS);
        assertThat(breakers.currentState(UpstreamGuard.BREAKER)).isEqualTo(CircuitBreakerState.CLOSED);
    }

    @Test
    void anAttemptOffAnyEventLoopStartsAtOnce() throws Exception {
        Thread caller = Thread.currentThread();
        var ranOn = new CompletableFuture<Thread>();

        CompletionStage<?> answer = guard.call(() -> {
            ranOn.complete(Thread.currentThread());
            return CompletableFuture.failedFuture(UpstreamCall.CANCELLED);
        });

        assertThat(ranOn.getNow(null)).as("run before call returned").isSameAs(caller);
        assertThat(answer.toCompletableFuture().isDone()).isTrue();
    }

    private record Attempt(boolean afterCallerReturned, boolean onCallersThread, boolean onCallersContext) {}
}
