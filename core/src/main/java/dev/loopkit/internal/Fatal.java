package dev.loopkit.internal;

/** The errors that must never be swallowed, because the JVM itself is in trouble. */
public final class Fatal {
  private Fatal() {}

  /** Whether {@code t} is fatal: a {@link VirtualMachineError} or a {@link LinkageError}. */
  public static boolean isFatal(Throwable t) {
    return t instanceof VirtualMachineError || t instanceof LinkageError;
  }

  /** Rethrows {@code t} if it is fatal. */
  public static void rethrowIfFatal(Throwable t) {
    if (isFatal(t)) {
      throw (Error) t;
    }
  }
}
