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

  @CarrierTest(requires = Capability.OWN_THREADS)
  void afterShutdownTheServerFinishesItsRequestAndTheLoopEndsWhenItCloses(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop();
    AtomicReference<Promise.Resolvers<String>> pending = new AtomicReference<>();
    HttpServer server =
        Http.createServer(
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
              pending.set(r);
            });
    InetSocketAddress address = f.await(loop, server.listen(0));
    try (RawClient c = new RawClient(address)) {
      c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      f.awaitCondition(loop, () -> pending.get() != null, "the request in flight");
      loop.shutdown();
      assertFalse(
          loop.awaitTermination(200, TimeUnit.MILLISECONDS),
          "a listening server keeps a shut-down loop serving");
      pending.get().resolve("late but answered\n"); // from this thread: the loop answers
      assertTrue(c.readUntil("late but answered\n", 1).startsWith("HTTP/1.1 200 "));
      IllegalStateException noNew =
          assertThrows(
              IllegalStateException.class, () -> Http.createServer(loop, (q, s) -> {}).listen(0));
      assertTrue(noNew.getMessage().contains("shutting down"), noNew.getMessage());
      server.close();
      assertTrue(
          loop.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS),
          "the loop ends once the server is closed");
      assertTrue(c.closedWithin(10_000), "its connection closed");
    }
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
