package dev.loopkit.examples.compare;

import com.sun.management.OperatingSystemMXBean;
import dev.loopkit.DelayMonitor;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One cell of the comparison: one workload under one model at one concurrency level — services
 * started, load for the warm-up, then the measured window, then the requests in flight drained.
 *
 * <p>What the window measures: requests completed in it and their latencies (HdrHistogram, µs),
 * failures, the process's CPU time, the peak number of live platform threads, the peak heap in use
 * (sampled every 10 ms), the loop's delay for loop models, and the process's peak RSS ({@code
 * VmHWM}, for the whole run of a forked cell, warm-up included).
 */
final class Cell {

  private Cell() {}

  /** The figures of one cell; {@code failure} is null unless the cell could not be run. */
  record Result(
      String workload,
      String model,
      int concurrency,
      double seconds,
      long completed,
      long errors,
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
      int peakPlatformThreads,
      long peakHeapBytes,
      long peakRssBytes,
      double loopDelayP50Millis,
      double loopDelayP99Millis,
      double loopDelayMaxMillis,
      String failure) {

    /** A cell that could not be run: no figures, only why. */
    static Result failed(Workload w, String model, int concurrency, String why) {
      return new Result(
          w.id(),
          model,
          concurrency,
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
          NaN,
          NaN,
          NaN,
          why);
    }

    boolean ok() {
      return failure == null && errors == 0 && completed > 0;
    }
  }

  private static final double NaN = Double.NaN;

  /** Runs one cell in this JVM; {@code forked} says whether this JVM runs nothing else. */
  static Result run(
      Settings settings, Workload workload, String modelName, int concurrency, boolean forked) {
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
    try (Services services = Services.start(settings, workload);
        HeapSampler heap = HeapSampler.start()) {
      long cpu0;
      long wall0;
      Histogram window;
      long cpu1;
      long wall1;
      DelayMonitor delay;
      double delayP50;
      double delayP99;
      double delayMax;
      try (Model.Run run = model.start(workload, services, concurrency, sink)) {
        sleep(settings.warmup().toNanos());
        latencies.getIntervalHistogram(); // forget the warm-up
        errors.set(0);
        firstError.set(null);
        delay = run.loopDelay();
        if (delay != null) {
          delay.reset();
        }
        threads.resetPeakThreadCount();
        heap.reset();
        cpu0 = os.getProcessCpuTime();
        wall0 = System.nanoTime();
        sleep(settings.duration().toNanos());
        window = latencies.getIntervalHistogram();
        wall1 = System.nanoTime();
        cpu1 = os.getProcessCpuTime();
        delayP50 = delay == null ? NaN : millis(delay.percentile(50).toNanos());
        delayP99 = delay == null ? NaN : millis(delay.percentile(99).toNanos());
        delayMax = delay == null ? NaN : millis(delay.max().toNanos());
      }
      long windowErrors = errors.get();
      double seconds = (wall1 - wall0) / 1e9;
      long n = window.getTotalCount();
      double cpuSeconds = (cpu1 - cpu0) / 1e9;
      return new Result(
          workload.id(),
          modelName,
          concurrency,
          seconds,
          n,
          windowErrors,
          firstError.get(),
          n / seconds,
          n == 0 ? NaN : window.getMean() / 1000.0,
          percentile(window, 50),
          percentile(window, 90),
          percentile(window, 99),
          percentile(window, 99.9),
          n == 0 ? NaN : window.getMaxValue() / 1000.0,
          cpuSeconds,
          n == 0 ? NaN : cpuSeconds * 1000 / n,
          threads.getPeakThreadCount(),
          heap.peak(),
          forked ? peakRss() : -1,
          delayP50,
          delayP99,
          delayMax,
          null);
    }
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

  /** Samples the heap in use every 10 ms on a daemon thread and keeps the largest. */
  private static final class HeapSampler implements AutoCloseable {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final AtomicLong peak = new AtomicLong();
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
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void reset() {
      peak.set(memory.getHeapMemoryUsage().getUsed());
    }

    long peak() {
      return peak.get();
    }

    @Override
    public void close() {
      thread.interrupt();
    }
  }
}
