package io.vgate.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConnectionDeadlineTests {

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final List<Object> events = new ArrayList<>();
    private EmbeddedChannel channel;

    @BeforeEach
    void freezeTime() {
        channel = new EmbeddedChannel();
        channel.freezeTime();
    }

    private ConnectionDeadline install(long timeoutMillis, long shortestMillis) {
        var deadline = new ConnectionDeadline(timeoutMillis, shortestMillis, clock::get);
        channel.pipeline().addLast(deadline, new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                events.add(event);
            }
        });
        return deadline;
    }

    private void advance(long millis) {
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void firesIdleOnceTheDeadlinePassesWithoutTraffic() {
        install(2_000, 2_000);

        advance(1_999);
        assertThat(events).isEmpty();
        advance(1);
        assertThat(events).containsExactly(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
    }

    @Test
    void readsAndWritesPushTheDeadlineBack() {
        install(2_000, 2_000);

        advance(1_500);
        channel.writeInbound("request head");
        advance(1_500);
        channel.writeOutbound("response");
        advance(1_500);
        assertThat(events).isEmpty();
        advance(500);
        assertThat(events).containsExactly(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
    }

    @Test
    void aWriteWithoutAListenerPassesOnWithoutOne() {
        List<Boolean> voidPromises = new ArrayList<>();
        channel.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                voidPromises.add(promise.isVoid());
                ctx.write(msg, promise);
            }
        });
        install(2_000, 2_000);

        channel.write("chunk", channel.voidPromise());
        channel.write("chunk with a listener", channel.newPromise());

        assertThat(voidPromises)
                .as("Vert.x writes without a listener: no promise and listener of the deadline's own per write")
                .containsExactly(true, false);
    }

    @Test
    void aShorterDeadlineSetDuringALongOneIsKeptInTime() {
        ConnectionDeadline deadline = install(600_000, 4_000); // answering: ten minutes

        advance(10_000);
        deadline.timeout(4_000); // the answer ended: keep-alive
        advance(3_999);
        assertThat(events).isEmpty();
        advance(1);
        assertThat(events).containsExactly(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
    }

    @Test
    void aLongerDeadlineSetDuringAShortOneLiftsIt() {
        ConnectionDeadline deadline = install(4_000, 4_000); // waiting for a head

        advance(3_000);
        deadline.timeout(600_000); // a request arrived: answering may take long
        advance(500_000);
        assertThat(events).isEmpty();
        advance(100_000);
        assertThat(events).containsExactly(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
    }

    @Test
    void noDeadlineNeverFires() {
        ConnectionDeadline deadline = install(0, 4_000);

        advance(3_600_000);
        assertThat(events).isEmpty();
        deadline.timeout(4_000);
        advance(4_000);
        assertThat(events).hasSize(1);
    }
}
