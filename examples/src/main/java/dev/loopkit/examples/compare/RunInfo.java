package dev.loopkit.examples.compare;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a report records besides its figures, so that it can be reproduced and judged: the machine,
 * the JDK, the commit, the command and the settings, the load average before it, and when it
 * started and ended. A grid taken in several sittings has one of these per sitting ({@link
 * RunStore#sittings()} makes them one).
 */
record RunInfo(Map<String, String> fields, Instant started, Instant finished) {

  static RunInfo collect(List<String> args, Settings settings) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("command", command(args));
    f.put("commit", commit());
    f.put(
        "jdk",
        System.getProperty("java.vendor") + " " + System.getProperty("java.runtime.version"));
    f.put(
        "cell JVM",
        settings.fork()
            ? String.join(" ", Compare.CELL_JVM_OPTIONS)
                + (settings.jvmOptions().isEmpty()
                    ? ""
                    : " " + String.join(" ", settings.jvmOptions()))
                + " (a fresh JVM per run)"
            : "this JVM for every cell: "
                + ManagementFactory.getRuntimeMXBean().getInputArguments());
    f.put(
        "os",
        System.getProperty("os.name")
            + " "
            + System.getProperty("os.version")
            + " "
            + System.getProperty("os.arch"));
    f.put(
        "cpu", cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores available");
    f.put("memory", memory());
    f.put(
        "load average at start",
        String.format(
            java.util.Locale.ROOT,
            "%.2f",
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    f.put(
        "settings", String.join(" ", settings.toArgs()) + (settings.fork() ? "" : " --fork false"));
    f.put("measures", settings.measures());
    f.put("models", models(settings));
    if (settings.server()) {
      f.put(
          "server mode",
          "loop/*: loopkit's HTTP server on the loop; threads/virtual: Helidon 4 SE's web server"
              + " (a virtual thread per request); threads/platform: the JDK's HttpServer on the"
              + " fixed pool; the client: loopkit's HTTP client on a single-thread loop of its own,"
              + " in the measured process, its thread and CPU time not counted");
    }
    f.put(
        "HTTP service",
        "a process of its own: " + String.join(" ", Upstream.JVM_OPTIONS) + ", the same java");
    return new RunInfo(f, Instant.now(), Instant.now());
  }

  /** How many threads each model may use, as configured: what caps its parallelism. */
  private static String models(Settings s) {
    dev.loopkit.LoopConfig c = Model.config("single-thread", s.ioThreads());
    int cpu = c.pool("cpu").map(dev.loopkit.spi.PoolSpec::size).orElse(-1);
    return "loop/*: one loop; io pool "
        + s.ioThreads()
        + " threads (on virtual: at most "
        + s.ioThreads()
        + " tasks at once), cpu pool "
        + cpu
        + " platform threads, fork-join parallelism "
        + c.forkJoinParallelism()
        + ", every other loopkit key at its default; threads/platform: a fixed pool of "
        + s.platformThreads()
        + " platform threads, all started up front; threads/virtual: a new virtual thread per"
        + " request (the JDK's scheduler, parallelism "
        + Runtime.getRuntime().availableProcessors()
        + "); db: "
        + s.dbConnections()
        + " pooled connections for every model";
  }

  RunInfo finished(Instant at) {
    return new RunInfo(fields, started, at);
  }

  /** The command that reproduces the run (the launcher builds the module if need be). */
  private static String command(List<String> args) {
    return "examples/compare " + String.join(" ", args);
  }

  private static String commit() {
    String head = git("rev-parse", "HEAD");
    if (head == null) {
      return "unknown (no git work tree)";
    }
    String status = git("status", "--porcelain");
    return head + (status == null || status.isEmpty() ? "" : " with uncommitted changes");
  }

  private static String git(String... args) {
    try {
      String[] cmd = new String[args.length + 1];
      cmd[0] = "git";
      System.arraycopy(args, 0, cmd, 1, args.length);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return null;
      }
      return out;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }

  private static String memory() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return String.format(
          java.util.Locale.ROOT, "%.1f GiB", os.getTotalMemorySize() / 1073741824.0);
    }
    return "unknown";
  }
}
