package dev.loopkit.conformance;

/** What a carrier set-up can do, where carriers legitimately differ. */
public enum Capability {
  /** Turns run on threads the carrier owns; real time passes by itself. */
  OWN_THREADS,
  /** Time is virtual: the fixture moves it; tests of timing are exact. */
  VIRTUAL_TIME,
  /** Offloads wait until the test runs them, in the order it chooses. */
  HELD_OFFLOADS,
  /** A callback that awaits a promise (or blocks in its get/join) is suspended, not refused. */
  SUSPENDS_CALLBACKS
}
