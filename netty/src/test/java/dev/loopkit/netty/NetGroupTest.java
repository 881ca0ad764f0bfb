package dev.loopkit.netty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.LoopGroup;
import dev.loopkit.conformance.Capability;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A server on a loop group: connections spread over its loops, each socket on its own loop. */
class NetGroupTest {

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aGroupServerSpreadsConnectionsOverItsLoopsAndEachSocketStaysOnItsLoop(LoopFixture f) {
    LoopGroup group = LoopGroup.create(f.config().build(), 2);
    try {
      Map<String, AtomicInteger> perLoop = new ConcurrentHashMap<>();
      AtomicInteger offLoop = new AtomicInteger();
      NetServer server =
          Net.createServer(
              group,
              NetOptions.DEFAULTS,
              s -> {
                Loop mine = Loop.current();
                if (mine != s.loop()) {
                  offLoop.incrementAndGet();
                }
                perLoop.computeIfAbsent(mine.name(), n -> new AtomicInteger()).incrementAndGet();
                s.onData(
                    b -> {
                      if (!s.loop().inEventLoop()) {
                        offLoop.incrementAndGet();
                      }
                      s.write(b);
                    });
              });
      InetSocketAddress at = f.await(server.loop(), server.listen(0));
      Loop peerLoop = f.newLoop();
      int clients = 20;
      List<String> echoes = Collections.synchronizedList(new ArrayList<>());
      List<NetSocket> sockets = Collections.synchronizedList(new ArrayList<>());
      f.onLoop(
          peerLoop,
          () -> {
            for (int i = 0; i < clients; i++) {
              String text = "client " + i;
              NetSocket c = Net.connect(peerLoop, "127.0.0.1", at.getPort());
              sockets.add(c);
              c.onData(b -> echoes.add(new String(b, UTF_8)));
              c.write(text);
            }
          });
      f.awaitCondition(peerLoop, () -> echoes.size() == clients, "every echo");
      assertEquals(2, perLoop.size(), "connections on each loop of the group: " + perLoop);
      assertEquals(clients, perLoop.values().stream().mapToInt(AtomicInteger::get).sum());
      assertEquals(0, offLoop.get(), "socket callbacks off their socket's loop");
      assertEquals(clients, server.connectionCount());
      var closing = server.close();
      f.onLoop(peerLoop, () -> sockets.forEach(NetSocket::end));
      f.await(server.loop(), closing);
      assertEquals(0, server.connectionCount());
    } finally {
      group.close();
      assertTrue(group.isTerminated(), "the group ended");
    }
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aGroupServersLimitCountsTheConnectionsOfEveryLoop(LoopFixture f) {
    LoopGroup group = LoopGroup.create(f.config().build(), 2);
    try {
      AtomicInteger accepted = new AtomicInteger();
      NetServer server =
          Net.createServer(group, NetOptions.DEFAULTS, s -> accepted.incrementAndGet())
              .maxConnections(3);
      InetSocketAddress at = f.await(server.loop(), server.listen(0));
      Loop peerLoop = f.newLoop();
      List<NetSocket> sockets = Collections.synchronizedList(new ArrayList<>());
      for (int i = 0; i < 4; i++) {
        f.onLoop(
            peerLoop,
            () -> sockets.add(Net.connect(peerLoop, "127.0.0.1", at.getPort()).onData(b -> {})));
        f.await(peerLoop, sockets.get(sockets.size() - 1).connected());
        int expected = Math.min(3, sockets.size());
        f.awaitCondition(peerLoop, () -> accepted.get() == expected, "the server's accept");
      }
      f.await(peerLoop, sockets.get(3).closed()); // the fourth was refused
      assertEquals(3, accepted.get());
      assertEquals(3, server.connectionCount());
      f.await(server.loop(), server.closeAllConnections());
    } finally {
      group.close();
    }
  }
}
