package dev.loopkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Choosing the carrier needs no code change: the walkthrough's {@code main}, run in a fresh JVM
 * with {@code LOOPKIT_CARRIER=X} or with {@code -Dloopkit.carrier=X}, says that carrier ran it and
 * prints the tutorial's lines in the tutorial's order.
 */
class WalkthroughCarriersTest {
  private static final long PATIENCE_SECONDS = 120;

  @ParameterizedTest(name = "LOOPKIT_CARRIER={0}")
  @ValueSource(strings = {"single-thread", "fork-join", "virtual"})
  void theEnvironmentChoosesTheCarrier(String carrier) throws Exception {
    List<String> lines = walkthrough(List.of(), Map.of("LOOPKIT_CARRIER", carrier));
    assertEquals("loopkit walkthrough on the " + carrier + " carrier", lines.get(0));
    WalkthroughTest.assertInOrder(lines);
  }

  @ParameterizedTest(name = "-Dloopkit.carrier={0}")
  @ValueSource(strings = {"single-thread", "fork-join", "virtual"})
  void aSystemPropertyChoosesTheCarrier(String carrier) throws Exception {
    List<String> lines = walkthrough(List.of("-Dloopkit.carrier=" + carrier), Map.of());
    assertEquals("loopkit walkthrough on the " + carrier + " carrier", lines.get(0));
    WalkthroughTest.assertInOrder(lines);
  }

  /**
   * Runs {@code Walkthrough.main} in a child JVM on this test's class path, with only the given
   * loopkit settings (inherited {@code LOOPKIT_*} variables are dropped); returns its output lines.
   */
  private static List<String> walkthrough(List<String> jvmOptions, Map<String, String> env)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(javaExecutable());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Walkthrough.class.getName());
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().keySet().removeIf(k -> k.startsWith("LOOPKIT_"));
    pb.environment().putAll(env);
    long start = System.nanoTime();
    Process p = pb.start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p));
    try {
      assertTrue(
          p.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS),
          "the walkthrough did not end within " + PATIENCE_SECONDS + " s: " + command);
      String transcript = out.join();
      System.out.printf(
          "walkthrough with %s%s: exit %d after %d ms%n%s%n",
          env,
          jvmOptions,
          p.exitValue(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
          transcript);
      assertEquals(0, p.exitValue(), "exit status of " + command);
      return transcript.lines().toList();
    } finally {
      p.destroyForcibly();
    }
  }

  private static String readAll(Process p) {
    try (InputStream in = p.getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String javaExecutable() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }
}
