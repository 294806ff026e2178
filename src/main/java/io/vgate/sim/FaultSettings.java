package io.vgate.sim;

import java.time.Duration;
import java.util.List;

/**
 * The simulator's live fault-injection settings (part of {@link SimSettings}, {@code "faults"} in
 * {@code /sim/settings}); see {@link SimulatorConfig.Faults} for what each one does.
 *
 * <p>Thread-safe: every value is volatile.</p>
 */
public final class FaultSettings {

    /** Tells the settings' listener that a value changed. */
    private final Runnable changed;

    private volatile double errorRate;
    private volatile int errorStatus;
    private volatile List<FaultType> errorTypes = List.of();
    private volatile long slowFirstTokenNanos;
    private volatile int resetAfterEvents;
    private volatile int errorAfterEvents;
    private volatile boolean refuseConnections;
    private volatile Duration startupDelay;

    FaultSettings(Runnable changed) {
        this.changed = changed;
    }

    void applyConfig(SimulatorConfig.Faults config) {
        errorRate = rate(config.errorRate());
        errorStatus = status(config.errorStatus());
        errorTypes = types(config.errorTypes().orElse(List.of()));
        slowFirstTokenNanos = SimSettings.nanos("slow-first-token", config.slowFirstToken());
        resetAfterEvents =
                events("reset-after-events", config.resetAfterEvents().orElse(-1));
        errorAfterEvents =
                events("error-after-events", config.errorAfterEvents().orElse(-1));
        refuseConnections = config.refuseConnections();
        startupDelay = Duration.ofNanos(SimSettings.nanos("startup-delay", config.startupDelay()));
    }

    /** @return fraction of generate requests answered with an injected error */
    public double errorRate() {
        return errorRate;
    }

    /**
     * @param value fraction (0 to 1) of generate requests answered with an injected error
     * @return this
     */
    public FaultSettings errorRate(double value) {
        errorRate = rate(value);
        changed.run();
        return this;
    }

    /** @return HTTP status of injected errors */
    public int errorStatus() {
        return errorStatus;
    }

    /**
     * @param value HTTP status of injected errors, 400 to 599
     * @return this
     */
    public FaultSettings errorStatus(int value) {
        errorStatus = status(value);
        changed.run();
        return this;
    }

    /** @return the typed errors injected instead of the status error, by name; empty when none */
    public List<String> errorTypes() {
        return errorTypes.stream().map(t -> t.json).toList();
    }

    /**
     * @param value typed errors to inject ({@code rate_limit}, {@code invalid_api_key}, {@code context_length},
     *     {@code server_error}, {@code invalid_request}, {@code model_not_found}); empty for the status error
     * @return this
     */
    public FaultSettings errorTypes(List<String> value) {
        errorTypes = types(value);
        changed.run();
        return this;
    }

    List<FaultType> errorTypeList() {
        return errorTypes;
    }

    private static List<FaultType> types(List<String> names) {
        return names.stream().map(FaultType::parse).distinct().toList();
    }

    /** @return extra delay before every first token */
    public Duration slowFirstToken() {
        return Duration.ofNanos(slowFirstTokenNanos);
    }

    /**
     * @param value extra delay before every first token, zero or more
     * @return this
     */
    public FaultSettings slowFirstToken(Duration value) {
        slowFirstTokenNanos = SimSettings.nanos("slow-first-token", value);
        changed.run();
        return this;
    }

    /** @return SSE events after which a stream's connection is reset, or -1 when off */
    public int resetAfterEvents() {
        return resetAfterEvents;
    }

    /**
     * @param value SSE events after which a stream's connection is reset; -1 turns it off
     * @return this
     */
    public FaultSettings resetAfterEvents(int value) {
        resetAfterEvents = events("reset-after-events", value);
        changed.run();
        return this;
    }

    /** @return SSE events after which a stream ends with an in-stream error, or -1 when off */
    public int errorAfterEvents() {
        return errorAfterEvents;
    }

    /**
     * @param value SSE events after which a stream ends with an in-stream error; -1 turns it off
     * @return this
     */
    public FaultSettings errorAfterEvents(int value) {
        errorAfterEvents = events("error-after-events", value);
        changed.run();
        return this;
    }

    /** @return whether connections are refused (nothing listening on the reserved port) */
    public boolean refuseConnections() {
        return refuseConnections;
    }

    /**
     * Closes (true) or re-opens (false) the listening socket on the same port. Closing drops open connections.
     *
     * @param value whether to refuse connections
     * @return this
     */
    public FaultSettings refuseConnections(boolean value) {
        refuseConnections = value;
        changed.run();
        return this;
    }

    /** @return the configured startup delay; only read at startup */
    public Duration startupDelay() {
        return startupDelay;
    }

    long slowFirstTokenNanos() {
        return slowFirstTokenNanos;
    }

    private static double rate(double value) {
        if (!(value >= 0.0 && value <= 1.0)) {
            throw new IllegalArgumentException("error-rate must be between 0 and 1, got " + value);
        }
        return value;
    }

    private static int status(int value) {
        if (value < 400 || value > 599) {
            throw new IllegalArgumentException("error-status must be an HTTP error status (400-599), got " + value);
        }
        return value;
    }

    private static int events(String name, int value) {
        if (value < -1) {
            throw new IllegalArgumentException(name + " must be -1 (off) or at least 0, got " + value);
        }
        return value;
    }
}
