package dev.loopkit.netty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.conformance.Capability;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** The Node-style {@code net} API on a loop: what each socket and server event does, in order. */
class NetTest {

  static List<String> newLog() {
    return Collections.synchronizedList(new ArrayList<>());
  }

  /** An echo server on {@code loop}, listening on a free loopback port. */
  static NetServer echoServer(LoopFixture f, Loop loop) {
    NetServer server = Net.createServer(loop, s -> s.onData(s::write));
    f.await(loop, server.listen(0));
    return server;
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aClientAndAServerSeeTheirEventsInNodesOrder(LoopFixture f) {
    Loop loop = f.newLoop();
    List<String> server = newLog();
    List<String> client = newLog();
    NetServer srv =
        Net.createServer(
            loop,
            s -> {
              server.add("connection on the loop: " + loop.inEventLoop());
              s.onData(b -> server.add("data " + new String(b, UTF_8)))
                  .onEnd(() -> server.add("end"))
                  .onClose(e -> server.add("close " + e));
              s.write("hi");
            });
    InetSocketAddress at = f.await(loop, srv.listen(0));
    assertTrue(at.getAddress().isLoopbackAddress(), "bound to loopback: " + at);
    assertTrue(at.getPort() > 0, "a port was picked: " + at);
    CountDownLatch closed = new CountDownLatch(1);
    f.onLoop(
        loop,
        () -> {
          NetSocket c = Net.connect(loop, "127.0.0.1", at.getPort());
          c.onConnect(() -> client.add("connect"))
              .onData(
                  b -> {
                    client.add("data " + new String(b, UTF_8));
                    c.write("hello");
                    c.end();
                  })
              .onEnd(() -> client.add("end"))
              .onClose(
                  e -> {
                    client.add("close " + e);
                    closed.countDown();
                  });
        });
    f.await(loop, closed);
    f.awaitCondition(loop, () -> server.size() == 4, "the server's close");
    assertEquals(List.of("connect", "data hi", "end", "close false"), client);
    assertEquals(
        List.of("connection on the loop: true", "data hello", "end", "close false"), server);
    f.await(loop, srv.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void theConnectPromiseSettlesAndAddressesAreKnown(LoopFixture f) {
    Loop loop = f.newLoop();
    NetServer srv = echoServer(f, loop);
    AtomicReference<NetSocket> socket = new AtomicReference<>();
    f.onLoop(loop, () -> socket.set(Net.connect(loop, "localhost", srv.address().getPort())));
    f.await(loop, socket.get().connected());
    assertEquals(srv.address().getPort(), socket.get().remoteAddress().getPort());
    assertTrue(socket.get().localAddress().getPort() > 0);
    f.onLoop(loop, () -> socket.get().destroy());
    assertEquals(false, f.await(loop, socket.get().closed()), "closed without an error");
    f.await(loop, srv.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aRefusedConnectionRunsErrorThenCloseWithAnErrorAndRejectsConnected(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop();
    int port;
    try (var probe = new java.net.ServerSocket(0)) {
      port = probe.getLocalPort(); // closed at once: nobody listens there
    }
    List<String> log = newLog();
    AtomicReference<NetSocket> socket = new AtomicReference<>();
    f.onLoop(
        loop,
        () ->
            socket.set(
                Net.connect(loop, "127.0.0.1", port)
                    .onConnect(() -> log.add("connect"))
                    .onError(e -> log.add("error " + (e instanceof java.net.ConnectException)))
                    .onClose(e -> log.add("close " + e))));
    assertEquals(true, f.await(loop, socket.get().closed()));
    f.awaitCondition(loop, () -> log.size() == 2, "the close callback");
    assertEquals(List.of("error true", "close true"), log);
    assertTrue(socket.get().connected().isRejected(), "connected() rejected");
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void writeAnswersFalsePastTheHighWaterMarkThenDrainRuns(LoopFixture f) {
    Loop loop = f.newLoop();
    List<String> log = newLog();
    AtomicReference<NetSocket> peer = new AtomicReference<>();
    NetServer srv =
        Net.createServer(
            loop,
            s -> {
              peer.set(s);
              s.pause(); // reads nothing until resumed: the client's queue fills
              s.onData(b -> {});
            });
    InetSocketAddress at = f.await(loop, srv.listen(0));
    CountDownLatch drained = new CountDownLatch(1);
    AtomicInteger writes = new AtomicInteger();
    f.onLoop(
        loop,
        () -> {
          NetSocket c = Net.connect(loop, "127.0.0.1", at.getPort());
          c.onDrain(
              () -> {
                log.add("drain");
                drained.countDown();
              });
          c.onConnect(
              () -> {
                byte[] chunk = new byte[64 * 1024];
                while (c.write(chunk)) {
                  writes.incrementAndGet(); // until the kernel's buffers and the mark are full
                  if (writes.get() > 100_000) {
                    throw new AssertionError("write never answered false");
                  }
                }
                log.add("false");
              });
        });
    f.awaitCondition(loop, () -> log.contains("false"), "a write to answer false");
    assertFalse(log.contains("drain"), "drain before the peer read anything");
    f.onLoop(loop, () -> peer.get().resume());
    f.await(loop, drained);
    assertEquals(List.of("false", "drain"), log);
    f.await(loop, srv.closeAllConnections());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void dataAfterPauseWaitsForResume(LoopFixture f) {
    Loop loop = f.newLoop();
    List<String> log = newLog();
    AtomicReference<NetSocket> peer = new AtomicReference<>();
    NetServer srv =
        Net.createServer(
            loop,
            s -> {
              peer.set(s);
              s.onData(
                  b -> {
                    log.add("data " + new String(b, UTF_8));
                    s.pause();
                  });
            });
    InetSocketAddress at = f.await(loop, srv.listen(0));
    AtomicReference<NetSocket> client = new AtomicReference<>();
    f.onLoop(loop, () -> client.set(Net.connect(loop, "127.0.0.1", at.getPort())));
    f.await(loop, client.get().connected());
    f.onLoop(loop, () -> client.get().write("a"));
    f.awaitCondition(loop, () -> log.size() == 1, "the first chunk");
    f.onLoop(loop, () -> client.get().write("b"));
    // the second chunk is read by nobody while paused: give it ample time to arrive
    CountDownLatch later = new CountDownLatch(1);
    loop.execute(() -> loop.setTimeout(later::countDown, 200));
    f.await(loop, later);
    assertEquals(List.of("data a"), log, "data delivered while paused");
    f.onLoop(loop, () -> peer.get().resume());
    f.awaitCondition(loop, () -> log.size() == 2, "the second chunk after resume");
    assertEquals(List.of("data a", "data b"), log);
    f.await(loop, srv.closeAllConnections());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void anIdleSocketsTimeoutRunsAndTheSocketStaysOpen(LoopFixture f) {
    Loop loop = f.newLoop();
    List<String> log = newLog();
    NetServer srv =
        Net.createServer(
            loop,
            s ->
                s.setTimeout(
                    Duration.ofMillis(50),
                    () -> {
                      log.add("timeout, closed: " + s.closed().isFulfilled());
                      s.destroy();
                    }));
    InetSocketAddress at = f.await(loop, srv.listen(0));
    AtomicReference<NetSocket> client = new AtomicReference<>();
    f.onLoop(loop, () -> client.set(Net.connect(loop, "127.0.0.1", at.getPort())));
    f.await(loop, client.get().closed());
    assertEquals(List.of("timeout, closed: false"), log);
    f.await(loop, srv.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void connectionsPastTheLimitAreClosedAtAccept(LoopFixture f) {
    Loop loop = f.newLoop();
    AtomicInteger accepted = new AtomicInteger();
    NetServer srv = Net.createServer(loop, s -> accepted.incrementAndGet()).maxConnections(2);
    assertEquals(2, srv.maxConnections());
    InetSocketAddress at = f.await(loop, srv.listen(0));
    List<NetSocket> clients = Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 3; i++) {
      f.onLoop(loop, () -> clients.add(Net.connect(loop, "127.0.0.1", at.getPort())));
      f.await(loop, clients.get(clients.size() - 1).connected());
      f.awaitCondition(
          loop, () -> accepted.get() == Math.min(2, clients.size()), "the server's accept");
    }
    NetSocket third = clients.get(2);
    f.onLoop(loop, () -> third.onData(b -> {})); // flowing: its end can be delivered
    f.await(loop, third.closed());
    assertEquals(2, accepted.get(), "connections handed to the server");
    assertFalse(clients.get(0).closed().isFulfilled(), "the first connection was closed");
    f.await(loop, srv.closeAllConnections());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void closeStopsAcceptingAndSettlesWhenTheLastConnectionCloses(LoopFixture f) {
    Loop loop = f.newLoop();
    NetServer srv = Net.createServer(loop, s -> s.onData(b -> {}));
    InetSocketAddress at = f.await(loop, srv.listen(0));
    AtomicReference<NetSocket> client = new AtomicReference<>();
    f.onLoop(loop, () -> client.set(Net.connect(loop, "127.0.0.1", at.getPort())));
    f.await(loop, client.get().connected());
    f.awaitCondition(loop, () -> srv.connectionCount() == 1, "the server's accept");
    var closing = srv.close();
    f.awaitCondition(loop, () -> srv.address() == null, "the server to stop listening");
    assertTrue(closing.isPending(), "close settled with a connection open");
    AtomicReference<NetSocket> late = new AtomicReference<>();
    f.onLoop(loop, () -> late.set(Net.connect(loop, "127.0.0.1", at.getPort()).onError(e -> {})));
    assertEquals(true, f.await(loop, late.get().closed()), "a connection after close");
    assertTrue(closing.isPending(), "close settled with a connection open");
    f.onLoop(loop, () -> client.get().onData(b -> {}).end());
    f.await(loop, closing);
    assertEquals(0, srv.connectionCount());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aHalfOpenSocketKeepsWritingAfterThePeersEnd(LoopFixture f) {
    Loop loop = f.newLoop();
    NetServer srv =
        Net.createServer(
            loop,
            NetOptions.DEFAULTS.withAllowHalfOpen(true),
            s ->
                s.onData(b -> {})
                    .onEnd(
                        () -> {
                          s.write("after end");
                          s.end();
                        }));
    InetSocketAddress at = f.await(loop, srv.listen(0));
    List<String> log = newLog();
    AtomicReference<NetSocket> client = new AtomicReference<>();
    f.onLoop(
        loop,
        () -> {
          NetSocket c = Net.connect(loop, "127.0.0.1", at.getPort());
          client.set(c);
          c.onData(b -> log.add("data " + new String(b, UTF_8)))
              .onEnd(() -> log.add("end"))
              .onClose(e -> log.add("close " + e));
          c.end(); // before it is connected: sent once it is
        });
    f.await(loop, client.get().closed());
    f.awaitCondition(loop, () -> log.size() == 3, "the close callback");
    assertEquals(List.of("data after end", "end", "close false"), log);
    f.await(loop, srv.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void dataThatArrivesBeforeTheDataCallbackIsSetIsKeptAndDeliveredOnceItIs(LoopFixture f) {
    Loop loop = f.newLoop();
    NetServer srv = Net.createServer(loop, s -> s.write("early"));
    InetSocketAddress at = f.await(loop, srv.listen(0));
    NetSocket c = Net.connect(loop, "127.0.0.1", at.getPort()); // off the loop
    f.await(loop, c.connected());
    CountDownLatch later = new CountDownLatch(1);
    loop.execute(() -> loop.setTimeout(later::countDown, 100)); // ample time for it to arrive
    f.await(loop, later);
    List<String> log = newLog();
    c.onData(b -> log.add("data " + new String(b, UTF_8) + " on the loop: " + loop.inEventLoop()));
    f.awaitCondition(loop, () -> log.size() == 1, "the kept data");
    assertEquals(List.of("data early on the loop: true"), log);
    f.await(loop, srv.closeAllConnections());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void activityPostponesTheIdleTimeout(LoopFixture f) {
    Loop loop = f.newLoop();
    List<String> log = newLog();
    AtomicInteger chunks = new AtomicInteger();
    NetServer srv =
        Net.createServer(
            loop,
            s ->
                s.onData(b -> chunks.incrementAndGet())
                    .setTimeout(
                        Duration.ofMillis(1000),
                        () -> {
                          log.add("timeout after " + chunks.get() + " chunks");
                          s.destroy();
                        }));
    InetSocketAddress at = f.await(loop, srv.listen(0));
    AtomicReference<NetSocket> client = new AtomicReference<>();
    f.onLoop(
        loop,
        () -> {
          NetSocket c = Net.connect(loop, "127.0.0.1", at.getPort()).onData(b -> {});
          client.set(c);
          AtomicInteger sent = new AtomicInteger();
          loop.setInterval(
              () -> {
                if (sent.incrementAndGet() <= 10) {
                  c.write("x"); // every 100 ms for a second: the socket is never idle for 1 s
                }
              },
              100);
        });
    f.await(loop, client.get().closed());
    assertEquals(List.of("timeout after 10 chunks"), log);
    f.await(loop, srv.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aResetConnectionRunsTheErrorThenTheCloseWithAnError(LoopFixture f) throws Exception {
    List<String> handled = newLog();
    Loop loop = f.newLoop(b -> b.onUncaughtError((l, e) -> handled.add(e.getClass().getName())));
    List<String> log = newLog();
    AtomicReference<NetSocket> peer = new AtomicReference<>();
    NetServer srv =
        Net.createServer(
            loop,
            s -> {
              peer.set(s);
              s.onData(b -> log.add("data"))
                  .onError(e -> log.add("error " + (e instanceof java.io.IOException)))
                  .onClose(e -> log.add("close " + e));
            });
    InetSocketAddress at = f.await(loop, srv.listen(0));
    try (java.net.Socket plain = new java.net.Socket(at.getAddress(), at.getPort())) {
      plain.getOutputStream().write('x');
      f.awaitCondition(loop, () -> log.contains("data"), "the data");
      plain.setSoLinger(true, 0); // the close sends a reset
    }
    f.await(loop, peer.get().closed());
    f.awaitCondition(loop, () -> log.size() == 3, "the close callback");
    assertEquals(List.of("data", "error true", "close true"), log);
    assertEquals(List.of(), handled, "errors that reached the loop's handler");
    f.await(loop, srv.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void socketEventsRunWhileAChainOfImmediatesKeepsTheLoopBusy(LoopFixture f) {
    Loop loop = f.newLoop();
    NetServer srv = echoServer(f, loop);
    AtomicReference<String> echoed = new AtomicReference<>();
    AtomicInteger immediates = new AtomicInteger();
    f.onLoop(
        loop,
        () -> {
          NetSocket c = Net.connect(loop, "127.0.0.1", srv.address().getPort());
          c.onConnect(() -> c.write("ping"));
          c.onData(
              b -> {
                echoed.set(new String(b, UTF_8));
                c.destroy();
              });
          Runnable[] step = new Runnable[1];
          step[0] =
              () -> {
                immediates.incrementAndGet();
                if (echoed.get() == null) {
                  loop.setImmediate(step[0]); // never idle: other work is always ready
                }
              };
          loop.setImmediate(step[0]);
        });
    f.awaitCondition(loop, () -> echoed.get() != null, "the echo while immediates ran");
    assertEquals("ping", echoed.get());
    assertTrue(immediates.get() > 1, "the chain was running: " + immediates.get());
    f.await(loop, srv.close());
  }
}
