package dev.loopkit.examples;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A slow HTTP service on loopback (the JDK's {@link HttpServer} on 127.0.0.1, an ephemeral port)
 * whose one handler answers after a fixed delay, and a client that calls it with plain blocking
 * code: the "remote service" of the walkthrough's third user.
 *
 * <p>{@link #close()} stops the server, its handler threads and the client, so a program that used
 * it can end.
 */
final class LoopbackHttpService implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService handlers;
  private final HttpClient client;
  private final URI uri;

  private LoopbackHttpService(Duration answerAfter) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    handlers =
        Executors.newFixedThreadPool(4, Thread.ofPlatform().name("http-handler-", 0).factory());
    server.setExecutor(handlers);
    server.createContext(
        "/slow",
        exchange -> {
          try (exchange) {
            Thread.sleep(answerAfter.toMillis());
            byte[] body = "answered\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    server.start();
    uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/slow");
    client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** Starts a service whose handler answers {@code answerAfter} after a request arrives. */
  static LoopbackHttpService start(Duration answerAfter) {
    try {
      return new LoopbackHttpService(answerAfter);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the loopback HTTP service", e);
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
    server.stop(0);
    handlers.shutdownNow();
  }
}
