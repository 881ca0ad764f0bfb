package dev.loopkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.Promise;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The HTTP service answers every route on the loop, on every real carrier, and survives faults. */
class HttpServiceTest {

  @TempDir Path dir;

  private static HttpService start(Loop loop, Map<String, HttpService.Handler> routes)
      throws Exception {
    return HttpService.start(loop, 0, routes).toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  @ParameterizedTest
  @ValueSource(strings = {"single-thread", "fork-join", "virtual"})
  void handlersRunOnTheLoopAndSlowAnswersAreServedTogether(String carrier) throws Exception {
    Path file = Files.writeString(dir.resolve("f.txt"), "file text\n");
    Loop loop = Loop.create(LoopConfig.builder().carrier(carrier).build());
    List<Boolean> onLoop = new ArrayList<>(); // appended on the loop only
    Map<String, HttpService.Handler> routes =
        new LinkedHashMap<>(HttpService.exampleRoutes(loop, file));
    routes.put(
        "/where",
        r -> {
          onLoop.add(loop.inEventLoop());
          return Promise.resolve(loop, "ok\n");
        });
    routes.put(
        "/throws",
        r -> {
          throw new IllegalStateException("broken handler");
        });
    routes.put(
        "/rejects",
        r ->
            loop.offload(
                () -> {
                  throw new java.io.IOException("disk gone");
                }));
    HttpService service = start(loop, routes);
    try (HttpClient client = HttpClient.newHttpClient()) {
      assertEquals(
          "hello from " + loop.name() + " on " + carrier + "\n", get(client, service, "/").body());
      assertEquals("file text\n", get(client, service, "/file").body());
      assertEquals(
          129, get(client, service, "/hash?password=x").body().length(), "64 bytes in hex");
      assertEquals(404, get(client, service, "/nowhere").statusCode());
      HttpResponse<String> thrown = get(client, service, "/throws");
      assertEquals(500, thrown.statusCode());
      assertTrue(thrown.body().contains("broken handler"), thrown.body());
      HttpResponse<String> rejected = get(client, service, "/rejects");
      assertEquals(500, rejected.statusCode());
      assertTrue(rejected.body().contains("disk gone"), rejected.body());

      // Ten 300 ms waits at once: together about 300 ms; one after another 3 s. Bound: 5x 300 ms.
      long start = System.nanoTime();
      List<CompletableFuture<HttpResponse<String>>> waits = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        waits.add(
            client.sendAsync(
                request(service, "/wait?ms=300"), HttpResponse.BodyHandlers.ofString()));
        waits.add(
            client.sendAsync(request(service, "/where"), HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> w : waits) {
        assertEquals(200, w.join().statusCode());
      }
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(millis < 1500, "ten waits took " + millis + " ms: not served together");
      HttpResponse<String> stats = get(client, service, "/stats");
      assertEquals("application/json", stats.headers().firstValue("content-type").orElse(""));
      assertEquals(
          "{\"/\":1,\"/file\":1,\"/hash\":1,\"/wait\":10}\n",
          stats.body(),
          "counts kept on the loop without a lock, as JSON");
      assertEquals(
          Map.of("/", 1, "/file", 1, "/hash", 1, "/wait", 10),
          new ObjectMapper().readValue(stats.body(), Map.class));
      assertEquals(10, loop.submit(onLoop::size).get());
      assertTrue(loop.submit(() -> !onLoop.contains(false)).get(), "a handler ran off the loop");
    } finally {
      service.close();
      loop.close();
    }
    assertTrue(loop.isTerminated());
  }

  @ParameterizedTest
  @ValueSource(strings = {"single-thread", "fork-join", "virtual"})
  void wrongMethodsGet405AndBadParameters400NamingThem(String carrier) throws Exception {
    Path file = Files.writeString(dir.resolve("f.txt"), "file text\n");
    Loop loop = Loop.create(LoopConfig.builder().carrier(carrier).build());
    HttpService service = start(loop, HttpService.exampleRoutes(loop, file));
    try (HttpClient client = HttpClient.newHttpClient()) {
      for (String[] call : new String[][] {{"DELETE", "/"}, {"PUT", "/file"}, {"FOO", "/file"}}) {
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create(service.uri() + call[1]))
                    .method(call[0], HttpRequest.BodyPublishers.noBody())
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, r.statusCode(), call[0] + " " + call[1]);
        assertEquals("GET, HEAD", r.headers().firstValue("allow").orElse(""), "the Allow header");
      }
      for (String ms : List.of("abc", "1e3", "99999999999", "", "-5", "60001")) {
        HttpResponse<String> r = get(client, service, "/wait?ms=" + ms);
        assertEquals(400, r.statusCode(), "ms=" + ms);
        assertEquals(
            "ms: '" + ms + "' is not allowed; an integer from 0 to 60000\n", r.body(), "ms=" + ms);
      }
      assertEquals("waited 0 ms\n", get(client, service, "/wait?ms=0").body());
      HttpResponse<String> head =
          client.send(
              HttpRequest.newBuilder(URI.create(service.uri() + "/"))
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, head.statusCode());
      assertEquals("", head.body(), "HEAD: no body");
      assertEquals(
          "{\"/\":1,\"/wait\":1}\n",
          get(client, service, "/stats").body(),
          "refused requests are not counted");
    } finally {
      service.close();
      loop.close();
    }
  }

  /**
   * The acceptance test of the service's rebuild: with 100 half-sent requests and 1,000 idle
   * connections open, a normal request is answered within 1 s (the old service, with two reader
   * threads, never answered once two requests were half-sent).
   */
  @ParameterizedTest
  @ValueSource(strings = {"single-thread", "fork-join", "virtual"})
  void aNormalRequestIsAnsweredWhileHalfSentAndIdleConnectionsAreOpen(String carrier)
      throws Exception {
    Path file = Files.writeString(dir.resolve("f.txt"), "file text\n");
    Loop loop = Loop.create(LoopConfig.builder().carrier(carrier).build());
    HttpService service = start(loop, HttpService.exampleRoutes(loop, file));
    List<Socket> sockets = new ArrayList<>();
    try (HttpClient client = HttpClient.newHttpClient()) {
      for (int i = 0; i < 100; i++) {
        Socket s = new Socket("127.0.0.1", service.uri().getPort());
        sockets.add(s);
        s.getOutputStream().write("GET / HT".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
      }
      for (int i = 0; i < 1000; i++) {
        sockets.add(new Socket("127.0.0.1", service.uri().getPort()));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (loop.submit(service::connections).get() < 1100) {
        assertTrue(System.nanoTime() < deadline, "the server did not accept 1,100 connections");
        Thread.sleep(10);
      }
      long start = System.nanoTime();
      HttpResponse<String> answer = get(client, service, "/");
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertEquals(200, answer.statusCode());
      assertTrue(millis < 1000, "answered in " + millis + " ms with 1,100 connections open");
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
      service.close();
      loop.close();
    }
    assertTrue(loop.isTerminated());
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 65536})
  void aBadPortIsRefusedAtTheCallSite(int port) {
    Loop loop = Loop.create(LoopConfig.builder().carrier("single-thread").build());
    try {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> HttpService.start(loop, port, Map.of()));
      assertTrue(e.getMessage().startsWith("port: " + port), e.getMessage());
    } finally {
      loop.close();
    }
  }

  private static HttpRequest request(HttpService service, String path) {
    return HttpRequest.newBuilder(URI.create(service.uri() + path))
        .timeout(Duration.ofSeconds(30))
        .build();
  }

  private static HttpResponse<String> get(HttpClient client, HttpService service, String path)
      throws Exception {
    return client.send(request(service, path), HttpResponse.BodyHandlers.ofString());
  }
}
