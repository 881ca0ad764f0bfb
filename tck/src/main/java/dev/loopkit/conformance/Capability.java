package dev.loopkit.conformance;

/**
 * What a carrier set-up can do, where carriers legitimately differ. A carrier declares them by name
 * in its provider's {@code testSetups()} ({@code CarrierProvider.TestSetup}); the suite branches on
 * them, never on a carrier's name.
 */
public enum Capability {
  /**
   * Turns run by themselves, on threads the carrier (or its executor) provides; real time passes.
   */
  OWN_THREADS,
  /** Time is virtual and turns run when the fixture steps the loop ({@code ManualControl}). */
  VIRTUAL_TIME,
  /** Offloads wait until the test runs them, in the order it chooses ({@code ManualControl}). */
  HELD_OFFLOADS,
  /** A callback that awaits a promise (or blocks in its get/join) is suspended, not refused. */
  SUSPENDS_CALLBACKS,
  /** A loop can wait for network I/O on real sockets (for network modules such as netty's). */
  REAL_SOCKETS
}
