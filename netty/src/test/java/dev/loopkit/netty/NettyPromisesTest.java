package dev.loopkit.netty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import dev.loopkit.conformance.Capability;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;

/** Netty's futures as loopkit promises, and a socket callback that awaits one. */
class NettyPromisesTest {

  @CarrierTest
  void aNettyFuturesOutcomeSettlesThePromiseOnTheLoop(LoopFixture f) {
    Loop loop = f.newLoop();
    // (listeners run on the thread that completes the future: the test's, not the loop's)
    DefaultPromise<String> ok = new DefaultPromise<>(ImmediateEventExecutor.INSTANCE);
    DefaultPromise<String> failed = new DefaultPromise<>(ImmediateEventExecutor.INSTANCE);
    DefaultPromise<String> cancelled = new DefaultPromise<>(ImmediateEventExecutor.INSTANCE);
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    Promise<String> p1 = NettyPromises.from(loop, ok);
    Promise<String> p2 = NettyPromises.from(loop, failed);
    Promise<String> p3 = NettyPromises.from(loop, cancelled);
    f.onLoop(
        loop,
        () -> {
          p1.then(v -> log.add("value " + v + " on the loop: " + loop.inEventLoop()));
          p2.catchError(e -> log.add("reason " + e.getMessage()) ? null : null);
          p3.catchError(
              e -> log.add("cancelled " + (e instanceof CancellationException)) ? null : null);
        });
    ok.setSuccess("v"); // from a thread that is not the loop's
    failed.setFailure(new IOException("test: failed on purpose"));
    cancelled.cancel(false);
    f.awaitCondition(loop, () -> log.size() == 3, "the three reactions");
    assertEquals(
        List.of("value v on the loop: true", "reason test: failed on purpose", "cancelled true"),
        log.stream().sorted((a, b) -> Integer.compare(order(a), order(b))).toList());
  }

  private static int order(String line) {
    return line.startsWith("value") ? 0 : line.startsWith("reason") ? 1 : 2;
  }

  @CarrierTest
  void cancellingThePromiseCancelsTheFuture(LoopFixture f) {
    Loop loop = f.newLoop();
    DefaultPromise<String> future = new DefaultPromise<>(GlobalEventExecutor.INSTANCE);
    Promise<String> p = NettyPromises.from(loop, future);
    var handled = p.catchError(e -> null);
    assertTrue(p.cancel(false));
    assertTrue(future.isCancelled(), "the Netty future was not cancelled");
    f.await(loop, handled);
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aBindsChannelFutureIsThePromiseOfItsChannel(LoopFixture f) {
    Loop loop = f.newLoop();
    AtomicReference<Promise<Channel>> bound = new AtomicReference<>();
    f.onLoop(
        loop,
        () ->
            bound.set(
                NettyPromises.from(
                    loop,
                    new ServerBootstrap()
                        .group(NettyLoops.eventLoop(loop))
                        .channel(NioServerSocketChannel.class)
                        .childHandler(new ChannelInboundHandlerAdapter())
                        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))));
    Channel server = f.await(loop, bound.get());
    assertTrue(server.isActive(), "the bound channel");
    f.await(loop, NettyPromises.from(loop, server.close()));
    assertTrue(!server.isOpen());
  }

  @CarrierTest
  void badArgumentsAreRefused(LoopFixture f) {
    Loop loop = f.newLoop();
    DefaultPromise<String> future = new DefaultPromise<>(GlobalEventExecutor.INSTANCE);
    assertEquals(
        "loop",
        assertThrows(NullPointerException.class, () -> NettyPromises.from(null, future))
            .getMessage());
    assertEquals(
        "future",
        assertThrows(
                NullPointerException.class,
                () -> NettyPromises.from(loop, (io.netty.util.concurrent.Future<String>) null))
            .getMessage());
  }

  /**
   * On a carrier that suspends callbacks, a data callback may await: meanwhile the loop runs other
   * events, each still a callback of its own (one that throws goes to the loop's handler, and its
   * socket goes on), the awaiting socket's own later data included, as an async data handler in
   * Node; then it resumes.
   */
  @CarrierTest(requires = {Capability.OWN_THREADS, Capability.SUSPENDS_CALLBACKS})
  void aDataCallbackThatAwaitsIsSuspendedAndOtherEventsRunMeanwhile(LoopFixture f) {
    List<String> handled = Collections.synchronizedList(new ArrayList<>());
    Loop loop = f.newLoop(b -> b.onUncaughtError((l, e) -> handled.add(e.getMessage())));
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    Promise.Resolvers<Integer> release = Promise.withResolvers(loop);
    NetServer server =
        Net.createServer(
            loop,
            s ->
                s.onData(
                    b -> {
                      String text = new String(b, UTF_8);
                      log.add("data " + text);
                      if (text.equals("boom")) {
                        throw new IllegalStateException("test: thrown while another awaits");
                      }
                      if (text.equals("slow")) {
                        release.promise().await(); // until the test releases it
                        log.add("slow resumed");
                      }
                      s.write(b);
                    }));
    InetSocketAddress at = f.await(loop, server.listen(0));
    Loop peerLoop = f.newLoop();
    List<String> echoes = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<NetSocket> slow = new AtomicReference<>();
    AtomicReference<NetSocket> fast = new AtomicReference<>();
    f.onLoop(
        peerLoop,
        () -> {
          slow.set(Net.connect(peerLoop, "127.0.0.1", at.getPort()));
          fast.set(Net.connect(peerLoop, "127.0.0.1", at.getPort()));
          slow.get().onData(b -> echoes.add(new String(b, UTF_8)));
          fast.get().onData(b -> echoes.add(new String(b, UTF_8)));
        });
    f.await(peerLoop, slow.get().connected());
    f.await(peerLoop, fast.get().connected());
    f.onLoop(peerLoop, () -> slow.get().write("slow"));
    f.awaitCondition(loop, () -> log.contains("data slow"), "the slow data");
    f.onLoop(peerLoop, () -> fast.get().write("boom"));
    f.awaitCondition(loop, () -> handled.size() == 1, "the throw to reach the loop's handler");
    f.onLoop(peerLoop, () -> fast.get().write("fast"));
    f.awaitCondition(peerLoop, () -> echoes.contains("fast"), "the fast echo");
    f.onLoop(peerLoop, () -> slow.get().write("more"));
    f.awaitCondition(peerLoop, () -> echoes.size() == 2, "the echo of more");
    release.resolve(1);
    f.awaitCondition(peerLoop, () -> echoes.size() == 3, "every echo");
    assertEquals(List.of("test: thrown while another awaits"), handled);
    assertEquals(List.of("fast", "more", "slow"), echoes, "what did not wait came back first");
    assertEquals(List.of("data slow", "data boom", "data fast", "data more", "slow resumed"), log);
    f.await(loop, server.closeAllConnections());
    assertInstanceOf(Boolean.class, f.await(peerLoop, slow.get().closed()));
    assertSame(loop, server.loop());
  }
}
