package dev.loopkit.netty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.loopkit.Loop;
import dev.loopkit.conformance.Capability;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sockets on epoll ({@code loopkit.netty.transport=epoll}) where Netty's native library loads: the
 * loop's Netty view is epoll's, data goes both ways, and every stop closes what is open. (The
 * ordering rules run on epoll in {@link NetRulesTest}.)
 */
class NetEpollTest {

  private static Loop epollLoop(LoopFixture f) {
    return f.newLoop(b -> b.set(Transports.KEY, "epoll"));
  }

  @CarrierTest(requires = Capability.REAL_SOCKETS)
  void aLoopConfiguredForEpollEchoesOnEpoll(LoopFixture f) {
    assumeTrue(Epoll.isAvailable(), "Netty's native epoll library does not load here");
    Loop loop = epollLoop(f);
    IoEventLoop io = NettyLoops.eventLoop(loop);
    AtomicReference<String> kind = new AtomicReference<>();
    f.onLoop(
        loop,
        () -> {
          boolean onEpoll = io.isIoType(EpollIoHandler.class);
          assertEquals(!onEpoll, io.isIoType(NioIoHandler.class), "one kind of sockets");
          // (a loop on a virtual thread uses NIO: epoll's native wait would pin its carrier)
          kind.set(onEpoll + " on a virtual thread: " + Thread.currentThread().isVirtual());
        });
    assertTrue(
        kind.get().equals("true on a virtual thread: false")
            || kind.get().equals("false on a virtual thread: true"),
        kind::get);
    NetServer server = Net.createServer(loop, s -> s.onData(s::write));
    InetSocketAddress at = f.await(loop, server.listen(0));
    List<String> got = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<NetSocket> client = new AtomicReference<>();
    f.onLoop(
        loop,
        () -> {
          NetSocket c = Net.connect(loop, "127.0.0.1", at.getPort());
          c.onData(b -> got.add(new String(b, UTF_8)));
          c.write("over epoll");
          client.set(c);
        });
    f.awaitCondition(loop, () -> String.join("", got).equals("over epoll"), "the echo");
    f.onLoop(loop, () -> client.get().end());
    f.await(loop, client.get().closed());
    f.await(loop, server.close());
  }

  @CarrierTest(requires = Capability.REAL_SOCKETS)
  void everyStopClosesEpollServersAndConnectionsWithoutTheirCallbacks(LoopFixture f)
      throws Exception {
    assumeTrue(Epoll.isAvailable(), "Netty's native epoll library does not load here");
    for (NetStopTest.Stop stop : NetStopTest.Stop.values()) {
      Loop loop = epollLoop(f);
      Loop peerLoop = epollLoop(f);
      List<String> callbacks = Collections.synchronizedList(new ArrayList<>());
      NetStopTest.Open o =
          NetStopTest.open(
              f,
              loop,
              peerLoop,
              s -> s.onData(b -> {}).onClose(e -> callbacks.add("server side's close")));
      stop.stop(loop);
      assertTrue(
          loop.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS),
          () -> stop + ": the loop did not end with a server and a connection open");
      CompletableFuture<Boolean> serverSide = o.serverSide().closed().toCompletableFuture();
      assertEquals(false, serverSide.get(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
      assertNull(o.server().address(), stop + ": the server still has an address");
      assertEquals(0, o.server().connectionCount(), stop + ": connections left");
      assertEquals(List.of(), callbacks, stop + ": callbacks ran after the loop stopped");
      f.await(peerLoop, o.peer().closed()); // the peer saw the connection close
    }
  }

  @CarrierTest
  void anUnknownTransportIsRefusedNamingTheKey(LoopFixture f) {
    Loop loop = f.newLoop(b -> b.set(Transports.KEY, "kqueue"));
    var e = assertThrows(IllegalArgumentException.class, () -> NettyLoops.eventLoop(loop));
    assertEquals(
        "loopkit.netty.transport must be nio or epoll: 'kqueue' (loop " + loop.name() + ")",
        e.getMessage());
  }
}
