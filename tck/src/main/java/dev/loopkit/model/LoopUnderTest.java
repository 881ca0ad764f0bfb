package dev.loopkit.model;

/**
 * What a {@link ProgramRunner} drives: the real loop ({@link EngineLoop}) or the reference model
 * ({@link ReferenceLoop}). The scheduling calls are made on the loop; the steps from outside it.
 */
interface LoopUnderTest {

  // ---- on the loop (inside a callback) ---------------------------------------------------------

  void execute(Runnable callback);

  void nextTick(Runnable callback);

  void queueMicrotask(Runnable callback);

  /**
   * Adds {@code callback} as both the fulfilment and the rejection reaction of promise {@code p}.
   */
  void then(int p, Runnable callback);

  /** Resolves promise {@code p}; false if it was already settled. */
  boolean resolve(int p);

  /** Rejects promise {@code p}; false if it was already settled. */
  boolean reject(int p);

  Object setImmediate(Runnable callback);

  Object setTimeout(Runnable callback, long delayMillis);

  Object setInterval(Runnable callback, long periodMillis);

  /** Cancels a handle returned by one of the {@code set*} calls; returns what cancel returns. */
  boolean cancel(Object handle);

  /** Offloads a task that returns null; {@code callback} is the reaction to its promise. */
  void offload(Runnable callback);

  // ---- from outside, between turns -------------------------------------------------------------

  void runTurn();

  void advance(long millis);

  int pendingOffloads();

  void runOffload(int index);
}
