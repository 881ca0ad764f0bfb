package dev.loopkit.spi;

import dev.loopkit.Loop;
import dev.loopkit.internal.EventLoop;
import java.util.function.Consumer;

/**
 * An I/O multiplexer that a loop polls in its poll phase, as Node's loop polls its sockets: each
 * source that became ready comes back as a poll-phase callback, followed by the microtask
 * checkpoint. {@code loopkit-netty} provides one on Netty's transport; a loop has at most one.
 *
 * <p>While other work is ready the loop polls without waiting, every few turns; when it has nothing
 * to run, a carrier with a thread of its own waits in {@link #poll} (until the next timer's
 * deadline or a {@link #wakeup}) instead of parking.
 *
 * <p>Threads: {@link #poll}, {@link #holdsLoop} and {@link #close} are called on the loop (its
 * {@code inEventLoop()} is true); {@link #wakeup} from any thread.
 */
public interface IoPoller {

  /**
   * Attaches {@code poller} to {@code loop}, from any thread (off the loop it takes effect at the
   * loop's next poll phase, in order with the tasks handed in before and after).
   *
   * @return what the loop offers the poller
   * @throws IllegalStateException if the loop has a poller already, or has stopped
   */
  static Host attach(Loop loop, IoPoller poller) {
    return EventLoop.of(loop).attachIo(java.util.Objects.requireNonNull(poller, "poller"));
  }

  /** What a loop offers the poller attached to it. */
  interface Host {
    /**
     * Hands {@code task} to the loop from any thread, past {@code shutdown()} (the I/O layer's own
     * work: a channel's event, a close): it runs in the poll phase, followed by the microtask
     * checkpoint. False once the loop has terminated: it will not run.
     */
    boolean handIn(Runnable task);

    /**
     * Runs {@code callback} now, on the loop, inside the ready source's callback that is running,
     * as a callback of its own (as Node runs each event a native callback emits): what it throws
     * goes to the loop's uncaught-error handler, and the microtask checkpoint follows it. A fatal
     * error is rethrown after the loop has recorded it: let it propagate, and the loop stops.
     *
     * @throws IllegalStateException if called off the loop
     */
    void runCallback(Runnable callback);
  }

  /**
   * Polls for readiness: without waiting ({@code timeoutNanos} 0), for up to {@code timeoutNanos},
   * or until woken (negative). Hands each source that became ready to {@code ready}, once, as the
   * callback that handles it; a source handed on whose callback has not run yet is not handed again
   * (what became ready meanwhile is merged into it).
   */
  void poll(long timeoutNanos, Consumer<Runnable> ready);

  /** Makes a {@link #poll} that waits return soon, or the next one not wait (any thread). */
  void wakeup();

  /**
   * Whether what is registered holds the loop open (a listening server, an open connection): it
   * does while the loop accepts work; after {@code shutdown()} the loop ends once the rest of its
   * work is done, and {@link #close} closes what is left.
   */
  boolean holdsLoop();

  /** The loop is terminating: closes everything registered (on the loop, once). */
  void close();
}
