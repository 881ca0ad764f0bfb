package dev.loopkit.model;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.model.ReferenceLoop.Flaw;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.quicktheories.api.Subject1;

/**
 * The turn model's property in the form that holds on every carrier, for the conformance suite
 * ({@code dev.loopkit.conformance.TurnModelConformanceTest}): a random program started from one
 * callback on the loop logs, on the carrier under test, exactly what {@link ReferenceLoop} logs.
 *
 * <p>A program here has only what runs in one order on a real carrier: nested execute, nextTick,
 * queueMicrotask, promise then/resolve/reject, setImmediate, and cancel (of an immediate). It has
 * no timers (on real time a {@code setTimeout(0)} may or may not be due before an immediate: Node
 * leaves that order open), no offloads (a completion arrives when its thread finishes), no calls
 * from outside the loop and no steps (the carrier runs turns when it likes); {@code
 * dev.loopkit.model.TurnModelTest} checks those on the manual carrier. Its top-level actions run,
 * in order, in one callback ({@link ProgramRunner#root()}): on the engine, program mode's main
 * ({@code Loop.run}, which hands main in as the first poll-phase task and returns when nothing is
 * left); on the model, a task handed in before the first turn, followed by turns until it is idle.
 *
 * <p>What is compared: the two logs, whole and in order: each callback that ran ({@code cb#i}) and
 * what each cancel and settle call returned. Neither log has turn boundaries, which a real carrier
 * does not show; the turn structure of the contract is still checked through the order it imposes
 * (an immediate queued by a poll-phase callback runs before a task it executed, an immediate queued
 * by an immediate runs after the immediates already queued, {@code poll.maxBatch} of 1, 2, 3 or
 * 1,024 defers tasks to later turns). The engine must also end the program (within {@link
 * #PATIENCE_SECONDS}) with no error reported to its uncaught-error handler.
 *
 * <p>Runs {@code loopkit.model.examples} programs (default 500 here); {@code
 * -Dloopkit.model.seed=N} replays a seed. A failure shrinks to a minimal program, printed one
 * action per line, followed by both logs side by side.
 */
public final class CarrierNeutralModel {

  /** Runs {@code main} in program mode ({@code Loop.run}) on the carrier under test. */
  @FunctionalInterface
  public interface ProgramMode {
    /**
     * Returns when the loop has ended.
     *
     * @param settings further configuration, applied to the carrier set-up's own
     * @param main the program's first callback
     */
    void run(UnaryOperator<LoopConfig.Builder> settings, Runnable main);
  }

  private static final int EXAMPLES = Integer.getInteger("loopkit.model.examples", 500);
  private static final Long SEED = Long.getLong("loopkit.model.seed");

  /** Most actions in one program. */

  /** Enough to reach a minimal program; each cycle is one loop's life, about a millisecond. */
  private static final int SHRINK_CYCLES = 1_000;

  /** How long one program may take on the engine (a wide margin: it takes about a millisecond). */
  private static final long PATIENCE_SECONDS = 20;

  /** The flaws that a program without time can show (a flaw in timer order needs timers). */
  private static final Set<Flaw> TIMELESS_FLAWS =
      EnumSet.of(Flaw.MICROTASKS_BEFORE_TICKS, Flaw.IMMEDIATES_QUEUED_IN_CHECK_RUN_AT_ONCE);

  private CarrierNeutralModel() {}

  /**
   * Checks the property on {@code programMode}'s carrier with {@code loopkit.model.examples}
   * programs; returns a one-line summary (programs, time, coverage).
   *
   * @throws AssertionError with the shrunk program and both logs, if a program's logs differ, or if
   *     the programs did not cover every kind of callback and outcome
   */
  public static String check(ProgramMode programMode) {
    long start = System.nanoTime();
    TurnModelTest.Coverage coverage =
        new TurnModelTest.Coverage(
            Program.onLoopKinds(),
            List.of(
                "cancel true",
                "cancel false",
                ".resolve true",
                ".resolve false",
                ".reject true",
                ".reject false"));
    try (Patience patience = new Patience()) {
      theory(EXAMPLES, SEED)
          .checkAssert(p -> coverage.add(p, assertSameLog(p, Flaw.NONE, programMode, patience)));
    }
    coverage.check();
    return String.format(
        "%,d programs matched the model in %,d ms; %s",
        EXAMPLES, (System.nanoTime() - start) / 1_000_000, coverage);
  }

  /**
   * Negative control: against each deliberately wrong model that a program without time can tell
   * apart, the property fails on {@code programMode}'s carrier, and shrinks to a few actions;
   * returns what each failure showed.
   */
  public static String checkWrongModelsAreCaught(ProgramMode programMode) {
    StringBuilder report = new StringBuilder();
    try (Patience patience = new Patience()) {
      for (Flaw flaw : TIMELESS_FLAWS) {
        report.append(
            TurnModelTest.assertCaughtAndShrunk(
                    flaw,
                    () ->
                        theory(EXAMPLES, 42L)
                            .checkAssert(p -> assertSameLog(p, flaw, programMode, patience)))
                .report());
      }
    }
    return report.toString();
  }

  private static Subject1<Program> theory(int examples, Long seed) {
    return TurnModelTest.theory(
        TurnModelTest.programs(Program.RAW_ON_LOOP_KINDS, Program::onLoop),
        examples,
        seed,
        SHRINK_CYCLES);
  }

  /** The model's log of {@code p}: its root as a task, then turns until nothing is left. */
  static List<String> modelLog(Program p, Flaw flaw) {
    ReferenceLoop model = new ReferenceLoop(p.maxBatch(), flaw);
    ProgramRunner runner = new ProgramRunner(p, model);
    model.execute(runner.root());
    // Each action runs at most once (no intervals), so a turn that runs nothing ends the program.
    for (int turns = 0; !model.isIdle(); turns++) {
      if (turns > p.size() + 2) {
        throw new IllegalStateException("the model did not become idle:\n" + p);
      }
      model.runTurn();
    }
    return runner.log();
  }

  /** Runs {@code p} on the model and on the engine; throws if the logs differ, else returns it. */
  static List<String> assertSameLog(
      Program p, Flaw flaw, ProgramMode programMode, Patience patience) {
    List<String> modelLog = modelLog(p, flaw);
    List<Throwable> uncaught = new CopyOnWriteArrayList<>();
    List<ProgramRunner> onEngine = new ArrayList<>(1); // written by main, read after the loop ended
    boolean ranOut;
    try {
      programMode.run(
          b ->
              b.name("model")
                  .set("loopkit.poll.maxBatch", p.maxBatch())
                  .onUncaughtError((l, e) -> uncaught.add(e))
                  .onUnhandledRejection((l, e) -> {}),
          () -> {
            patience.watch(Loop.current());
            ProgramRunner runner = new ProgramRunner(p, EngineLoop.of(Loop.current()));
            onEngine.add(runner);
            runner.root().run();
          });
    } catch (RuntimeException e) {
      throw new AssertionError(
          "the engine threw; its log differs from the model's:\n"
              + TurnModelTest.sideBySide(engineLog(onEngine), modelLog)
              + TurnModelTest.stackTrace(e));
    } finally {
      ranOut = patience.end();
    }
    List<String> engineLog = engineLog(onEngine);
    if (ranOut) {
      throw new AssertionError(
          "the engine had not ended the program after "
              + PATIENCE_SECONDS
              + " s and was shut down; its log differs from the model's:\n"
              + TurnModelTest.sideBySide(engineLog, modelLog));
    }
    if (!uncaught.isEmpty()) {
      throw new AssertionError(
          "a callback threw on the engine:\n" + TurnModelTest.stackTrace(uncaught.get(0)));
    }
    if (!engineLog.equals(modelLog)) {
      throw new AssertionError(
          "the engine's log differs from the model's (the turn of the loop contract):\n"
              + TurnModelTest.sideBySide(engineLog, modelLog));
    }
    return engineLog;
  }

  private static List<String> engineLog(List<ProgramRunner> onEngine) {
    return onEngine.isEmpty() ? List.of("(main never ran)") : List.copyOf(onEngine.get(0).log());
  }

  /**
   * Shuts down a program's loop that has not ended after {@link #PATIENCE_SECONDS}, so that a loop
   * that never ends fails the property instead of hanging the build.
   */
  static final class Patience implements AutoCloseable {
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    private final AtomicBoolean ranOut = new AtomicBoolean();
    private volatile ScheduledFuture<?> watch; // null when not watching

    Patience() {
      timer.setRemoveOnCancelPolicy(true);
    }

    /** Called by a program's main: shuts {@code loop} down if it has not ended in time. */
    void watch(Loop loop) {
      watch =
          timer.schedule(
              () -> {
                ranOut.set(true);
                loop.shutdownNow();
              },
              PATIENCE_SECONDS,
              TimeUnit.SECONDS);
    }

    /** Called once the program has returned: stops watching; whether it ran out of patience. */
    boolean end() {
      ScheduledFuture<?> w = watch;
      watch = null;
      if (w != null) {
        w.cancel(false);
      }
      return ranOut.getAndSet(false);
    }

    @Override
    public void close() {
      timer.shutdownNow();
    }
  }
}
