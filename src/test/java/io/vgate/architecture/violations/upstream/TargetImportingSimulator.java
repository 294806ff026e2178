package io.vgate.architecture.violations.upstream;

import io.vgate.architecture.violations.sim.Simulator;

/** A gateway class that asks the simulator for its address instead of reading configuration. */
public class TargetImportingSimulator {

    /** The simulator's address, taken from its class. */
    public String address() {
        return Simulator.ADDRESS_FIELD + new Simulator().port();
    }
}
