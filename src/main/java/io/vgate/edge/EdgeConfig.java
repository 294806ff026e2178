package io.vgate.edge;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * Client connections to vgate's HTTP port ({@code vgate.connections.*}): how long a connection may take
 * to deliver a request head, and how many connections one client address may hold.
 */
@ConfigMapping(prefix = "vgate.connections")
public interface EdgeConfig {

    /**
     * Time a new connection has to deliver its first complete request head (request line and headers).
     * A connection that sends nothing, or trickles its head in byte by byte, is closed when it runs out.
     * Defaults to {@code 10s}.
     */
    @WithDefault("10s")
    Duration requestHeadTimeout();

    /**
     * Time a kept-alive connection may stay idle between two requests, the next request's head included.
     * Longer than ingress-nginx's 60 s upstream keep-alive, so a proxy in front always closes first and
     * never sends a request on a connection vgate is closing. Defaults to {@code 75s}.
     */
    @WithDefault("75s")
    Duration keepAliveTimeout();

    /**
     * Most connections one client address (the socket peer; IPv6 per /64) may hold open once they carried a
     * request; the request on a connection over the limit gets {@code 429 too_many_connections} and the
     * connection is closed. Peers in {@code vgate.rate-limit.trusted-proxies} (the Ingress controller) are
     * not limited, since every client behind them shares their address. Defaults to {@code 512}.
     */
    @WithDefault("512")
    int maxPerAddress();
}
