package dev.loopkit.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.conformance.Capability;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The HTTP server on a loop: what it answers, in what order, and what it refuses. Real sockets: the
 * carriers with threads of their own.
 */
class HttpServerTest {

  private static InetSocketAddress listen(LoopFixture f, Loop loop, HttpServer server) {
    return f.await(loop, server.listen(0));
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void answersOnTheLoopWithTheRequestsPartsAndKeepsTheConnection(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    AtomicInteger offLoop = new AtomicInteger();
    HttpServer server =
        Http.createServer(
            loop,
            (req, res) -> {
              if (!loop.inEventLoop()) {
                offLoop.incrementAndGet();
              }
              res.header("Content-Type", "text/plain").header("X-Served-By", "loopkit");
              if (req.method().equals("POST")) {
                req.text()
                    .then(
                        body -> {
                          res.end("got " + body + "\n");
                          return null;
                        });
              } else {
                res.end(
                    req.method()
                        + " "
                        + req.path()
                        + " ms="
                        + req.query("ms")
                        + " x="
                        + req.header("X-Thing")
                        + " h="
                        + req.headers().get("x-thing")
                        + " q="
                        + req.query()
                        + "\n");
              }
            });
    InetSocketAddress address = listen(f, loop, server);
    assertEquals("127.0.0.1", address.getAddress().getHostAddress(), "loopback by default");
    try (RawClient c = new RawClient(address)) {
      c.send("GET /wait%20here?ms=5 HTTP/1.1\r\nHost: x\r\nx-thing: 7\r\n\r\n");
      String first = c.readUntil("q={ms=[5]}\n", 1);
      assertTrue(first.startsWith("HTTP/1.1 200 OK\r\n"), first);
      assertTrue(first.contains("content-length: 41\r\n"), first);
      // the handler's header names go out spelled as it wrote them
      assertTrue(first.contains("\r\nContent-Type: text/plain\r\n"), first);
      assertTrue(first.contains("\r\nX-Served-By: loopkit\r\n"), first);
      assertTrue(first.endsWith("GET /wait here ms=5 x=7 h=[7] q={ms=[5]}\n"), first);
      c.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
      String second = c.readUntil("got hello\n", 1);
      assertTrue(second.startsWith("HTTP/1.1 200 OK\r\n"), "the same connection, kept: " + second);
      c.send("HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      String head = c.readToClose();
      assertTrue(head.contains("content-length: 35\r\n"), "HEAD's length is the GET's: " + head);
      assertTrue(head.contains("connection: close\r\n"), head);
      assertTrue(head.endsWith("\r\n\r\n"), "HEAD has no body: " + head);
    }
    assertEquals(0, offLoop.get(), "handler calls off the loop");
    f.await(loop, server.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aStreamedAnswerToHeadSendsHeadersOnlyAndTheConnectionGoesOn(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    HttpServer server =
        Http.createServer(
            loop,
            (req, res) -> {
              if (req.path().equals("/chunked")) {
                res.header("Transfer-Encoding", "chunked"); // as a handler may say it itself
              }
              res.write("part one, ");
              res.end("part two\n");
            });
    InetSocketAddress address = listen(f, loop, server);
    try (RawClient c = new RawClient(address)) {
      c.send("HEAD /streamed HTTP/1.1\r\nHost: x\r\n\r\n");
      c.send("HEAD /chunked HTTP/1.1\r\nHost: x\r\n\r\n");
      c.send("GET /streamed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      String all = c.readToClose();
      String[] answers = all.split("(?=HTTP/1\\.1 )");
      assertEquals(3, answers.length, "two heads, then the GET's answer, nothing between: " + all);
      for (int i = 0; i < 2; i++) {
        assertEquals(
            answers[i].length() - 4,
            answers[i].indexOf("\r\n\r\n"),
            "HEAD: headers only, no body framing after them: " + answers[i]);
      }
      assertTrue(
          answers[2].endsWith("\r\na\r\npart one, \r\n9\r\npart two\n\r\n0\r\n\r\n"),
          "the GET's answer, whole: " + answers[2]);
    }
    f.await(loop, server.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void streamsABodyBothWays(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    HttpServer server =
        Http.createServer(
            loop,
            (req, res) -> {
              List<Integer> sizes = new ArrayList<>();
              req.onData(chunk -> sizes.add(chunk.length));
              req.onEnd(
                  () -> {
                    res.write("chunks:");
                    res.write(String.valueOf(sizes.stream().mapToInt(i -> i).sum()));
                    res.end("\n");
                  });
            });
    InetSocketAddress address = listen(f, loop, server);
    try (RawClient c = new RawClient(address)) {
      c.send(
          "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              + "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
      String answer = c.readUntil("0\r\n\r\n", 1);
      assertTrue(answer.contains("transfer-encoding: chunked\r\n"), answer);
      assertTrue(answer.contains("chunks:"), answer);
      assertTrue(answer.contains("\r\n7\r\n"), "7 bytes arrived: " + answer);
    }
    f.await(loop, server.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void anHttp10ClientGetsItsAnswerAndTheConnectionClosesUnlessItAskedToKeepIt(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop();
    HttpServer server =
        Http.createServer(
            loop,
            (req, res) -> {
              res.write("streamed, ");
              res.end("no length\n");
            });
    InetSocketAddress address = listen(f, loop, server);
    try (RawClient c = new RawClient(address)) {
      String answer = c.send("GET / HTTP/1.0\r\n\r\n").readToClose();
      assertTrue(answer.startsWith("HTTP/1.0 200 "), answer);
      assertFalse(answer.contains("transfer-encoding"), "no chunks for HTTP/1.0: " + answer);
      assertTrue(answer.endsWith("\r\n\r\nstreamed, no length\n"), "ends at the close: " + answer);
    }
    HttpServer kept = Http.createServer(loop, (req, res) -> res.end("kept\n"));
    InetSocketAddress keptAddress = listen(f, loop, kept);
    try (RawClient c = new RawClient(keptAddress)) {
      c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      String first = c.readUntil("kept\n", 1);
      assertTrue(first.contains("connection: keep-alive\r\n"), first);
      c.send("GET / HTTP/1.0\r\n\r\n");
      assertTrue(c.readToClose().endsWith("kept\n"), "the same connection served a second");
    }
    f.await(loop, server.close());
    f.await(loop, kept.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void pipelinedRequestsAreAnsweredInOrderEachInItsOwnCallback(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    HttpServer server =
        Http.createServer(
            loop,
            (req, res) -> {
              log.add("start " + req.path());
              // the first answers last: later requests must wait for it
              long delay = req.path().equals("/1") ? 200 : 1;
              loop.setTimeout(
                  () -> {
                    log.add("end " + req.path());
                    res.end(req.path() + "\n");
                    // the next request's handler runs in a callback of its own, after this one's
                    // checkpoint
                    loop.queueMicrotask(() -> log.add("checkpoint " + req.path()));
                  },
                  delay);
            });
    InetSocketAddress address = listen(f, loop, server);
    try (RawClient c = new RawClient(address)) {
      c.send(
          "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
              + "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
      String all = c.readUntil("/3\n", 1);
      assertTrue(
          all.indexOf("/1\n") < all.indexOf("/2\n") && all.indexOf("/2\n") < all.indexOf("/3\n"),
          all);
    }
    f.awaitCondition(loop, () -> log.size() == 9, "the last checkpoint");
    assertEquals(
        List.of(
            "start /1",
            "end /1",
            "checkpoint /1",
            "start /2",
            "end /2",
            "checkpoint /2",
            "start /3",
            "end /3",
            "checkpoint /3"),
        log);
    f.await(loop, server.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void refusesWhatIsTooLargeOrMalformedAndAnswersExpectContinue(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    HttpServer server =
        Http.createServer(
                loop,
                (req, res) ->
                    req.text()
                        .then(
                            t -> {
                              res.end("body " + t);
                              return null;
                            })
                        .catchError(refused -> null)) // a refused body: nothing to answer
            .maxHeaderSize(1024)
            .maxBodySize(10);
    InetSocketAddress address = listen(f, loop, server);
    try (RawClient c = new RawClient(address)) {
      String big = "x".repeat(2000);
      String answer =
          c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n").readToClose();
      assertTrue(answer.startsWith("HTTP/1.1 431 "), answer);
    }
    try (RawClient c = new RawClient(address)) {
      String answer =
          c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n").readToClose();
      assertTrue(answer.startsWith("HTTP/1.1 413 "), answer);
      assertTrue(answer.contains("limit of 10"), answer);
    }
    try (RawClient c = new RawClient(address)) {
      String answer =
          c.send(
                  "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      + "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n")
              .readToClose();
      assertTrue(answer.startsWith("HTTP/1.1 413 "), "chunked past the limit: " + answer);
    }
    try (RawClient c = new RawClient(address)) {
      String answer = c.send("NOT HTTP AT ALL\r\n\r\n").readToClose();
      assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
    }
    try (RawClient c = new RawClient(address)) {
      String answer =
          c.send("POST / HTTP/1.1\r\nHost: x\r\nExpect: something\r\nContent-Length: 2\r\n\r\n")
              .readToClose();
      assertTrue(answer.startsWith("HTTP/1.1 417 "), answer);
    }
    try (RawClient c = new RawClient(address)) {
      c.send("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
      assertTrue(c.readUntil("\r\n\r\n", 1).startsWith("HTTP/1.1 100 Continue"));
      String answer = c.send("ok").readUntil("body ok", 1);
      assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
    }
    f.await(loop, server.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aHalfSentRequestIsAnswered408AfterTheReadTimeoutAndBlocksNoOther(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop();
    HttpServer server =
        Http.createServer(loop, (req, res) -> res.end("ok\n")).readTimeout(Duration.ofMillis(300));
    InetSocketAddress address = listen(f, loop, server);
    try (RawClient half = new RawClient(address);
        RawClient idle = new RawClient(address);
        RawClient whole = new RawClient(address)) {
      half.send("GET / HT");
      String answer = whole.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").readUntil("ok\n", 1);
      assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
      String timedOut = half.readToClose();
      assertTrue(timedOut.startsWith("HTTP/1.1 408 "), timedOut);
      assertTrue(idle.closedWithin(10_000), "an idle connection is closed after the timeout");
      assertEquals("", idle.readToClose(), "quietly");
    }
    f.await(loop, server.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void theReadTimeoutRunsOnlyWhileARequestIsAwaitedAndRestartsForEach(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop();
    HttpServer server =
        Http.createServer(
                loop,
                (req, res) -> {
                  if (req.path().equals("/slow")) { // an answer that takes 2.4 read timeouts
                    loop.setTimeout(() -> res.end("slow\n"), 1200);
                  } else {
                    res.end("ok\n");
                  }
                })
            .readTimeout(Duration.ofMillis(500));
    InetSocketAddress address = listen(f, loop, server);
    try (RawClient c = new RawClient(address)) {
      String slow = c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").readUntil("slow\n", 1);
      assertTrue(slow.startsWith("HTTP/1.1 200 "), "a slow answer is not a slow request: " + slow);
      Thread.sleep(100); // a fifth of a timeout after the answer
      String ok = c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").readUntil("ok\n", 1);
      assertTrue(ok.startsWith("HTTP/1.1 200 "), "the timeout restarted at the answer: " + ok);
      assertFalse(c.closedWithin(100), "open a fifth of a timeout after the second answer");
      assertTrue(c.closedWithin(10_000), "then closed as idle");
    }
    f.await(loop, server.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aHandlerThatThrowsGets500AndTheErrorGoesToTheLoop(LoopFixture f) throws Exception {
    List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    Loop loop = f.newLoop(b -> b.onUncaughtError((l, e) -> errors.add(e)));
    HttpServer server =
        Http.createServer(
            loop,
            (req, res) -> {
              if (req.path().equals("/error")) {
                throw new Error("an Error in a handler");
              }
              if (req.path().equals("/late")) {
                res.write("begun");
              }
              res.header("Content-Length", 1000); // not for the 500 that follows
              throw new java.io.IOException("a handler's failure");
            });
    InetSocketAddress address = listen(f, loop, server);
    try (RawClient c = new RawClient(address)) {
      String answer = c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").readUntil("Error\n", 1);
      assertTrue(answer.startsWith("HTTP/1.1 500 "), answer);
      assertTrue(
          answer.contains("content-length: 22\r\n"), "the handler's headers dropped: " + answer);
      answer = c.send("GET /error HTTP/1.1\r\nHost: x\r\n\r\n").readUntil("Error\n", 1);
      assertTrue(answer.startsWith("HTTP/1.1 500 "), "the same connection goes on: " + answer);
    }
    try (RawClient c = new RawClient(address)) {
      String answer = c.send("GET /late HTTP/1.1\r\nHost: x\r\n\r\n").readToClose();
      assertTrue(answer.startsWith("HTTP/1.1 200 "), "an answer begun is cut off: " + answer);
    }
    f.awaitCondition(loop, () -> errors.size() == 3, "three errors routed");
    assertEquals("a handler's failure", errors.get(0).getMessage());
    assertEquals("an Error in a handler", errors.get(1).getMessage());
    f.await(loop, server.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void closeFinishesTheRequestInFlightAndClosesTheIdleConnections(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    HttpServer[] holder = new HttpServer[1];
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    HttpServer server =
        Http.createServer(
            loop,
            (req, res) -> {
              var closing = holder[0].close(); // close while this request is in flight
              var unused = closing.then(v -> log.add("closed"));
              loop.setTimeout(
                  () -> {
                    log.add("answered");
                    res.end("done\n");
                  },
                  100);
            });
    holder[0] = server;
    InetSocketAddress address = listen(f, loop, server);
    try (RawClient idle = new RawClient(address);
        RawClient busy = new RawClient(address)) {
      String answer = busy.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").readToClose();
      assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
      assertTrue(answer.contains("connection: close\r\n"), answer);
      assertTrue(idle.closedWithin(10_000), "the idle connection was closed");
    }
    f.await(loop, server.close());
    f.awaitCondition(loop, () -> log.size() == 2, "the close promise's reaction");
    assertEquals(List.of("answered", "closed"), log);
    assertThrows(java.net.ConnectException.class, () -> new RawClient(address).close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void badInputIsRefusedAtTheCallSite(LoopFixture f) {
    Loop loop = f.newLoop();
    assertThrows(NullPointerException.class, () -> Http.createServer(loop, null));
    assertThrows(NullPointerException.class, () -> Http.createServer(null, (q, s) -> {}));
    HttpServer server = Http.createServer(loop, (q, s) -> s.end());
    IllegalArgumentException port =
        assertThrows(IllegalArgumentException.class, () -> server.listen(65536));
    assertEquals("port: 65536 is not allowed; 0 to 65535", port.getMessage());
    assertThrows(IllegalArgumentException.class, () -> server.listen(-1));
    assertThrows(IllegalArgumentException.class, () -> server.maxBodySize(-1));
    assertThrows(IllegalArgumentException.class, () -> server.readTimeout(Duration.ZERO));
    listen(f, loop, server);
    IllegalStateException twice = assertThrows(IllegalStateException.class, () -> server.listen(0));
    assertTrue(twice.getMessage().contains("listens already"), twice.getMessage());
    assertThrows(IllegalStateException.class, () -> server.maxHeaderSize(4096));
    f.await(loop, server.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void anAnswerRefusesBadCallsAtTheCallSite(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    List<String> refused = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<ServerResponse> answered = new AtomicReference<>();
    HttpServer server =
        Http.createServer(
            loop,
            (req, res) -> {
              record(refused, () -> res.status(99));
              record(refused, () -> res.header(null, "x"));
              record(refused, () -> res.header("x", null));
              record(refused, () -> res.write((byte[]) null));
              record(refused, () -> req.onData(null));
              res.write("a");
              record(refused, () -> res.status(201));
              record(refused, () -> res.header("x", "y"));
              res.end("b");
              record(refused, () -> res.write("c"));
              record(refused, res::end);
              answered.set(res);
            });
    InetSocketAddress address = listen(f, loop, server);
    try (RawClient c = new RawClient(address)) {
      String answer = c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").readUntil("0\r\n\r\n", 1);
      assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
    }
    f.awaitCondition(loop, () -> answered.get() != null, "the handler's end");
    IllegalStateException offLoop =
        assertThrows(IllegalStateException.class, () -> answered.get().write("late"));
    assertTrue(offLoop.getMessage().contains("confined to its loop"), offLoop.getMessage());
    assertEquals(
        List.of(
            "IllegalArgumentException: code: 99 is not allowed; a final status, 200 to 999",
            "NullPointerException: name",
            "NullPointerException: value",
            "NullPointerException: chunk",
            "NullPointerException: consumer",
            "IllegalStateException: status: the headers were sent already",
            "IllegalStateException: header: the headers were sent already",
            "IllegalStateException: write: the answer has ended",
            "IllegalStateException: end: the answer has ended already"),
        refused);
    f.await(loop, server.close());
  }

  private static void record(List<String> refused, Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      refused.add(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void listenAfterTheLoopEndedIsAnError(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    loop.shutdown();
    assertTrue(loop.awaitTermination(20, java.util.concurrent.TimeUnit.SECONDS));
    HttpServer server = Http.createServer(loop, (q, s) -> s.end());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> server.listen(0));
    assertTrue(e.getMessage().contains("shutting down or stopped"), e.getMessage());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void shutdownNowWithRequestsInFlightCutsThemOffAndTheLoopEnds(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    AtomicInteger started = new AtomicInteger();
    HttpServer server =
        Http.createServer(loop, (req, res) -> started.incrementAndGet()); // never ends
    InetSocketAddress address = listen(f, loop, server);
    try (RawClient a = new RawClient(address);
        RawClient b = new RawClient(address)) {
      a.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      b.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      f.awaitCondition(loop, () -> started.get() == 2, "both requests in flight");
      loop.shutdownNow();
      assertTrue(
          loop.awaitTermination(
              LoopFixture.PATIENCE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS),
          "the loop ended with requests in flight");
      assertEquals("", a.readToClose(), "cut off: closed without an answer");
      assertEquals("", b.readToClose());
    }
    assertThrows(java.net.ConnectException.class, () -> new RawClient(address).close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aListeningServerKeepsAProgramRunningUntilItCloses(LoopFixture f) {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    f.run(
        () -> {
          Loop loop = Loop.current();
          HttpServer server = Http.createServer(loop, (req, res) -> res.end());
          var unused =
              server
                  .listen(0)
                  .then(
                      a -> {
                        log.add("listening");
                        loop.setTimeout(() -> server.close().then(v -> log.add("closed")), 50);
                        return null;
                      });
        });
    assertEquals(List.of("listening", "closed"), log);
    assertFalse(log.isEmpty());
    assertEquals(3, "abc".getBytes(StandardCharsets.UTF_8).length);
  }
}
