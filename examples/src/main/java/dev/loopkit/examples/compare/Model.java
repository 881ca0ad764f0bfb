package dev.loopkit.examples.compare;

import dev.loopkit.DelayMonitor;
import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.Promise;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A way to serve requests: handlers on one event loop with slow work offloaded ({@code
 * loop/<carrier>}), or plain blocking code on a thread per request ({@code threads/virtual}: a new
 * virtual thread each; {@code threads/platform}: a fixed pool of platform threads, all started up
 * front).
 *
 * <p>Every model runs the same closed loop ({@link #start}): {@code concurrency} chains, each
 * issuing a request and, when it completes, the next. A request's latency runs from the moment it
 * is issued (so a request that waits for a pool thread or for the loop counts that wait) to its
 * completion. For the open loop ({@link #open}), the caller hands in each request with the time it
 * was meant to start, and its latency runs from then.
 */
abstract sealed class Model permits Model.OnLoop, Model.ThreadPerRequest, Served {

  /** Told of every request's end: its issue time ({@link System#nanoTime()}) and its failure. */
  interface Sink {
    void completed(long issuedAt, Throwable failure);
  }

  /** A running model: {@link #close()} stops issuing and waits for the requests in flight. */
  interface Run extends AutoCloseable {
    /** The loop's delay monitor, or null for thread-per-request models. */
    DelayMonitor loopDelay();

    /**
     * The thread of the client that drives a model behind a server ({@link Served}), or null: not
     * the model's, so neither it nor its CPU time is counted.
     */
    default Thread client() {
      return null;
    }

    @Override
    void close();
  }

  /** A model serving requests handed in one by one (the open loop). */
  interface Open extends AutoCloseable {
    /** Issues one request now, from any thread; the sink is told {@code intendedAt} at its end. */
    void submit(long intendedAt);

    /** The loop's delay monitor, or null for thread-per-request models. */
    DelayMonitor loopDelay();

    /** As {@link Run#client()}. */
    default Thread client() {
      return null;
    }

    /** Stops serving; the caller has waited for the requests in flight. */
    @Override
    void close();
  }

  /** How long {@link Run#close()} waits for the requests in flight before it gives up. */
  static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);

  final String name;

  Model(String name) {
    this.name = name;
  }

  /**
   * The model {@code name} (checked by {@link Settings#model}) with {@code settings}' knobs; behind
   * a server ({@link Served}) with {@code --server true}.
   */
  static Model of(String name, Settings settings) {
    Model m =
        switch (name) {
          case "threads/virtual" -> new ThreadPerRequest(name, true, settings.platformThreads());
          case "threads/platform" -> new ThreadPerRequest(name, false, settings.platformThreads());
          default -> new OnLoop(name, name.substring("loop/".length()), settings.ioThreads());
        };
    return settings.server() ? new Served(m) : m;
  }

  /** A model serving HTTP on loopback (server mode): its port, and how to stop it. */
  interface Server extends AutoCloseable {
    int port();

    /** The loop's delay monitor, or null for thread-per-request models. */
    DelayMonitor loopDelay();

    /** Stops serving; the client has closed its connections. */
    @Override
    void close();
  }

  /** The body of a request served whole (server mode). */
  static final byte[] SERVED = "ok".getBytes(StandardCharsets.US_ASCII);

  /**
   * Starts serving {@code workload} over HTTP on loopback (server mode): each request runs it as
   * this model runs it, and is answered 200 ({@link #SERVED}), or 500 with its failure.
   */
  abstract Server serve(Workload workload, Services services);

  /** Starts {@code concurrency} request chains of {@code workload}, reporting each end to sink. */
  abstract Run start(Workload workload, Services services, int concurrency, Sink sink);

  /** Starts serving requests of {@code workload} that {@link Open#submit} hands in. */
  abstract Open open(Workload workload, Services services, Sink sink);

  /** Handlers on one loop of a carrier; blocking work offloaded to the loop's pools. */
  static final class OnLoop extends Model {
    private final String carrier;
    private final int ioThreads;

    OnLoop(String name, String carrier, int ioThreads) {
      super(name);
      this.carrier = carrier;
      this.ioThreads = ioThreads;
    }

    @Override
    Run start(Workload workload, Services services, int concurrency, Sink sink) {
      Loop loop = Loop.create(config(carrier, ioThreads));
      LoopRun run = new LoopRun(loop, workload, services, concurrency, sink);
      try {
        loop.submit(run::begin).get(); // the chains are running when start returns
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        loop.shutdownNow();
        throw new IllegalStateException("interrupted while starting the chains", e);
      } catch (ExecutionException e) {
        loop.shutdownNow();
        throw new IllegalStateException("cannot start the chains", e.getCause());
      }
      return run;
    }

    @Override
    Open open(Workload workload, Services services, Sink sink) {
      Loop loop = Loop.create(config(carrier, ioThreads));
      DelayMonitor monitor = loop.monitorDelay(Duration.ofMillis(10));
      return new Open() {
        @Override
        public void submit(long intendedAt) {
          loop.execute(() -> issueOne(loop, workload, services, sink, intendedAt));
        }

        @Override
        public DelayMonitor loopDelay() {
          return monitor;
        }

        @Override
        public void close() {
          monitor.close();
          services.releaseLoop(loop);
          loop.close();
        }
      };
    }

    @Override
    Server serve(Workload workload, Services services) {
      return Served.onLoop(Loop.create(config(carrier, ioThreads)), workload, services);
    }

    /** Issues one request on {@code loop}; its end goes to sink, on the loop. */
    private static void issueOne(
        Loop loop, Workload workload, Services services, Sink sink, long issuedAt) {
      Promise<?> request;
      try {
        request = workload.onLoop(loop, services);
      } catch (Throwable t) {
        sink.completed(issuedAt, t);
        return;
      }
      request.handle(
          (v, failure) -> {
            sink.completed(issuedAt, failure);
            return null;
          });
    }
  }

  /**
   * The configuration of a loop model: the carrier and the io pool's size, every other key at its
   * default; the environment, system properties and {@code loopkit.properties} are not read, so a
   * report's figures depend only on what it records.
   */
  static LoopConfig config(String carrier, int ioThreads) {
    return LoopConfig.builder()
        .isolated()
        .carrier(carrier)
        .name("compare")
        .set("loopkit.pool.io.size", ioThreads)
        .build();
  }

  /** A loop model's closed loop: its chains on the loop, and the loop's delay monitor. */
  private static final class LoopRun implements Run {
    private final Loop loop;
    private final Services services;
    private final Chains chains;
    private volatile DelayMonitor monitor;

    LoopRun(Loop loop, Workload workload, Services services, int concurrency, Sink sink) {
      this.loop = loop;
      this.services = services;
      this.chains = new Chains(loop, () -> workload.onLoop(loop, services), concurrency, sink);
    }

    void begin() {
      monitor = loop.monitorDelay(Duration.ofMillis(10));
      chains.begin();
    }

    @Override
    public DelayMonitor loopDelay() {
      return monitor;
    }

    @Override
    public void close() {
      try {
        chains.stop();
      } finally {
        if (monitor != null) {
          monitor.close();
        }
        services.releaseLoop(loop);
        loop.close();
      }
    }
  }

  /**
   * The closed loop on {@code loop}: {@code concurrency} chains, each issuing a request when its
   * last ends (a loop model's handlers, or server mode's client). Every field but {@code stopping}
   * is the loop's alone.
   */
  static final class Chains {
    private final Loop loop;
    private final Supplier<Promise<?>> request;
    private final int concurrency;
    private final Sink sink;
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean stopping;
    private int chains;

    Chains(Loop loop, Supplier<Promise<?>> request, int concurrency, Sink sink) {
      this.loop = loop;
      this.request = request;
      this.concurrency = concurrency;
      this.sink = sink;
    }

    /** Starts the chains (on the loop). */
    void begin() {
      chains = concurrency;
      for (int i = 0; i < concurrency; i++) {
        issue();
      }
    }

    private void issue() {
      long issuedAt = System.nanoTime();
      Promise<?> p;
      try {
        p = request.get();
      } catch (Throwable t) {
        loop.setImmediate(() -> ended(issuedAt, t)); // never recurse into the next request
        return;
      }
      p.handle(
          (v, failure) -> {
            ended(issuedAt, failure);
            return null;
          });
    }

    private void ended(long issuedAt, Throwable failure) {
      sink.completed(issuedAt, failure);
      if (!stopping) {
        issue();
      } else if (--chains == 0) {
        drained.complete(null);
      }
    }

    /** Stops issuing and waits for the requests in flight (see {@link #awaitDrained}). */
    void stop() {
      stopping = true;
      awaitDrained(drained, loop::shutdownNow);
    }
  }

  /** Plain blocking code, one thread per request: a new virtual thread, or a pool thread. */
  static final class ThreadPerRequest extends Model {
    private final boolean virtual;
    private final int platformThreads;

    ThreadPerRequest(String name, boolean virtual, int platformThreads) {
      super(name);
      this.virtual = virtual;
      this.platformThreads = platformThreads;
    }

    @Override
    Run start(Workload workload, Services services, int concurrency, Sink sink) {
      ThreadRun run = new ThreadRun(executor(), workload, services, concurrency, sink);
      for (int i = 0; i < concurrency; i++) {
        run.issue();
      }
      return run;
    }

    @Override
    Open open(Workload workload, Services services, Sink sink) {
      ExecutorService executor = executor();
      return new Open() {
        @Override
        public void submit(long intendedAt) {
          executor.execute(
              () -> {
                Throwable failure = null;
                try {
                  workload.blocking(services);
                } catch (Throwable t) {
                  failure = t;
                }
                sink.completed(intendedAt, failure);
              });
        }

        @Override
        public DelayMonitor loopDelay() {
          return null;
        }

        @Override
        public void close() {
          stop(executor);
        }
      };
    }

    @Override
    Server serve(Workload workload, Services services) {
      return virtual
          ? Served.helidon(workload, services)
          : Served.jdk(executor(), workload, services);
    }

    private ExecutorService executor() {
      if (virtual) {
        return Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("request-", 0).factory());
      }
      // A fixed pool starts a thread for each of its first tasks even while others are idle, so
      // under a closed loop it soon holds all of them: start them now, and the figures say so.
      ThreadPoolExecutor pool =
          new ThreadPoolExecutor(
              platformThreads,
              platformThreads,
              0,
              TimeUnit.MILLISECONDS,
              new LinkedBlockingQueue<>(),
              Thread.ofPlatform().name("request-", 0).daemon().factory());
      pool.prestartAllCoreThreads();
      return pool;
    }
  }

  static void stop(ExecutorService executor) {
    executor.shutdownNow();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class ThreadRun implements Run {
    private final ExecutorService executor;
    private final Workload workload;
    private final Services services;
    private final Sink sink;
    private final AtomicInteger chains;
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean stopping;

    ThreadRun(
        ExecutorService executor,
        Workload workload,
        Services services,
        int concurrency,
        Sink sink) {
      this.executor = executor;
      this.workload = workload;
      this.services = services;
      this.sink = sink;
      this.chains = new AtomicInteger(concurrency);
    }

    void issue() {
      long issuedAt = System.nanoTime();
      executor.execute(() -> serve(issuedAt));
    }

    private void serve(long issuedAt) {
      Throwable failure = null;
      try {
        workload.blocking(services);
      } catch (Throwable t) {
        failure = t;
      }
      sink.completed(issuedAt, failure);
      if (!stopping) {
        issue();
      } else if (chains.decrementAndGet() == 0) {
        drained.complete(null);
      }
    }

    @Override
    public DelayMonitor loopDelay() {
      return null;
    }

    @Override
    public void close() {
      stopping = true;
      try {
        awaitDrained(drained, () -> {});
      } finally {
        stop(executor);
      }
    }
  }

  /**
   * Waits until every chain has ended; past {@link #DRAIN_TIMEOUT}, or if interrupted, runs {@code
   * giveUp} and throws.
   */
  static void awaitDrained(CompletableFuture<Void> drained, Runnable giveUp) {
    try {
      drained.get(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      giveUp.run();
      throw new IllegalStateException(
          "requests still in flight " + DRAIN_TIMEOUT.toSeconds() + " s after the window");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      giveUp.run();
      throw new IllegalStateException("interrupted while waiting for the requests in flight", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("while waiting for the requests in flight", e.getCause());
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
