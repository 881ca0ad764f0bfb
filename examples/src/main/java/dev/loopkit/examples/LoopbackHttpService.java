package dev.loopkit.examples;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.http.Http;
import dev.loopkit.http.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A slow HTTP service on loopback (loopkit's HTTP server on a loop of its own, 127.0.0.1, an
 * ephemeral port) whose one route answers after a fixed delay, a timer of its loop, and a client
 * that calls it with plain blocking code: the "remote service" of the walkthrough's third user.
 *
 * <p>Its loop runs on the {@code single-thread} carrier whatever the walkthrough's is (the {@code
 * manual} carrier has no real time, and a server needs it). {@link #close()} closes the server, its
 * loop and the client, so a program that used it can end.
 */
final class LoopbackHttpService implements AutoCloseable {

  private final Loop loop;
  private final HttpServer server;
  private final HttpClient client;
  private final URI uri;

  private LoopbackHttpService(Duration answerAfter)
      throws ExecutionException, InterruptedException, TimeoutException {
    loop =
        Loop.create(
            LoopConfig.builder().isolated().carrier("single-thread").name("loopback-http").build());
    server =
        Http.createServer(
            loop,
            (req, res) -> {
              if (!req.path().equals("/slow")) {
                res.status(404).end("no route " + req.path() + "\n");
                return;
              }
              loop.setTimeout(() -> res.end("answered\n"), answerAfter);
            });
    InetSocketAddress address = server.listen(0).toCompletableFuture().get(20, TimeUnit.SECONDS);
    uri = URI.create("http://127.0.0.1:" + address.getPort() + "/slow");
    client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** Starts a service whose handler answers {@code answerAfter} after a request arrives. */
  static LoopbackHttpService start(Duration answerAfter) {
    try {
      return new LoopbackHttpService(answerAfter);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot start the loopback HTTP service", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the loopback HTTP service", e);
    }
  }

  /** Calls the service and waits for its answer (blocking: run it offloaded); the status code. */
  int get() throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build();
    return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Override
  public void close() {
    client.close();
    var unused = server.close(); // the client's connections are idle now: closed at once
    loop.close();
  }
}
