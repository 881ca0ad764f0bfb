package dev.loopkit.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Netty's graceful shutdown: keep accepting while tasks keep arriving; shut down after a quiet
 * period with no task; past the timeout, stop as shutdownNow() would, keeping the never-run tasks
 * in unrunTasks() (and logging how many). Both count from the call.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Asked from any thread; the loop starts it at its first turn after the call (started, loop), so
 * a long queue ahead of it delays nothing but that turn. It checks on the loop's own repeating
 * timer (unref'd, surviving shutdown()). With a real clock, a watcher thread stops the loop at the
 * timeout even while a callback holds it (the stop then interrupts that callback); it ends at the
 * timeout or when the loop terminates.
 * }</pre>
 */
final class GracefulShutdown {
  private final EventLoop loop;
  private final long quiet;
  private final long end;
  private long quietSince;
  private long seen;
  boolean started; // loop
  private volatile Thread watcher;

  GracefulShutdown(EventLoop loop, long quiet, long timeout, long calledAt) {
    this.loop = loop;
    this.quiet = quiet;
    this.end = calledAt + Math.min(timeout, TimerPhase.MAX_SCHEDULE_NANOS);
    this.quietSince = calledAt;
  }

  /** On the loop: arms the check. */
  void start() {
    started = true;
    seen = loop.driver.poll.polled;
    long step =
        Math.max(
            TimeUnit.MILLISECONDS.toNanos(1), Math.min(quiet, TimeUnit.MILLISECONDS.toNanos(100)));
    loop.timers.addInternal(this::check, step);
    check();
  }

  /** With a real clock: a thread that stops the loop at the timeout. */
  void watchTimeout() {
    Thread w =
        loop.threadFactory("graceful")
            .newThread(
                () -> {
                  long left;
                  while (loop.state() != Lifecycle.TERMINATED
                      && (left = end - loop.clock().nanoTime()) > 0) {
                    LockSupport.parkNanos(this, left);
                  }
                  if (loop.state() != Lifecycle.TERMINATED) {
                    loop.termination.stop(null, "the timeout of shutdownGracefully");
                  }
                });
    watcher = w;
    w.start();
  }

  /** On termination: the watcher need not wait any longer. */
  void terminated() {
    Thread w = watcher;
    if (w != null) {
      LockSupport.unpark(w);
    }
  }

  private void check() {
    long now = loop.clock().nanoTime();
    long polled = loop.driver.poll.polled;
    if (polled != seen) {
      seen = polled;
      quietSince = now;
    }
    if (now - end >= 0) {
      loop.termination.stop(null, "the timeout of shutdownGracefully");
    } else if (now - quietSince >= quiet) {
      loop.shutdown();
    }
  }
}
