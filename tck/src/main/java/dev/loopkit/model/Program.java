package dev.loopkit.model;

import dev.loopkit.model.Action.Kind;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A generated program: a flat list of actions with parent indices, so that shrinking (which drops
 * and simplifies list elements) always yields another valid program.
 *
 * <p>Programs are made from raw draws by {@link #of}, which resolves every raw number into a valid
 * parent or target; the raw numbers shrink towards 0, which means: top level, {@code execute}, the
 * first candidate, the smallest delay.
 *
 * @param maxBatch the loop's {@code loopkit.poll.maxBatch}
 * @param actions the actions; a step kind always has parent -1
 */
record Program(int maxBatch, List<Action> actions) {

  /**
   * The kinds a raw kind number picks from; repeats make a kind more frequent. Raw 0 (where
   * shrinking goes) is no action at all, so that shrinking can delete actions anywhere in the list,
   * not only at its end.
   */
  private static final Kind[] KINDS = {
    null,
    Kind.EXECUTE,
    Kind.RUN_TURN,
    Kind.NEXT_TICK,
    Kind.MICROTASK,
    Kind.SET_IMMEDIATE,
    Kind.SET_TIMEOUT,
    Kind.THEN,
    Kind.RESOLVE,
    Kind.ADVANCE,
    Kind.OFFLOAD,
    Kind.RUN_OFFLOAD,
    Kind.CANCEL,
    Kind.SET_INTERVAL,
    Kind.REJECT,
    Kind.RUN_TURN,
    Kind.EXECUTE,
    Kind.NEXT_TICK,
    Kind.MICROTASK,
    Kind.SET_IMMEDIATE,
    Kind.SET_TIMEOUT,
    Kind.THEN,
    Kind.ADVANCE,
    Kind.RUN_TURN,
  };

  /** The batch sizes a raw batch number picks from (the default first). */
  private static final int[] MAX_BATCHES = {1024, 1, 2, 3};

  /**
   * The kinds of the carrier-neutral programs (see {@link CarrierNeutralModel}): what runs in an
   * exact order on any carrier, without time or offloads. Raw 0 is no action, as in {@link #KINDS}.
   */
  private static final Kind[] ON_LOOP_KINDS = {
    null,
    Kind.EXECUTE,
    Kind.NEXT_TICK,
    Kind.MICROTASK,
    Kind.SET_IMMEDIATE,
    Kind.THEN,
    Kind.RESOLVE,
    Kind.CANCEL,
    Kind.REJECT,
    Kind.EXECUTE,
    Kind.NEXT_TICK,
    Kind.MICROTASK,
    Kind.SET_IMMEDIATE,
    Kind.THEN,
  };

  /** Raw draws: kinds in {@code [0, RAW_KINDS)}. */
  static final int RAW_KINDS = KINDS.length;

  /** Raw draws of carrier-neutral programs: kinds in {@code [0, RAW_ON_LOOP_KINDS)}. */
  static final int RAW_ON_LOOP_KINDS = ON_LOOP_KINDS.length;

  /**
   * Raw draws: parents in {@code [0, RAW_PARENTS)}; below {@link #TOP} means top level, where
   * {@link #OUTSIDE} calls the loop from outside and the others hand in a task that calls it.
   */
  static final int RAW_PARENTS = 9;

  /** Raw draws: arguments in {@code [0, RAW_ARGS)}. */
  static final int RAW_ARGS = 30;

  /** Raw draws: batch sizes in {@code [0, RAW_BATCHES)}. */
  static final int RAW_BATCHES = MAX_BATCHES.length;

  private static final int TOP = 3;

  private static final int OUTSIDE = 2;

  /** One raw draw, as QuickTheories generates and shrinks it. */
  record Raw(int kind, int parent, int arg) {}

  /** Resolves raw draws into a valid program. */
  static Program of(int rawBatch, List<Raw> raws) {
    return of(KINDS, true, rawBatch, raws);
  }

  /**
   * Resolves raw draws into a valid carrier-neutral program: no timers, offloads, steps or calls
   * from outside, so that CANCEL only ever targets an immediate.
   */
  static Program onLoop(int rawBatch, List<Raw> raws) {
    return of(ON_LOOP_KINDS, false, rawBatch, raws);
  }

  /** The kinds of the carrier-neutral programs. */
  static Set<Kind> onLoopKinds() {
    Set<Kind> kinds = EnumSet.noneOf(Kind.class);
    for (Kind k : ON_LOOP_KINDS) {
      if (k != null) {
        kinds.add(k);
      }
    }
    return kinds;
  }

  private static Program of(Kind[] kinds, boolean outsideCalls, int rawBatch, List<Raw> raws) {
    List<Action> actions = new ArrayList<>(raws.size());
    List<Integer> withCallback = new ArrayList<>();
    List<Integer> cancellable = new ArrayList<>();
    for (Raw r : raws) {
      Kind kind = kinds[r.kind()];
      if (kind == null) {
        continue;
      }
      int parent =
          kind.isStep() || r.parent() < TOP || withCallback.isEmpty()
              ? -1
              : withCallback.get((r.parent() - TOP) % withCallback.size());
      boolean outside =
          outsideCalls && parent < 0 && r.parent() == OUTSIDE && kind.callableFromOutside();
      int arg =
          kind != Kind.CANCEL
              ? r.arg()
              : cancellable.isEmpty() ? -1 : cancellable.get(r.arg() % cancellable.size());
      int index = actions.size();
      actions.add(new Action(kind, parent, arg, outside));
      if (kind.hasCallback()) {
        withCallback.add(index);
      }
      if (kind.isCancellable()) {
        cancellable.add(index);
      }
    }
    return new Program(MAX_BATCHES[rawBatch], List.copyOf(actions));
  }

  Action get(int index) {
    return actions.get(index);
  }

  int size() {
    return actions.size();
  }

  /** The actions performed inside the callback of action {@code index}, in order. */
  List<Integer> children(int index) {
    List<Integer> c = new ArrayList<>();
    for (int i = index + 1; i < actions.size(); i++) {
      if (actions.get(i).parent() == index) {
        c.add(i);
      }
    }
    return c;
  }

  /** One action per line: index, where it is performed, what it does. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append("program of ")
        .append(actions.size())
        .append(" action(s), poll.maxBatch ")
        .append(maxBatch)
        .append(", promises p0..p")
        .append(Action.PROMISES - 1)
        .append(" made before it starts:\n");
    for (int i = 0; i < actions.size(); i++) {
      Action a = actions.get(i);
      String where = a.outside() ? "outside" : a.parent() < 0 ? "top" : "in cb#" + a.parent();
      sb.append(String.format("  #%-3d %-9s %s%n", i, where, a.describe()));
    }
    return sb.toString();
  }
}
