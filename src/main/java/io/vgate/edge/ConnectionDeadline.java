package io.vgate.edge;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The idle deadline of one connection, whose length changes as the connection goes from waiting for a
 * request head to answering a request and back, without a new handler each time.
 * <p>
 * It replaces, once per connection, the Netty {@code IdleStateHandler} that Vert.x puts behind the HTTP
 * decoder, and behaves like it for "all idle": time runs from the last decoded message read or the last
 * write, and when {@link #timeout(long)} passes without either, it fires an {@link IdleStateEvent},
 * on which Vert.x closes the connection. Swapping a new {@code IdleStateHandler} in at the start and end of
 * every exchange would cost two pipeline changes and two timers per request; here a change is two field
 * writes, and the one timer in flight re-arms itself for whatever deadline holds when it fires. The timer never
 * sleeps longer than the shortest deadline the connection uses, so a switch to a shorter one is honoured in time.
 * <p>
 * Used only on the connection's event loop.
 */
final class ConnectionDeadline extends ChannelDuplexHandler {

    private final LongSupplier clock;
    /** The longest the timer sleeps: the shortest deadline this connection is ever given. */
    private final long checkNanos;

    private ChannelHandlerContext context;
    private long timeoutNanos;
    private long lastActivity;
    private ScheduledFuture<?> timer;
    private boolean firstEvent = true;

    /**
     * @param timeoutMillis the deadline to start with; 0 for none
     * @param shortestMillis the shortest deadline {@link #timeout(long)} will ever set
     */
    ConnectionDeadline(long timeoutMillis, long shortestMillis) {
        this(timeoutMillis, shortestMillis, System::nanoTime);
    }

    /** As above, with the clock the deadlines are measured on (tests drive their own). */
    ConnectionDeadline(long timeoutMillis, long shortestMillis, LongSupplier clock) {
        this.clock = clock;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        this.checkNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, shortestMillis));
    }

    /** Starts the deadline afresh with {@code timeoutMillis} from now; 0 means the connection may idle forever. */
    void timeout(long timeoutMillis) {
        timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lastActivity = now();
        firstEvent = true;
        arm(timeoutNanos);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
        lastActivity = now();
        if (ctx.channel().isActive()) {
            arm(timeoutNanos);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        arm(timeoutNanos);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastActivity = now();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        // A write counts when it is made, not when it completes: listening for completion would turn Vert.x's
        // void promise into a real one and add a listener, on every relayed event. A client that stops reading
        // still times out: the relay stops writing once the connection's write queue is full, so the last write
        // is at most one queue's worth before the stall.
        lastActivity = now();
        ctx.write(msg, promise);
    }

    private void arm(long delayNanos) {
        if (timer == null && timeoutNanos > 0 && context != null) {
            timer = context.executor().schedule(this::expire, Math.min(delayNanos, checkNanos), TimeUnit.NANOSECONDS);
        }
    }

    private void expire() {
        timer = null;
        if (timeoutNanos <= 0 || !context.channel().isOpen()) {
            return;
        }
        long left = lastActivity + timeoutNanos - now();
        if (left > 0) {
            arm(left);
            return;
        }
        arm(timeoutNanos);
        IdleStateEvent event =
                firstEvent ? IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT : IdleStateEvent.ALL_IDLE_STATE_EVENT;
        firstEvent = false;
        context.fireUserEventTriggered(event);
    }

    private long now() {
        return clock.getAsLong();
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
