package dev.loopkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.spi.PoolSpec;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Configuration parsing: unknown keys and bad values fail fast with a message that names the key,
 * where it came from and what is allowed; sources override in order.
 */
class LoopConfigTest {

  private static LoopConfig.Builder isolated() {
    return LoopConfig.builder().isolated();
  }

  /** Asserts {@code call} throws an IllegalArgumentException whose message has every fragment. */
  private static IllegalArgumentException assertRefused(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String fragment : fragments) {
      assertTrue(
          e.getMessage() != null && e.getMessage().contains(fragment),
          () -> "message should contain '" + fragment + "': " + e.getMessage());
    }
    return e;
  }

  // ---- unknown keys ----------------------------------------------------------------------------

  @Test
  void unknownKeyFromTheBuilderIsRefusedNamingItAndTheKnownKeys() {
    assertRefused(
        () -> isolated().set("loopkit.bogus", "1").build(),
        "loopkit.bogus",
        "loopkit.bogus given to LoopConfig.builder()",
        "loopkit.carrier",
        "loopkit.poll.maxBatch");
  }

  @Test
  void unknownKeyFromSystemPropertiesIsRefused() {
    assertRefused(
        () -> isolated().systemProperties(Map.of("loopkit.bogus", "1")).build(),
        "loopkit.bogus",
        "system property loopkit.bogus",
        "loopkit.carrier");
  }

  @Test
  void unknownVariableFromTheEnvironmentIsRefused() {
    assertRefused(
        () -> isolated().environment(Map.of("LOOPKIT_BOGUS", "1")).build(),
        "LOOPKIT_BOGUS",
        "environment",
        "LOOPKIT_CARRIER");
  }

  @Test
  void unknownPoolPropertyIsRefused() {
    assertRefused(
        () -> isolated().set("loopkit.pool.io.threads", "3").build(), "loopkit.pool.io.threads");
  }

  @Test
  void keysOfOtherLibrariesAreIgnored() {
    LoopConfig c =
        isolated()
            .systemProperties(Map.of("user.name", "x", "netty.bogus", "y"))
            .environment(Map.of("PATH", "/bin", "LOOPKITX", "z"))
            .build();
    assertEquals("single-thread", c.carrier());
  }

  // ---- bad values ------------------------------------------------------------------------------

  @Test
  void nonNumericPoolSizeIsRefusedNamingTheKeyAndTheRange() {
    assertRefused(
        () -> isolated().set("loopkit.pool.io.size", "abc").build(),
        "loopkit.pool.io.size",
        "'abc'",
        "whole number from 1 to 32767");
  }

  @Test
  void poolSizeOutOfRangeIsRefused() {
    assertRefused(
        () -> isolated().set("loopkit.pool.cpu.size", "0").build(),
        "loopkit.pool.cpu.size",
        "1 to 32767");
    assertRefused(
        () -> isolated().set("loopkit.pool.io.size", "40000").build(),
        "loopkit.pool.io.size",
        "1 to 32767");
  }

  @Test
  void forkJoinSliceOutOfRangeIsRefused() {
    assertRefused(
        () -> isolated().set("loopkit.forkjoin.sliceMicros", "0").build(),
        "loopkit.forkjoin.sliceMicros",
        "1 to 1000000");
  }

  @Test
  void nonNumericMaxBatchIsRefusedNamingTheKeyAndTheRange() {
    assertRefused(
        () -> isolated().set("loopkit.poll.maxBatch", "x").build(),
        "loopkit.poll.maxBatch",
        "'x'",
        "loopkit.poll.maxBatch given to LoopConfig.builder()",
        "1 to 2147483647");
  }

  @Test
  void zeroMaxBatchIsRefused() {
    assertRefused(
        () -> isolated().set("loopkit.poll.maxBatch", "0").build(),
        "loopkit.poll.maxBatch",
        "1 to 2147483647");
  }

  @Test
  void badValueFromTheEnvironmentNamesTheKeyAndTheSource() {
    assertRefused(
        () -> isolated().environment(Map.of("LOOPKIT_POLL_MAXBATCH", "lots")).build(),
        "loopkit.poll.maxBatch",
        "'lots'",
        "environment LOOPKIT_POLL_MAXBATCH");
  }

  @Test
  void badValueFromSystemPropertiesNamesTheKeyAndTheSource() {
    assertRefused(
        () -> isolated().systemProperties(Map.of("loopkit.queue.capacity", "-1")).build(),
        "loopkit.queue.capacity",
        "system property loopkit.queue.capacity",
        "unbounded or");
  }

  @Test
  void badChoicesListWhatIsAllowed() {
    assertRefused(
        () -> isolated().set("loopkit.queue.fullPolicy", "drop").build(),
        "loopkit.queue.fullPolicy",
        "reject | block");
    assertRefused(
        () -> isolated().set("loopkit.threads.daemon", "yes").build(),
        "loopkit.threads.daemon",
        "true | false");
    assertRefused(
        () -> isolated().set("loopkit.errors.uncaught", "ignore").build(),
        "loopkit.errors.uncaught",
        "auto | log | stop");
    assertRefused(
        () -> isolated().set("loopkit.errors.unhandledRejection", "ignore").build(),
        "loopkit.errors.unhandledRejection",
        "auto | log | stop");
  }

  @Test
  void badWatchdogAndMetricsValuesAreRefusedNamingTheKeyAndTheRange() {
    assertRefused(
        () -> isolated().set("loopkit.watchdog.thresholdMillis", "-1").build(),
        "loopkit.watchdog.thresholdMillis",
        "'-1'",
        "0 to 2147483647");
    assertRefused(
        () -> isolated().set("loopkit.metrics.sampleEvery", "0").build(),
        "loopkit.metrics.sampleEvery",
        "1 to 1073741824");
    assertRefused(
        () -> isolated().set("loopkit.metrics.sampleEvery", "48").build(),
        "loopkit.metrics.sampleEvery",
        "'48'",
        "a power of two");
    assertRefused(
        () -> isolated().set("loopkit.metrics.delayResolutionMillis", "0").build(),
        "loopkit.metrics.delayResolutionMillis",
        "1 to 60000");
  }

  @Test
  void emptyNameIsRefused() {
    assertRefused(() -> isolated().name("").build(), "loopkit.name", "non-empty");
  }

  @Test
  void badPoolKindIsRefused() {
    assertRefused(
        () -> isolated().set("loopkit.pool.db.kind", "disk").build(),
        "loopkit.pool.db.kind",
        "io | cpu");
  }

  @Test
  void poolWithoutKindIsRefusedSayingWhichKeyToSet() {
    assertRefused(
        () -> isolated().set("loopkit.pool.db.size", "2").build(), "'db'", "loopkit.pool.db.kind");
  }

  @Test
  void poolWithoutKindNamesTheSystemPropertyThatDeclaredIt() {
    assertRefused(
        () -> isolated().systemProperties(Map.of("loopkit.pool.db.size", "4")).build(),
        "pool 'db' has no kind",
        "system property loopkit.pool.db.size",
        "loopkit.pool.db.kind",
        "allowed: io | cpu");
  }

  @Test
  void poolWithoutKindNamesTheEnvironmentVariableThatDeclaredIt() {
    assertRefused(
        () -> isolated().environment(Map.of("LOOPKIT_POOL_DB_SIZE", "4")).build(),
        "pool 'db' has no kind",
        "environment LOOPKIT_POOL_DB_SIZE",
        "loopkit.pool.db.kind",
        "allowed: io | cpu");
  }

  @Test
  void poolWithoutKindNamesTheBuilderWhenItDeclaredIt() {
    assertRefused(
        () -> isolated().set("loopkit.pool.db.queueCapacity", "8").build(),
        "pool 'db' has no kind",
        "loopkit.pool.db.queueCapacity given to LoopConfig.builder()",
        "allowed: io | cpu");
  }

  @Test
  void poolWithoutKindNamesTheClassPathFileThatDeclaredIt(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("loopkit.properties"), "loopkit.pool.db.size=4\n");
    Thread thread = Thread.currentThread();
    ClassLoader saved = thread.getContextClassLoader();
    // No parent: only this loopkit.properties is on the class path the config reads.
    try (URLClassLoader cl = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
      thread.setContextClassLoader(cl);
      assertRefused(
          () -> LoopConfig.builder().environment(Map.of()).systemProperties(Map.of()).build(),
          "pool 'db' has no kind",
          "loopkit.pool.db.size in loopkit.properties on the class path",
          "loopkit.pool.db.kind");
    } finally {
      thread.setContextClassLoader(saved);
    }
  }

  @Test
  void poolWithoutKindNamesEveryKeyThatDeclaredItWithItsOwnSource() {
    assertRefused(
        () ->
            isolated()
                .environment(Map.of("LOOPKIT_POOL_DB_QUEUECAPACITY", "8"))
                .systemProperties(Map.of("loopkit.pool.db.size", "4"))
                .build(),
        "pool 'db' has no kind",
        "environment LOOPKIT_POOL_DB_QUEUECAPACITY",
        "system property loopkit.pool.db.size",
        "loopkit.pool.db.kind");
  }

  @Test
  void badPoolValuesNameTheKeyAsTheirSourceSpellsIt() {
    assertRefused(
        () ->
            isolated()
                .environment(
                    Map.of("LOOPKIT_POOL_MY-DB_KIND", "io", "LOOPKIT_POOL_MY-DB_SIZE", "x"))
                .build(),
        "loopkit.pool.my-db.size",
        "'x'",
        "environment LOOPKIT_POOL_MY-DB_SIZE",
        "1 to 32767");
    assertRefused(
        () -> isolated().systemProperties(Map.of("loopkit.pool.db.kind", "disk")).build(),
        "loopkit.pool.db.kind",
        "'disk'",
        "system property loopkit.pool.db.kind",
        "io | cpu");
  }

  @Test
  void defaultPoolMustBeConfiguredAndTheMessageListsThePools() {
    assertRefused(
        () -> isolated().set("loopkit.offload.defaultPool", "nope").build(),
        "loopkit.offload.defaultPool",
        "'nope'",
        "cpu",
        "io");
  }

  @Test
  void nullKeyOrValueInTheBuilderIsRefusedNamingIt() {
    NullPointerException key =
        assertThrows(NullPointerException.class, () -> isolated().set(null, "1"));
    assertTrue(key.getMessage().contains("key"), key.getMessage());
    NullPointerException value =
        assertThrows(
            NullPointerException.class, () -> isolated().set("loopkit.name", (String) null));
    assertTrue(value.getMessage().contains("value"), value.getMessage());
    NullPointerException handler =
        assertThrows(NullPointerException.class, () -> isolated().onUncaughtError(null));
    assertTrue(handler.getMessage().contains("handler"), handler.getMessage());
  }

  // ---- values and precedence -------------------------------------------------------------------

  @Test
  void defaultsAreDocumentedValues() {
    LoopConfig c = isolated().build();
    assertEquals("single-thread", c.carrier());
    assertEquals(1024, c.pollMaxBatch());
    assertEquals(Integer.MAX_VALUE, c.queueCapacity());
    assertEquals("io", c.defaultPool());
    assertEquals(List.of("cpu", "io"), c.poolNames());
    assertEquals(0, c.pool("io").orElseThrow().size(), "io: not configured, the carrier decides");
    assertEquals(PoolSpec.Kind.CPU, c.pool("cpu").orElseThrow().kind());
    assertEquals(Runtime.getRuntime().availableProcessors(), c.pool("cpu").orElseThrow().size());
    assertTrue(c.daemonThreads());
    assertEquals(2000, c.watchdogThresholdMillis());
    assertEquals(1024, c.metricsSampleEvery());
    assertEquals(10, c.metricsDelayResolutionMillis());
    assertEquals(LoopConfig.Source.DEFAULT, c.sourceOf("loopkit.carrier").orElseThrow());
  }

  @Test
  void laterSourcesOverrideEarlierOnes() {
    LoopConfig c =
        isolated()
            .environment(
                Map.of(
                    "LOOPKIT_POLL_MAXBATCH", "10", "LOOPKIT_NAME", "env", "LOOPKIT_CARRIER", "e"))
            .systemProperties(Map.of("loopkit.poll.maxBatch", "20", "loopkit.carrier", "s"))
            .set("loopkit.carrier", "manual")
            .build();
    assertEquals("env", c.name());
    assertEquals(LoopConfig.Source.ENVIRONMENT, c.sourceOf("loopkit.name").orElseThrow());
    assertEquals(20, c.pollMaxBatch());
    assertEquals(LoopConfig.Source.SYSTEM_PROPERTY, c.sourceOf("loopkit.poll.maxBatch").get());
    assertEquals("manual", c.carrier());
    assertEquals(LoopConfig.Source.BUILDER, c.sourceOf("loopkit.carrier").orElseThrow());
  }

  @Test
  void poolsAreDeclaredFromAnySource() {
    LoopConfig c =
        isolated()
            .environment(Map.of("LOOPKIT_POOL_DB_KIND", "io", "LOOPKIT_POOL_DB_SIZE", "3"))
            .set("loopkit.pool.hash.kind", "cpu")
            .set("loopkit.pool.hash.queueCapacity", "7")
            .build();
    PoolSpec db = c.pool("db").orElseThrow();
    assertEquals(PoolSpec.Kind.IO, db.kind());
    assertEquals(3, db.size());
    PoolSpec hash = c.pool("hash").orElseThrow();
    assertEquals(PoolSpec.Kind.CPU, hash.kind());
    assertEquals(7, hash.queueCapacity());
  }

  @Test
  void anyNonEmptyNameIsAcceptedAsItIsEvenWithPercentSigns() {
    for (String name : List.of("my%loop", "%", "%s", "%n%d%%", "100%")) {
      assertEquals(name, isolated().name(name).build().name());
      assertEquals(name, isolated().systemProperties(Map.of("loopkit.name", name)).build().name());
      assertEquals(name, isolated().environment(Map.of("LOOPKIT_NAME", name)).build().name());
    }
  }

  @Test
  void badValuesWithPercentSignsAreQuotedAsGiven() {
    assertRefused(
        () -> isolated().set("loopkit.poll.maxBatch", "50%s").build(),
        "loopkit.poll.maxBatch",
        "'50%s'");
  }

  @Test
  void valuesAreTrimmed() {
    assertEquals(8, isolated().set("loopkit.poll.maxBatch", " 8 ").build().pollMaxBatch());
  }

  @Test
  void everyDocumentedKeyHasAnAllowedTextAndADescription() {
    for (LoopConfig.Key k : LoopConfig.keys()) {
      assertTrue(k.name().startsWith("loopkit."), k.name());
      assertTrue(!k.allowed().isBlank() && !k.description().isBlank(), k.name());
    }
  }
}
