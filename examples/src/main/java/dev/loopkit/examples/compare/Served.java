package dev.loopkit.examples.compare;

import dev.loopkit.DelayMonitor;
import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.Promise;
import dev.loopkit.http.Agent;
import dev.loopkit.http.ClientResponse;
import dev.loopkit.http.Http;
import dev.loopkit.http.HttpServer;
import dev.loopkit.http.ServerResponse;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Server mode ({@code --server true}): a model behind a real HTTP server on loopback, driven by an
 * HTTP client over loopback, so that its figures include what a deployed service pays besides the
 * work (connections, parsing, answers). Each {@code GET} that reaches the server runs the workload
 * as the model runs it and is answered 200 when it succeeded, 500 with its failure otherwise:
 *
 * <ul>
 *   <li>{@code loop/<carrier>}: loopkit's HTTP server on the model's loop (its sockets in the
 *       loop's poll phase), the workload's handler on the loop;
 *   <li>{@code threads/virtual}: Helidon 4 SE's web server, a virtual thread per request (its
 *       default), the workload's blocking code;
 *   <li>{@code threads/platform}: the JDK's {@code HttpServer}, each request on the model's fixed
 *       pool, the workload's blocking code.
 * </ul>
 *
 * <p>So each model runs on a server its users would pick, and the figures compare those stacks. The
 * client is loopkit's HTTP client on a {@code single-thread} loop of its own, one kept connection
 * per request in flight. It runs in the measured process but is not the model: its thread is left
 * out of the thread counts and its CPU time out of the process's (the collector's work for its
 * garbage stays in). A request's latency runs from its issue (or, in the open loop, its intended
 * start) to the client's receipt of the whole answer.
 */
final class Served extends Model {

  private final Model model;

  Served(Model model) {
    super(model.name);
    this.model = model;
  }

  @Override
  Server serve(Workload workload, Services services) {
    return model.serve(workload, services);
  }

  @Override
  Run start(Workload workload, Services services, int concurrency, Sink sink) {
    Front front = Front.start(model.serve(workload, services), concurrency, sink);
    Client client = front.client;
    front.chains = new Chains(client.loop, client::get, concurrency, sink);
    client.loop.execute(front.chains::begin);
    return front;
  }

  @Override
  Open open(Workload workload, Services services, Sink sink) {
    // one connection per request in flight: as many as the load's cap lets in
    return Front.start(model.serve(workload, services), Integer.MAX_VALUE, sink);
  }

  /**
   * A model's server and the client that drives it: a closed loop's run (with its chains) or an
   * open loop's model (each request handed in).
   */
  private static final class Front implements Run, Open {
    private final Server server;
    private final Client client;
    private final Sink sink;
    private Chains chains; // the closed loop's; set before the front is handed out

    private Front(Server server, Client client, Sink sink) {
      this.server = server;
      this.client = client;
      this.sink = sink;
    }

    /** A client for {@code server} with up to {@code connections}; the server closed if none. */
    static Front start(Server server, int connections, Sink sink) {
      try {
        return new Front(server, Client.start(server.port(), connections), sink);
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
    }

    @Override
    public void submit(long intendedAt) {
      client.loop.execute(
          () ->
              client
                  .get()
                  .handle(
                      (v, failure) -> {
                        sink.completed(intendedAt, failure);
                        return null;
                      }));
    }

    @Override
    public DelayMonitor loopDelay() {
      return server.loopDelay();
    }

    @Override
    public Thread client() {
      return client.thread;
    }

    @Override
    public void close() {
      try {
        if (chains != null) {
          chains.stop();
        }
      } finally {
        try {
          client.close();
        } finally {
          server.close();
        }
      }
    }
  }

  /** loopkit's HTTP client on a loop of its own, asking one server for {@code /}. */
  private static final class Client {
    final Loop loop;
    final Thread thread;
    private final Agent agent;
    private final URI uri;

    private Client(Loop loop, Thread thread, int connections, int port) {
      this.loop = loop;
      this.thread = thread;
      this.agent =
          Agent.create(loop).maxConnectionsPerHost(connections).timeout(Duration.ofSeconds(30));
      this.uri = URI.create("http://127.0.0.1:" + port + "/");
    }

    static Client start(int port, int connections) {
      Loop loop =
          Loop.create(
              LoopConfig.builder()
                  .isolated()
                  .carrier("single-thread")
                  .name("compare-client")
                  .build());
      try {
        Thread thread = loop.submit(Thread::currentThread).get(30, TimeUnit.SECONDS);
        return new Client(loop, thread, connections, port);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        loop.shutdownNow();
        throw new IllegalStateException("interrupted while starting the client", e);
      } catch (ExecutionException | TimeoutException e) {
        loop.shutdownNow();
        throw new IllegalStateException("cannot start the client's loop", e);
      }
    }

    /** One request (on the loop): fulfilled with the answer's 200, rejected with anything else. */
    Promise<Integer> get() {
      return agent.request("GET", uri).then(Client::checked);
    }

    private static int checked(ClientResponse r) {
      if (r.status() != 200) {
        throw new IllegalStateException("the server answered " + r.status() + ": " + r.text());
      }
      return r.status();
    }

    /** Closes the connections; the loop ends. */
    void close() {
      agent.closeIdleConnections();
      loop.close();
    }
  }

  // ---- the servers ----

  /**
   * loopkit's HTTP server on {@code loop} (which it closes), the workload's handler on the loop.
   */
  static Server onLoop(Loop loop, Workload workload, Services services) {
    try {
      DelayMonitor monitor = loop.monitorDelay(Duration.ofMillis(10));
      HttpServer server =
          Http.createServer(loop, (req, res) -> answer(loop, workload, services, res))
              .readTimeout(Duration.ofMinutes(5)); // an open loop's connection may wait long
      int port =
          server
              .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS)
              .getPort();
      return new Server() {
        @Override
        public int port() {
          return port;
        }

        @Override
        public DelayMonitor loopDelay() {
          return monitor;
        }

        @Override
        public void close() {
          var unused = server.close();
          monitor.close();
          services.releaseLoop(loop);
          loop.close();
        }
      };
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      loop.shutdownNow();
      throw new IllegalStateException("interrupted while starting loopkit's server", e);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      loop.shutdownNow();
      throw new IllegalStateException("cannot start loopkit's server", e);
    }
  }

  private static void answer(Loop loop, Workload workload, Services services, ServerResponse res) {
    Promise<?> request;
    try {
      request = workload.onLoop(loop, services);
    } catch (RuntimeException e) {
      res.status(500).end(e.toString());
      return;
    }
    request.handle(
        (v, failure) -> {
          if (failure == null) {
            res.end(SERVED);
          } else {
            res.status(500).end(failure.toString());
          }
          return null;
        });
  }

  /** Helidon's logger, held so that its level (warnings only: no start-up chatter) stays set. */
  private static final java.util.logging.Logger HELIDON_LOG =
      java.util.logging.Logger.getLogger("io.helidon");

  /** Helidon 4 SE's web server: a virtual thread per request runs the workload's blocking code. */
  static Server helidon(Workload workload, Services services) {
    HELIDON_LOG.setLevel(java.util.logging.Level.WARNING);
    WebServer server =
        WebServer.builder()
            .host("127.0.0.1")
            .port(0)
            .routing(
                r ->
                    r.any(
                        (req, res) -> {
                          try {
                            workload.blocking(services);
                          } catch (Exception e) {
                            res.status(Status.INTERNAL_SERVER_ERROR_500).send(e.toString());
                            return;
                          }
                          res.send(SERVED);
                        }))
            .build()
            .start();
    return new Server() {
      @Override
      public int port() {
        return server.port();
      }

      @Override
      public DelayMonitor loopDelay() {
        return null;
      }

      @Override
      public void close() {
        server.stop();
      }
    };
  }

  /**
   * The JDK's {@code HttpServer}, each request on {@code pool} (which it stops) running the
   * workload's blocking code.
   */
  static Server jdk(ExecutorService pool, Workload workload, Services services) {
    // The JDK's server closes a kept connection when more than 200 are idle (its default), which a
    // closed loop of 1024 connections would turn into reconnections: read when the server's class
    // is first used, so set before.
    System.setProperty("sun.net.httpserver.maxIdleConnections", "100000");
    com.sun.net.httpserver.HttpServer server;
    try {
      server =
          com.sun.net.httpserver.HttpServer.create(
              new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
    } catch (IOException e) {
      stop(pool);
      throw new IllegalStateException("cannot start the JDK's HTTP server", e);
    }
    server.setExecutor(pool);
    server.createContext(
        "/",
        exchange -> {
          int status = 200;
          byte[] body = SERVED;
          try {
            workload.blocking(services);
          } catch (Exception e) {
            status = 500;
            body = e.toString().getBytes(StandardCharsets.UTF_8);
          }
          exchange.sendResponseHeaders(status, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    return new Server() {
      @Override
      public int port() {
        return server.getAddress().getPort();
      }

      @Override
      public DelayMonitor loopDelay() {
        return null;
      }

      @Override
      public void close() {
        server.stop(0);
        stop(pool);
      }
    };
  }
}
