package dev.loopkit.netty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.conformance.Capability;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ten thousand idle connections on one loop: each reaches the connection callback on the loop, the
 * loop still answers on a sample of them while all are open, and when the peer closes them every
 * close callback runs. The clients live in a JVM of their own ({@link Clients}), so that neither
 * process holds twice ten thousand descriptors. Bounds are minutes wide: margins, not targets.
 */
class NetIdleConnectionsTest {
  private static final int CONNECTIONS = 10_000;
  private static final int SAMPLE_EVERY = 1_000; // connections that also exchange a message
  private static final long BOUND_MINUTES = 3;

  @CarrierTest(requires = Capability.REAL_SOCKETS)
  void tenThousandIdleConnectionsStayOpenOnOneLoopAndTheLoopStillAnswers(LoopFixture f)
      throws Exception {
    Loop loop = f.newLoop();
    AtomicInteger open = new AtomicInteger();
    AtomicInteger closes = new AtomicInteger();
    AtomicInteger offLoop = new AtomicInteger();
    NetServer server =
        Net.createServer(
            loop,
            s -> {
              if (!loop.inEventLoop()) {
                offLoop.incrementAndGet();
              }
              open.incrementAndGet();
              s.onData(s::write)
                  .onClose(
                      e -> {
                        open.decrementAndGet();
                        closes.incrementAndGet();
                      });
            });
    InetSocketAddress at = f.await(loop, server.listen(0));
    assertEquals(CONNECTIONS, server.maxConnections(), "the default limit admits them all");
    Process clients = Clients.start(at.getPort(), CONNECTIONS);
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(clients.getInputStream(), UTF_8));
      assertEquals("open " + CONNECTIONS, line(out), "what the clients said");
      f.awaitCondition(loop, () -> open.get() == CONNECTIONS, "every connection's callback");
      assertEquals(CONNECTIONS, server.connectionCount());
      // with all of them open, the loop answers on a sample of them
      clients.getOutputStream().write('\n');
      clients.getOutputStream().flush();
      assertEquals("echoed " + CONNECTIONS / SAMPLE_EVERY, line(out), "the sample's echoes");
      clients.getOutputStream().close(); // the clients close every connection and exit
      assertTrue(clients.waitFor(BOUND_MINUTES, TimeUnit.MINUTES), "the clients exited");
      assertEquals(0, clients.exitValue(), "the clients' exit status");
    } finally {
      clients.destroyForcibly(); // (a failed test does not leave them behind)
    }
    f.awaitCondition(loop, () -> open.get() == 0, "every close callback");
    assertEquals(CONNECTIONS, closes.get(), "close callbacks");
    assertEquals(0, offLoop.get(), "connection callbacks off the loop");
    f.await(loop, server.close());
  }

  /** The next line the clients print, waiting at most BOUND_MINUTES (null at their end). */
  private static String line(BufferedReader out) throws Exception {
    CompletableFuture<String> next =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return out.readLine();
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    return next.get(BOUND_MINUTES, TimeUnit.MINUTES);
  }

  /**
   * The client side, run as {@code main} in a JVM of its own: opens the connections and prints
   * {@code open N}; at a line on its input writes a byte on every SAMPLE_EVERY-th connection, reads
   * its echo and prints {@code echoed K}; at the end of its input closes them all and exits.
   */
  static final class Clients {
    private Clients() {}

    static Process start(int port, int count) throws IOException {
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      return new ProcessBuilder(
              java.toString(),
              "-Xmx256m",
              "-cp",
              System.getProperty("java.class.path"),
              Clients.class.getName(),
              Integer.toString(port),
              Integer.toString(count))
          .redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
    }

    public static void main(String[] args) throws IOException {
      int port = Integer.parseInt(args[0]);
      int count = Integer.parseInt(args[1]);
      List<Socket> sockets = new ArrayList<>(count);
      try {
        for (int i = 0; i < count; i++) {
          Socket s = new Socket();
          s.connect(new InetSocketAddress("127.0.0.1", port), 60_000);
          s.setSoTimeout(60_000);
          sockets.add(s);
        }
        System.out.println("open " + sockets.size());
        System.out.flush();
        InputStream in = System.in;
        if (in.read() < 0) {
          return;
        }
        int echoed = 0;
        for (int i = 0; i < count; i += SAMPLE_EVERY) {
          Socket s = sockets.get(i);
          OutputStream o = s.getOutputStream();
          o.write('x');
          o.flush();
          if (s.getInputStream().read() == 'x') {
            echoed++;
          }
        }
        System.out.println("echoed " + echoed);
        System.out.flush();
        while (in.read() >= 0) {
          // until the test closes our input
        }
      } finally {
        for (Socket s : sockets) {
          s.close();
        }
      }
    }
  }
}
