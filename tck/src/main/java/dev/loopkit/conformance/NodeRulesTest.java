package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the ordering rules against Node itself: runs every {@code node-rules/*.cjs} script under
 * {@code node} and checks it prints its committed {@code .expected} output, the same lines {@link
 * OrderingRulesTest} expects from loopkit. Without {@code node} on the PATH it is skipped, except
 * on CI ({@code CI=true}), where it fails.
 */
class NodeRulesTest {
  private static final long TIMEOUT_SECONDS = 30;

  @TempDir Path tmp;

  @TestFactory
  Stream<DynamicTest> nodePrintsTheExpectedOrder() throws IOException {
    String node = findNode();
    String version = run(List.of(node, "--version"), tmp.resolve("version")).stdout().strip();
    return scripts().stream()
        .map(
            script ->
                DynamicTest.dynamicTest(
                    scenario(script) + " (node " + version + ")",
                    () -> checkAgainstNode(node, script)));
  }

  @Test
  void everyScriptHasItsJavaTwinAndEveryJavaTestItsScript() throws IOException {
    Set<String> scripts =
        scripts().stream()
            .map(NodeRulesTest::scenario)
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> javaTests =
        Arrays.stream(OrderingRulesTest.class.getDeclaredMethods())
            .filter(m -> m.isAnnotationPresent(CarrierTest.class))
            .map(Method::getName)
            .collect(Collectors.toCollection(TreeSet::new));
    assertFalse(scripts.isEmpty(), "no scripts found under " + OrderingRulesTest.RULES);
    assertEquals(
        scripts,
        javaTests,
        "each node-rules/<name>.cjs needs a @CarrierTest method <name> in OrderingRulesTest,"
            + " and each such method its script");
    for (String scenario : scripts) {
      assertTrue(
          Files.isRegularFile(rulesDir().resolve(scenario + ".expected")),
          () -> "missing " + scenario + ".expected beside " + scenario + ".cjs");
    }
  }

  private void checkAgainstNode(String node, Path script) throws IOException {
    String scenario = scenario(script);
    Output out = run(List.of(node, script.getFileName().toString()), tmp.resolve(scenario));
    assertEquals(0, out.exitCode(), () -> "node exited with " + out.exitCode() + ": " + out);
    assertEquals(
        OrderingRulesTest.expectedLines(scenario),
        out.stdout().lines().toList(),
        () -> "node's output for " + scenario + ".cjs differs from " + scenario + ".expected");
  }

  private record Output(int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return "stdout:\n" + stdout + "\nstderr:\n" + stderr;
    }
  }

  /** Runs {@code command} in the scripts' directory, with at most {@link #TIMEOUT_SECONDS}. */
  private Output run(List<String> command, Path outputs) throws IOException {
    Files.createDirectories(outputs);
    Path stdout = outputs.resolve("stdout");
    Path stderr = outputs.resolve("stderr");
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(rulesDir().toFile())
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile());
    pb.environment().remove("NODE_OPTIONS");
    Process p = pb.start();
    try {
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(command + " did not finish in " + TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + command, e);
    }
    return new Output(
        p.exitValue(),
        Files.readString(stdout, StandardCharsets.UTF_8),
        Files.readString(stderr, StandardCharsets.UTF_8));
  }

  /** The {@code node} executable on the PATH; if there is none, fails on CI and skips elsewhere. */
  private static String findNode() {
    boolean windows = System.getProperty("os.name", "").toLowerCase().startsWith("windows");
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isBlank()) {
        continue;
      }
      for (String name : windows ? List.of("node.exe", "node.cmd") : List.of("node")) {
        Path candidate = Path.of(dir, name);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return candidate.toString();
        }
      }
    }
    String why = "node is not on the PATH, so the ordering rules are not run under Node";
    if ("true".equals(System.getenv("CI"))) {
      fail(why + "; CI must run them: install Node 20");
    }
    Assumptions.abort(why + " (install Node 20 to run them)");
    throw new AssertionError("unreachable");
  }

  /** Every scenario script, by name. */
  private static List<Path> scripts() throws IOException {
    try (Stream<Path> files = Files.list(rulesDir())) {
      return files.filter(p -> p.getFileName().toString().endsWith(".cjs")).sorted().toList();
    }
  }

  private static String scenario(Path script) {
    String name = script.getFileName().toString();
    return name.substring(0, name.length() - ".cjs".length());
  }

  /** The scripts' directory (on disk, also when the suite runs from the loopkit-tck jar). */
  private static Path rulesDir() {
    return NodeRuleScripts.dir();
  }
}
