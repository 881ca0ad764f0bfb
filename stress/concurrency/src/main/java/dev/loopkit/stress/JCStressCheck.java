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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the JCStress tests of this module from their shaded jar and fails the build unless every
 * planned test ran and passed.
 *
 * <p>JCStress skips a test it cannot schedule (more actors than CPUs) and can still exit 0, so exit
 * codes are not enough. This check reads the tests the jar holds ({@code META-INF/TestList}),
 * requires exactly {@code --planned} of them, runs JCStress in verbose mode (its output kept in
 * {@code --out}/output.txt), and fails on: a non-zero exit; any test not reported [OK]; any
 * FORBIDDEN outcome observed; any failed test or error in JCStress's totals line; fewer tests with
 * results than planned. It prints one line per scenario and carrier, then the totals line.
 *
 * <pre>
 * java -cp target/jcstress.jar dev.loopkit.stress.JCStressCheck \
 *     --jar target/jcstress.jar --planned 27 --out target/jcstress -- [JCStress options]
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

  /** What the run reported for one test, summed over its forks. */
  private static final class TestResult {
    final TreeSet<String> statuses = new TreeSet<>();
    final Map<String, Long> samples = new TreeMap<>();
    final Map<String, String> expect = new TreeMap<>();
    int forks;

    long forbidden() {
      long n = 0;
      for (Map.Entry<String, Long> e : samples.entrySet()) {
        if ("Forbidden".equals(expect.get(e.getKey()))) {
          n += e.getValue();
        }
      }
      return n;
    }
  }

  private JCStressCheck() {}

  public static void main(String[] args) throws Exception {
    Path jar = null;
    Path out = Path.of("jcstress");
    int planned = -1;
    List<String> jcstressArgs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--jar" -> jar = Path.of(args[++i]);
        case "--planned" -> planned = Integer.parseInt(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
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
      throw new IllegalArgumentException("usage: --jar JAR --planned N [--out DIR] -- [options]");
    }
    System.exit(run(jar, planned, out, jcstressArgs));
  }

  static int run(Path jar, int planned, Path out, List<String> jcstressArgs)
      throws IOException, InterruptedException {
    List<String> problems = new ArrayList<>();
    List<String> listed = listedTests();
    if (listed.size() != planned) {
      problems.add(
          "the jar holds " + listed.size() + " JCStress tests, " + planned + " planned: " + listed);
    }
    Files.createDirectories(out);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
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

    Map<String, TestResult> results = parse(lines);
    String totals = null;
    for (String line : lines) {
      if (TOTALS.matcher(line).find()) {
        totals = line.strip();
      }
    }

    System.out.println();
    System.out.println("jcstress summary (" + out.resolve("output.txt") + "):");
    for (String test : listed) {
      TestResult t = results.get(test);
      String name = test.substring(test.lastIndexOf('.', test.lastIndexOf('.') - 1) + 1);
      if (t == null) {
        System.out.println("  " + name + ": NOT RUN");
        problems.add(test + " did not run");
        continue;
      }
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
      System.out.println(
          "  "
              + name
              + ": "
              + status
              + ", "
              + t.forks
              + (t.forks == 1 ? " fork, " : " forks, ")
              + total
              + " samples: "
              + outcomes);
      if (!t.statuses.equals(new TreeSet<>(List.of("OK")))) {
        problems.add(test + " reported " + status);
      }
      if (t.forbidden() > 0) {
        problems.add(test + " observed a FORBIDDEN outcome " + t.forbidden() + " times");
      }
      if (total == 0) {
        problems.add(test + " reported no samples");
      }
    }
    for (String test : results.keySet()) {
      if (!listed.contains(test)) {
        problems.add("unexpected test in the output: " + test);
      }
    }
    System.out.println("  " + (totals == null ? "(no totals line)" : totals));
    Matcher m = totals == null ? null : TOTALS.matcher(totals);
    if (m == null || !m.find()) {
      problems.add("JCStress printed no totals line");
    } else {
      long runs = Long.parseLong(m.group(1));
      long passed = Long.parseLong(m.group(2));
      if (passed != runs || !m.group(3).equals("0") || !m.group(4).equals("0")) {
        problems.add("JCStress totals: " + totals);
      }
      if (!m.group(5).equals("0")) {
        problems.add("JCStress totals: " + totals);
      }
      if (runs < planned) {
        problems.add("JCStress planned " + runs + " runs for " + planned + " tests");
      }
    }
    if (exit != 0) {
      problems.add("JCStress exited with " + exit);
    }
    System.out.println(
        "jcstress: "
            + results.size()
            + " of "
            + planned
            + " planned tests ran in "
            + seconds
            + " s; "
            + (problems.isEmpty() ? "PASSED" : "FAILED"));
    for (String problem : problems) {
      System.out.println("  problem: " + problem);
    }
    return problems.isEmpty() ? 0 : 1;
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
    for (String line : lines) {
      if (line.startsWith("RUN RESULTS:")) {
        break; // the summary repeats every test's table, summed over its forks
      }
      Matcher h = TEST_HEADER.matcher(line);
      if (h.matches()) {
        current = results.computeIfAbsent(h.group(2), k -> new TestResult());
        current.statuses.add(h.group(1).strip());
        current.forks++;
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
      } else if (line.startsWith("  VM ") || line.isBlank() && !current.samples.isEmpty()) {
        current = null; // the table ended
      }
    }
    return results;
  }
}
