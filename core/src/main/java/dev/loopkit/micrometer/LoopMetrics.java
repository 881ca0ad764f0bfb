package dev.loopkit.micrometer;

import static java.util.Objects.requireNonNull;

import dev.loopkit.DelayMonitor;
import dev.loopkit.Loop;
import dev.loopkit.internal.EventLoop;
import dev.loopkit.internal.LoopStats;
import dev.loopkit.internal.OffloadPool;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * Binds one loop's figures to a Micrometer registry, tagged {@code loop} and {@code carrier}.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>what</th></tr>
 *   <tr><td>{@code loopkit.loop.delay}</td><td>timer</td><td>how late a timer due every
 *       {@code loopkit.metrics.delayResolutionMillis} ran (Node's {@code monitorEventLoopDelay})
 *   </td></tr>
 *   <tr><td>{@code loopkit.loop.utilization}</td><td>gauge</td><td>the share of time spent
 *       running turns since the gauge was last read, 0 to 1 (Node's
 *       {@code eventLoopUtilization})</td></tr>
 *   <tr><td>{@code loopkit.loop.busy}</td><td>function counter, seconds</td><td>time spent running
 *       turns; its rate is the utilization</td></tr>
 *   <tr><td>{@code loopkit.loop.queue.depth}</td><td>gauge, tag {@code queue}</td><td>{@code
 *       tasks} (the poll queue: tasks, completions, arrivals), {@code immediates}, {@code timers};
 *       may lag by a turn</td></tr>
 *   <tr><td>{@code loopkit.loop.callbacks}</td><td>function counter, tag {@code phase}</td><td>
 *       callbacks run: {@code timers}, {@code poll}, {@code check}, {@code close}, {@code
 *       nextTick}, {@code microtask}</td></tr>
 *   <tr><td>{@code loopkit.loop.callback.duration}</td><td>timer, tag {@code phase}</td><td>one
 *       phase callback in {@code loopkit.metrics.sampleEvery}, with its microtask checkpoint</td>
 *   </tr>
 *   <tr><td>{@code loopkit.loop.task.wait}</td><td>timer</td><td>one item of the poll queue (a
 *       task handed in with {@code execute}/{@code submit}, an offload's completion) in {@code
 *       loopkit.metrics.sampleEvery}: from its hand-in until the loop takes it</td></tr>
 *   <tr><td>{@code loopkit.loop.blocked}</td><td>function counter</td><td>incidents the
 *       blocked-loop watchdog reported</td></tr>
 *   <tr><td>{@code loopkit.offload.active}, {@code .queued}</td><td>gauges, tags {@code pool},
 *       {@code kind}</td><td>offloads running, and waiting for a worker</td></tr>
 *   <tr><td>{@code loopkit.offload.completed}</td><td>function counter</td><td>offloads that ran
 *       to the end</td></tr>
 *   <tr><td>{@code loopkit.offload.wait}, {@code .run}</td><td>function timers</td><td>time
 *       waiting for a worker, and running</td></tr>
 * </table>
 *
 * <p>The hot path reads no clock per callback: callbacks are counted per phase, and only every
 * {@code sampleEvery}-th callback and task is timed. Without a bound binder, the loop reads no
 * clock for metrics at all. Micrometer is an optional dependency of loopkit-core: this class needs
 * it on the class path; the rest of loopkit does not.
 *
 * <pre>{@code
 * LoopMetrics metrics = LoopMetrics.monitor(registry, loop);
 * ...
 * metrics.close(); // detaches and removes the meters
 * }</pre>
 */
public final class LoopMetrics implements MeterBinder, AutoCloseable {
  private final EventLoop loop;
  private final Tags tags;
  private final List<Meter> meters = new ArrayList<>();
  // set while bound
  private @Nullable MeterRegistry registry;
  private @Nullable DelayMonitor delay;
  private @Nullable Recorder instruments;
  // the utilization gauge's previous reading
  private long lastBusy;
  private long lastAt;

  /** A binder for {@code loop}, with {@code extraTags} beside {@code loop} and {@code carrier}. */
  public LoopMetrics(Loop loop, Iterable<Tag> extraTags) {
    this.loop = EventLoop.of(requireNonNull(loop, "loop"));
    this.tags =
        Tags.of("loop", loop.name(), "carrier", loop.carrier())
            .and(requireNonNull(extraTags, "extraTags"));
  }

  /** A binder for {@code loop}. */
  public LoopMetrics(Loop loop) {
    this(loop, Tags.empty());
  }

  /** Binds {@code loop}'s metrics to {@code registry}; close the result to remove them. */
  public static LoopMetrics monitor(MeterRegistry registry, Loop loop, Tag... extraTags) {
    LoopMetrics m = new LoopMetrics(loop, Tags.of(extraTags));
    m.bindTo(registry);
    return m;
  }

  /**
   * Registers the meters and attaches to the loop.
   *
   * @throws IllegalStateException if this binder is already bound, or the loop's metrics are bound
   *     by another binder
   */
  @Override
  @SuppressWarnings(
      "FutureReturnValueIgnored") // the clean-up at termination has no caller to report to
  public synchronized void bindTo(MeterRegistry registry) {
    requireNonNull(registry, "registry");
    if (this.registry != null) {
      throw new IllegalStateException("this LoopMetrics is already bound to a registry");
    }
    LoopStats stats = loop.stats();
    Recorder in = new Recorder();
    stats.attach(in); // first, before any meter: throws if another binder holds the loop
    this.registry = registry;
    this.instruments = in;
    try {
      register(registry, stats, in);
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
    // A terminated loop's meters go: nothing would move them again, and they would keep it alive.
    loop.terminationFuture().whenComplete((v, e) -> close());
  }

  /** The sampled figures' destination: its timers are set once registered (read on the loop). */
  private static final class Recorder implements LoopStats.Instruments {
    volatile Timer @Nullable [] durations;
    volatile @Nullable Timer wait;

    @Override
    public void callbackDuration(int phase, long nanos) {
      Timer[] d = durations;
      if (d != null) {
        d[phase].record(nanos, TimeUnit.NANOSECONDS);
      }
    }

    @Override
    public void taskWait(long nanos) {
      Timer w = wait;
      if (w != null) {
        w.record(nanos, TimeUnit.NANOSECONDS);
      }
    }
  }

  private void register(MeterRegistry registry, LoopStats stats, Recorder in) {
    Timer[] durations = new Timer[4];
    for (int p = 0; p < durations.length; p++) {
      durations[p] =
          Timer.builder("loopkit.loop.callback.duration")
              .description("One phase callback in loopkit.metrics.sampleEvery, with its checkpoint")
              .tags(tags)
              .tag("phase", LoopStats.PHASES[p])
              .register(registry);
    }
    Timer wait =
        Timer.builder("loopkit.loop.task.wait")
            .description("One poll-queue item in loopkit.metrics.sampleEvery: handed in to taken")
            .tags(tags)
            .register(registry);
    Timer delayTimer =
        Timer.builder("loopkit.loop.delay")
            .description("How late a timer due every resolution ran (monitorEventLoopDelay)")
            .tags(tags)
            .register(registry);
    meters.addAll(List.of(durations));
    meters.add(wait);
    meters.add(delayTimer);
    in.durations = durations;
    in.wait = wait;
    lastAt = loop.clock().nanoTime();
    lastBusy = stats.busyNanos();
    meters.add(
        Gauge.builder("loopkit.loop.utilization", this, LoopMetrics::utilization)
            .description("Share of time running turns since the last reading (0 to 1)")
            .tags(tags)
            .strongReference(true) // the binder keeps the previous reading; callers may drop it
            .register(registry));
    meters.add(
        FunctionCounter.builder(
                "loopkit.loop.busy",
                stats,
                s -> s.busyNanos() / (double) TimeUnit.SECONDS.toNanos(1))
            .description("Time spent running turns")
            .baseUnit("seconds")
            .tags(tags)
            .register(registry));
    meters.add(depth(registry, "tasks", loop, EventLoop::taskQueueDepth));
    meters.add(depth(registry, "immediates", stats, LoopStats::immediatesDepth));
    meters.add(depth(registry, "timers", stats, LoopStats::timersDepth));
    for (int p = 0; p < LoopStats.PHASES.length; p++) {
      int phase = p;
      meters.add(
          FunctionCounter.builder("loopkit.loop.callbacks", stats, s -> s.callbacks(phase))
              .description("Callbacks run, by phase")
              .tags(tags)
              .tag("phase", LoopStats.PHASES[p])
              .register(registry));
    }
    meters.add(
        FunctionCounter.builder("loopkit.loop.blocked", stats, LoopStats::blockedIncidents)
            .description("Blocked-loop incidents the watchdog reported")
            .tags(tags)
            .register(registry));
    for (OffloadPool pool : loop.pools().values()) {
      Tags pt = tags.and("pool", pool.name(), "kind", pool.kind());
      meters.add(
          Gauge.builder("loopkit.offload.active", pool, OffloadPool::active)
              .description("Offloads running")
              .tags(pt)
              .register(registry));
      meters.add(
          Gauge.builder("loopkit.offload.queued", pool, OffloadPool::queued)
              .description("Offloads waiting for a worker")
              .tags(pt)
              .register(registry));
      meters.add(
          FunctionCounter.builder("loopkit.offload.completed", pool, OffloadPool::completed)
              .description("Offloads that ran to the end")
              .tags(pt)
              .register(registry));
      meters.add(
          FunctionTimer.builder(
                  "loopkit.offload.wait",
                  pool,
                  OffloadPool::waited,
                  OffloadPool::waitNanos,
                  TimeUnit.NANOSECONDS)
              .description("Time offloads waited for a worker")
              .tags(pt)
              .register(registry));
      meters.add(
          FunctionTimer.builder(
                  "loopkit.offload.run",
                  pool,
                  OffloadPool::ran,
                  OffloadPool::runNanos,
                  TimeUnit.NANOSECONDS)
              .description("Time offloads ran")
              .tags(pt)
              .register(registry));
    }
    try {
      delay =
          loop.monitorDelay(
              Duration.ofMillis(loop.config().metricsDelayResolutionMillis()),
              nanos -> delayTimer.record(nanos, TimeUnit.NANOSECONDS));
    } catch (RejectedExecutionException e) {
      // the loop is shutting down: no delay samples
    }
  }

  private <T> Gauge depth(
      MeterRegistry registry, String queue, T source, ToDoubleFunction<T> value) {
    return Gauge.builder("loopkit.loop.queue.depth", source, value)
        .description("Items waiting, by queue (may lag by a turn)")
        .tags(tags)
        .tag("queue", queue)
        .register(registry);
  }

  private synchronized double utilization() {
    long now = loop.clock().nanoTime();
    long busy = loop.stats().busyNanos();
    long elapsed = now - lastAt;
    if (elapsed <= 0) {
      return 0;
    }
    double u = (busy - lastBusy) / (double) elapsed;
    lastAt = now;
    lastBusy = busy;
    return Math.max(0, Math.min(1, u));
  }

  /**
   * Detaches from the loop, stops the delay timer and removes the meters from the registry. Done by
   * itself when the loop terminates.
   */
  @Override
  public synchronized void close() {
    if (registry == null) {
      return;
    }
    loop.stats().detach(instruments);
    if (delay != null) {
      try {
        delay.close();
      } catch (RejectedExecutionException e) {
        // the loop has ended: its timer went with it
      }
    }
    for (Meter m : meters) {
      registry.remove(m);
    }
    meters.clear();
    registry = null;
    instruments = null;
  }
}
