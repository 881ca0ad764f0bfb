package dev.loopkit;

/**
 * The loop ended before it could finish this work: it was stopped with {@link Loop#shutdownNow()},
 * or an uncaught error stopped it (then that error is the cause).
 */
public class LoopTerminatedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LoopTerminatedException(String message) {
    super(message);
  }

  public LoopTerminatedException(String message, Throwable cause) {
    super(message, cause);
  }
}
