package dev.loopkit.benchmarks.http;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Shape F in one sitting: every server in a process of its own pinned to the server core, the load
 * pinned to the other core (this JVM should be started pinned there too), and {@code http.json}
 * written for {@code node/summary.js}.
 *
 * <ol>
 *   <li>Throughput: {@code --rounds} rounds (3); in each, per server (a fresh process), a warm-up,
 *       then {@code wrk} with one thread at 100 and at 1,000 connections, {@code --seconds} each.
 *       Round r starts with the r-th server, so a drift of the machine (this VM's speed moves
 *       between regimes about 1.4x apart, for tens of seconds at a time, whatever runs) touches
 *       every server; a figure is the median of its rounds, and every round's is kept.
 *   <li>Latency: per server and rate (a fresh process, warmed up by {@code wrk}, then the generator
 *       warmed up at the rate for half as long), the {@link OpenLoop} generator at two fixed rates,
 *       the same for every server: by default 50% and 80% of loopkit's c100 throughput of step 1
 *       ({@code --rates a,b} fixes them).
 *   <li>Memory: per server (a fresh process), {@link IdleConnections} with {@code --idle}
 *       connections.
 * </ol>
 *
 * <p>Options ({@code --name value}): {@code --jar} (the benchmarks jar), {@code --node-script}
 * ({@code http-hello.js}), {@code --out} (the JSON file), {@code --seconds} (10), {@code --warmup}
 * (15), {@code --rounds} (3), {@code --open-seconds} (10), {@code --rates}, {@code
 * --open-connections} (100), {@code --idle} (10000), {@code --server-core} (0), {@code --load-core}
 * (1), {@code --peers} (all: {@code loopkit-single-thread,vertx,helidon,netty,node}).
 */
public final class HttpSitting {
  private final Map<String, String> options;
  private final List<String> log = new ArrayList<>();

  private HttpSitting(Map<String, String> options) {
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    // a sitting stopped early (Ctrl-C, an error) leaves no server behind
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> ProcessHandle.current().children().forEach(ProcessHandle::destroy)));
    new HttpSitting(options).run();
  }

  private String opt(String name, String otherwise) {
    return options.getOrDefault(name, otherwise);
  }

  private int intOpt(String name, int otherwise) {
    return Integer.parseInt(opt(name, String.valueOf(otherwise)));
  }

  /** The figure name of a server: {@code F:<subject>} in the summary. */
  static String subject(String peer) {
    return switch (peer) {
      case "loopkit-single-thread" -> "loopkit-single-thread-http";
      case "vertx" -> "vertx-http";
      case "helidon" -> "helidon-http";
      case "netty" -> "netty-http";
      case "node" -> "node-http";
      default -> throw new IllegalArgumentException("peer: '" + peer + "' is not known");
    };
  }

  private void run() throws Exception {
    List<String> peers =
        List.of(opt("peers", "loopkit-single-thread,vertx,helidon,netty,node").split(","));
    int seconds = intOpt("seconds", 10);
    int warmup = intOpt("warmup", 15);
    int rounds = intOpt("rounds", 3);
    if (rounds < 1) {
      throw new IllegalArgumentException("--rounds: " + rounds + " is not allowed; 1 or more");
    }
    // round r starts with the r-th server, so that a drift of the machine touches every server
    Map<String, List<Wrk>> runs = new HashMap<>(); // by peer and connections, one per round
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < peers.size(); i++) {
        String peer = peers.get((i + r) % peers.size());
        try (Server s = Server.start(this, peer)) {
          wrk(s, 100, warmup);
          for (int c : new int[] {100, 1000}) {
            Wrk w = wrk(s, c, seconds);
            runs.computeIfAbsent(peer + " " + c, k -> new ArrayList<>()).add(w);
            say(
                "%s c%d, round %d of %d: %.0f req/s, %d errors",
                peer, c, r + 1, rounds, w.requestsPerSecond(), w.errors());
          }
        }
      }
    }
    StringBuilder throughput = new StringBuilder();
    double loopkitC100 = Double.NaN;
    for (String peer : peers) {
      for (int c : new int[] {100, 1000}) {
        List<Wrk> all = runs.get(peer + " " + c);
        Wrk w = median(all);
        if (peer.equals("loopkit-single-thread") && c == 100) {
          loopkitC100 = w.requestsPerSecond();
        }
        append(
            throughput,
            String.format(
                Locale.ROOT,
                "{\"peer\": \"%s\", \"subject\": \"%s\", \"connections\": %d, \"seconds\": %.2f,"
                    + " \"requests\": %d, \"requestsPerSecond\": %.1f, \"rounds\": %s,"
                    + " \"errors\": {\"connect\": %d, \"read\": %d, \"write\": %d, \"timeout\": %d,"
                    + " \"non2xx\": %d}, \"closedLoopLatencyMs\": %s}",
                peer,
                subject(peer),
                c,
                w.seconds(),
                w.requests(),
                w.requestsPerSecond(),
                all.stream()
                    .map(x -> String.format(Locale.ROOT, "%.1f", x.requestsPerSecond()))
                    .collect(Collectors.joining(", ", "[", "]")),
                all.stream().mapToLong(Wrk::connectErrors).sum(),
                all.stream().mapToLong(Wrk::readErrors).sum(),
                all.stream().mapToLong(Wrk::writeErrors).sum(),
                all.stream().mapToLong(Wrk::timeouts).sum(),
                all.stream().mapToLong(Wrk::non2xx).sum(),
                w.latencyMs().entrySet().stream()
                    .map(e -> String.format(Locale.ROOT, "\"%s\": %.3f", e.getKey(), e.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"))));
        say("%s c%d: median %.0f req/s of %d rounds", peer, c, w.requestsPerSecond(), all.size());
      }
    }
    int[] rates = rates(loopkitC100);
    StringBuilder latency = new StringBuilder();
    for (String peer : peers) {
      for (int rate : rates) {
        try (Server s = Server.start(this, peer)) {
          wrk(s, 100, warmup);
          // the generator's own warm-up, at the rate, discarded
          OpenLoop.run(
              s.address(),
              rate,
              Duration.ofSeconds(Math.max(1, warmup / 2)),
              intOpt("open-connections", 100),
              10 * intOpt("open-connections", 100),
              Duration.ofSeconds(5));
          OpenLoop.Result r =
              OpenLoop.run(
                  s.address(),
                  rate,
                  Duration.ofSeconds(intOpt("open-seconds", 10)),
                  intOpt("open-connections", 100),
                  10 * intOpt("open-connections", 100),
                  Duration.ofSeconds(5));
          append(
              latency,
              String.format(
                  Locale.ROOT,
                  "{\"peer\": \"%s\", \"subject\": \"%s\", \"rate\": %d, \"seconds\": %.1f,"
                      + " \"scheduled\": %d, \"completed\": %d, \"dropped\": %d, \"errors\": %d,"
                      + " \"unfinished\": %d, \"p50Ms\": %s, \"p99Ms\": %s, \"p999Ms\": %s,"
                      + " \"maxMs\": %s}",
                  peer,
                  subject(peer),
                  r.rate(),
                  r.seconds(),
                  r.scheduled(),
                  r.completed(),
                  r.dropped(),
                  r.errors(),
                  r.unfinished(),
                  num(r.p50Ms()),
                  num(r.p99Ms()),
                  num(r.p999Ms()),
                  num(r.maxMs())));
          say(
              "%s at %d/s: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms; %d dropped, %d errors",
              peer, rate, r.p50Ms(), r.p99Ms(), r.p999Ms(), r.dropped(), r.errors());
        }
      }
    }
    StringBuilder idle = new StringBuilder();
    int count = intOpt("idle", 10_000);
    for (String peer : peers) {
      try (Server s = Server.start(this, peer)) {
        IdleConnections.Result r = IdleConnections.measure(s.address(), s.pid(), count, 2_000);
        append(
            idle,
            String.format(
                Locale.ROOT,
                "{\"peer\": \"%s\", \"subject\": \"%s\", \"connections\": %d, \"open\": %d,"
                    + " \"failed\": %d, \"rssBeforeKiB\": %d, \"rssKiB\": %d}",
                peer,
                subject(peer),
                r.count(),
                r.open(),
                r.failed(),
                r.rssBeforeKiB(),
                r.rssKiB()));
        say(
            "%s with %d idle connections: RSS %d MiB (%d MiB before)",
            peer, r.open(), r.rssKiB() / 1024, r.rssBeforeKiB() / 1024);
      }
    }
    String json =
        String.format(
            Locale.ROOT,
            "{\n  \"wrk\": %s,\n  \"cores\": {\"server\": \"%s\", \"load\": \"%s\"},\n"
                + "  \"seconds\": %d,\n  \"warmupSeconds\": %d,\n  \"openLoop\": {\"seconds\": %d,"
                + " \"connections\": %d, \"rates\": \"%s\"},\n"
                + "  \"throughput\": [\n%s\n  ],\n  \"latency\": [\n%s\n  ],\n"
                + "  \"idle\": [\n%s\n  ]\n}\n",
            quote(wrkVersion()),
            opt("server-core", "0"),
            opt("load-core", "1"),
            seconds,
            warmup,
            intOpt("open-seconds", 10),
            intOpt("open-connections", 100),
            options.containsKey("rates") ? "fixed" : "50% and 80% of loopkit's c100 throughput",
            throughput,
            latency,
            idle);
    Files.writeString(Path.of(opt("out", "http.json")), json, StandardCharsets.UTF_8);
  }

  /** The run with the median throughput (the lower middle one of an even number). */
  static Wrk median(List<Wrk> runs) {
    List<Wrk> sorted = new ArrayList<>(runs);
    sorted.sort(java.util.Comparator.comparingDouble(Wrk::requestsPerSecond));
    return sorted.get((sorted.size() - 1) / 2);
  }

  private int[] rates(double loopkitC100) {
    String fixed = options.get("rates");
    if (fixed != null) {
      return java.util.Arrays.stream(fixed.split(",")).mapToInt(Integer::parseInt).toArray();
    }
    if (!(loopkitC100 > 0)) {
      throw new IllegalStateException(
          "no loopkit c100 figure to derive the rates from; give --rates (BENCH_HTTP_RATES)");
    }
    return new int[] {(int) (loopkitC100 * 0.5), (int) (loopkitC100 * 0.8)};
  }

  private Wrk wrk(Server s, int connections, int seconds) throws IOException, InterruptedException {
    String out =
        exec(
            List.of(
                "taskset",
                "-c",
                opt("load-core", "1"),
                "wrk",
                "-t",
                "1",
                "-c",
                String.valueOf(connections),
                "-d",
                seconds + "s",
                "--timeout",
                "5s",
                "--latency",
                "http://127.0.0.1:" + s.port() + "/"));
    return Wrk.parse(out);
  }

  private static String wrkVersion() {
    try {
      String v = exec(List.of("wrk", "-v"));
      return v.lines().findFirst().orElse("").trim();
    } catch (IOException | InterruptedException e) {
      return "unknown";
    }
  }

  private static String exec(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  private void say(String format, Object... args) {
    String line = "  F: " + String.format(Locale.ROOT, format, args);
    log.add(line);
    System.err.println(line);
  }

  private static void append(StringBuilder sb, String item) {
    sb.append(sb.isEmpty() ? "    " : ",\n    ").append(item);
  }

  private static String num(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "null";
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** One server process, pinned to the server core; killed on close. */
  private record Server(Process process, int port) implements AutoCloseable {
    static Server start(HttpSitting sitting, String peer) throws IOException {
      int port = freePort();
      List<String> command =
          new ArrayList<>(List.of("taskset", "-c", sitting.opt("server-core", "0")));
      if (peer.equals("node")) {
        command.addAll(
            List.of("node", sitting.opt("node-script", "stress/benchmarks/node/http-hello.js")));
      } else {
        command.addAll(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                sitting.opt("jar", "stress/benchmarks/target/benchmarks.jar"),
                HelloServers.class.getName(),
                peer));
      }
      command.add(String.valueOf(port));
      Process p =
          new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      if (line == null || !line.startsWith("listening ")) {
        p.destroyForcibly();
        throw new IOException(peer + " did not start: " + line);
      }
      return new Server(p, port);
    }

    long pid() {
      return process.pid(); // taskset execs the server: the same process
    }

    InetSocketAddress address() {
      return new InetSocketAddress("127.0.0.1", port);
    }

    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }

    private static int freePort() throws IOException {
      try (ServerSocket s = new ServerSocket(0)) {
        return s.getLocalPort();
      }
    }
  }
}
