package dev.loopkit.internal;

import java.util.ArrayList;

/**
 * The fields {@link EventLoop} writes in every turn and for every callback, on cache lines of their
 * own: padding before them keeps them off the object header's line and padding after them off the
 * fields that other threads read on every submission (the state, the queue), so that a producer's
 * reads do not contend with the loop's writes (false sharing).
 *
 * <pre>{@code
 * Implementation notes
 *
 * HotSpot lays a superclass's fields out before a subclass's, and may put a subclass's field into
 * a gap a superclass left; so each padding class fills its gaps (pad00 after the header) and the
 * turn fields add up to a multiple of 8 bytes. Confined to the loop (see EventLoop's notes).
 * }</pre>
 */
@SuppressWarnings("unused")
abstract class EventLoopPadBefore extends Lifecycle {
  int pad00; // the gap after a compressed class pointer
  long pad01, pad02, pad03, pad04, pad05, pad06, pad07, pad08;
  long pad09, pad10, pad11, pad12, pad13, pad14, pad15, pad16;
}

/** The loop's turn in progress and its per-callback counters (loop). */
abstract class EventLoopTurnFields extends EventLoopPadBefore {
  long nextDeadline;
  long polled; // items the poll phase took, for shutdownGracefully's quiet period
  long passNow;
  long passSeq;
  long pollEnd;
  long firingStart;
  long firingDeadline;
  long idNext; // the block of ids for immediates made on the loop
  long idEnd;
  long busyMark; // since when busy time is not yet counted (EventLoop.NO_SAMPLE: not measured)
  // Turns and callbacks started, per phase: plain increments (the calls that follow publish them);
  // other threads read them opaque, through LoopStats (metrics, the watchdog's progress).
  long turns;
  long timersRun;
  long pollRun;
  long checkRun;
  long closeRun;
  long ticksRun;
  long microtasksRun;
  int refImmediates;
  int phase; // EventLoop.TIMERS
  int pollBudget;
  int checkLeft;
  int closeIndex;
  int padInt; // to a multiple of 8 bytes
  boolean phaseBegun;
  boolean owedCheckpoint;
  short padShort; // to a multiple of 8 bytes: no gap for a subclass field
  ArrayList<Runnable> closeBatch;
  TimerTask firing;
  Object current; // the callback running or last run, for the watchdog's report
}

/** Padding between the turn fields and the fields other threads read. */
@SuppressWarnings("unused")
abstract class EventLoopPadded extends EventLoopTurnFields {
  long pad17, pad18, pad19, pad20, pad21, pad22, pad23, pad24;
  long pad25, pad26, pad27, pad28, pad29, pad30, pad31, pad32;
}
