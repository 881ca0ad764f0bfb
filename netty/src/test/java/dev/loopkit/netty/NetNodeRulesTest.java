package dev.loopkit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.loopkit.conformance.CarrierTest;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.net.URL;
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

/**
 * Proves the network ordering rules against Node itself: runs every {@code net-rules/*.cjs} script
 * under {@code node} and checks it prints its committed {@code .expected} output, the lines {@link
 * NetRulesTest} expects from loopkit. Without {@code node} on the PATH it is skipped, except on CI
 * ({@code CI=true}), where it fails.
 */
class NetNodeRulesTest {
  private static final long TIMEOUT_SECONDS = 30;

  @TestFactory
  Stream<DynamicTest> nodePrintsTheExpectedOrder() throws IOException {
    String node = findNode();
    return scripts().stream()
        .map(
            script ->
                DynamicTest.dynamicTest(scenario(script), () -> checkAgainstNode(node, script)));
  }

  @Test
  void everyScriptHasItsJavaTwinAndEveryJavaTestItsScript() throws IOException {
    Set<String> scripts =
        scripts().stream()
            .map(NetNodeRulesTest::scenario)
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> javaTests =
        Arrays.stream(NetRulesTest.class.getDeclaredMethods())
            .filter(m -> m.isAnnotationPresent(CarrierTest.class))
            .map(Method::getName)
            .collect(Collectors.toCollection(TreeSet::new));
    assertFalse(scripts.isEmpty(), "no scripts found under " + NetRulesTest.RULES);
    assertEquals(
        scripts,
        javaTests,
        "each net-rules/<name>.cjs needs a @CarrierTest method <name> in NetRulesTest, and back");
    for (String scenario : scripts) {
      assertTrue(
          Files.isRegularFile(rulesDir().resolve(scenario + ".expected")),
          () -> "missing " + scenario + ".expected beside " + scenario + ".cjs");
    }
  }

  private static void checkAgainstNode(String node, Path script) throws Exception {
    String scenario = scenario(script);
    Path out = Files.createTempFile("net-rules-" + scenario, ".out");
    Path err = Files.createTempFile("net-rules-" + scenario, ".err");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(node, script.getFileName().toString())
              .directory(rulesDir().toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      pb.environment().remove("NODE_OPTIONS");
      Process p = pb.start();
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(script + " did not finish under node in " + TIMEOUT_SECONDS + " s");
      }
      String stderr = Files.readString(err, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), () -> "node exited with " + p.exitValue() + ": " + stderr);
      assertEquals(
          NetRulesTest.expectedLines(scenario),
          Files.readString(out, StandardCharsets.UTF_8).lines().toList(),
          () -> "node's output for " + scenario + ".cjs differs from " + scenario + ".expected");
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** The {@code node} executable on the PATH; if there is none, fails on CI and skips elsewhere. */
  private static String findNode() {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isBlank()) {
        Path candidate = Path.of(dir, "node");
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return candidate.toString();
        }
      }
    }
    String why = "node is not on the PATH, so the network ordering rules are not run under Node";
    if ("true".equals(System.getenv("CI"))) {
      fail(why + "; CI must run them: install Node 20");
    }
    Assumptions.abort(why + " (install Node 20 to run them)");
    throw new AssertionError("unreachable");
  }

  private static List<Path> scripts() throws IOException {
    try (Stream<Path> files = Files.list(rulesDir())) {
      return files.filter(p -> p.getFileName().toString().endsWith(".cjs")).sorted().toList();
    }
  }

  private static String scenario(Path script) {
    String name = script.getFileName().toString();
    return name.substring(0, name.length() - ".cjs".length());
  }

  private static Path rulesDir() {
    URL url = NetNodeRulesTest.class.getClassLoader().getResource(NetRulesTest.RULES);
    if (url == null) {
      throw new AssertionError("missing test resource directory " + NetRulesTest.RULES);
    }
    if (!"file".equals(url.getProtocol())) {
      Assumptions.abort("the net-rules scripts are not files (" + url + "); node cannot run them");
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new AssertionError(e);
    }
  }
}
