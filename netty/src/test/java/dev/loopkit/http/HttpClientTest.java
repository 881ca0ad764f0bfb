package dev.loopkit.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import dev.loopkit.conformance.Capability;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The HTTP client on a loop: answers, the pool, its cap and queue, timeouts and failures. */
class HttpClientTest {

  private static URI uri(InetSocketAddress a, String path) {
    return URI.create("http://127.0.0.1:" + a.getPort() + path);
  }

  /** {@code read}'s answer, read on the loop (what the loop alone touches). */
  private static <T> T onLoop(Loop loop, java.util.concurrent.Callable<T> read) throws Exception {
    return loop.submit(read).get(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);
  }

  /** The rejection of {@code p}, after driving the loop until it settles. */
  private static Throwable failure(LoopFixture f, Loop loop, Promise<?> p) {
    Promise<Throwable> why = p.handle((v, e) -> e); // handled: no unhandled-rejection report
    Throwable e = f.await(loop, why);
    assertTrue(e != null, "the promise was resolved, not rejected");
    return e;
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void answersComeBackOnTheLoopAndAConnectionIsReused(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    Set<Integer> ports = new HashSet<>(); // the clients' ports, on the loop
    HttpServer server =
        Http.createServer(
            loop,
            (req, res) -> {
              ports.add(req.remoteAddress().getPort());
              if (req.path().equals("/missing")) {
                res.status(404).end("no\n");
                return;
              }
              var unused =
                  req.text()
                      .then(
                          body -> {
                            res.header("X-Echo", req.method()).end(req.method() + " " + body);
                            return null;
                          });
            });
    InetSocketAddress a = f.await(loop, server.listen(0));
    List<Boolean> onLoop = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ClientResponse r =
          f.await(
              loop,
              Http.request(
                      loop, "POST", uri(a, "/echo"), ("n" + i).getBytes(StandardCharsets.UTF_8))
                  .then(
                      x -> {
                        onLoop.add(loop.inEventLoop());
                        return x;
                      }));
      assertEquals(200, r.status());
      assertEquals("POST n" + i, r.text());
      assertEquals("POST", r.header("x-echo"));
    }
    assertEquals(404, f.await(loop, Http.request(loop, "GET", uri(a, "/missing"))).status());
    assertEquals(List.of(true, true, true, true, true), onLoop);
    assertEquals(1, onLoop(loop, ports::size), "one connection for all");
    Http.agent(loop).closeIdleConnections();
    f.await(loop, server.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aHostGetsAtMostItsCapOfConnectionsAndTheRestWaitInOrder(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    int[] inFlight = {0, 0}; // now, most (loop)
    Set<Integer> ports = new HashSet<>();
    HttpServer server =
        Http.createServer(
            loop,
            (req, res) -> {
              ports.add(req.remoteAddress().getPort());
              inFlight[1] = Math.max(inFlight[1], ++inFlight[0]);
              loop.setTimeout(
                  () -> {
                    inFlight[0]--;
                    res.end(req.path());
                  },
                  30);
            });
    InetSocketAddress a = f.await(loop, server.listen(0));
    Agent agent = Agent.create(loop).maxConnectionsPerHost(2);
    List<Promise<ClientResponse>> answers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      answers.add(agent.request("GET", uri(a, "/" + i)));
    }
    for (int i = 0; i < 8; i++) {
      assertEquals("/" + i, f.await(loop, answers.get(i)).text());
    }
    assertEquals(2, onLoop(loop, () -> inFlight[1]), "at most two at once");
    assertEquals(2, onLoop(loop, ports::size), "two connections");
    agent.closeIdleConnections();
    f.await(loop, server.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aRequestPastItsTimeoutIsRejectedAndAClosedPortRefuses(LoopFixture f) {
    Loop loop = f.newLoop();
    HttpServer silent = Http.createServer(loop, (req, res) -> {}); // never answers
    InetSocketAddress a = f.await(loop, silent.listen(0));
    Agent agent = Agent.create(loop).timeout(Duration.ofMillis(200));
    Throwable late = failure(f, loop, agent.request("GET", uri(a, "/")));
    assertInstanceOf(TimeoutException.class, late);
    assertTrue(late.getMessage().contains("no answer within 200 ms"), late.getMessage());
    silent.closeAllConnections();
    f.await(loop, silent.close());
    Throwable refused = failure(f, loop, agent.request("GET", uri(a, "/")));
    assertInstanceOf(java.net.SocketException.class, refused); // refused, or reset while closing
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aPooledConnectionTheServerClosedIsReplacedWithoutAFailure(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    HttpServer server =
        Http.createServer(loop, (req, res) -> res.end("ok")).readTimeout(Duration.ofSeconds(1));
    InetSocketAddress a = f.await(loop, server.listen(0));
    Agent agent = Agent.create(loop).idleTimeout(Duration.ofSeconds(20));
    assertEquals("ok", f.await(loop, agent.request("GET", uri(a, "/"))).text());
    f.awaitCondition(loop, () -> server.connections() == 0, "the server to close the idle one");
    assertEquals("ok", f.await(loop, agent.request("GET", uri(a, "/"))).text());
    agent.closeIdleConnections();
    f.await(loop, server.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aStopWithARequestInFlightSettlesItsPromise(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    HttpServer silent = Http.createServer(loop, (req, res) -> {});
    InetSocketAddress a = f.await(loop, silent.listen(0));
    Promise<ClientResponse> pending = Http.request(loop, "GET", uri(a, "/"));
    loop.shutdownNow();
    assertTrue(loop.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
    CompletableFuture<ClientResponse> future = pending.toCompletableFuture();
    assertTrue(future.isDone(), "a promise left pending after termination");
    assertTrue(future.isCompletedExceptionally());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void badInputIsRefusedAtTheCallSite(LoopFixture f) throws Exception {
    Loop loop = f.newLoop();
    URI ok = URI.create("http://127.0.0.1:1/");
    IllegalArgumentException method =
        assertThrows(IllegalArgumentException.class, () -> Http.request(loop, "GE T", ok));
    assertEquals("method: 'GE T' is not an HTTP method token", method.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Http.request(loop, "GET", URI.create("https://127.0.0.1/")));
    assertThrows(IllegalArgumentException.class, () -> Http.request(loop, "GET", URI.create("/x")));
    assertThrows(NullPointerException.class, () -> Http.request(loop, null, ok));
    assertThrows(NullPointerException.class, () -> Http.request(loop, "GET", null));
    assertThrows(IllegalArgumentException.class, () -> Agent.create(loop).maxConnectionsPerHost(0));
    assertThrows(IllegalArgumentException.class, () -> Agent.create(loop).timeout(Duration.ZERO));
    loop.shutdown();
    assertTrue(loop.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
    IllegalStateException after =
        assertThrows(IllegalStateException.class, () -> Http.request(loop, "GET", ok));
    assertTrue(after.getMessage().contains("has terminated"), after.getMessage());
    Loop fresh = f.newLoop(); // no agent made before its end
    fresh.shutdown();
    assertTrue(fresh.awaitTermination(LoopFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS));
    IllegalStateException first =
        assertThrows(IllegalStateException.class, () -> Http.request(fresh, "GET", ok));
    assertTrue(first.getMessage().contains("has terminated"), first.getMessage());
  }
}
