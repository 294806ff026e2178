package io.vgate.architecture.violations.streaming;

import io.vertx.core.impl.ContextInternal;

/** Uses Vert.x's internal context API. */
public class InternalContextUser {

    /** The current context through the internal API. */
    public Object current() {
        return ContextInternal.current();
    }
}
