package dev.loopkit.model;

/**
 * One step of a generated {@link Program}: what to do, where, and its argument.
 *
 * <p>{@code parent} is -1 for a top-level action, which the test performs from outside the loop,
 * between turns: either by handing in a task that performs it on the loop, or ({@code outside}) by
 * calling the loop's method from outside, which the loop receives in its poll phase. Otherwise
 * {@code parent} is the index of an earlier action whose callback performs this one, each time it
 * runs.
 *
 * @param kind what to do
 * @param parent -1 (top level) or the index of an earlier action that has a callback
 * @param arg the kind's argument, already resolved (see the accessors)
 * @param outside whether a top-level action calls the loop from outside rather than from a task
 */
record Action(Kind kind, int parent, int arg, boolean outside) {

  /** What an action does. */
  enum Kind {
    /** {@code loop.execute(callback)}: the poll phase. */
    EXECUTE(true),
    /** {@code loop.nextTick(callback)}. */
    NEXT_TICK(true),
    /** {@code loop.queueMicrotask(callback)}. */
    MICROTASK(true),
    /** {@code promise.then(callback, callback)} on promise {@code arg}. */
    THEN(true),
    /** Resolves promise {@code arg}; logs whether it was still pending. */
    RESOLVE(false),
    /** Rejects promise {@code arg}; logs whether it was still pending. */
    REJECT(false),
    /** {@code loop.setImmediate(callback)}. */
    SET_IMMEDIATE(true),
    /** {@code loop.setTimeout(callback, arg)}. */
    SET_TIMEOUT(true),
    /** {@code loop.setInterval(callback, period)}, cancelled by its own callback after k runs. */
    SET_INTERVAL(true),
    /** Cancels the handle made last by action {@code arg} (-1: no target); logs the result. */
    CANCEL(false),
    /** {@code loop.offload(() -> null).then(callback, callback)}; held until a RUN_OFFLOAD. */
    OFFLOAD(true),
    /** Top level only: the test runs one turn. */
    RUN_TURN(false),
    /** Top level only: the test moves virtual time by {@code arg} ms. */
    ADVANCE(false),
    /** Top level only: the test runs pending offload number {@code arg % pending}. */
    RUN_OFFLOAD(false);

    private final boolean hasCallback;

    Kind(boolean hasCallback) {
      this.hasCallback = hasCallback;
    }

    /** Whether the action has a callback, which logs and performs the action's children. */
    boolean hasCallback() {
      return hasCallback;
    }

    /** Whether the action drives the loop from outside, so it is only ever at top level. */
    boolean isStep() {
      return this == RUN_TURN || this == ADVANCE || this == RUN_OFFLOAD;
    }

    /** Whether a top-level action of this kind may call the loop from outside. */
    boolean callableFromOutside() {
      return !isStep() && this != OFFLOAD;
    }

    /** Whether the action makes a handle that CANCEL can target. */
    boolean isCancellable() {
      return this == SET_IMMEDIATE || this == SET_TIMEOUT || this == SET_INTERVAL;
    }
  }

  /** Number of promises a program may use (made before it starts). */
  static final int PROMISES = 3;

  /** SET_TIMEOUT's delay in ms: 0..20. */
  long delay() {
    return arg % 21;
  }

  /** SET_INTERVAL's period in ms: 1..10. */
  long period() {
    return 1 + arg % 10;
  }

  /** How many runs a SET_INTERVAL makes before its callback cancels it: 1..3. */
  int runs() {
    return 1 + (arg / 10) % 3;
  }

  /** THEN/RESOLVE/REJECT's promise. */
  int promise() {
    return arg % PROMISES;
  }

  /** ADVANCE's step in ms: 0..15. */
  long advance() {
    return arg % 16;
  }

  /** CANCEL's target action, or -1. */
  int target() {
    return arg;
  }

  String describe() {
    return switch (kind) {
      case EXECUTE -> "execute";
      case NEXT_TICK -> "nextTick";
      case MICROTASK -> "queueMicrotask";
      case THEN -> "p" + promise() + ".then";
      case RESOLVE -> "p" + promise() + ".resolve";
      case REJECT -> "p" + promise() + ".reject";
      case SET_IMMEDIATE -> "setImmediate";
      case SET_TIMEOUT -> "setTimeout " + delay() + "ms";
      case SET_INTERVAL -> "setInterval " + period() + "ms, " + runs() + " run(s)";
      case CANCEL -> target() < 0 ? "cancel (no target)" : "cancel #" + target();
      case OFFLOAD -> "offload";
      case RUN_TURN -> "RUN TURN";
      case ADVANCE -> "ADVANCE " + advance() + "ms";
      case RUN_OFFLOAD -> "RUN OFFLOAD " + arg + " mod pending";
    };
  }
}
