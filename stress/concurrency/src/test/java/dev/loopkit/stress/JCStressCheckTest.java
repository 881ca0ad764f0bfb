package dev.loopkit.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.stress.JCStressCheck.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The verdict {@link JCStressCheck} draws from JCStress's verbose output, over excerpts of real
 * runs (JCStress 0.16, short mode, 2 cores): each failure rule fails the run, and a clean run
 * passes.
 */
class JCStressCheckTest {

  private static final String HANDOFF =
      "dev.loopkit.stress.jcstress.HandoffVisibility.SingleThread";
  private static final String TIMER = "dev.loopkit.stress.jcstress.TimerFireVsCancel.ForkJoin";
  private static final String SUBMIT = "dev.loopkit.stress.jcstress.SubmitVsShutdown.Virtual";
  private static final String LOST_UPDATE = "dev.loopkit.stress.negative.LostUpdate";

  /** Test HANDOFF's fork, as a real run printed it. */
  private static final String HANDOFF_OK =
      """
      .......... [OK] dev.loopkit.stress.jcstress.HandoffVisibility.SingleThread

        Scheduling class:
          producer: package group 0, core group 0

        CPU allocation:\s
          producer: CPU #0 (package #0, core #0, thread #0)

        Compilation: unified across all actors

        JVM args: [-XX:+UseParallelGC]
        Fork: #1

          RESULT  SAMPLES     FREQ      EXPECT  DESCRIPTION
            0, 0        0    0.00%   Forbidden  the task never ran, or saw neither write
            1, 2   63,716  100.00%  Acceptable  the task ran and saw both writes

        VM error stream:
          WARNING: A restricted method in java.lang.System has been called
      \s\s\s\s

      """;

  /** Test TIMER's fork, as a real run printed it. */
  private static final String TIMER_OK =
      """
      .......... [OK] dev.loopkit.stress.jcstress.TimerFireVsCancel.ForkJoin

        Scheduling class:
          canceller: package group 0, core group 0

        CPU allocation:\s
          canceller: CPU #0 (package #0, core #0, thread #0)

        Compilation: unified across all actors

        JVM args: [-XX:+UseParallelGC]
        Fork: #1

        RESULT  SAMPLES     FREQ      EXPECT  DESCRIPTION
          0, 0        0    0.00%   Forbidden  never ran, yet cancel returned false
          0, 1    1,137    4.40%  Acceptable  cancelled before it fired
          1, 0   24,721   95.60%  Acceptable  fired; cancel came too late and said so
          1, 1        0    0.00%   Forbidden  ran, yet cancel returned true

        VM error stream:
      \s\s\s\s

      """;

  /** The negative control's fork: JCStress observed its FORBIDDEN outcome (a real run). */
  private static final String LOST_UPDATE_FAILED =
      """
      ...... [FAILED] dev.loopkit.stress.negative.LostUpdate

        Scheduling class:
          first: package group 0, core group 0
          second: package group 0, core group 1

        CPU allocation:\s
          first: CPU #0 (package #0, core #0, thread #0)
          second: CPU #1 (package #0, core #1, thread #1)

        Compilation: unified across all actors

        JVM args: [-XX:+UseParallelGC]
        Fork: #1

        RESULT  SAMPLES     FREQ      EXPECT  DESCRIPTION
             1    9,204    2.44%   Forbidden  an increment was lost (expected: broken on purpose)
             2  367,647   97.56%  Acceptable  both increments counted

        VM error stream:
      \s\s\s\s

      """;

  /** A test whose actor threw (a real run of such a test; its name changed to SUBMIT's). */
  private static final String SUBMIT_ERROR =
      """
      ....... [ERROR] dev.loopkit.stress.jcstress.SubmitVsShutdown.Virtual

        Scheduling class:
          submitter: package group 0, core group 0

        CPU allocation:\s
          submitter: CPU #0 (package #0, core #0, thread #0)

        Compilation: unified across all actors

        JVM args: [-XX:+UseParallelGC]
        Fork: #1

        Messages:
          Check test failed
          java.lang.IllegalStateException: boom
          \tat org.openjdk.jcstress.infra.runners.VoidThread.run(VoidThread.java:40)

        VM error stream:
      \s\s\s\s

      """;

  /** JCStress's progress block with its totals line. */
  private static String totals(int planned, int passed, int failed, int soft, int hard) {
    return """
    (ETA: now)
    (Sampling Rate: 9.04 K/sec)
    (JVMs: 0 starting, 0 running, 0 finishing)
    (CPUs: 2 configured, 0 allocated)
    (Results: %d planned; %d passed, %d failed, %d soft errs, %d hard errs)

    """
        .formatted(planned, passed, failed, soft, hard);
  }

  /**
   * The summary JCStress prints at the end: it repeats each test's table, summed over its forks,
   * which the check must not count twice.
   */
  private static final String RUN_RESULTS =
      """


      RUN RESULTS:
        Interesting tests: No matches.

        Failed tests: No matches.

        Error tests: No matches.

        All remaining tests: 2 matching test results.

      .......... [OK] dev.loopkit.stress.jcstress.HandoffVisibility.SingleThread

        Results across all configurations:

          RESULT  SAMPLES     FREQ      EXPECT  DESCRIPTION
            0, 0        0    0.00%   Forbidden  the task never ran, or saw neither write
            1, 2   63,716  100.00%  Acceptable  the task ran and saw both writes

      """;

  private static List<String> lines(String... parts) {
    List<String> lines = new ArrayList<>();
    for (String part : parts) {
      lines.addAll(part.lines().toList());
    }
    return lines;
  }

  private static boolean mentions(List<String> problems, String text) {
    return problems.stream().anyMatch(p -> p.contains(text));
  }

  @Test
  void aCleanRunPasses() {
    Verdict v =
        JCStressCheck.verdict(
            lines(HANDOFF_OK, TIMER_OK, totals(2, 2, 0, 0, 0), RUN_RESULTS),
            List.of(HANDOFF, TIMER),
            2,
            0);

    assertTrue(v.passed(), v.problems()::toString);
    assertEquals(2, v.ran());
    assertEquals(
        List.of(
            "HandoffVisibility.SingleThread: OK, 1 fork, 63716 samples: [1, 2]=63716",
            "TimerFireVsCancel.ForkJoin: OK, 1 fork, 25858 samples: [0, 1]=1137, [1, 0]=24721",
            "(Results: 2 planned; 2 passed, 0 failed, 0 soft errs, 0 hard errs)"),
        v.report());
    assertEquals(Map.of(), v.forbidden());
  }

  @Test
  void aForbiddenOutcomeFailsTheRun() {
    Verdict v =
        JCStressCheck.verdict(
            lines(LOST_UPDATE_FAILED, totals(1, 0, 1, 0, 0)), List.of(LOST_UPDATE), 1, 1);

    assertFalse(v.passed());
    assertTrue(
        v.problems().contains(LOST_UPDATE + " observed a FORBIDDEN outcome 9204 times: [1]"),
        v.problems()::toString);
    assertEquals(Map.of(LOST_UPDATE, 9204L), v.forbidden());
    assertTrue(v.incomplete().isEmpty(), v.incomplete()::toString);
  }

  @Test
  void aForbiddenRowFailsEvenUnderAnOkHeader() {
    String forged = HANDOFF_OK.replace("0, 0        0    0.00%", "0, 0        3    0.01%");

    Verdict v =
        JCStressCheck.verdict(
            lines(forged, TIMER_OK, totals(2, 2, 0, 0, 0)), List.of(HANDOFF, TIMER), 2, 0);

    assertFalse(v.passed());
    assertEquals(List.of(HANDOFF + " observed a FORBIDDEN outcome 3 times: [0, 0]"), v.problems());
  }

  @Test
  void theNegativeControlIsCaughtOnlyWhenTheRunFailedOnItsForbiddenOutcome() {
    Verdict caught =
        JCStressCheck.verdict(
            lines(LOST_UPDATE_FAILED, totals(1, 0, 1, 0, 0)), List.of(LOST_UPDATE), 1, 1);
    String lostUpdateOk =
        LOST_UPDATE_FAILED
            .replace("[FAILED]", "[OK]")
            .replace("1    9,204    2.44%", "1        0    0.00%");
    Verdict notObserved =
        JCStressCheck.verdict(
            lines(lostUpdateOk, totals(1, 1, 0, 0, 0)), List.of(LOST_UPDATE), 1, 0);
    Verdict notRun =
        JCStressCheck.verdict(lines(totals(1, 0, 0, 0, 0)), List.of(LOST_UPDATE), 1, 0);

    assertEquals(List.of(), caught.negativeControlProblems());
    assertTrue(notObserved.passed(), notObserved.problems()::toString);
    assertEquals(
        List.of("no FORBIDDEN outcome was observed"), notObserved.negativeControlProblems());
    assertTrue(
        mentions(notRun.negativeControlProblems(), "the run did not complete"),
        notRun.negativeControlProblems()::toString);
  }

  @Test
  void aTestMissingFromTheOutputFails() {
    Verdict v =
        JCStressCheck.verdict(
            lines(HANDOFF_OK, TIMER_OK, totals(2, 2, 0, 0, 0)),
            List.of(HANDOFF, SUBMIT, TIMER),
            3,
            0);

    assertFalse(v.passed());
    assertEquals(2, v.ran());
    assertTrue(v.problems().contains(SUBMIT + " did not run"), v.problems()::toString);
    assertTrue(v.report().contains("SubmitVsShutdown.Virtual: NOT RUN"), v.report()::toString);
    assertTrue(
        v.problems().contains("JCStress planned 2 runs for 3 tests"), v.problems()::toString);
  }

  @Test
  void fewerSelectedTestsThanPlannedFails() {
    Verdict v =
        JCStressCheck.verdict(
            lines(HANDOFF_OK, TIMER_OK, totals(2, 2, 0, 0, 0)), List.of(HANDOFF, TIMER), 27, 0);

    assertFalse(v.passed());
    assertTrue(
        mentions(v.problems(), "the jar holds 2 selected JCStress tests, 27 planned"),
        v.problems()::toString);
  }

  @Test
  void failedTestsInTheTotalsLineFail() {
    Verdict v =
        JCStressCheck.verdict(
            lines(HANDOFF_OK, TIMER_OK, totals(2, 1, 1, 0, 0)), List.of(HANDOFF, TIMER), 2, 0);

    assertFalse(v.passed());
    assertEquals(
        List.of(
            "JCStress totals: (Results: 2 planned; 1 passed, 1 failed, 0 soft errs, 0 hard errs)"),
        v.problems());
  }

  @Test
  void errorsInTheTotalsLineFail() {
    Verdict soft =
        JCStressCheck.verdict(
            lines(HANDOFF_OK, TIMER_OK, totals(2, 2, 0, 1, 0)), List.of(HANDOFF, TIMER), 2, 0);
    Verdict hard =
        JCStressCheck.verdict(
            lines(HANDOFF_OK, TIMER_OK, totals(2, 2, 0, 0, 1)), List.of(HANDOFF, TIMER), 2, 0);

    assertFalse(soft.passed());
    assertTrue(mentions(soft.incomplete(), "1 soft errs"), soft.problems()::toString);
    assertFalse(hard.passed());
    assertTrue(mentions(hard.incomplete(), "1 hard errs"), hard.problems()::toString);
  }

  @Test
  void anErrorStatusFails() {
    Verdict v =
        JCStressCheck.verdict(
            lines(HANDOFF_OK, SUBMIT_ERROR, TIMER_OK, totals(3, 2, 0, 0, 1)),
            List.of(HANDOFF, SUBMIT, TIMER),
            3,
            1);

    assertFalse(v.passed());
    assertTrue(v.problems().contains(SUBMIT + " reported ERROR"), v.problems()::toString);
    assertTrue(v.problems().contains(SUBMIT + " reported no samples"), v.problems()::toString);
    assertTrue(v.problems().contains("JCStress exited with 1"), v.problems()::toString);
    assertTrue(v.incomplete().contains(SUBMIT + " reported ERROR"), v.incomplete()::toString);
  }

  @Test
  void aNonZeroExitFails() {
    Verdict v =
        JCStressCheck.verdict(
            lines(HANDOFF_OK, TIMER_OK, totals(2, 2, 0, 0, 0)), List.of(HANDOFF, TIMER), 2, 1);

    assertFalse(v.passed());
    assertEquals(List.of("JCStress exited with 1"), v.problems());
  }

  @Test
  void aRunWithoutATotalsLineFails() {
    Verdict v = JCStressCheck.verdict(lines(HANDOFF_OK, TIMER_OK), List.of(HANDOFF, TIMER), 2, 0);

    assertFalse(v.passed());
    assertEquals(List.of("JCStress printed no totals line"), v.problems());
  }

  @Test
  void aTestThatWasNotSelectedFails() {
    Verdict v =
        JCStressCheck.verdict(
            lines(HANDOFF_OK, LOST_UPDATE_FAILED, totals(2, 1, 1, 0, 0)), List.of(HANDOFF), 1, 1);

    assertFalse(v.passed());
    assertTrue(
        v.problems().contains("unexpected test in the output: " + LOST_UPDATE),
        v.problems()::toString);
  }

  @Test
  void forksOfOneTestAreSummed() {
    Verdict v =
        JCStressCheck.verdict(
            lines(HANDOFF_OK, HANDOFF_OK.replace("Fork: #1", "Fork: #2"), totals(1, 1, 0, 0, 0)),
            List.of(HANDOFF),
            1,
            0);

    assertTrue(v.passed(), v.problems()::toString);
    assertEquals(
        "HandoffVisibility.SingleThread: OK, 2 forks, 127432 samples: [1, 2]=127432",
        v.report().get(0));
  }

  @Test
  void theFilterSelectsTheRealScenariosApartFromTheNegativeControl() {
    List<String> listed = List.of(HANDOFF, LOST_UPDATE, TIMER);

    assertEquals(
        List.of(HANDOFF, TIMER),
        JCStressCheck.selected(listed, "dev[.]loopkit[.]stress[.]jcstress[.]"));
    assertEquals(
        List.of(LOST_UPDATE),
        JCStressCheck.selected(listed, "dev[.]loopkit[.]stress[.]negative[.]"));
    assertEquals(listed, JCStressCheck.selected(listed, null));
  }
}
