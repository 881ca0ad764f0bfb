package dev.loopkit.model;

import static dev.loopkit.model.Action.Kind.CANCEL;
import static dev.loopkit.model.Action.Kind.EXECUTE;
import static dev.loopkit.model.Action.Kind.RUN_TURN;
import static dev.loopkit.model.Action.Kind.SET_IMMEDIATE;
import static dev.loopkit.model.Action.Kind.SET_TIMEOUT;

import dev.loopkit.model.ReferenceLoop.Flaw;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Programs that {@link TurnModelTest} shrank to when the engine disagreed with the model, replayed
 * as they were printed; each test is named after what broke.
 */
class TurnModelRegressionTest {

  /**
   * A cancel made off the loop hands the loop a clean-up task; with poll.maxBatch 1 that clean-up
   * took the only place in the batch, and a task present when the phase began waited a turn.
   */
  @Test
  void offLoopTimerCancelDoesNotTakeATasksPlaceInThePollBatch() {
    replay(
        1,
        top(SET_TIMEOUT, 0),
        top(RUN_TURN, 0),
        outside(CANCEL, 0), // cancel #0
        top(EXECUTE, 0));
  }

  /** As above, for an immediate cancelled off the loop. */
  @Test
  void offLoopImmediateCancelDoesNotTakeATasksPlaceInThePollBatch() {
    replay(
        1,
        outside(SET_IMMEDIATE, 0),
        outside(CANCEL, 0), // cancel #0 before it reaches the loop
        top(EXECUTE, 0),
        top(RUN_TURN, 0),
        top(RUN_TURN, 0));
  }

  private static Action top(Action.Kind kind, int arg) {
    return new Action(kind, -1, arg, false);
  }

  private static Action outside(Action.Kind kind, int arg) {
    return new Action(kind, -1, arg, true);
  }

  private static void replay(int maxBatch, Action... actions) {
    TurnModelTest.assertSameLog(new Program(maxBatch, List.of(actions)), Flaw.NONE);
  }
}
