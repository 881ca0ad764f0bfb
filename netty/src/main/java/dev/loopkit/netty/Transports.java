package dev.loopkit.netty;

import dev.loopkit.Loop;
import io.netty.channel.epoll.Epoll;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Which multiplexer a loop's sockets use: the loop's {@code loopkit.netty.transport} ({@code nio},
 * the default, or {@code epoll}). Epoll needs Linux and Netty's native library ({@code
 * io.netty:netty-transport-native-epoll}, classifier {@code linux-x86_64}) on the class path;
 * without it the loop uses NIO, and the first such loop logs a warning that says why. A loop that
 * runs on virtual threads (the {@code virtual} carrier) uses NIO too (see {@link
 * LoopIoEventLoop#socketsOnEpoll}).
 *
 * <pre>{@code
 * Implementation notes
 *
 * io_uring (Netty 4.2's IoUringIoHandler) is not offered. The poll phase defers each ready
 * channel's handling to its own list, merging readiness; io_uring reports completions (each with
 * its own result, tied to buffers and submissions the handler manages) rather than readiness, and
 * whether they may be handled later, outside the handler's own draining of its completion queue,
 * and with the handler driven by one thread for good (single-thread only), has not been checked.
 * }</pre>
 */
final class Transports {
  static final String KEY = "loopkit.netty.transport";

  private static final AtomicBoolean WARNED = new AtomicBoolean();

  private Transports() {}

  /**
   * Whether {@code loop}'s sockets are epoll's.
   *
   * @throws IllegalArgumentException if the loop's configuration names another transport
   */
  static boolean epollChosen(Loop loop) {
    String transport = loop.config().get(KEY).orElse("nio");
    switch (transport) {
      case "nio" -> {
        return false;
      }
      case "epoll" -> {
        if (epollLoads()) {
          return true;
        }
        if (WARNED.compareAndSet(false, true)) {
          System.getLogger("dev.loopkit.netty")
              .log(
                  System.Logger.Level.WARNING,
                  "{0}=epoll, but Netty''s native epoll library does not load ({1}): the loops"
                      + " use NIO",
                  KEY,
                  String.valueOf(Epoll.unavailabilityCause()));
        }
        return false;
      }
      default ->
          throw new IllegalArgumentException(
              KEY + " must be nio or epoll: '" + transport + "' (loop " + loop.name() + ")");
    }
  }

  private static final AtomicBoolean WARNED_VIRTUAL = new AtomicBoolean();

  /** A loop that asked for epoll runs on a virtual thread: it uses NIO (logged once). */
  static void warnVirtual(Loop loop) {
    if (WARNED_VIRTUAL.compareAndSet(false, true)) {
      System.getLogger("dev.loopkit.netty")
          .log(
              System.Logger.Level.WARNING,
              "{0}=epoll, but the loop {1} runs on a virtual thread, whose carrier thread epoll''s"
                  + " native wait would pin: its sockets use NIO",
              KEY,
              loop.name());
    }
  }

  private static boolean epollLoads() {
    try {
      return Epoll.isAvailable();
    } catch (LinkageError e) { // (the classes without their native part)
      return false;
    }
  }
}
