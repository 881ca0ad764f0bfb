package dev.loopkit.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import dev.loopkit.conformance.Capability;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** How the HTTP server ends with its loop: shutdown, a fatal error in a handler. */
class HttpEdgesTest {

  /** A server whose handler answers only when the test resolves the promise it leaves. */
  private static HttpServer deferred(Loop loop, AtomicReference<Promise.Resolvers<String>> owed) {
    return Http.createServer(
        loop,
        (req, res) -> {
          Promise.Resolvers<String> r = Promise.withResolvers(loop);
          var unused =
              r.promise()
                  .then(
                      text -> {
                        res.end(text);
                        return null;
                      });
          owed.set(r);
        });
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void closingTheServerFirstLetsItsRequestFinishThenShutdownEndsTheLoop(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop();
    AtomicReference<Promise.Resolvers<String>> owed = new AtomicReference<>();
    HttpServer server = deferred(loop, owed);
    InetSocketAddress address = f.await(loop, server.listen(0));
    try (RawClient c = new RawClient(address)) {
      c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      f.awaitCondition(loop, () -> owed.get() != null, "the request in flight");
      Promise<?> closed = server.close();
      Thread.sleep(200);
      assertFalse(closed.toCompletableFuture().isDone(), "a request in flight holds the close");
      owed.get().resolve("late but answered\n"); // from this thread: the loop answers
      assertTrue(c.readUntil("late but answered\n", 1).startsWith("HTTP/1.1 200 "));
      f.await(loop, closed);
      assertTrue(c.closedWithin(10_000), "its connection closed after the answer");
      loop.shutdown();
      assertTrue(
          loop.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS),
          "the loop ends once shut down");
    }
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void shutdownEndsTheLoopThoughAServerListensAndClosesItsConnections(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop();
    AtomicReference<Promise.Resolvers<String>> owed = new AtomicReference<>();
    HttpServer server = deferred(loop, owed);
    InetSocketAddress address = f.await(loop, server.listen(0));
    try (RawClient c = new RawClient(address);
        RawClient idle = new RawClient(address)) {
      c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      f.awaitCondition(loop, () -> owed.get() != null, "the request in flight");
      loop.shutdown();
      assertTrue(
          loop.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS),
          "open I/O does not hold a loop that no longer accepts work");
      assertEquals("", c.readToClose(), "the request whose answer was owed was cut off");
      assertTrue(idle.closedWithin(10_000), "an idle connection closed too");
      IllegalStateException noNew =
          assertThrows(
              IllegalStateException.class, () -> Http.createServer(loop, (q, s) -> {}).listen(0));
      assertTrue(noNew.getMessage().contains("shutting down"), noNew.getMessage());
    }
    assertTrue(server.close().toCompletableFuture().isDone(), "close() after the end: at once");
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aGracefulShutdownWithATimeoutEndsTheLoopThoughTheServerStillListens(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop();
    HttpServer server = Http.createServer(loop, (req, res) -> {}); // never answers
    InetSocketAddress address = f.await(loop, server.listen(0));
    try (RawClient c = new RawClient(address)) {
      c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      var ended =
          loop.shutdownGracefully(java.time.Duration.ZERO, java.time.Duration.ofMillis(200));
      ended.handle((v, e) -> null).get(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);
      assertTrue(loop.isTerminated(), "past its timeout the loop stopped as shutdownNow does");
      assertEquals("", c.readToClose(), "the request in flight was cut off");
    }
    assertTrue(server.close().toCompletableFuture().isDone(), "close() after the end: at once");
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aFatalErrorInAHandlerStopsTheLoopAndClosesEverything(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    HttpServer server =
        Http.createServer(
            loop,
            (req, res) -> {
              throw new StackOverflowError("a fatal error in a handler, on purpose");
            });
    InetSocketAddress address = f.await(loop, server.listen(0));
    try (RawClient c = new RawClient(address)) {
      String answer = c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").readToClose();
      assertTrue(
          answer.isEmpty() || answer.startsWith("HTTP/1.1 500 "),
          "a 500, or the connection closed by the stop: " + answer);
    }
    assertTrue(loop.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> loop.terminationFuture().get());
    assertInstanceOf(StackOverflowError.class, e.getCause());
    assertEquals(
        true,
        server.close().toCompletableFuture().isDone(),
        "close() after the loop's end answers at once");
  }
}
