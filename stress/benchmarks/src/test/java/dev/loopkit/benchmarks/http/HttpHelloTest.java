package dev.loopkit.benchmarks.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Shape F's pieces without measuring anything: every server answers the same bytes, wrk's report is
 * read right, and the open-loop generator accounts for every request it scheduled.
 */
class HttpHelloTest {
  /** What every server must answer, apart from the headers {@link #TOLERATED}. */
  private static final Map<String, String> HEADERS =
      new TreeMap<>(Map.of("content-type", "text/plain", "content-length", "5"));

  /**
   * Node adds {@code Connection: keep-alive} to every HTTP/1.1 answer and cannot be told not to.
   */
  private static final String TOLERATED = "connection";

  private static RawHttp.Response get(int port, int times) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      BufferedInputStream in = new BufferedInputStream(s.getInputStream());
      RawHttp.Response r = null;
      for (int i = 0; i < times; i++) { // the same connection each time: keep-alive
        RawHttp.sendGet(s.getOutputStream());
        r = RawHttp.read(in);
      }
      return r;
    }
  }

  private static void assertHello(String peer, RawHttp.Response r) {
    assertEquals("HTTP/1.1 200 OK", r.statusLine(), peer);
    Map<String, String> headers = new TreeMap<>(r.headers());
    String connection = headers.remove(TOLERATED);
    if (connection != null) {
      assertEquals("keep-alive", connection.toLowerCase(java.util.Locale.ROOT), peer);
    }
    String date = headers.remove("date");
    assertTrue(
        date != null && date.matches("\\w{3}, \\d{1,2} \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d GMT"),
        peer + ": an RFC 1123 Date: " + date);
    assertEquals(HEADERS, headers, peer + ": the headers");
    assertEquals("hello", r.bodyText(), peer);
  }

  @Test
  void everyJavaServerAnswersTheSameBytesOnAKeptConnection() throws Exception {
    for (String peer : HelloServers.PEERS) {
      try (HelloServers.Running server = HelloServers.start(peer, 0)) {
        assertHello(peer, get(server.port(), 3));
      }
    }
  }

  @Test
  void nodesServerAnswersTheSameBytes() throws Exception {
    Path script = Path.of("node/http-hello.js");
    Assumptions.assumeTrue(Files.exists(script), "run from the module directory");
    Process p;
    try {
      p = new ProcessBuilder("node", script.toString(), "0").redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      Assumptions.abort("node is not on PATH");
      return;
    }
    try {
      String line =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
      assertTrue(line != null && line.startsWith("listening "), "node said: " + line);
      assertHello("node", get(Integer.parseInt(line.substring("listening ".length())), 3));
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void readsWrksReport() {
    String out =
        """
        Running 10s test @ http://127.0.0.1:8080/
          1 threads and 1000 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency    12.34ms    3.21ms 210.00ms   91.00%
            Req/Sec    80.12k     2.10k   85.00k    70.00%
          Latency Distribution
             50%   11.00ms
             75%  850.00us
             90%   14.00ms
             99%    1.20s
          801234 requests in 10.00s, 70.31MB read
          Socket errors: connect 3, read 4, write 5, timeout 6
          Non-2xx or 3xx responses: 7
        Requests/sec:  80123.40
        Transfer/sec:      7.03MB
        """;
    Wrk w = Wrk.parse(out);
    assertEquals(801234, w.requests());
    assertEquals(10.0, w.seconds(), 1e-9);
    assertEquals(80123.40, w.requestsPerSecond(), 1e-9);
    assertEquals(3 + 4 + 5 + 6 + 7, w.errors());
    assertEquals(Map.of("p50", 11.0, "p75", 0.85, "p90", 14.0, "p99", 1200.0), w.latencyMs());
    Wrk clean = Wrk.parse(out.replaceAll("(?m)^.*(Socket errors|Non-2xx).*\\n", ""));
    assertEquals(0, clean.errors(), "no error lines: no errors");
  }

  @Test
  void theOpenLoopGeneratorAnswersForEveryRequestItScheduled() throws Exception {
    try (HelloServers.Running server = HelloServers.start("netty", 0)) {
      OpenLoop.Result r =
          OpenLoop.run(
              new InetSocketAddress("127.0.0.1", server.port()),
              200,
              Duration.ofMillis(500),
              2,
              50,
              Duration.ofSeconds(10));
      assertEquals(100, r.scheduled());
      assertEquals(100, r.completed(), r.toString());
      assertEquals(0, r.dropped() + r.errors() + r.unfinished(), r.toString());
      assertTrue(
          r.p50Ms() <= r.p99Ms() && r.p99Ms() <= r.p999Ms() && r.p999Ms() <= r.maxMs(),
          r.toString());
    }
  }

  @Test
  void aServerThatNeverAnswersCostsDropsNotSilence() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      // one connection, two waiting: of 20 scheduled, at most 3 are taken, the rest dropped
      OpenLoop.Result r =
          OpenLoop.run(
              new InetSocketAddress("127.0.0.1", silent.getLocalPort()),
              100,
              Duration.ofMillis(200),
              1,
              2,
              Duration.ofMillis(300));
      assertEquals(20, r.scheduled());
      assertEquals(0, r.completed(), r.toString());
      assertTrue(r.dropped() >= 15, r.toString());
      assertEquals(r.scheduled(), r.dropped() + r.unfinished(), r.toString());
    }
  }
}
