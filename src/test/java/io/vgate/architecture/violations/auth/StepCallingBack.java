package io.vgate.architecture.violations.auth;

import io.vgate.architecture.violations.proxy.DataPath;

/** A step that takes the data path's state instead of returning a value: a cycle, and a step using {@code proxy}. */
public class StepCallingBack {

    /** Reads the data path's state. */
    public String decide(DataPath path) {
        return path.state();
    }
}
