package dev.loopkit.conformance;

import dev.loopkit.model.CarrierNeutralModel;

/**
 * The stateful turn-model property on every carrier set-up: random programs of nested execute,
 * nextTick, queueMicrotask, promise then/resolve/reject, setImmediate and cancel, started from one
 * callback on the loop, log exactly what the reference model of the turn logs. {@link
 * CarrierNeutralModel} says what is generated and what is compared; {@code
 * dev.loopkit.model.TurnModelTest} runs the full property (timers, offloads, calls from outside,
 * turns and time moved by the test) on the manual carrier.
 *
 * <p>{@code -Dloopkit.model.examples=N} sets the programs per set-up (default 500), {@code
 * -Dloopkit.model.seed=N} replays a seed.
 */
class TurnModelConformanceTest {

  @CarrierTest
  void everyProgramLogsWhatTheModelLogs(LoopFixture f) {
    String summary = CarrierNeutralModel.check(f::run);
    System.out.printf("TurnModelConformanceTest [%s]: %s%n", f.setup().name(), summary);
  }

  /** Negative control: the property can fail on this carrier, and shrinks to a small program. */
  @CarrierTest
  void aWrongModelIsCaughtAndShrunk(LoopFixture f) {
    String report = CarrierNeutralModel.checkWrongModelsAreCaught(f::run);
    System.out.printf("TurnModelConformanceTest [%s]: %s", f.setup().name(), report);
  }
}
