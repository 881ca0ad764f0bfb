package dev.loopkit.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.Promise;
import dev.loopkit.http.Http;
import dev.loopkit.http.HttpServer;
import dev.loopkit.http.ServerRequest;
import dev.loopkit.http.ServerResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An HTTP service whose handlers run on one event loop, on loopkit's HTTP server: every request is
 * read and answered on the loop, without a thread per connection, so a slow or half-sent request
 * never holds up another. A handler answers at once or returns a promise (a file read offloaded to
 * the {@code io} pool, a hash on the {@code cpu} pool, a timer) and the answer is written when the
 * promise settles, on the loop. So handlers share state without locks, as in Node.
 *
 * <pre>
 * ./with-jdk21 ./mvnw -q -B -pl examples -am compile exec:java \
 *     -Dexec.mainClass=dev.loopkit.examples.HttpService -Dexec.args="8080"
 * curl localhost:8080/  /file  /hash?password=secret  /wait?ms=200  /stats
 * </pre>
 *
 * <p>Answers: a route that is not there, 404; a method other than {@code GET} or {@code HEAD}, 405
 * with an {@code Allow} header; a bad parameter ({@link BadRequest}), 400 naming it; a handler that
 * throws or whose promise rejects, 500 with the reason, and the service goes on. {@link #close()}
 * stops the server (letting the requests in flight finish) so the loop can end.
 */
public final class HttpService implements AutoCloseable {

  /** A request as a handler sees it: the method, the path and the query's parameters. */
  public record Request(String method, String path, Map<String, String> query) {}

  /** Answers a request on the loop, now or later: the promise's value is the body (text). */
  @FunctionalInterface
  public interface Handler {
    Promise<String> handle(Request request) throws Exception;
  }

  /** A handler's refusal of a bad parameter: answered 400 with the message. */
  public static final class BadRequest extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BadRequest(String message) {
      super(message);
    }
  }

  /** The methods every route answers. */
  static final String ALLOWED = "GET, HEAD";

  /** The routes whose answer is JSON. */
  static final Set<String> JSON_ROUTES = Set.of("/stats");

  private static final String JSON_TYPE = "application/json";
  private static final String TEXT_TYPE = "text/plain; charset=utf-8";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Loop loop;
  private final Map<String, Handler> routes;
  private final HttpServer server;
  private URI uri;

  private HttpService(Loop loop, Map<String, Handler> routes) {
    this.loop = loop;
    this.routes = Map.copyOf(routes);
    this.server = Http.createServer(loop, this::dispatch);
  }

  /**
   * Starts a service on {@code port} of the loopback address (0: any free port) that answers with
   * {@code routes} (path to handler) on {@code loop}; it holds the loop open until closed.
   *
   * @return a promise of the loop: the service, once it listens
   * @throws IllegalArgumentException if {@code port} is not 0 to 65535, or a path does not start
   *     with {@code /}
   */
  public static Promise<HttpService> start(Loop loop, int port, Map<String, Handler> routes) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " is not allowed; 0 to 65535");
    }
    for (String path : routes.keySet()) {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("routes: path '" + path + "' must start with /");
      }
    }
    HttpService service = new HttpService(loop, routes);
    return service
        .server
        .listen(port)
        .then(
            address -> {
              service.uri = URI.create("http://127.0.0.1:" + address.getPort());
              return service;
            });
  }

  /** Where the service listens. */
  public URI uri() {
    return uri;
  }

  // On the loop: find the handler, run it, answer when its promise settles.
  private void dispatch(ServerRequest req, ServerResponse res) {
    Handler handler = routes.get(req.path());
    if (handler == null) {
      answer(res, 404, "no route " + req.path() + "\n");
      return;
    }
    if (!req.method().equals("GET") && !req.method().equals("HEAD")) {
      res.header("Allow", ALLOWED);
      answer(res, 405, "method " + req.method() + " is not allowed on " + req.path() + "\n");
      return;
    }
    Promise<String> answer;
    try {
      answer = handler.handle(new Request(req.method(), req.path(), query(req)));
    } catch (Exception e) {
      answer = Promise.reject(loop, e);
    }
    var unused =
        answer.handle(
            (body, failure) -> {
              if (failure == null) {
                answer(res, 200, body, JSON_ROUTES.contains(req.path()) ? JSON_TYPE : TEXT_TYPE);
              } else if (failure instanceof BadRequest bad) {
                answer(res, 400, bad.getMessage() + "\n");
              } else {
                answer(res, 500, "failed: " + failure + "\n");
              }
              return null;
            });
  }

  private static void answer(ServerResponse res, int status, String body) {
    answer(res, status, body, TEXT_TYPE);
  }

  private static void answer(ServerResponse res, int status, String body, String type) {
    if (res.closed()) {
      return; // the client went away; nothing to answer to
    }
    res.status(status).header("Content-Type", type).end(body);
  }

  private static Map<String, String> query(ServerRequest req) {
    Map<String, String> q = new LinkedHashMap<>();
    req.query().forEach((name, values) -> q.put(name, values.isEmpty() ? "" : values.get(0)));
    return q;
  }

  /**
   * The integer parameter {@code name} of {@code r}, {@code fallback} if absent.
   *
   * @throws BadRequest naming the parameter if it is not an integer from {@code min} to {@code max}
   */
  static long integer(Request r, String name, long fallback, long min, long max) {
    String raw = r.query().get(name);
    if (raw == null) {
      return fallback;
    }
    long value;
    try {
      value = Long.parseLong(raw);
    } catch (NumberFormatException e) {
      value = Long.MIN_VALUE;
    }
    if (value < min || value > max) {
      throw new BadRequest(
          name + ": '" + raw + "' is not allowed; an integer from " + min + " to " + max);
    }
    return value;
  }

  /** The server's open connections (read it on the loop). */
  int connections() {
    return server.connections();
  }

  /** Stops the server: no new connections; the requests in flight are answered, then it closes. */
  @Override
  public void close() {
    var unused = server.close();
  }

  /** The longest wait {@code /wait} accepts, in milliseconds. */
  static final long MAX_WAIT_MS = 60_000;

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
          long ms = integer(r, "ms", 100, 0, MAX_WAIT_MS);
          count(served, r);
          return Promise.delay(Duration.ofMillis(ms)).then(v -> "waited " + ms + " ms\n");
        });
    routes.put("/stats", r -> Promise.resolve(loop, json(served) + "\n"));
    return routes;
  }

  private static String json(Map<String, Integer> counts) {
    try {
      return JSON.writeValueAsString(counts);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
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
          var unused =
              start(loop, port, exampleRoutes(loop, file))
                  .then(
                      service -> {
                        Runtime.getRuntime().addShutdownHook(new Thread(service::close));
                        System.out.println(
                            "listening on " + service.uri() + " (" + loop.carrier() + " carrier)");
                        for (String path :
                            List.of(
                                "/", "/file", "/hash?password=secret", "/wait?ms=200", "/stats")) {
                          System.out.println("  curl " + service.uri() + path);
                        }
                        return null;
                      });
        });
  }
}
