package dev.loopkit.examples.compare;

import com.sun.management.OperatingSystemMXBean;
import dev.loopkit.DelayMonitor;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One run of a cell of the comparison: one workload under one model at one point of the grid (a
 * closed loop at a concurrency level, or an open loop at an arrival rate) — services started, load
 * for the warm-up, then the measured window, then the requests in flight drained.
 *
 * <p>What the window measures: requests completed in it and their latencies (HdrHistogram, µs),
 * failures, arrivals dropped (open loop), the process's CPU time (the file and the embedded
 * database run in this process, their share included; the HTTP service runs in a process of its
 * own; in server mode the client's thread is not counted, see {@link Served}), the peak number of
 * live platform threads and how many of them the model added, the heap (sampled every 10 ms), the
 * loop's delay for loop models, the JIT's compilation time and its compiler threads' CPU time, the
 * load average at its end, and the process's peak RSS ({@code VmHWM}, for the whole run of a forked
 * cell, warm-up included). Every figure is read when the window closes, before the requests in
 * flight drain.
 */
final class Cell {

  private Cell() {}

  /**
   * The figures of one run of a cell; {@code failure} is null unless the run could not be made. A
   * figure that is not known is NaN (doubles) or -1 (counts, bytes); reports write them as empty.
   */
  record Result(
      String workload,
      String model,
      String mode,
      int concurrency,
      double rateFraction,
      double rate,
      int run,
      double seconds,
      long completed,
      long errors,
      long dropped,
      String firstError,
      double throughput,
      double meanMillis,
      double p50Millis,
      double p90Millis,
      double p99Millis,
      double p999Millis,
      double maxMillis,
      double cpuSeconds,
      double cpuMillisPerRequest,
      int platformThreadsAdded,
      int peakPlatformThreads,
      long heapAfterGcBytes,
      long peakHeapBytes,
      long peakRssBytes,
      double loopDelayP50Millis,
      double loopDelayP99Millis,
      double loopDelayMaxMillis,
      double jitMillis,
      double jitCpuSeconds,
      double loadAverage,
      String failure) {

    /** A cell that could not be run: no figures, only why. */
    static Result failed(Workload w, String model, Point point, int run, String why) {
      return new Result(
          w.id(),
          model,
          point.mode(),
          point.concurrency(),
          point.rateFraction(),
          point.rate(),
          run,
          0,
          0,
          0,
          0,
          null,
          0,
          NaN,
          NaN,
          NaN,
          NaN,
          NaN,
          NaN,
          NaN,
          NaN,
          -1,
          -1,
          -1,
          -1,
          -1,
          NaN,
          NaN,
          NaN,
          NaN,
          NaN,
          NaN,
          why);
    }

    /**
     * A result from its components' text, by name (a child's JSON, a report's JSON); null or empty
     * text is a figure not known (NaN, -1 or null).
     */
    static Result parse(java.util.function.Function<String, String> text) {
      java.lang.reflect.RecordComponent[] rcs = Result.class.getRecordComponents();
      Object[] values = new Object[rcs.length];
      Class<?>[] types = new Class<?>[rcs.length];
      for (int i = 0; i < rcs.length; i++) {
        types[i] = rcs[i].getType();
        String v = text.apply(rcs[i].getName());
        boolean unknown = v == null || v.isEmpty();
        values[i] =
            types[i] == int.class
                ? (unknown ? -1 : Integer.parseInt(v))
                : types[i] == long.class
                    ? (unknown ? -1L : Long.parseLong(v))
                    : types[i] == double.class
                        ? (unknown ? NaN : Double.parseDouble(v))
                        : (unknown ? null : v);
      }
      try {
        return Result.class.getDeclaredConstructor(types).newInstance(values);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot make a cell's result", e);
      }
    }

    /** Ran, completed requests, and none failed: only such a cell is charted or a peer. */
    boolean ok() {
      return failure == null && errors == 0 && completed > 0;
    }

    /** Where in the grid this run lies. */
    Point point() {
      return new Point(mode, concurrency, rateFraction, rate);
    }

    /** What names the cell this run belongs to (every figure aside, and the run's number). */
    String cellKey() {
      return workload + " " + model + " " + point().key();
    }
  }

  /**
   * A point of the grid: a closed loop of {@code concurrency} requests in flight, or an open loop
   * offering {@code rate} requests/s ({@code rateFraction} of the workload's closed-loop peak) with
   * at most {@code concurrency} in flight.
   */
  record Point(String mode, int concurrency, double rateFraction, double rate) {
    static final String CLOSED = "closed";
    static final String OPEN = "open";

    static Point closed(int concurrency) {
      return new Point(CLOSED, concurrency, NaN, NaN);
    }

    static Point open(double rateFraction, double rate, int cap) {
      return new Point(OPEN, cap, rateFraction, rate);
    }

    boolean open() {
      return mode.equals(OPEN);
    }

    /** The point's name in a run's key: {@code c=16}, or {@code r=0.5} (the fraction). */
    String key() {
      return open() ? "r=" + rateFraction : "c=" + concurrency;
    }
  }

  private static final double NaN = Double.NaN;

  /**
   * Runs one cell in this JVM: run number {@code run} of {@code workload} under {@code modelName}
   * at {@code point}; {@code forked} says whether this JVM runs nothing else.
   */
  static Result run(
      Settings settings,
      Workload workload,
      String modelName,
      Point point,
      int run,
      boolean forked) {
    Model model = Model.of(modelName, settings);
    Recorder latencies = new Recorder(3);
    AtomicLong errors = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>();
    Model.Sink sink =
        (issuedAt, failure) -> {
          if (failure == null) {
            latencies.recordValue(Math.max(1, (System.nanoTime() - issuedAt) / 1000));
          } else {
            errors.incrementAndGet();
            firstError.compareAndSet(null, failure.toString());
          }
        };
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    try (Services services = Services.start(settings, workload);
        HeapSampler heap = HeapSampler.start()) {
      int baseline = threads.getThreadCount();
      try (Load load =
          point.open()
              ? Load.open(model, workload, services, point, sink)
              : Load.closed(model, workload, services, point, sink)) {
        sleep(settings.warmup().toNanos());
        // The window opens: forget the warm-up.
        latencies.getIntervalHistogram();
        errors.set(0);
        firstError.set(null);
        load.resetDropped();
        DelayMonitor delay = load.loopDelay();
        if (delay != null) {
          delay.reset();
        }
        threads.resetPeakThreadCount();
        heap.reset();
        long wall0 = System.nanoTime();
        Thread client = load.client(); // server mode: not the model's (see Served)
        long cpu0 = os.getProcessCpuTime() - cpuTime(threads, client);
        long jit0 = jit.getTotalCompilationTime();
        double jitCpu0 = compilerCpuSeconds();
        sleep(settings.duration().toNanos());
        // The window closes: every figure is read now, before the requests in flight drain.
        Histogram window = latencies.getIntervalHistogram();
        long wall1 = System.nanoTime();
        long cpu1 = os.getProcessCpuTime() - cpuTime(threads, client);
        long jit1 = jit.getTotalCompilationTime();
        double jitCpu1 = compilerCpuSeconds();
        long windowErrors = errors.get();
        long dropped = load.dropped();
        String windowFirstError = firstError.get();
        int peakThreads = threads.getPeakThreadCount() - (client == null ? 0 : 1);
        long heapPeak = heap.peak();
        long heapAfterGc = heap.peakAfterGc();
        double seconds = (wall1 - wall0) / 1e9;
        long n = window.getTotalCount();
        double cpuSeconds = (cpu1 - cpu0) / 1e9;
        return new Result(
            workload.id(),
            modelName,
            point.mode(),
            point.concurrency(),
            point.rateFraction(),
            point.rate(),
            run,
            seconds,
            n,
            windowErrors,
            dropped,
            windowFirstError,
            n / seconds,
            n == 0 ? NaN : window.getMean() / 1000.0,
            percentile(window, 50),
            percentile(window, 90),
            percentile(window, 99),
            percentile(window, 99.9),
            n == 0 ? NaN : window.getMaxValue() / 1000.0,
            cpuSeconds,
            n + windowErrors == 0 ? NaN : cpuSeconds * 1000 / (n + windowErrors),
            Math.max(0, peakThreads - baseline),
            peakThreads,
            heapAfterGc,
            heapPeak,
            forked ? peakRss() : -1,
            delay == null ? NaN : millis(delay.percentile(50).toNanos()),
            delay == null ? NaN : millis(delay.percentile(99).toNanos()),
            delay == null ? NaN : millis(delay.max().toNanos()),
            (double) (jit1 - jit0),
            Double.isNaN(jitCpu0) || Double.isNaN(jitCpu1) ? NaN : jitCpu1 - jitCpu0,
            os.getSystemLoadAverage(),
            null);
      }
    }
  }

  /** The CPU time of {@code thread} so far, in nanoseconds; 0 for null. */
  private static long cpuTime(ThreadMXBean threads, Thread thread) {
    return thread == null ? 0 : Math.max(0, threads.getThreadCpuTime(thread.threadId()));
  }

  /**
   * CPU time of the JIT's compiler threads ({@code C1 CompilerThre*}, {@code C2 CompilerThre*} in
   * {@code /proc/self/task}), in seconds; NaN where there is no such file.
   */
  static double compilerCpuSeconds() {
    long ticks = 0;
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException e) {
          continue; // the thread ended
        }
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        String name = stat.substring(open + 1, close);
        if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
          String[] f = stat.substring(close + 2).split(" ");
          ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
        }
      }
    } catch (IOException | RuntimeException e) {
      return NaN;
    }
    return ticks / 100.0; // USER_HZ
  }

  private static double percentile(Histogram h, double p) {
    return h.getTotalCount() == 0 ? NaN : h.getValueAtPercentile(p) / 1000.0;
  }

  private static double millis(long nanos) {
    return nanos / 1e6;
  }

  /** The driver's own wait for the window to pass; an interrupt ends the run. */
  private static void sleep(long nanos) {
    try {
      Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while measuring", e);
    }
  }

  /** The process's peak resident set ({@code VmHWM} of /proc/self/status), or -1 if unknown. */
  static long peakRss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          String[] parts = line.substring(6).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or no such line: unknown
    }
    return -1;
  }

  /**
   * Samples the heap every 10 ms on a daemon thread and keeps the largest in use (which follows the
   * collector's saw-tooth: it shows allocation, not what is live) and the largest a collection left
   * (closer to what is live; unmounted virtual threads' stacks are on the heap, platform threads'
   * stacks are not).
   */
  private static final class HeapSampler implements AutoCloseable {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong peakAfterGc = new AtomicLong();
    private final List<MemoryPoolMXBean> pools =
        ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP)
            .toList();
    private final Thread thread;

    private HeapSampler() {
      thread = Thread.ofPlatform().daemon().name("compare-heap-sampler").unstarted(this::sample);
    }

    static HeapSampler start() {
      HeapSampler s = new HeapSampler();
      s.thread.start();
      return s;
    }

    private void sample() {
      while (!Thread.currentThread().isInterrupted()) {
        peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
        peakAfterGc.accumulateAndGet(afterGc(), Math::max);
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void reset() {
      peak.set(memory.getHeapMemoryUsage().getUsed());
      peakAfterGc.set(afterGc());
    }

    long peak() {
      return peak.get();
    }

    /** The largest heap left after a collection, or -1 if no collection ran. */
    long peakAfterGc() {
      long p = peakAfterGc.get();
      return p > 0 ? p : -1;
    }

    /** The heap the last collection of each pool left in use, summed over the heap's pools. */
    private long afterGc() {
      long sum = 0;
      for (MemoryPoolMXBean pool : pools) {
        MemoryUsage u = pool.getCollectionUsage();
        if (u != null) {
          sum += u.getUsed();
        }
      }
      return sum;
    }

    @Override
    public void close() {
      thread.interrupt();
    }
  }
}
