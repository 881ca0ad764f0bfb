package dev.loopkit.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.loopkit.model.ReferenceLoop.Flaw;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.quicktheories.QuickTheory;
import org.quicktheories.api.Subject1;
import org.quicktheories.core.Gen;

/**
 * Stateful property: random programs of nested actions (execute, nextTick, queueMicrotask, promise
 * then/resolve/reject, setImmediate, setTimeout, setInterval, cancel, offload; and, from outside,
 * run a turn, advance virtual time, complete an offload) log the same callbacks, in the same turns,
 * on the {@code manual} carrier as in {@link ReferenceLoop}, the model of a turn.
 *
 * <p>Runs {@code loopkit.model.examples} programs (default 1,000; {@code -Pmodel-long} runs
 * 20,000); {@code -Dloopkit.model.seed=N} replays a seed. A failure shrinks to a minimal program,
 * printed one action per line with its parent, followed by both logs side by side.
 */
class TurnModelTest {
  private static final int EXAMPLES = Integer.getInteger("loopkit.model.examples", 1000);
  private static final Long SEED = Long.getLong("loopkit.model.seed");

  /** Most actions in one program. */
  private static final int MAX_ACTIONS = 40;

  /** Enough to reach a minimal program; each cycle costs about a millisecond. */
  private static final int SHRINK_CYCLES = 2_000;

  @Test
  void engineRunsEveryProgramAsTheModelDoes() {
    long start = System.nanoTime();
    Coverage coverage =
        new Coverage(
            EnumSet.allOf(Action.Kind.class),
            List.of(
                "cancel true",
                "cancel false",
                ".resolve true",
                ".resolve false",
                ".reject true",
                "run offload"));
    theory(EXAMPLES, SEED).checkAssert(p -> coverage.add(p, assertSameLog(p, Flaw.NONE)));
    System.out.printf(
        "TurnModelTest: %,d programs matched the model in %,d ms; %s%n",
        EXAMPLES, (System.nanoTime() - start) / 1_000_000, coverage);
    coverage.check();
  }

  /**
   * What the generated programs exercised, so that the property cannot pass vacuously: every kind
   * of callback ran, cancel and settle calls returned both answers, offloads completed.
   */
  static final class Coverage {
    private final Set<Action.Kind> kinds;
    private final List<String> required;
    private final Map<Action.Kind, Integer> callbacks = new EnumMap<>(Action.Kind.class);
    private final Map<String, Integer> outcomes = new TreeMap<>();
    private int programs;
    private int totalCallbacks;
    private int overBudget;

    /**
     * Coverage whose {@link #check} requires a callback of each of {@code kinds} that has one, and
     * each outcome in {@code required}, named as counted: "cancel true", ".resolve false" (any
     * promise), "run offload".
     */
    Coverage(Set<Action.Kind> kinds, List<String> required) {
      this.kinds = kinds;
      this.required = required;
    }

    void add(Program p, List<String> log) {
      programs++;
      int n = 0;
      for (String line : log) {
        if (line.startsWith("cb#")) {
          callbacks.merge(p.get(Integer.parseInt(line.substring(3))).kind(), 1, Integer::sum);
          n++;
        } else if (line.startsWith("cancel #") || line.startsWith("p")) {
          String outcome = line.substring(line.lastIndexOf(' ') + 1);
          String call = line.startsWith("p") ? line.substring(2, line.indexOf(' ')) : "cancel";
          outcomes.merge(call + " " + outcome, 1, Integer::sum);
        } else if (line.startsWith("-- run offload")) {
          outcomes.merge("run offload", 1, Integer::sum);
        }
      }
      totalCallbacks += n;
      if (n > ProgramRunner.CALLBACK_BUDGET) {
        overBudget++;
      }
    }

    void check() {
      for (Action.Kind k : kinds) {
        if (k.hasCallback()) {
          assertTrue(callbacks.getOrDefault(k, 0) > 0, () -> "no " + k + " callback ran: " + this);
        }
      }
      for (String o : required) {
        assertTrue(outcomes.getOrDefault(o, 0) > 0, () -> "never saw '" + o + "': " + this);
      }
      assertTrue(totalCallbacks >= 5 * programs, () -> "too few callbacks: " + this);
    }

    @Override
    public String toString() {
      return String.format(
          "%,d callbacks (%s), %s, %d program(s) over the callback budget",
          totalCallbacks, callbacks, outcomes, overBudget);
    }
  }

  /** Negative control: each deliberately wrong model is caught, and shrunk to a few actions. */
  @ParameterizedTest
  @EnumSource(value = Flaw.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
  void aWrongModelIsCaughtAndShrunk(Flaw flaw) {
    Caught caught =
        assertCaughtAndShrunk(
            flaw, () -> theory(EXAMPLES, 42L).checkAssert(p -> assertSameLog(p, flaw)));
    assertTrue(
        caught.millis() < 60_000, () -> "finding and shrinking took " + caught.millis() + " ms");
    System.out.print("TurnModelTest: " + caught.report());
  }

  /** What a caught flaw showed: the actions it shrank to, the time that took, a report. */
  record Caught(int actions, long millis, String report) {}

  /**
   * Runs {@code check}, a property against a model with {@code flaw}, and asserts that it fails
   * telling the engine from the model, with a program shrunk to a few actions.
   */
  static Caught assertCaughtAndShrunk(Flaw flaw, Executable check) {
    long start = System.nanoTime();
    AssertionError e =
        assertThrows(
            AssertionError.class,
            check,
            () -> "no program told the engine from a model with flaw " + flaw);
    long millis = (System.nanoTime() - start) / 1_000_000;
    String message = String.valueOf(e.getMessage());
    assertTrue(message.contains("differs from the model"), message);
    Matcher m = Pattern.compile("program of (\\d+) action").matcher(message);
    assertTrue(m.find(), message);
    int actions = Integer.parseInt(m.group(1));
    assertTrue(actions <= 6, () -> "not shrunk to a few actions: " + message);
    int trace = message.indexOf("\n\tat ");
    return new Caught(
        actions,
        millis,
        String.format(
            "flaw %s found and shrunk to %d action(s) in %,d ms:%n%s%n",
            flaw, actions, millis, trace < 0 ? message : message.substring(0, trace)));
  }

  private static Subject1<Program> theory(int examples, Long seed) {
    return theory(programs(Program.RAW_KINDS, Program::of), examples, seed, SHRINK_CYCLES);
  }

  /** A theory over {@code programs}: {@code examples} of them, a fixed seed if given. */
  static Subject1<Program> theory(Gen<Program> programs, int examples, Long seed, int shrinks) {
    QuickTheory qt = qt().withExamples(examples).withShrinkCycles(shrinks);
    if (seed != null) {
      qt = qt.withFixedSeed(seed);
    }
    return qt.forAll(programs).describedAs(Program::toString);
  }

  /**
   * Programs of 1..40 actions of the first {@code kinds} raw kinds, made by {@code make}, from raw
   * draws that shrink towards simpler programs.
   */
  static Gen<Program> programs(int kinds, BiFunction<Integer, List<Program.Raw>, Program> make) {
    Gen<Program.Raw> raw =
        integers()
            .between(0, kinds - 1)
            .zip(
                integers().between(0, Program.RAW_PARENTS - 1),
                integers().between(0, Program.RAW_ARGS - 1),
                Program.Raw::new);
    return integers()
        .between(0, Program.RAW_BATCHES - 1)
        .zip(lists().of(raw).ofSizeBetween(1, MAX_ACTIONS), make::apply);
  }

  /** Runs {@code p} on the model and on the engine; throws if the logs differ, else returns it. */
  static List<String> assertSameLog(Program p, Flaw flaw) {
    ReferenceLoop model = new ReferenceLoop(p.maxBatch(), flaw);
    ProgramRunner onModel = new ProgramRunner(p, model);
    onModel.runTopLevel();
    int rounds = 0;
    while (!model.isIdle() && rounds < ProgramRunner.MAX_FLUSH_ROUNDS) {
      onModel.flushRound();
      rounds++;
    }
    onModel.flushRound(); // one more, in which nothing may run on the engine either
    rounds++;

    ProgramRunner onEngine;
    List<String> engineLog;
    try (EngineLoop engine = new EngineLoop(p.maxBatch())) {
      onEngine = new ProgramRunner(p, engine);
      try {
        onEngine.runTopLevel();
        for (int r = 0; r < rounds; r++) {
          onEngine.flushRound();
        }
      } catch (RuntimeException e) {
        throw new AssertionError(
            "the engine threw; its log differs from the model's:\n"
                + sideBySide(onEngine.log(), onModel.log())
                + stackTrace(e));
      } finally {
        onEngine.stop();
      }
      engineLog = List.copyOf(onEngine.log());
      if (!engine.uncaught().isEmpty()) {
        throw new AssertionError(
            "a callback threw on the engine:\n" + stackTrace(engine.uncaught().get(0)));
      }
    }
    if (!engineLog.equals(onModel.log())) {
      throw new AssertionError(
          "the engine's log differs from the model's (the turn of the loop contract):\n"
              + sideBySide(engineLog, onModel.log()));
    }
    return engineLog;
  }

  /** Both logs, one entry per line, up to the last entry that is a difference or not a step. */
  static String sideBySide(List<String> engine, List<String> model) {
    StringBuilder sb = new StringBuilder(String.format("  %-4s %-28s %s%n", "", "engine", "model"));
    int lines = Math.max(engine.size(), model.size());
    int shown = 0;
    for (int i = 0; i < lines; i++) {
      String a = i < engine.size() ? engine.get(i) : "";
      String b = i < model.size() ? model.get(i) : "";
      if (!a.equals(b) || !a.startsWith("-- ")) {
        shown = i + 2;
      }
    }
    shown = Math.min(shown, lines);
    boolean marked = false;
    for (int i = 0; i < shown; i++) {
      String a = i < engine.size() ? engine.get(i) : "";
      String b = i < model.size() ? model.get(i) : "";
      boolean first = !marked && !a.equals(b);
      marked |= first;
      sb.append(
          String.format("  %-4d %-28s %-28s%s%n", i, a, b, first ? " <-- first difference" : ""));
    }
    if (shown < lines) {
      sb.append(String.format("  ... %d more step(s) in both; nothing else ran%n", lines - shown));
    }
    return sb.toString();
  }

  static String stackTrace(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }
}
