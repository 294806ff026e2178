package io.vgate.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vgate.api.AnthropicErrors;
import io.vgate.api.ApiError;
import io.vgate.api.RequestIds;
import io.vgate.metrics.RejectionLogThrottle;
import io.vgate.ratelimit.RateLimitConfig;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The first handler of every request on vgate's HTTP port, before any route: it guards the connection
 * the request came on, not the request itself.
 * <ul>
 * <li><b>Head deadline:</b> while a request is being answered, the head deadline of
 * {@link EdgeServerOptions} gives way to Quarkus's own idle timeout (the client rightly sends nothing while
 * it waits); when the last response on the connection has ended, the connection gets
 * {@code vgate.connections.keep-alive-timeout} to deliver its next request head.</li>
 * <li><b>Connections per address:</b> a connection is counted against its peer address from its first
 * request until it closes; one over {@code vgate.connections.max-per-address} gets
 * {@code 429 too_many_connections} and is closed. A connection that never completes a request head is
 * closed by the head deadline instead.</li>
 * <li><b>Ambiguous framing:</b> a request with two {@code Authorization} headers, or with both
 * {@code Transfer-Encoding} and {@code Content-Length} where both are still visible (HTTP/1.0, or a
 * {@code Transfer-Encoding} that is not chunked), gets {@code 400} and its connection is closed. Over
 * HTTP/1.1 the HTTP decoder has already dropped {@code Content-Length} from a chunked request (RFC 9112
 * §6.3), so such a request is answered as chunked and its connection closed afterwards (RFC 9112 §6.1):
 * the bytes after its chunked body are never read as a request of their own.</li>
 * </ul>
 * Connection-level refusals are counted in {@code vgate_connection_rejections_total{reason}} and logged
 * through the {@link RejectionLogThrottle}.
 */
@Singleton
public class ConnectionGuard {

    private static final Logger LOG = Logger.getLogger("io.vgate.access");

    /** Router order of the guard: before Quarkus's own filters and every route. */
    static final int ORDER = Integer.MIN_VALUE + 10;

    private static final String IDLE = "idle";
    private static final AttributeKey<State> STATE = AttributeKey.valueOf("vgate.connection");

    private final int maxPerAddress;
    private final long keepAliveMillis;
    private final EdgeServerOptions serverOptions;
    private final IpSubnetFilterRule[] exempt;
    private final RejectionLogThrottle throttle;
    private final Map<String, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final Counter tooMany;
    private final Counter ambiguous;

    public ConnectionGuard(
            EdgeConfig config,
            EdgeServerOptions serverOptions,
            RateLimitConfig rateLimits,
            RejectionLogThrottle throttle,
            MeterRegistry registry) {
        this.serverOptions = serverOptions;
        this.maxPerAddress = Math.max(1, config.maxPerAddress());
        this.keepAliveMillis = Math.max(1, config.keepAliveTimeout().toMillis());
        this.exempt = rateLimits.trustedProxies().orElse(List.of()).stream()
                .map(ConnectionGuard::cidr)
                .toArray(IpSubnetFilterRule[]::new);
        this.throttle = throttle;
        this.tooMany = rejections(registry, "too_many_connections");
        this.ambiguous = rejections(registry, "ambiguous_framing");
    }

    void mount(@Observes Router router) {
        router.route().order(ORDER).handler(this::handle);
    }

    /** Number of connections {@code address} holds, as counted here. */
    int connections(String address) {
        AtomicInteger count = perAddress.get(address);
        return count == null ? 0 : count.get();
    }

    void handle(RoutingContext context) {
        HttpServerRequest request = context.request();
        HttpConnection connection = request.connection();
        if (!(connection instanceof ConnectionBase base)) {
            context.next();
            return;
        }
        Channel channel = base.channel();
        State state = channel.attr(STATE).get();
        if (state == null) {
            state = new State(addressOf(request));
            channel.attr(STATE).set(state);
            if (!admitConnection(channel, state)) {
                refuse(
                        context,
                        tooMany,
                        new ApiError(
                                429,
                                ApiError.RATE_LIMIT,
                                "too_many_connections",
                                "Too many open connections from your address; reuse connections or close idle ones.",
                                null,
                                null),
                        state.address);
                return;
            }
        }
        if (state.closing) {
            // Bytes that followed a chunked body on a connection vgate is closing: never a request of their own.
            connection.close();
            return;
        }
        String framing = ambiguousFraming(request);
        if (framing != null) {
            refuse(
                    context,
                    ambiguous,
                    new ApiError(400, ApiError.INVALID_REQUEST, "ambiguous_framing", framing, null, null),
                    state.address);
            return;
        }
        if (request.version() != HttpVersion.HTTP_2 && request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
            // Content-Length may have come with it and been dropped by the decoder: never read past this body.
            state.closing = true;
            context.response().headers().set(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
            context.addEndHandler(ignored -> connection.close());
        }
        watchExchange(context, channel, state, request.version() == HttpVersion.HTTP_2);
        context.next();
    }

    /** Counts a new connection against its address; false when the address already holds too many. */
    private boolean admitConnection(Channel channel, State state) {
        if (state.address == null) {
            return true;
        }
        AtomicInteger count = perAddress.computeIfAbsent(state.address, a -> new AtomicInteger());
        int now = count.incrementAndGet();
        channel.closeFuture().addListener(closed -> {
            if (count.decrementAndGet() <= 0) {
                perAddress.remove(state.address, count);
            }
        });
        return now <= maxPerAddress;
    }

    /** Why the request's framing is ambiguous, or {@code null} when it is not. */
    static String ambiguousFraming(HttpServerRequest request) {
        var headers = request.headers();
        if (headers.getAll(HttpHeaders.AUTHORIZATION).size() > 1) {
            return "The request has more than one Authorization header.";
        }
        if (headers.contains(HttpHeaders.TRANSFER_ENCODING)) {
            if (headers.contains(HttpHeaders.CONTENT_LENGTH)) {
                return "The request has both Transfer-Encoding and Content-Length.";
            }
            if (request.version() == HttpVersion.HTTP_1_0) {
                return "HTTP/1.0 requests cannot use Transfer-Encoding.";
            }
        }
        if (headers.getAll(HttpHeaders.CONTENT_LENGTH).size() > 1) {
            return "The request has more than one Content-Length header.";
        }
        return null;
    }

    /**
     * Lifts the head deadline for the exchange and sets it again, as the keep-alive timeout, when the last
     * exchange on the connection has ended. HTTP/2 streams share a connection, so there it stays lifted.
     */
    private void watchExchange(RoutingContext context, Channel channel, State state, boolean http2) {
        long exchangeIdle = serverOptions.exchangeIdleMillis();
        if (state.deadline == null) {
            ChannelPipeline pipeline = channel.pipeline();
            if (!(pipeline.get(IDLE) instanceof IdleStateHandler)) {
                return;
            }
            // Once per connection: from here on the deadline changes length without a new handler.
            long shortest = exchangeIdle > 0 ? Math.min(exchangeIdle, keepAliveMillis) : keepAliveMillis;
            state.deadline = new ConnectionDeadline(exchangeIdle, shortest);
            try {
                pipeline.replace(IDLE, IDLE, state.deadline);
            } catch (java.util.NoSuchElementException e) {
                return; // The connection is closing and its pipeline already torn down.
            }
        } else if (state.active == 0 && !state.http2) {
            state.deadline.timeout(exchangeIdle);
        }
        if (http2) {
            state.http2 = true; // streams share the connection: its deadline stays lifted
            return;
        }
        state.active++;
        context.addEndHandler(ignored -> {
            if (--state.active == 0 && channel.isActive()) {
                state.deadline.timeout(keepAliveMillis);
            }
        });
    }

    private void refuse(RoutingContext context, Counter counter, ApiError error, String address) {
        counter.increment();
        var response = context.response();
        String requestId = RequestIds.resolve(context.request().getHeader(RequestIds.HEADER));
        response.headers().set(RequestIds.HEADER, requestId);
        response.headers().set(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        HttpConnection connection = context.request().connection();
        context.addEndHandler(ignored -> connection.close());
        String client = address == null ? "unknown" : address;
        if (throttle.admit(client, error.code())) {
            LOG.infof(
                    "%s %s %d refused %s client=%s id=%s",
                    context.request().method().name(),
                    clip(context.request().path()),
                    error.status(),
                    error.code(),
                    client,
                    requestId);
        }
        // Anthropic's clients on /v1/messages read Anthropic's error shape.
        AnthropicErrors.send(
                response,
                error,
                AnthropicErrors.isMessagesPath(context.request().path()));
        context.request().resume();
    }

    /**
     * The address a connection counts against: the peer, IPv6 per /64; {@code null} for peers that are
     * never limited (trusted proxies).
     */
    private String addressOf(HttpServerRequest request) {
        SocketAddress peer = request.connection().remoteAddress();
        String host = peer == null ? null : peer.hostAddress();
        if (host == null) {
            return "unknown";
        }
        InetAddress address = NetUtil.createInetAddressFromIpAddressString(host);
        if (address == null) {
            return host;
        }
        var socket = new InetSocketAddress(address, 0);
        for (IpSubnetFilterRule rule : exempt) {
            if (rule.matches(socket)) {
                return null;
            }
        }
        byte[] bytes = address.getAddress();
        if (bytes.length == 16) {
            for (int i = 8; i < 16; i++) {
                bytes[i] = 0;
            }
            try {
                return InetAddress.getByAddress(bytes).getHostAddress() + "/64";
            } catch (java.net.UnknownHostException e) {
                return host;
            }
        }
        return address.getHostAddress();
    }

    private static IpSubnetFilterRule cidr(String text) {
        String cidr = text.trim();
        int slash = cidr.indexOf('/');
        String host = slash < 0 ? cidr : cidr.substring(0, slash);
        InetAddress address = NetUtil.createInetAddressFromIpAddressString(host);
        if (address == null) {
            throw new IllegalArgumentException(
                    "vgate.rate-limit.trusted-proxies: '" + cidr + "' is not an address or CIDR");
        }
        int prefix = slash < 0 ? address.getAddress().length * 8 : Integer.parseInt(cidr.substring(slash + 1));
        return new IpSubnetFilterRule(address, prefix, IpFilterRuleType.ACCEPT);
    }

    private static String clip(String path) {
        String clipped = path == null ? "" : path.length() <= 128 ? path : path.substring(0, 128);
        return clipped.replaceAll("[\\p{Cntrl}]", "?");
    }

    private static Counter rejections(MeterRegistry registry, String reason) {
        return Counter.builder("vgate.connection.rejections")
                .description("Requests refused for their connection: too many from one address, ambiguous framing")
                .tag("reason", reason)
                .register(registry);
    }

    /** What the guard knows of one connection; touched only on its event loop. */
    private static final class State {
        final String address;
        int active;
        boolean http2;
        boolean closing;
        /** The connection's idle deadline, once its first request replaced Vert.x's idle handler. */
        ConnectionDeadline deadline;

        State(String address) {
            this.address = address;
        }
    }
}
