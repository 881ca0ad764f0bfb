package dev.loopkit.benchmarks;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.openjdk.jmh.annotations.Param;

/**
 * Shape D's timer lateness: how late timers run while the loop is busy scheduling others. The churn
 * is {@link TimerChurn}'s (rounds of "schedule two timers, cancel one", delays 0–10 ms from the
 * same sequence, batches of {@value TimerChurn#ROUNDS_PER_BATCH} rounds per callback); each timer
 * that fires records the time it ran minus the time it was scheduled plus its delay, both read with
 * {@code System.nanoTime()}. A delay of 0 is asked as 1 ms of every subject (loopkit and Node run
 * it so; the JDK's and Netty's would run it at once, which is not lateness). A cancelled timer that
 * runs fails the run.
 *
 * <p>Per subject (every subject of {@link TimerChurn}): {@code --warmup} passes (10: the first
 * passes of a fresh JVM still compile), then {@code --passes} measured passes (10), each the
 * churn's {@value TimerChurn#OPERATIONS} operations; the figures pool the measured passes' timers:
 * p50, p99, p99.9 and max in milliseconds, with each pass's p99.
 *
 * <p>A collection during a pass makes every timer due in its pause late by it (tens of thousands of
 * timers here, so the p99): that is the collector's lateness, not the loop's. Each pass therefore
 * starts after {@code System.gc()}, the JVM should have a young space no pass fills ({@code
 * run-benchmarks} gives it {@code -Xms3g -Xmx3g -Xmn2g -XX:+AlwaysPreTouch}), and the collections
 * that still happened within the passes are reported with the figures.
 *
 * <p>Writes {@code --out} (JSON) for {@code node/summary.js}; {@code --subjects a,b} measures only
 * those.
 *
 * <p>Run it alone: {@code java -cp stress/benchmarks/target/benchmarks.jar
 * dev.loopkit.benchmarks.TimerLateness --out /tmp/lateness.json}.
 */
public final class TimerLateness {

  private TimerLateness() {}

  /** One subject's figures, in milliseconds. */
  record Figures(
      String subject,
      int timers,
      double p50Ms,
      double p99Ms,
      double p999Ms,
      double maxMs,
      List<Double> passP99Ms,
      long collections) {}

  /** Collections so far, every collector of this JVM. */
  private static long collections() {
    long n = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, gc.getCollectionCount());
    }
    return n;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "TimerLateness: options are --out FILE [--warmup N] [--passes N] [--subjects a,b];"
                + " got "
                + args[i]);
      }
      options.put(args[i].substring(2), args[i + 1]);
    }
    String out = options.get("out");
    if (out == null) {
      throw new IllegalArgumentException("TimerLateness: --out FILE is required");
    }
    int warmup = count(options, "warmup", 10, 0);
    int passes = count(options, "passes", 10, 1);
    List<Figures> all = new ArrayList<>();
    List<String> subjects =
        options.containsKey("subjects") ? List.of(options.get("subjects").split(",")) : subjects();
    for (String subject : subjects) {
      if (!subjects().contains(subject)) {
        throw new IllegalArgumentException(
            "TimerLateness: no subject " + subject + "; known: " + subjects());
      }
      Figures f = measure(subject, warmup, passes);
      if (Subjects.SMOKE) { // (the build's smoke run: the file is the proof, not the console)
        all.add(f);
        continue;
      }
      System.err.printf(
          Locale.ROOT,
          "D lateness %-36s p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms;"
              + " %d collections in the passes%n",
          subject,
          f.p50Ms(),
          f.p99Ms(),
          f.p999Ms(),
          f.maxMs(),
          f.collections());
      all.add(f);
    }
    write(Path.of(out), warmup, passes, all);
  }

  private static int count(Map<String, String> options, String name, int otherwise, int least) {
    String v = options.getOrDefault(name, String.valueOf(otherwise));
    int n;
    try {
      n = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "TimerLateness: --" + name + " wants a whole number: " + v);
    }
    if (n < least) {
      throw new IllegalArgumentException(
          "TimerLateness: --" + name + " must be at least " + least + ": " + v);
    }
    return n;
  }

  /** The subjects of {@link TimerChurn}, as its {@code @Param} names them. */
  static List<String> subjects() throws NoSuchFieldException {
    return List.of(TimerChurn.class.getField("subject").getAnnotation(Param.class).value());
  }

  static Figures measure(String subject, int warmup, int passes) throws Exception {
    TimerChurn setUp = new TimerChurn();
    setUp.subject = subject;
    setUp.setUp();
    try {
      for (int i = 0; i < warmup; i++) {
        pass(setUp);
      }
      long[][] measured = new long[passes][];
      long collections = 0;
      for (int i = 0; i < passes; i++) {
        System.gc(); // (as JMH does between iterations: a pass starts with an empty young space)
        long before = collections();
        measured[i] = pass(setUp);
        collections += collections() - before;
      }
      List<Double> passP99 = new ArrayList<>();
      for (long[] p : measured) {
        passP99.add(millis(percentile(p, 0.99)));
      }
      long[] pooled = Arrays.stream(measured).flatMapToLong(Arrays::stream).sorted().toArray();
      return new Figures(
          subject,
          pooled.length,
          millis(percentile(pooled, 0.50)),
          millis(percentile(pooled, 0.99)),
          millis(percentile(pooled, 0.999)),
          millis(pooled[pooled.length - 1]),
          passP99,
          collections);
    } finally {
      setUp.tearDown();
    }
  }

  /** One pass of the churn; each fired timer's lateness in nanoseconds, sorted. */
  private static long[] pass(TimerChurn setUp) throws InterruptedException {
    int[] delays = setUp.delays();
    LateChurn churn = new LateChurn(setUp.timers(), delays, delays.length / 2);
    setUp.timers().later(churn);
    Subjects.await(churn.done);
    if (churn.cancelledRan != 0 && Subjects.carrierOf(setUp.subject) != null) {
      // (loopkit cancels on its own thread exactly; HashedWheelTimer's worker may fire a timer a
      // tick early, before a cancel from the loop's thread: its cancel then returns false)
      throw new IllegalStateException(churn.cancelledRan + " cancelled timers ran");
    }
    long[] l = churn.lateness;
    Arrays.sort(l);
    return l;
  }

  /** The nearest-rank percentile {@code p} of sorted values. */
  static long percentile(long[] sorted, double p) {
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
  }

  private static double millis(long nanos) {
    return nanos / 1e6;
  }

  /** TimerChurn's rounds, each kept timer recording how late it ran. */
  static final class LateChurn implements Runnable {
    final CountDownLatch done = new CountDownLatch(1);
    final long[] lateness;
    private final TimerChurn.Timers timers;
    private final int[] delays;
    private final int rounds;
    int cancelledRan; // confined to the thread that runs the timers
    private int fired; // likewise
    private int round; // confined to the loop
    private final Runnable cancelled = () -> cancelledRan++;

    LateChurn(TimerChurn.Timers timers, int[] delays, int rounds) {
      this.timers = timers;
      this.delays = delays;
      this.rounds = rounds;
      this.lateness = new long[rounds];
    }

    @Override
    public void run() {
      int end = Math.min(rounds, round + TimerChurn.ROUNDS_PER_BATCH);
      for (int r = round; r < end; r++) {
        Object dropped = timers.schedule(cancelled, Math.max(1, delays[2 * r]));
        int delay = Math.max(1, delays[2 * r + 1]);
        long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
        timers.schedule(() -> fired(due), delay);
        timers.cancel(dropped);
      }
      round = end;
      if (end < rounds) {
        timers.later(this);
      }
    }

    private void fired(long due) {
      lateness[fired] = System.nanoTime() - due;
      if (++fired == rounds) {
        done.countDown();
      }
    }
  }

  private static void write(Path out, int warmup, int passes, List<Figures> all)
      throws IOException {
    String subjects =
        all.stream()
            .map(
                f ->
                    String.format(
                        Locale.ROOT,
                        "    {\"subject\": \"%s\", \"timers\": %d, \"p50Ms\": %.4f, \"p99Ms\": %.4f,"
                            + " \"p999Ms\": %.4f, \"maxMs\": %.4f, \"passP99Ms\": [%s],"
                            + " \"collectionsInPasses\": %d}",
                        f.subject(),
                        f.timers(),
                        f.p50Ms(),
                        f.p99Ms(),
                        f.p999Ms(),
                        f.maxMs(),
                        f.passP99Ms().stream()
                            .map(v -> String.format(Locale.ROOT, "%.4f", v))
                            .collect(Collectors.joining(", ")),
                        f.collections()))
            .collect(Collectors.joining(",\n"));
    String json =
        String.format(
            Locale.ROOT,
            "{\n  \"operations\": %d, \"roundsPerBatch\": %d, \"maxDelayMillis\": %d,"
                + " \"warmupPasses\": %d, \"passes\": %d,\n  \"subjects\": [\n%s\n  ]\n}\n",
            Subjects.size(TimerChurn.OPERATIONS),
            TimerChurn.ROUNDS_PER_BATCH,
            TimerChurn.MAX_DELAY_MILLIS,
            warmup,
            passes,
            subjects);
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(out, json);
  }
}
