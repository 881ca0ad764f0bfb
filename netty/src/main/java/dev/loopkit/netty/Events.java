package dev.loopkit.netty;

import dev.loopkit.Loop;
import dev.loopkit.spi.IoPoller;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * How the Node-style API ({@link NetServer}, {@link NetSocket}) calls its users' callbacks: each as
 * a callback of the loop of its own, as Node emits each event of a native callback.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop. The depths are counted per thread: on the virtual carrier a callback that
 * awaits is suspended with its stack while the loop goes on with another thread, so counts kept
 * in a field would leak the suspended stack's into the callbacks that run meanwhile; a thread
 * runs one stack of one loop's callbacks at a time. Four cases for an event:
 * - emitted while a user's call into the API runs (api > 0: a destroy() that closes the
 *   channel at once, say): it waits for a nextTick, as Node emits such events, so the user's
 *   synchronous code finishes first;
 * - emitted from inside an event or its checkpoint (event > 0: a microtask the event queued did
 *   something that emits at once): it is part of what runs and runs at once;
 * - emitted from Netty's handling of an I/O event, a handed-in task or a scheduled task (io > 0,
 *   set by NioPoller and LoopIoEventLoop around them): Host.runCallback runs it as a callback of
 *   its own: its throw goes to the loop's error handler, and the microtask checkpoint follows,
 *   before the next event;
 * - emitted anywhere else (a nextTick that delivers kept data, a timer's callback): it is part of
 *   the callback that runs, as Node's resume() emits kept data inside its tick.
 * After the loop's I/O closed (its stop) no user callback runs: the loop no longer runs callbacks.
 *
 * A fatal error thrown by a callback is kept (fatal) and rethrown once Netty's handling returns
 * to the poll phase (rethrowFatal): Netty's pipeline would otherwise catch it as an exception.
 * }</pre>
 */
final class Events {
  private final Loop loop;
  private final IoPoller.Host host;
  private final Supplier<Boolean> ioClosed;

  /** Per thread: a callback that awaits (virtual) keeps its stack, and its counts, to itself. */
  private final ThreadLocal<Depths> depths = ThreadLocal.withInitial(Depths::new);

  private @Nullable Throwable fatal;

  Events(Loop loop, IoPoller.Host host, Supplier<Boolean> ioClosed) {
    this.loop = loop;
    this.host = host;
    this.ioClosed = ioClosed;
  }

  /** How deep this thread's stack is in events, Netty's I/O handling and users' API calls. */
  private static final class Depths {
    int event; // events (with their checkpoints) running
    int io; // Netty's handling of I/O or of its tasks running
    int api; // user calls into the API running
  }

  /** Runs a user's callback as described above (loop). */
  void emit(Runnable callback) {
    Depths d = depths.get();
    if (ioClosed.get()) {
      return; // the loop has stopped: no more callbacks
    } else if (d.api > 0) {
      loop.nextTick(() -> runAsEvent(callback));
    } else if (d.event > 0 || d.io == 0) {
      runAsEvent(callback);
    } else {
      d.event++; // (through the checkpoint too)
      try {
        host.runCallback(callback);
      } catch (Throwable fatalError) { // host.runCallback rethrows only what stops the loop
        if (fatal == null) {
          fatal = fatalError;
        }
        throw fatalError;
      } finally {
        d.event--;
      }
    }
  }

  /** Runs Netty's handling of I/O or of one of its tasks (loop): events in it are callbacks. */
  void runIo(Runnable handling) {
    Depths d = depths.get();
    d.io++;
    try {
      handling.run();
    } finally {
      d.io--;
    }
  }

  private void runAsEvent(Runnable callback) {
    Depths d = depths.get();
    d.event++;
    try {
      callback.run();
    } finally {
      d.event--;
    }
  }

  /** Marks a user's call into the API (loop): events it causes wait for a nextTick. */
  void enterApi() {
    depths.get().api++;
  }

  void leaveApi() {
    depths.get().api--;
  }

  /** Whether a callback threw a fatal error that Netty's handling has not returned yet. */
  boolean fatalPending() {
    return fatal != null;
  }

  /** After Netty's handling returned to the loop: a fatal error a callback threw, rethrown. */
  void rethrowFatal() {
    Throwable t = fatal;
    if (t != null) {
      fatal = null;
      if (t instanceof Error e) {
        throw e;
      }
      throw new IllegalStateException(t);
    }
  }
}
