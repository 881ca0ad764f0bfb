package dev.loopkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.Promise;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The HTTP service answers every route on the loop, on every real carrier, and survives faults. */
class HttpServiceTest {

  @TempDir Path dir;

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
    HttpService service = HttpService.start(loop, 0, routes);
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
      assertEquals(500, get(client, service, "/wait?ms=soon").statusCode());

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
      assertEquals(
          "{/=1, /file=1, /hash=1, /wait=11}\n",
          get(client, service, "/stats").body(),
          "counts kept on the loop without a lock");
      assertEquals(10, loop.submit(onLoop::size).get());
      assertTrue(loop.submit(() -> !onLoop.contains(false)).get(), "a handler ran off the loop");
    } finally {
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
