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
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
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
 *       running turns, 0 to 1 (Node's {@code eventLoopUtilization}), over the last completed
 *       window of this registry: a window closes at the first reading at least a second after it
 *       opened, and the next one opens; until the first closes, the share since the loop's first
 *       binder was bound (every registry's first window starts there, so registries bound to one
 *       loop read the same figure until they read at different times). Reading never resets it: a scraper and a dashboard reading one
 *       registry see the same figure, and each registry keeps its own windows, so two registries
 *       never skew each other</td></tr>
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
 * <p>Binding: one binder may be bound to several registries, each getting its own meters, and a
 * loop may have several binders, one per registry. Binding a binder to a registry it is bound to
 * already does nothing; binding a second binder of the same loop to the same registry is refused
 * with an {@link IllegalStateException} naming the loop (the meters would be the same ones, and
 * closing either binder would remove them from under the other). For a {@link
 * dev.loopkit.LoopGroup}, {@link LoopGroupMetrics} binds every member (tag {@code loop} per
 * member).
 *
 * <pre>{@code
 * LoopMetrics metrics = LoopMetrics.monitor(registry, loop);
 * ...
 * metrics.close(); // detaches and removes the meters, from every registry
 * }</pre>
 */
public final class LoopMetrics implements MeterBinder, AutoCloseable {
  /** How long a utilization window lasts at least: it closes at the first reading after it. */
  static final long UTILIZATION_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final EventLoop loop;
  private final Tags tags;
  // the registries bound, each with its meters (identity: a registry is one destination)
  private final Map<MeterRegistry, Binding> bindings = new IdentityHashMap<>(); // guarded by this

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
   * Registers the meters in {@code registry} and attaches to the loop. Does nothing if this binder
   * is bound to {@code registry} already; may be called for several registries.
   *
   * @throws IllegalStateException if another binder of the same loop is bound to {@code registry}
   */
  @Override
  @SuppressWarnings(
      "FutureReturnValueIgnored") // the clean-up at termination has no caller to report to
  public synchronized void bindTo(MeterRegistry registry) {
    requireNonNull(registry, "registry");
    if (bindings.containsKey(registry)) {
      return;
    }
    Hub hub = Hub.join(loop, registry); // first: throws if another binder holds this registry
    Binding b = new Binding(registry, hub);
    bindings.put(registry, b);
    try {
      register(b, loop.stats());
    } catch (RuntimeException | Error e) {
      unbind(registry);
      throw e;
    }
    hub.sinks.add(b);
    // A terminated loop's meters go: nothing would move them again, and they would keep it alive.
    loop.terminationFuture().whenComplete((v, e) -> close());
  }

  /**
   * What one loop's binders share: the loop's instruments slot (one per loop), fanned out to every
   * bound registry's timers, and which registries are bound.
   */
  private static final class Hub implements LoopStats.Instruments {
    private static final Map<EventLoop, Hub> HUBS = new HashMap<>(); // guarded by HUBS

    final EventLoop loop;
    final List<Binding> sinks = new CopyOnWriteArrayList<>();
    // where every registry's first utilization window starts: when the loop's busy time began
    final long originAt;
    final long originBusy;
    private final Set<MeterRegistry> registries = // guarded by HUBS
        Collections.newSetFromMap(new IdentityHashMap<>());

    private Hub(EventLoop loop) {
      this.loop = loop;
      this.originAt = loop.clock().nanoTime();
      this.originBusy = loop.stats().busyNanos();
    }

    static Hub join(EventLoop loop, MeterRegistry registry) {
      synchronized (HUBS) {
        Hub hub = HUBS.get(loop);
        if (hub == null) {
          hub = new Hub(loop);
          loop.stats().attach(hub);
          HUBS.put(loop, hub);
        }
        if (!hub.registries.add(registry)) {
          throw new IllegalStateException(
              "loop '"
                  + loop.name()
                  + "' is already bound to this registry by another LoopMetrics: bind one binder"
                  + " per loop and registry (binding the same one again does nothing)");
        }
        return hub;
      }
    }

    void leave(MeterRegistry registry) {
      synchronized (HUBS) {
        registries.remove(registry);
        if (registries.isEmpty() && HUBS.get(loop) == this) {
          HUBS.remove(loop);
          loop.stats().detach(this);
        }
      }
    }

    @Override
    public void callbackDuration(int phase, long nanos) {
      for (Binding b : sinks) {
        b.durations[phase].record(nanos, TimeUnit.NANOSECONDS);
      }
    }

    @Override
    public void taskWait(long nanos) {
      for (Binding b : sinks) {
        Timer w = b.wait;
        if (w != null) {
          w.record(nanos, TimeUnit.NANOSECONDS);
        }
      }
    }
  }

  /** One registry's meters, delay monitor and utilization windows. */
  private static final class Binding {
    final MeterRegistry registry;
    final Hub hub;
    final List<Meter> meters = new ArrayList<>();
    final Timer[] durations = new Timer[4];
    @Nullable Timer wait;
    @Nullable DelayMonitor delay;
    // the utilization windows: the open one's start, and the share of the last one closed
    private long windowAt; // guarded by this
    private long windowBusy; // guarded by this
    private double lastShare = Double.NaN; // guarded by this; NaN: no window closed yet

    Binding(MeterRegistry registry, Hub hub) {
      this.registry = registry;
      this.hub = hub;
    }

    /** The first window starts where the loop's first binding began counting busy time. */
    synchronized void openFirstWindow() {
      windowAt = hub.originAt;
      windowBusy = hub.originBusy;
    }

    /** The last closed window's share; closes the open window if it lasted long enough. */
    synchronized double utilization() {
      long now = hub.loop.clock().nanoTime();
      long busy = hub.loop.stats().busyNanos();
      long elapsed = now - windowAt;
      if (elapsed >= UTILIZATION_WINDOW_NANOS) {
        lastShare = share(busy - windowBusy, elapsed);
        windowAt = now;
        windowBusy = busy;
        return lastShare;
      }
      return Double.isNaN(lastShare) ? share(busy - windowBusy, elapsed) : lastShare;
    }

    private static double share(long busy, long elapsed) {
      return elapsed <= 0 ? 0 : Math.max(0, Math.min(1, busy / (double) elapsed));
    }
  }

  private void register(Binding b, LoopStats stats) {
    MeterRegistry registry = b.registry;
    List<Meter> meters = b.meters;
    Timer[] durations = b.durations;
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
    b.wait = wait;
    b.openFirstWindow();
    meters.add(
        Gauge.builder("loopkit.loop.utilization", b, Binding::utilization)
            .description("Share of time running turns over the last window of 1 s or more (0 to 1)")
            .tags(tags)
            .strongReference(true) // the binding keeps its windows; callers may drop the binder
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
    registerPerPhaseAndPools(b, stats);
    try {
      b.delay =
          loop.monitorDelay(
              Duration.ofMillis(loop.config().metricsDelayResolutionMillis()),
              nanos -> delayTimer.record(nanos, TimeUnit.NANOSECONDS));
    } catch (RejectedExecutionException e) {
      // the loop is shutting down: no delay samples
    }
  }

  private void registerPerPhaseAndPools(Binding b, LoopStats stats) {
    MeterRegistry registry = b.registry;
    List<Meter> meters = b.meters;
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
  }

  private <T> Gauge depth(
      MeterRegistry registry, String queue, T source, ToDoubleFunction<T> value) {
    return Gauge.builder("loopkit.loop.queue.depth", source, value)
        .description("Items waiting, by queue (may lag by a turn)")
        .tags(tags)
        .tag("queue", queue)
        .register(registry);
  }

  /**
   * Detaches from the loop, stops the delay timers and removes the meters from every registry this
   * binder is bound to. Done by itself when the loop terminates. The binder may be bound again.
   */
  @Override
  public synchronized void close() {
    for (MeterRegistry r : List.copyOf(bindings.keySet())) {
      unbind(r);
    }
  }

  synchronized boolean isBoundTo(MeterRegistry registry) {
    return bindings.containsKey(registry);
  }

  /** Removes this binder's meters from {@code registry} (if bound to it) and lets the hub go. */
  synchronized void unbind(MeterRegistry registry) {
    Binding b = bindings.remove(registry);
    if (b == null) {
      return;
    }
    b.hub.sinks.remove(b);
    DelayMonitor d = b.delay;
    if (d != null) {
      try {
        d.close();
      } catch (RejectedExecutionException e) {
        // the loop has ended: its timer went with it
      }
    }
    for (Meter m : b.meters) {
      registry.remove(m);
    }
    b.meters.clear();
    b.hub.leave(registry);
  }
}
