package io.vgate.architecture.violations.streaming;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/** Reaches a connection's Netty channel through Vert.x's internal network API. */
public class InternalConnectionUser {

    /** The connection's channel, or null. */
    public Object channel(HttpConnection connection) {
        return connection instanceof ConnectionBase base ? base.channel() : null;
    }
}
