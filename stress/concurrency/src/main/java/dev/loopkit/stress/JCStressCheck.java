package dev.loopkit.stress;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the JCStress tests of this module from their shaded jar and fails the build unless every
 * planned test ran and passed.
 *
 * <p>JCStress skips a test it cannot schedule (more actors than CPUs) and can still exit 0, so exit
 * codes are not enough. This check reads the tests the jar holds ({@code META-INF/TestList}), keeps
 * those {@code --tests} selects (a regular expression, found in the name as JCStress's {@code -t}
 * does; JCStress gets the same filter), requires exactly {@code --planned} of them, runs JCStress
 * in verbose mode (its output kept in {@code --out}/output.txt), and fails on: a non-zero exit; any
 * test not reported [OK]; any FORBIDDEN outcome observed; any failed test or error in JCStress's
 * totals line; fewer tests with results than planned. It prints one line per scenario and carrier,
 * then the totals line.
 *
 * <p>With {@code --expect-forbidden} the verdict is inverted, for a negative control (a test broken
 * on purpose, {@code dev.loopkit.stress.negative}): it passes only if the run completed (every
 * selected test ran, no errors) and the normal verdict failed because a FORBIDDEN outcome was
 * observed. That proves the check is not vacuous: a real scenario's FORBIDDEN outcome fails it.
 *
 * <pre>
 * java -cp target/jcstress.jar dev.loopkit.stress.JCStressCheck \
 *     --jar target/jcstress.jar --tests 'dev[.]loopkit[.]stress[.]jcstress[.]' --planned 27 \
 *     --out target/jcstress [--expect-forbidden] -- [JCStress options]
 * </pre>
 */
public final class JCStressCheck {

  private static final Pattern TEST_HEADER =
      Pattern.compile("^\\s*\\.*\\s*\\[([A-Z -]+)\\]\\s+(\\S+)\\s*$");
  private static final Pattern ROW =
      Pattern.compile(
          "^\\s+(.+?)\\s+([0-9,]+)\\s+([0-9.]+%|<0\\.01%)\\s+(Acceptable|Forbidden|Interesting)"
              + "\\s*(.*)$");
  private static final Pattern TOTALS =
      Pattern.compile(
          "Results: (\\d+) planned; (\\d+) passed, (\\d+) failed, (\\d+) soft errs, (\\d+) hard"
              + " errs");

  /** The statuses of a test that ran to the end: passed, or failed on its outcomes. */
  private static final Set<String> COMPLETED = Set.of("OK", "FAILED");

  /** What the run reported for one test, summed over its forks. */
  static final class TestResult {
    final TreeSet<String> statuses = new TreeSet<>();
    final Map<String, Long> samples = new TreeMap<>();
    final Map<String, String> expect = new TreeMap<>();
    int forks;

    /** The FORBIDDEN outcomes observed, with their sample counts. */
    Map<String, Long> forbidden() {
      Map<String, Long> seen = new TreeMap<>();
      samples.forEach(
          (id, n) -> {
            if (n > 0 && "Forbidden".equals(expect.get(id))) {
              seen.put(id, n);
            }
          });
      return seen;
    }
  }

  /**
   * The verdict over one run.
   *
   * @param report one line per selected test, then JCStress's totals line
   * @param ran how many of the selected tests have results
   * @param problems why the run fails; empty if it passed
   * @param forbidden per test that observed a FORBIDDEN outcome, how many samples did
   * @param incomplete the problems that mean the run did not complete (a test missing, without
   *     samples or in error, the totals missing or counting errors, a different number of tests
   *     than planned): a subset of {@code problems}
   */
  record Verdict(
      List<String> report,
      int ran,
      List<String> problems,
      Map<String, Long> forbidden,
      List<String> incomplete) {

    boolean passed() {
      return problems.isEmpty();
    }

    /**
     * Why this run does not show the check catching a FORBIDDEN outcome (the negative control's
     * verdict); empty if it does: the run completed, a FORBIDDEN outcome was observed, and the
     * normal verdict failed naming it.
     */
    List<String> negativeControlProblems() {
      List<String> missed = new ArrayList<>();
      if (!incomplete.isEmpty()) {
        missed.add("the run did not complete: " + String.join("; ", incomplete));
      }
      if (forbidden.isEmpty()) {
        missed.add("no FORBIDDEN outcome was observed");
      }
      for (String test : forbidden.keySet()) {
        if (problems.stream().noneMatch(p -> p.startsWith(test + " observed a FORBIDDEN"))) {
          missed.add("the verdict did not fail on the FORBIDDEN outcome of " + test);
        }
      }
      return missed;
    }
  }

  private JCStressCheck() {}

  public static void main(String[] args) throws Exception {
    Path jar = null;
    Path out = Path.of("jcstress");
    int planned = -1;
    String tests = null;
    boolean expectForbidden = false;
    List<String> jcstressArgs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--jar" -> jar = Path.of(args[++i]);
        case "--planned" -> planned = Integer.parseInt(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        case "--tests" -> tests = args[++i];
        case "--expect-forbidden" -> expectForbidden = true;
        case "--" -> {
          for (String a : Arrays.copyOfRange(args, i + 1, args.length)) {
            if (!a.isBlank()) {
              jcstressArgs.add(a);
            }
          }
          i = args.length;
        }
        default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
      }
    }
    if (jar == null || planned < 1) {
      throw new IllegalArgumentException(
          "usage: --jar JAR --planned N [--tests REGEX] [--expect-forbidden] [--out DIR]"
              + " -- [options]");
    }
    System.exit(run(jar, planned, tests, expectForbidden, out, jcstressArgs));
  }

  static int run(
      Path jar,
      int planned,
      String tests,
      boolean expectForbidden,
      Path out,
      List<String> jcstressArgs)
      throws IOException, InterruptedException {
    List<String> listed = selected(listedTests(), tests);
    Files.createDirectories(out);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    if (tests != null) {
      command.addAll(List.of("-t", tests));
    }
    command.addAll(jcstressArgs);
    command.addAll(List.of("-v", "-r", out.resolve("results").toAbsolutePath().toString()));
    System.out.println("jcstress: " + String.join(" ", command));
    long t0 = System.nanoTime();
    Process p =
        new ProcessBuilder(command).directory(out.toFile()).redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    Path log = out.resolve("output.txt");
    try (InputStream in = p.getInputStream();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        PrintWriter w = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        lines.add(line);
        w.println(line);
        if (line.startsWith("(Results:") || TEST_HEADER.matcher(line).matches()) {
          System.out.println(line.strip()); // progress; the whole output is in output.txt
          System.out.flush();
        }
      }
    }
    int exit = p.waitFor();
    long seconds = (System.nanoTime() - t0) / 1_000_000_000L;

    Verdict verdict = verdict(lines, listed, planned, exit);
    System.out.println();
    System.out.println("jcstress summary (" + log + "):");
    verdict.report().forEach(line -> System.out.println("  " + line));
    System.out.println(
        "jcstress: "
            + verdict.ran()
            + " of "
            + planned
            + " planned tests ran in "
            + seconds
            + " s; "
            + (verdict.passed() ? "PASSED" : "FAILED")
            + (expectForbidden ? " (the negative control expects FAILED)" : ""));
    for (String problem : verdict.problems()) {
      System.out.println((expectForbidden ? "  expected problem: " : "  problem: ") + problem);
    }
    if (!expectForbidden) {
      return verdict.passed() ? 0 : 1;
    }
    List<String> missed = verdict.negativeControlProblems();
    if (missed.isEmpty()) {
      verdict
          .forbidden()
          .forEach(
              (test, n) ->
                  System.out.println(
                      "negative control: the checker caught the FORBIDDEN outcome of "
                          + test
                          + " ("
                          + n
                          + " samples); a FORBIDDEN outcome of a real scenario fails the"
                          + " build the same way"));
      return 0;
    }
    for (String m : missed) {
      System.out.println("negative control: NOT caught: " + m);
    }
    return 1;
  }

  /**
   * The verdict over JCStress's verbose output {@code lines}, for the selected tests {@code listed}
   * of which {@code planned} were expected, and JCStress's exit code. Pure: reads nothing else.
   */
  static Verdict verdict(List<String> lines, List<String> listed, int planned, int exit) {
    List<String> report = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    List<String> incomplete = new ArrayList<>();
    Map<String, Long> forbidden = new LinkedHashMap<>();
    if (listed.size() != planned) {
      String p = "the jar holds " + listed.size() + " selected JCStress tests, " + planned;
      incomplete(problems, incomplete, p + " planned: " + listed);
    }
    Map<String, TestResult> results = parse(lines);
    int ran = 0;
    for (String test : listed) {
      TestResult t = results.get(test);
      String name = test.substring(test.lastIndexOf('.', test.lastIndexOf('.') - 1) + 1);
      if (t == null) {
        report.add(name + ": NOT RUN");
        incomplete(problems, incomplete, test + " did not run");
        continue;
      }
      ran++;
      StringBuilder outcomes = new StringBuilder();
      t.samples.forEach(
          (id, n) -> {
            if (n > 0) {
              outcomes
                  .append(outcomes.isEmpty() ? "" : ", ")
                  .append('[')
                  .append(id)
                  .append("]=")
                  .append(n)
                  .append("Forbidden".equals(t.expect.get(id)) ? " FORBIDDEN" : "");
            }
          });
      long total = t.samples.values().stream().mapToLong(Long::longValue).sum();
      String status = String.join("/", t.statuses);
      report.add(
          name
              + ": "
              + status
              + ", "
              + t.forks
              + (t.forks == 1 ? " fork, " : " forks, ")
              + total
              + " samples: "
              + outcomes);
      if (!COMPLETED.containsAll(t.statuses)) {
        incomplete(problems, incomplete, test + " reported " + status);
      } else if (!t.statuses.equals(Set.of("OK"))) {
        problems.add(test + " reported " + status);
      }
      Map<String, Long> seen = t.forbidden();
      if (!seen.isEmpty()) {
        long n = seen.values().stream().mapToLong(Long::longValue).sum();
        forbidden.put(test, n);
        problems.add(test + " observed a FORBIDDEN outcome " + n + " times: " + seen.keySet());
      }
      if (total == 0) {
        incomplete(problems, incomplete, test + " reported no samples");
      }
    }
    for (String test : results.keySet()) {
      if (!listed.contains(test)) {
        incomplete(problems, incomplete, "unexpected test in the output: " + test);
      }
    }
    String totals = null;
    for (String line : lines) {
      if (TOTALS.matcher(line).find()) {
        totals = line.strip();
      }
    }
    report.add(totals == null ? "(no totals line)" : totals);
    Matcher m = totals == null ? null : TOTALS.matcher(totals);
    if (m == null || !m.find()) {
      incomplete(problems, incomplete, "JCStress printed no totals line");
    } else {
      long runs = Long.parseLong(m.group(1));
      long passed = Long.parseLong(m.group(2));
      long failed = Long.parseLong(m.group(3));
      long errors = Long.parseLong(m.group(4)) + Long.parseLong(m.group(5));
      if (errors != 0 || passed + failed != runs) {
        incomplete(problems, incomplete, "JCStress totals: " + totals);
      } else if (failed != 0) {
        problems.add("JCStress totals: " + totals);
      }
      if (runs < planned) {
        incomplete(
            problems, incomplete, "JCStress planned " + runs + " runs for " + planned + " tests");
      }
    }
    if (exit != 0) {
      problems.add("JCStress exited with " + exit);
    }
    return new Verdict(
        List.copyOf(report),
        ran,
        List.copyOf(problems),
        Collections.unmodifiableMap(forbidden),
        List.copyOf(incomplete));
  }

  /** Records a problem that means the run did not complete. */
  private static void incomplete(List<String> problems, List<String> incomplete, String problem) {
    problems.add(problem);
    incomplete.add(problem);
  }

  /** The tests in {@code listed} whose name {@code regex} is found in (all if it is null). */
  static List<String> selected(List<String> listed, String regex) {
    if (regex == null) {
      return listed;
    }
    Pattern p = Pattern.compile(regex);
    return listed.stream().filter(name -> p.matcher(name).find()).toList();
  }

  /** The test names in {@code META-INF/TestList} (records {@code JCTEST<len>S<name>...}). */
  static List<String> listedTests() throws IOException {
    List<String> names = new ArrayList<>();
    try (InputStream in = JCStressCheck.class.getResourceAsStream("/META-INF/TestList")) {
      if (in == null) {
        return names;
      }
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.startsWith("JCTEST")) {
          int s = line.indexOf('S', 6);
          int len = Integer.parseInt(line.substring(6, s));
          names.add(line.substring(s + 1, s + 1 + len));
        }
      }
    }
    names.sort(null);
    return names;
  }

  /**
   * Per-test results from JCStress's verbose progress output: a header line, then a table, per
   * fork.
   */
  static Map<String, TestResult> parse(List<String> lines) {
    Map<String, TestResult> results = new TreeMap<>();
    TestResult current = null;
    boolean rows = false; // whether the current fork's table has begun
    for (String line : lines) {
      if (line.startsWith("RUN RESULTS:")) {
        break; // the summary repeats every test's table, summed over its forks
      }
      Matcher h = TEST_HEADER.matcher(line);
      if (h.matches()) {
        current = results.computeIfAbsent(h.group(2), k -> new TestResult());
        current.statuses.add(h.group(1).strip());
        current.forks++;
        rows = false;
        continue;
      }
      if (current == null) {
        continue;
      }
      Matcher row = ROW.matcher(line);
      if (row.matches()) {
        String id = row.group(1).strip();
        long n = Long.parseLong(row.group(2).replace(",", ""));
        current.samples.merge(id, n, Long::sum);
        current.expect.put(id, row.group(4));
        rows = true;
      } else if (line.startsWith("  VM ") || line.isBlank() && rows) {
        current = null; // the table ended (a later fork of the same test has its own table)
      }
    }
    return results;
  }
}
