package dev.loopkit.examples.compare;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP service the {@code http} workload calls, in a process of its own, so that a cell's CPU
 * time, threads and heap are its model's alone: {@code GET /answer} answers 1 KiB after a fixed
 * delay, on a virtual thread per exchange (it never limits how many requests wait in it).
 *
 * <p>{@link #start} runs it in a fresh JVM (the same {@code java} and class path as this one) and
 * reads the port it printed; the process ends when its standard input closes, so it never outlives
 * the cell that started it.
 */
final class Upstream implements AutoCloseable {

  /** The service's answer: 1 KiB. */
  static final int BODY_BYTES = 1024;

  /** The service's JVM: a small heap; it serves loopback requests and keeps nothing. */
  static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC");

  private final Process process;
  private final URI uri;

  private Upstream(Process process, URI uri) {
    this.process = process;
    this.uri = uri;
  }

  /** Starts the service in a fresh JVM; it answers each request after {@code answerMillis}. */
  static Upstream start(long answerMillis) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse(Compare.javaFromHome()));
    cmd.addAll(JVM_OPTIONS);
    cmd.add("-cp");
    cmd.add(Compare.classPath());
    cmd.add(Upstream.class.getName());
    cmd.add(String.valueOf(answerMillis));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      if (line == null || !line.startsWith("listening on ")) {
        throw new IOException("the HTTP service did not start: " + line);
      }
      int port = Integer.parseInt(line.substring("listening on ".length()).trim());
      return new Upstream(p, URI.create("http://127.0.0.1:" + port + "/answer"));
    } catch (IOException | RuntimeException e) {
      p.destroyForcibly();
      throw e;
    }
  }

  /** Where the service answers. */
  URI uri() {
    return uri;
  }

  /** Ends the service's process: closes its input, then waits, then kills it if need be. */
  @Override
  public void close() {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** The service's process: {@code Upstream MILLIS}; prints its port, ends when stdin closes. */
  public static void main(String[] args) throws IOException {
    long answerAfter = Long.parseLong(args[0]);
    byte[] body = new byte[BODY_BYTES];
    Arrays.fill(body, (byte) 'x');
    // The JDK's server closes idle keep-alive connections beyond 200 (its default), and a client
    // that reuses one just then gets "header parser received no bytes": at 1,024 requests in flight
    // many connections are idle at once. Read when the server starts.
    System.setProperty("sun.net.httpserver.maxIdleConnections", "65536");
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
    ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    server.setExecutor(handlers);
    server.createContext(
        "/answer",
        exchange -> {
          try (exchange) {
            if (answerAfter > 0) {
              Thread.sleep(answerAfter);
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    server.start();
    System.out.println("listening on " + server.getAddress().getPort());
    System.out.flush();
    while (System.in.read() >= 0) {
      // the parent holds stdin open while it needs the service
    }
    server.stop(0);
    handlers.shutdownNow();
    System.exit(0);
  }
}
