package dev.loopkit.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.loopkit.KeepAlive;
import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.Promise;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP service whose handlers run on one event loop: the JDK's {@link HttpServer} reads each
 * request on one of two reader threads and hands it to the loop; a handler answers at once or
 * returns a promise (a file read offloaded to the {@code io} pool, a hash on the {@code cpu} pool,
 * a timer) and the answer is written when the promise settles, on the loop. So handlers share state
 * without locks, as in Node.
 *
 * <pre>
 * ./with-jdk21 ./mvnw -q -B -pl examples -am compile exec:java \
 *     -Dexec.mainClass=dev.loopkit.examples.HttpService -Dexec.args="8080"
 * curl localhost:8080/  /file  /hash?password=secret  /wait?ms=200  /stats
 * </pre>
 *
 * <p>A route that is not there answers 404; a handler that throws or whose promise rejects answers
 * 500 with the reason, and the service goes on. Answers are small and written on the loop; a large
 * body would be written by an offload. {@link #close()} stops the server and lets the loop go.
 */
public final class HttpService implements AutoCloseable {

  /** A request as a handler sees it: the method, the path and the query's parameters. */
  public record Request(String method, String path, Map<String, String> query) {}

  /** Answers a request on the loop, now or later: the promise's value is the body (text). */
  @FunctionalInterface
  public interface Handler {
    Promise<String> handle(Request request) throws Exception;
  }

  private final Loop loop;
  private final Map<String, Handler> routes;
  private final HttpServer server;
  private final ExecutorService readers;
  private final KeepAlive keepAlive;

  private HttpService(Loop loop, int port, Map<String, Handler> routes) throws IOException {
    this.loop = loop;
    this.routes = Map.copyOf(routes);
    this.keepAlive = loop.keepAlive();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
    readers =
        Executors.newFixedThreadPool(
            2, Thread.ofPlatform().daemon().name("http-reader-", 0).factory());
    server.setExecutor(readers);
    server.createContext("/", exchange -> loop.execute(() -> dispatch(exchange)));
    server.start();
  }

  /**
   * Starts a service on {@code port} of the loopback address (0: any free port) that answers with
   * {@code routes} (path to handler) on {@code loop}; it holds the loop open until closed.
   */
  public static HttpService start(Loop loop, int port, Map<String, Handler> routes) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " is not allowed; 0 to 65535");
    }
    for (String path : routes.keySet()) {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("routes: path '" + path + "' must start with /");
      }
    }
    try {
      return new HttpService(loop, port, routes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on port " + port, e);
    }
  }

  /** Where the service listens. */
  public URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  // On the loop: find the handler, run it, answer when its promise settles.
  private void dispatch(HttpExchange exchange) {
    URI uri = exchange.getRequestURI();
    Handler handler = routes.get(uri.getPath());
    if (handler == null) {
      answer(exchange, 404, "no route " + uri.getPath() + "\n");
      return;
    }
    Promise<String> answer;
    try {
      answer = handler.handle(new Request(exchange.getRequestMethod(), uri.getPath(), query(uri)));
    } catch (Exception e) {
      answer = Promise.reject(loop, e);
    }
    answer.handle(
        (body, failure) -> {
          if (failure == null) {
            answer(exchange, 200, body);
          } else {
            answer(exchange, 500, "failed: " + failure + "\n");
          }
          return null;
        });
  }

  private static void answer(HttpExchange exchange, int status, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException e) {
      // The client went away; nothing to answer to.
    }
  }

  private static Map<String, String> query(URI uri) {
    Map<String, String> q = new LinkedHashMap<>();
    String raw = uri.getQuery();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          q.put(pair.substring(0, eq), pair.substring(eq + 1));
        } else if (!pair.isEmpty()) {
          q.put(pair, "");
        }
      }
    }
    return q;
  }

  @Override
  public void close() {
    server.stop(0);
    readers.shutdownNow();
    keepAlive.close();
  }

  /** The example's routes: a greeting, a file, a hash, a wait, and counts kept without a lock. */
  static Map<String, Handler> exampleRoutes(Loop loop, Path file) {
    Map<String, Integer> served = new TreeMap<>(); // touched on the loop only: no lock
    Map<String, Handler> routes = new LinkedHashMap<>();
    routes.put(
        "/",
        r -> {
          count(served, r);
          return Promise.resolve(
              loop, "hello from " + loop.name() + " on " + loop.carrier() + "\n");
        });
    routes.put(
        "/file",
        r -> {
          count(served, r);
          return loop.offload(() -> Files.readString(file));
        });
    routes.put(
        "/hash",
        r -> {
          count(served, r);
          String password = r.query().getOrDefault("password", "password");
          return loop.offload("cpu", () -> Walkthrough.pbkdf2(password, "salt"))
              .then(key -> HexFormat.of().formatHex(key) + "\n");
        });
    routes.put(
        "/wait",
        r -> {
          count(served, r);
          long ms = Long.parseLong(r.query().getOrDefault("ms", "100"));
          return Promise.delay(Duration.ofMillis(ms)).then(v -> "waited " + ms + " ms\n");
        });
    routes.put("/stats", r -> Promise.resolve(loop, served + "\n"));
    return routes;
  }

  private static void count(Map<String, Integer> served, Request r) {
    served.merge(r.path(), 1, Integer::sum);
  }

  /** Serves the example's routes on port {@code args[0]} (default 8080) until interrupted. */
  public static void main(String[] args) throws IOException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
    Path file = Files.createTempFile("loopkit-http-", ".txt");
    Files.writeString(file, "Hello from a file, read off the loop.\n");
    file.toFile().deleteOnExit();
    Loop.run(
        LoopConfig.load(),
        () -> {
          Loop loop = Loop.current();
          HttpService service = start(loop, port, exampleRoutes(loop, file));
          Runtime.getRuntime().addShutdownHook(new Thread(service::close));
          System.out.println("listening on " + service.uri() + " (" + loop.carrier() + " carrier)");
          for (String path :
              List.of("/", "/file", "/hash?password=secret", "/wait?ms=200", "/stats")) {
            System.out.println("  curl " + service.uri() + path);
          }
        });
  }
}
