package dev.loopkit.netty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The edges of the {@code net} API: every way a loop stops with a server listening and a connection
 * open, an error thrown in a data callback (ordinary and fatal), and calls after termination.
 */
class NetStopTest {

  /** A server on {@code loop}, one connection to it from {@code peerLoop}, both ends known. */
  record Open(NetServer server, NetSocket serverSide, NetSocket peer) {}

  static Open open(LoopFixture f, Loop loop, Loop peerLoop, Consumer<NetSocket> onConnection) {
    AtomicReference<NetSocket> serverSide = new AtomicReference<>();
    NetServer server =
        Net.createServer(
            loop,
            s -> {
              serverSide.set(s);
              onConnection.accept(s);
            });
    InetSocketAddress at = f.await(loop, server.listen(0));
    AtomicReference<NetSocket> peer = new AtomicReference<>();
    f.onLoop(
        peerLoop, () -> peer.set(Net.connect(peerLoop, "127.0.0.1", at.getPort()).onData(b -> {})));
    f.await(peerLoop, peer.get().connected());
    f.awaitCondition(loop, () -> serverSide.get() != null, "the server's connection callback");
    return new Open(server, serverSide.get(), peer.get());
  }

  enum Stop {
    SHUTDOWN {
      @Override
      void stop(Loop loop) {
        loop.shutdown();
      }
    },
    SHUTDOWN_NOW {
      @Override
      void stop(Loop loop) {
        var unrun = loop.shutdownNow();
      }
    },
    CLOSE {
      @Override
      void stop(Loop loop) {
        loop.close();
      }
    },
    GRACEFUL_TIMEOUT {
      @Override
      void stop(Loop loop) {
        // a ref'd timer outlasts the timeout (set before the stop: it runs after shutdown)
        CompletableFuture<Void> set = new CompletableFuture<>();
        loop.execute(
            () -> {
              loop.setTimeout(() -> {}, Duration.ofHours(1));
              set.complete(null);
            });
        set.join();
        var unused = loop.shutdownGracefully(Duration.ZERO, Duration.ofMillis(100));
      }
    };

    abstract void stop(Loop loop);
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void everyStopClosesServersAndConnectionsWithoutTheirCallbacksAndSettlesTheirPromises(
      LoopFixture f) throws Exception {
    for (Stop stop : Stop.values()) {
      Loop loop = f.newLoop();
      Loop peerLoop = f.newLoop();
      List<String> callbacks = Collections.synchronizedList(new ArrayList<>());
      Open o =
          open(
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
      assertTrue(
          o.server().close().toCompletableFuture().isDone(),
          stop + ": close() after the loop's end is settled at once");
    }
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void anErrorThrownInADataCallbackGoesToTheLoopsHandlerAndTheSocketGoesOn(LoopFixture f) {
    List<String> handled = Collections.synchronizedList(new ArrayList<>());
    Loop loop =
        f.newLoop(
            b ->
                b.onUncaughtError(
                    (l, e) -> handled.add(e.getMessage() + ", on the loop: " + l.inEventLoop())));
    Loop peerLoop = f.newLoop();
    List<String> data = Collections.synchronizedList(new ArrayList<>());
    Open o =
        open(
            f,
            loop,
            peerLoop,
            s ->
                s.onData(
                    b -> {
                      String text = new String(b, UTF_8);
                      if (text.equals("a")) {
                        throw new IllegalStateException("test: thrown on purpose");
                      }
                      data.add(text);
                    }));
    f.onLoop(peerLoop, () -> o.peer().write("a"));
    f.awaitCondition(loop, () -> handled.size() == 1, "the loop's handler");
    f.onLoop(peerLoop, () -> o.peer().write("b"));
    f.awaitCondition(loop, () -> data.size() == 1, "the next chunk");
    assertEquals(List.of("test: thrown on purpose, on the loop: true"), handled);
    assertEquals(List.of("b"), data);
    assertTrue(o.serverSide().closed().isPending(), "the socket closed after a callback threw");
    f.await(loop, o.server().closeAllConnections());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aFatalErrorThrownInADataCallbackStopsTheLoopAndClosesItsConnections(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop();
    Loop peerLoop = f.newLoop();
    InternalError fatal = new InternalError("test: a fatal error thrown on purpose");
    Open o =
        open(
            f,
            loop,
            peerLoop,
            s ->
                s.onData(
                    b -> {
                      throw fatal;
                    }));
    f.onLoop(peerLoop, () -> o.peer().write("a"));
    ExecutionException e =
        assertThrows(
            ExecutionException.class,
            () -> loop.terminationFuture().get(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
    assertSame(fatal, e.getCause(), "the loop's end names the error");
    f.await(peerLoop, o.peer().closed());
    assertTrue(o.serverSide().closed().isFulfilled(), "the server's side is closed");
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void callsAfterTerminationAnswerAtOnce(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    Loop peerLoop = f.newLoop();
    Open o = open(f, loop, peerLoop, s -> s.onData(b -> {}));
    NetServer unstarted = Net.createServer(loop, s -> {});
    loop.shutdown();
    assertTrue(loop.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));

    var e = assertThrows(RejectedExecutionException.class, () -> Net.connect(loop, "::1", 80));
    assertTrue(
        e.getMessage().contains("connect") && e.getMessage().contains("terminated"),
        e.getMessage());
    assertThrows(RejectedExecutionException.class, () -> Net.createServer(loop, s -> {}));
    assertThrows(RejectedExecutionException.class, () -> unstarted.listen(0));
    var w = assertThrows(IllegalStateException.class, () -> o.serverSide().write("x"));
    assertTrue(w.getMessage().contains("NetSocket.write"), w.getMessage());
    assertTrue(o.server().close().toCompletableFuture().isDone(), "close() after the end");
    var p =
        NettyPromises.from(
            loop,
            io.netty.util.concurrent.ImmediateEventExecutor.INSTANCE.<String>newSucceededFuture(
                "late"));
    assertTrue(
        p.toCompletableFuture().isDone(), "a promise of a terminated loop is settled at once");
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void badArgumentsAreRefusedAtTheCallSite(LoopFixture f) {
    Loop loop = f.newLoop();
    assertInstanceOf(
        NullPointerException.class, thrown(() -> Net.createServer(null, s -> {})), "loop");
    assertEquals("connectionListener", thrown(() -> Net.createServer(loop, null)).getMessage());
    assertEquals("host", thrown(() -> Net.connect(loop, null, 80)).getMessage());
    assertEquals(
        "port must be in 1..65535: 0", thrown(() -> Net.connect(loop, "::1", 0)).getMessage());
    assertEquals(
        "port must be in 0..65535: 65536",
        thrown(() -> Net.createServer(loop, s -> {}).listen(65536)).getMessage());
    assertEquals(
        "port must be in 0..65535: -1",
        thrown(() -> Net.createServer(loop, s -> {}).listen(-1)).getMessage());
    assertEquals(
        "maxConnections must be 0 or more: -1",
        thrown(() -> Net.createServer(loop, s -> {}).maxConnections(-1)).getMessage());
    assertEquals(
        "highWaterMark must be 1 or more: 0",
        thrown(() -> NetOptions.DEFAULTS.withHighWaterMark(0)).getMessage());
    NetServer twice = Net.createServer(loop, s -> {});
    f.await(loop, twice.listen(0));
    assertEquals(
        "listen was called on this server already", thrown(() -> twice.listen(0)).getMessage());
    f.await(loop, twice.close());
    assertEquals(
        "the server is not listening: nothing to close",
        thrown(() -> Net.createServer(loop, s -> {}).close()).getMessage());
    assertEquals(
        "callback", thrown(() -> Net.createServer(loop, s -> {}).onConnection(null)).getMessage());
    Loop peerLoop = f.newLoop();
    Open o = open(f, loop, peerLoop, s -> s.onData(b -> {}));
    assertEquals("callback", thrown(() -> o.peer().onData(null)).getMessage());
    assertEquals(
        "NetSocket.write must be called on its loop " + peerLoop.name() + " (use execute)",
        thrown(() -> o.peer().write("x")).getMessage());
    f.onLoop(
        peerLoop,
        () -> {
          assertEquals("data", thrown(() -> o.peer().write((byte[]) null)).getMessage());
          assertEquals(
              "timeout must not be negative: PT-0.001S",
              thrown(() -> o.peer().setTimeout(Duration.ofMillis(-1), null)).getMessage());
          o.peer().end();
          assertEquals(
              "write after end(): the socket's writable side has ended",
              thrown(() -> o.peer().write("x")).getMessage());
        });
    f.await(loop, o.server().closeAllConnections());
  }

  private static Throwable thrown(org.junit.jupiter.api.function.Executable call) {
    return assertThrows(RuntimeException.class, call);
  }
}
