package dev.loopkit.netty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.ManualControl;
import dev.loopkit.conformance.Capability;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import io.netty.channel.local.LocalAddress;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * The {@code net} API on Netty's local transport, on every carrier set-up: {@code manual} steps it
 * deterministically, in virtual time. The loop's edges (every stop, errors in callbacks, calls
 * after termination) with a local server and connection open on it.
 */
class NetLocalTest {

  /** A server and one connection to it, on one loop (so a manual loop steps both ends). */
  record Open(NetServer server, NetSocket serverSide, NetSocket client) {}

  static Open open(LoopFixture f, Loop loop, Consumer<NetSocket> onConnection) {
    AtomicReference<NetSocket> serverSide = new AtomicReference<>();
    NetServer server =
        Net.createServer(
            loop,
            s -> {
              serverSide.set(s);
              onConnection.accept(s);
            });
    LocalAddress at = f.await(loop, server.listen(LocalAddress.ANY));
    AtomicReference<NetSocket> client = new AtomicReference<>();
    f.onLoop(loop, () -> client.set(Net.connect(loop, at).onData(b -> {})));
    f.await(loop, client.get().connected());
    f.awaitCondition(loop, () -> serverSide.get() != null, "the server's connection callback");
    return new Open(server, serverSide.get(), client.get());
  }

  @CarrierTest
  void aClientAndAServerExchangeDataEndAndClose(LoopFixture f) {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    f.run(
        () -> {
          Loop loop = Loop.current();
          NetServer server =
              Net.createServer(
                  loop,
                  s -> {
                    assertNull(s.remoteAddress(), "a local socket has no IP address");
                    s.onData(b -> s.write(("echo " + new String(b, UTF_8)).getBytes(UTF_8)))
                        .onEnd(() -> log.add("server end"))
                        .onClose(e -> log.add("server close " + e));
                  });
          server
              .listen(new LocalAddress("net-local-test"))
              .then(
                  at -> {
                    log.add("listening on " + at);
                    NetSocket c = Net.connect(loop, at);
                    c.onConnect(() -> log.add("connected: write " + c.write("hello")));
                    c.onData(
                        b -> {
                          log.add(new String(b, UTF_8));
                          c.end();
                        });
                    c.onEnd(() -> log.add("client end"));
                    c.onClose(
                        e -> {
                          log.add("client close " + e);
                          server.close();
                        });
                    return null;
                  });
        });
    assertEquals(
        List.of(
            "listening on local:net-local-test",
            "connected: write true",
            "echo hello",
            "server end",
            "server close false", // (the server's end went out at once: both its sides ended)
            "client end",
            "client close false"),
        log);
  }

  @CarrierTest
  void withAllowHalfOpenAServerWritesAfterItsPeersEndThenEnds(LoopFixture f) {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    f.run(
        () -> {
          Loop loop = Loop.current();
          NetServer server =
              Net.createServer(
                  loop,
                  NetOptions.DEFAULTS.withAllowHalfOpen(true),
                  s ->
                      s.onData(b -> log.add("server data " + new String(b, UTF_8)))
                          .onEnd(
                              () -> {
                                log.add("server end, write " + s.write("late"));
                                loop.setTimeout(s::end, 10); // later, in a timer
                              })
                          .onClose(e -> log.add("server close " + e)));
          server
              .listen(LocalAddress.ANY)
              .then(
                  at -> {
                    NetSocket c = Net.connect(loop, at);
                    c.onConnect(() -> c.end("x".getBytes(UTF_8)));
                    c.onData(b -> log.add("client data " + new String(b, UTF_8)));
                    c.onEnd(() -> log.add("client end"));
                    c.onClose(
                        e -> {
                          log.add("client close " + e);
                          server.close();
                        });
                    return null;
                  });
        });
    assertEquals(
        List.of(
            "server data x",
            "server end, write true",
            "client data late",
            "server close false", // (its end went out, and its peer had ended: it is done)
            "client end",
            "client close false"),
        log);
  }

  @CarrierTest(requires = Capability.VIRTUAL_TIME)
  void onManualEveryStepAndTheIdleTimeoutAreTheSameInEveryRun(LoopFixture f) {
    List<String> first = null;
    for (int run = 0; run < 3; run++) {
      Loop loop = f.newLoop();
      ManualControl m = ManualControl.of(loop);
      List<String> log = new ArrayList<>();
      NetServer server =
          Net.createServer(
              loop,
              s ->
                  s.onData(b -> log.add("server data " + new String(b, UTF_8) + " at " + m.now()))
                      .setTimeout(
                          Duration.ofSeconds(30),
                          () -> {
                            log.add("server idle at " + m.now());
                            s.destroy();
                          }));
      loop.execute(
          () ->
              server
                  .listen(LocalAddress.ANY)
                  .then(
                      at -> {
                        NetSocket c = Net.connect(loop, at);
                        c.onConnect(() -> log.add("client connect, write " + c.write("a")));
                        c.onClose(e -> log.add("client close " + e + " at " + m.now()));
                        return null;
                      }));
      log.add("callbacks until idle: " + m.runUntilIdle() + ", at " + m.now());
      m.advanceAndRun(Duration.ofSeconds(29));
      log.add("29 s later, at " + m.now());
      m.advanceAndRun(Duration.ofSeconds(1));
      log.add("30 s later, at " + m.now());
      var closed = server.close().toCompletableFuture();
      m.runUntilIdle();
      log.add("server closed: " + closed.isDone());
      loop.shutdown();
      m.runUntilIdle();
      assertTrue(loop.isTerminated(), "the loop ended");
      if (first == null) {
        first = log;
        List<String> seen = log;
        assertEquals("client connect, write true", log.get(0), () -> seen.toString());
        assertEquals("server data a at PT0S", log.get(1), () -> seen.toString());
        assertEquals("29 s later, at PT29S", log.get(3), () -> seen.toString());
        assertEquals(
            List.of("server idle at PT30S", "client close false at PT30S", "30 s later, at PT30S"),
            log.subList(4, 7));
        assertEquals("server closed: true", log.get(7));
      } else {
        assertEquals(first, log, "run " + run + " differs from the first");
      }
    }
  }

  @CarrierTest
  void connectionsPastTheLimitAreClosedAtAccept(LoopFixture f) {
    Loop loop = f.newLoop();
    AtomicInteger accepted = new AtomicInteger();
    NetServer srv = Net.createServer(loop, s -> accepted.incrementAndGet()).maxConnections(2);
    LocalAddress at = f.await(loop, srv.listen(LocalAddress.ANY));
    List<NetSocket> clients = Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 3; i++) {
      f.onLoop(loop, () -> clients.add(Net.connect(loop, at)));
      f.await(loop, clients.get(clients.size() - 1).connected());
      f.awaitCondition(
          loop, () -> accepted.get() == Math.min(2, clients.size()), "the server's accept");
    }
    NetSocket third = clients.get(2);
    f.onLoop(loop, () -> third.onData(b -> {}));
    f.await(loop, third.closed());
    assertEquals(2, accepted.get(), "connections handed to the server");
    assertTrue(clients.get(0).closed().isPending(), "the first connection was closed");
    f.await(loop, srv.closeAllConnections());
    f.await(loop, clients.get(0).closed());
  }

  @CarrierTest
  void closeStopsAcceptingAndSettlesWhenTheLastConnectionCloses(LoopFixture f) {
    Loop loop = f.newLoop();
    NetServer srv = Net.createServer(loop, s -> s.onData(b -> {}));
    LocalAddress at = f.await(loop, srv.listen(LocalAddress.ANY));
    AtomicReference<NetSocket> client = new AtomicReference<>();
    f.onLoop(loop, () -> client.set(Net.connect(loop, at)));
    f.await(loop, client.get().connected());
    f.awaitCondition(loop, () -> srv.connectionCount() == 1, "the server's accept");
    var closing = srv.close();
    AtomicReference<NetSocket> late = new AtomicReference<>();
    f.onLoop(loop, () -> late.set(Net.connect(loop, at).onError(e -> {})));
    assertEquals(true, f.await(loop, late.get().closed()), "a connection after close");
    assertTrue(closing.isPending(), "close settled with a connection open");
    f.onLoop(loop, () -> client.get().onData(b -> {}).end());
    f.await(loop, closing);
    assertEquals(0, srv.connectionCount());
  }

  @CarrierTest
  void connectingToAnAddressNobodyListensOnFails(LoopFixture f) {
    Loop loop = f.newLoop();
    AtomicReference<NetSocket> client = new AtomicReference<>();
    List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    f.onLoop(
        loop,
        () ->
            client.set(Net.connect(loop, new LocalAddress("nobody-listens")).onError(errors::add)));
    var done = client.get().connected().toCompletableFuture();
    f.awaitCondition(loop, done::isDone, "the failed connection");
    ExecutionException e = assertThrows(ExecutionException.class, done::get);
    assertInstanceOf(ConnectException.class, e.getCause());
    f.await(loop, client.get().closed());
    assertEquals(1, errors.size(), "the error callback ran once");
  }

  @CarrierTest
  void aSecondServerOnTheSameAddressFailsToListen(LoopFixture f) {
    List<Throwable> unhandled = Collections.synchronizedList(new ArrayList<>());
    Loop loop = f.newLoop(b -> b.onUnhandledRejection((l, e) -> unhandled.add(e)));
    for (int i = 0; i < 20; i++) { // (listen is called off the loop: no race may report it)
      LocalAddress at = new LocalAddress("net-local-taken-" + i);
      NetServer first = Net.createServer(loop, s -> {});
      f.await(loop, first.listen(at));
      List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
      NetServer second = Net.createServer(loop, s -> {}).onError(errors::add);
      var bound = second.listen(at).toCompletableFuture();
      f.awaitCondition(loop, bound::isDone, "the second listen to settle");
      assertTrue(bound.isCompletedExceptionally(), "the second server listens too");
      assertEquals(1, errors.size(), "the error callback ran once");
      f.await(loop, second.close());
      f.await(loop, first.close());
    }
    assertEquals(List.of(), unhandled, "the failed listen was reported as unhandled");
  }

  @CarrierTest
  void badArgumentsAreRefusedAtTheCallSite(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    assertEquals("address", thrown(() -> Net.connect(loop, (LocalAddress) null)).getMessage());
    assertEquals("options", thrown(() -> Net.connect(loop, LocalAddress.ANY, null)).getMessage());
    assertEquals(
        "address",
        thrown(() -> Net.createServer(loop, s -> {}).listen((LocalAddress) null)).getMessage());
    NetOptions tls = NetOptions.DEFAULTS.withTls(SSLContext.getDefault());
    assertEquals(
        "options: TLS is not available on the local transport",
        thrown(() -> Net.connect(loop, LocalAddress.ANY, tls)).getMessage());
    assertEquals(
        "options: TLS is not available on the local transport",
        thrown(() -> Net.createServer(loop, tls, s -> {}).listen(LocalAddress.ANY)).getMessage());
    NetServer twice = Net.createServer(loop, s -> {});
    f.await(loop, twice.listen(LocalAddress.ANY));
    assertEquals(
        "listen was called on this server already",
        thrown(() -> twice.listen(LocalAddress.ANY)).getMessage());
    f.await(loop, twice.close());
  }

  @CarrierTest
  void everyStopClosesLocalServersAndConnectionsWithoutTheirCallbacks(LoopFixture f)
      throws Exception {
    for (NetStopTest.Stop stop : NetStopTest.Stop.values()) {
      Loop loop = f.newLoop();
      List<String> callbacks = Collections.synchronizedList(new ArrayList<>());
      Open o =
          open(f, loop, s -> s.onData(b -> {}).onClose(e -> callbacks.add("server side's close")));
      o.client().onClose(e -> callbacks.add("client's close"));
      if (f.has(Capability.VIRTUAL_TIME) && stop == NetStopTest.Stop.GRACEFUL_TIMEOUT) {
        // (as Stop's, without waiting on this thread for the loop, which this thread steps)
        f.onLoop(loop, () -> loop.setTimeout(() -> {}, Duration.ofHours(1)));
        var unused = loop.shutdownGracefully(Duration.ZERO, Duration.ofMillis(100));
      } else {
        stop.stop(loop); // (close() drives a manual loop to its end on this thread)
      }
      if (f.has(Capability.VIRTUAL_TIME)) {
        ManualControl m = ManualControl.of(loop);
        for (int i = 0; i < 1_000 && !loop.isTerminated(); i++) {
          m.step();
        }
      }
      assertTrue(
          loop.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS),
          () -> stop + ": the loop did not end with a local server and a connection open");
      assertEquals(
          false,
          o.serverSide().closed().toCompletableFuture().get(5, TimeUnit.SECONDS),
          stop + ": the server side's close");
      assertEquals(
          false,
          o.client().closed().toCompletableFuture().get(5, TimeUnit.SECONDS),
          stop + ": the client's close");
      assertEquals(0, o.server().connectionCount(), stop + ": connections left");
      assertEquals(List.of(), callbacks, stop + ": callbacks ran after the loop stopped");
      assertTrue(
          o.server().close().toCompletableFuture().isDone(),
          stop + ": close() after the loop's end is settled at once");
    }
  }

  @CarrierTest
  void anErrorThrownInADataCallbackGoesToTheLoopsHandlerAndTheSocketGoesOn(LoopFixture f) {
    List<String> handled = Collections.synchronizedList(new ArrayList<>());
    Loop loop =
        f.newLoop(
            b ->
                b.onUncaughtError(
                    (l, e) -> handled.add(e.getMessage() + ", on the loop: " + l.inEventLoop())));
    List<String> data = Collections.synchronizedList(new ArrayList<>());
    Open o =
        open(
            f,
            loop,
            s ->
                s.onData(
                    b -> {
                      String text = new String(b, UTF_8);
                      if (text.equals("a")) {
                        throw new IllegalStateException("test: thrown on purpose");
                      }
                      data.add(text);
                    }));
    f.onLoop(loop, () -> o.client().write("a"));
    f.awaitCondition(loop, () -> handled.size() == 1, "the loop's handler");
    f.onLoop(loop, () -> o.client().write("b"));
    f.awaitCondition(loop, () -> data.size() == 1, "the next chunk");
    assertEquals(List.of("test: thrown on purpose, on the loop: true"), handled);
    assertEquals(List.of("b"), data);
    assertTrue(o.serverSide().closed().isPending(), "the socket closed after a callback threw");
    f.await(loop, o.server().closeAllConnections());
  }

  @CarrierTest
  void aFatalErrorThrownInADataCallbackStopsTheLoopAndClosesItsConnections(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop();
    InternalError fatal =
        new InternalError("test: a fatal error thrown on purpose") {
          @Override
          public synchronized Throwable fillInStackTrace() {
            return this; // (a thread's handler may print it: one line, no stack trace)
          }
        };
    Open o =
        open(
            f,
            loop,
            s ->
                s.onData(
                    b -> {
                      throw fatal;
                    }));
    loop.execute(() -> o.client().write("a"));
    if (f.has(Capability.VIRTUAL_TIME)) {
      ManualControl m = ManualControl.of(loop);
      Error thrown = null;
      for (int i = 0; i < 100 && !loop.isTerminated(); i++) {
        try {
          m.step();
        } catch (Error e) {
          thrown = e; // the manual carrier rethrows it to the test that steps
        }
      }
      Error seen = thrown;
      assertTrue(seen == null || seen == fatal, () -> "another error: " + seen);
    }
    ExecutionException e =
        assertThrows(
            ExecutionException.class,
            () -> loop.terminationFuture().get(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
    assertSame(fatal, e.getCause(), "the loop's end names the error");
    assertEquals(false, o.client().closed().toCompletableFuture().get(5, TimeUnit.SECONDS));
    assertTrue(o.serverSide().closed().isFulfilled(), "the server's side is closed");
  }

  @CarrierTest
  void callsAfterTerminationAnswerAtOnce(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    Open o = open(f, loop, s -> s.onData(b -> {}));
    NetServer unstarted = Net.createServer(loop, s -> {});
    loop.shutdown();
    if (f.has(Capability.VIRTUAL_TIME)) {
      ManualControl.of(loop).runUntilIdle();
    }
    assertTrue(loop.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
    var e =
        assertThrows(RejectedExecutionException.class, () -> Net.connect(loop, LocalAddress.ANY));
    assertTrue(e.getMessage().contains("terminated"), e.getMessage());
    assertThrows(RejectedExecutionException.class, () -> unstarted.listen(LocalAddress.ANY));
    var w = assertThrows(IllegalStateException.class, () -> o.client().write("x"));
    assertTrue(w.getMessage().contains("NetSocket.write"), w.getMessage());
    assertTrue(o.server().close().toCompletableFuture().isDone(), "close() after the end");
  }

  private static Throwable thrown(org.junit.jupiter.api.function.Executable call) {
    return assertThrows(RuntimeException.class, call);
  }
}
