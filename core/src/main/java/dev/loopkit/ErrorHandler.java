package dev.loopkit;

/**
 * Receives an error that no one else handled: a callback that threw, or a promise rejected with no
 * handler by the end of the microtask checkpoint.
 *
 * <p>Runs on the loop, between callbacks. It may call {@link Loop#shutdownNow()} to stop the loop.
 * If the handler itself throws, that is logged and the loop goes on.
 */
@FunctionalInterface
public interface ErrorHandler {
  void handle(Loop loop, Throwable error);
}
