package dev.loopkit.examples.compare;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one request does, written twice: as plain blocking code (for thread-per-request) and as a
 * handler on the event loop, which offloads blocking work and waits for nothing itself.
 *
 * <p>On the loop: a file read and a database query are blocking calls, offloaded to the {@code io}
 * pool (as libuv runs file system calls on its thread pool); the HTTP call uses loopkit's client,
 * whose I/O runs in the loop's own poll phase; the hash runs on the {@code cpu} pool; the remote
 * wait is a timer. The description says what each request does, with the run's sizes and times (a
 * format: file KiB, connections, HTTP ms, rounds, wait ms). {@code mix} is the tutorial's three
 * users: file, database and HTTP requests in turn.
 */
enum Workload {
  FILE("file", "read a %1$d KiB file whole (from the page cache: mostly a copy)") {
    @Override
    Object blocking(Services s) throws Exception {
      return s.readFile();
    }

    @Override
    Promise<?> onLoop(Loop loop, Services s) {
      return loop.offload(s::readFile);
    }
  },
  DB(
      "db",
      "sum 100 rows of an in-memory H2 table through its primary key, on one of %2$d pooled"
          + " connections (no disk: the query computes)") {
    @Override
    Object blocking(Services s) throws Exception {
      return s.queryDatabase();
    }

    @Override
    Promise<?> onLoop(Loop loop, Services s) {
      return loop.offload(s::queryDatabase);
    }
  },
  HTTP(
      "http",
      "GET 1 KiB from an HTTP service on loopback that answers in %3$d ms (the JDK's HttpClient:"
          + " send, which parks the calling thread, on thread models; loopkit's HTTP client, its"
          + " I/O in the poll phase, on the loop)") {
    @Override
    Object blocking(Services s) throws Exception {
      return s.callHttp();
    }

    @Override
    Promise<?> onLoop(Loop loop, Services s) {
      return s.callHttpOnLoop(loop);
    }
  },
  HASH("hash", "PBKDF2WithHmacSHA256 of a password, %4$,d rounds (on the loop: the cpu pool)") {
    @Override
    Object blocking(Services s) throws Exception {
      return s.hash();
    }

    @Override
    Promise<?> onLoop(Loop loop, Services s) {
      return loop.offload("cpu", s::hash);
    }
  },
  WAIT(
      "wait",
      "a simulated remote call that waits %5$d ms and computes nothing (on the loop: a timer;"
          + " threads: Thread.sleep)") {
    @Override
    Object blocking(Services s) throws Exception {
      Thread.sleep(s.remoteWait());
      return null;
    }

    @Override
    Promise<?> onLoop(Loop loop, Services s) {
      return Promise.delay(s.remoteWait());
    }
  },
  MIX("mix", "the tutorial's three users: a file read, a database query, an HTTP call, in turn") {
    private final AtomicLong next = new AtomicLong();

    private Workload pick() {
      return switch ((int) (next.getAndIncrement() % 3)) {
        case 0 -> FILE;
        case 1 -> DB;
        default -> HTTP;
      };
    }

    @Override
    Object blocking(Services s) throws Exception {
      return pick().blocking(s);
    }

    @Override
    Promise<?> onLoop(Loop loop, Services s) {
      return pick().onLoop(loop, s);
    }

    @Override
    boolean uses(Workload service) {
      return service == FILE || service == DB || service == HTTP;
    }
  };

  private final String id;
  private final String description;

  Workload(String id, String description) {
    this.id = id;
    this.description = description;
  }

  /** The request as plain blocking code, run by a thread of its own (thread-per-request). */
  abstract Object blocking(Services s) throws Exception;

  /** The request as a handler on {@code loop}: called on the loop, settles on the loop. */
  abstract Promise<?> onLoop(Loop loop, Services s);

  /** Whether this workload calls the service that {@code service} stands for. */
  boolean uses(Workload service) {
    return service == this;
  }

  /** Calls each service once, before any clock runs (class loading, connections, JIT). */
  void warmUp(Services s) throws Exception {
    for (Workload w : values()) {
      if (w != MIX && w != WAIT && uses(w)) {
        w.blocking(s);
      }
    }
  }

  /** The name used on the command line and in reports. */
  String id() {
    return id;
  }

  /** What a request does, with the sizes and times of {@code s}. */
  String description(Settings s) {
    return String.format(
        Locale.ROOT,
        description,
        s.fileKib(),
        s.dbConnections(),
        s.httpMillis(),
        s.hashIterations(),
        s.waitMillis());
  }

  /** The workload named {@code id}, or a {@link Settings.BadOption} naming the choices. */
  static Workload of(String id) {
    for (Workload w : values()) {
      if (w.id.equals(id.toLowerCase(Locale.ROOT))) {
        return w;
      }
    }
    throw new Settings.BadOption("--workloads: unknown workload '" + id + "'; allowed: " + ids());
  }

  static String ids() {
    StringBuilder b = new StringBuilder();
    for (Workload w : values()) {
      b.append(b.isEmpty() ? "" : ", ").append(w.id);
    }
    return b.toString();
  }

  @Override
  public String toString() {
    return id;
  }
}
