package dev.loopkit;

/**
 * Holds a program-mode loop open for producers on other threads, until closed.
 *
 * <p>Made by {@link Loop#keepAlive()}; ref'd when made. Closing it (from any thread) lets the loop
 * end once nothing else holds it. {@code close()} is idempotent.
 */
public interface KeepAlive extends Handle, AutoCloseable {

  @Override
  void close();
}
