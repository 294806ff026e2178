package io.vgate.architecture.violations.proxy;

import io.vgate.architecture.violations.auth.StepCallingBack;

/** The data path using a step: allowed. */
public class DataPath {

    /** Runs the step. */
    public String run() {
        return new StepCallingBack().decide(this);
    }

    /** What the step reaches back for. */
    public String state() {
        return "state";
    }
}
