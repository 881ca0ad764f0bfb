package dev.loopkit.benchmarks.http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a {@code wrk --latency} run printed: requests, requests per second, the errors, and its
 * (closed-loop) latency distribution.
 */
record Wrk(
    long requests,
    double seconds,
    double requestsPerSecond,
    long connectErrors,
    long readErrors,
    long writeErrors,
    long timeouts,
    long non2xx,
    Map<String, Double> latencyMs) {

  private static final Pattern TOTAL =
      Pattern.compile("(\\d+) requests in ([0-9.]+)(us|ms|s|m)\\b");
  private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern SOCKET =
      Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
  private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
  private static final Pattern PERCENTILE =
      Pattern.compile("^\\s+(\\d+(?:\\.\\d+)?)%\\s+([0-9.]+)(us|ms|s|m)\\s*$", Pattern.MULTILINE);

  /** All errors wrk counts: socket errors of every kind and answers that were not 2xx/3xx. */
  long errors() {
    return connectErrors + readErrors + writeErrors + timeouts + non2xx;
  }

  /** Parses wrk's report; fails, quoting it, if its totals are missing. */
  static Wrk parse(String out) {
    Matcher total = TOTAL.matcher(out);
    Matcher rps = RPS.matcher(out);
    if (!total.find() || !rps.find()) {
      throw new IllegalArgumentException("not a wrk report:\n" + out);
    }
    long connect = 0;
    long read = 0;
    long write = 0;
    long timeout = 0;
    Matcher socket = SOCKET.matcher(out);
    if (socket.find()) {
      connect = Long.parseLong(socket.group(1));
      read = Long.parseLong(socket.group(2));
      write = Long.parseLong(socket.group(3));
      timeout = Long.parseLong(socket.group(4));
    }
    Matcher non2xx = NON2XX.matcher(out);
    Map<String, Double> latency = new LinkedHashMap<>();
    Matcher p = PERCENTILE.matcher(out);
    while (p.find()) {
      latency.put("p" + p.group(1), millis(p.group(2), p.group(3)));
    }
    return new Wrk(
        Long.parseLong(total.group(1)),
        millis(total.group(2), total.group(3)) / 1000,
        Double.parseDouble(rps.group(1)),
        connect,
        read,
        write,
        timeout,
        non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0,
        latency);
  }

  private static double millis(String value, String unit) {
    double v = Double.parseDouble(value);
    return switch (unit) {
      case "us" -> v / 1000;
      case "ms" -> v;
      case "s" -> v * 1000;
      case "m" -> v * 60_000;
      default -> throw new IllegalArgumentException("unit: " + unit);
    };
  }
}
