package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Immediate;
import dev.loopkit.KeepAlive;
import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.Promise;
import dev.loopkit.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad input fails at the call site with a message that names the argument and what is allowed: null
 * callbacks, bad delays and periods, unknown pools and carriers.
 */
class BadInputTest {

  private static final Runnable NOOP = () -> {};

  private static <E extends Throwable> E assertRefused(
      Class<E> type, Executable call, String... fragments) {
    E e = assertThrows(type, call);
    for (String fragment : fragments) {
      assertTrue(
          e.getMessage() != null && e.getMessage().contains(fragment),
          () -> "message should contain '" + fragment + "': " + e.getMessage());
    }
    return e;
  }

  private static void assertNullRefused(String argument, Executable call) {
    assertRefused(NullPointerException.class, call, argument);
  }

  // ---- null callbacks --------------------------------------------------------------------------

  @CarrierTest
  void nullCallbacksAreRefusedNamingTheArgument(LoopFixture f) {
    Loop loop = f.newLoop();
    assertNullRefused("callback", () -> loop.nextTick(null));
    assertNullRefused("callback", () -> loop.queueMicrotask(null));
    assertNullRefused("callback", () -> loop.setImmediate(null));
    assertNullRefused("callback", () -> loop.setTimeout(null, 1));
    assertNullRefused("callback", () -> loop.setTimeout(null, Duration.ofMillis(1)));
    assertNullRefused("delay", () -> loop.setTimeout(NOOP, (Duration) null));
    assertNullRefused("callback", () -> loop.setInterval(null, 1));
    assertNullRefused("callback", () -> loop.setInterval(null, Duration.ofMillis(1)));
    assertNullRefused("period", () -> loop.setInterval(NOOP, (Duration) null));
    assertNullRefused("task", () -> loop.offload(null));
    assertNullRefused("task", () -> loop.offload("io", (Callable<Object>) null));
    assertNullRefused("pool", () -> loop.offload(null, () -> 1));
    assertNullRefused("task", () -> loop.execute(null));
    assertNullRefused("resolution", () -> loop.monitorDelay(null));
  }

  @CarrierTest
  void nullTasksOfTheExecutorFaceAreRefusedNamingTheArgument(LoopFixture f) {
    Loop loop = f.newLoop();
    assertNullRefused("task", () -> loop.submit((Runnable) null));
    assertNullRefused("task", () -> loop.submit((Runnable) null, "x"));
    assertNullRefused("task", () -> loop.submit((Callable<?>) null));
  }

  @CarrierTest
  void nullCloseCallbacksAreRefusedAndTheHandleStaysOpen(LoopFixture f) {
    List<Object> seen = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          Timer t = loop.setTimeout(NOOP, 60_000);
          Immediate im = loop.setImmediate(NOOP);
          KeepAlive k = loop.keepAlive();
          assertNullRefused("callback", () -> t.close(null));
          assertNullRefused("callback", () -> im.close(null));
          assertNullRefused("callback", () -> k.close(null));
          seen.addAll(List.of(t.isActive(), im.isActive(), k.isActive()));
          t.cancel();
          im.cancel();
          k.close();
        });
    assertEquals(List.of(true, true, true), seen, "a refused close(null) must not close");
  }

  @CarrierTest
  void nullPromiseHandlersAreRefusedNamingTheArgument(LoopFixture f) {
    Loop loop = f.newLoop();
    Promise<Integer> p = Promise.resolve(loop, 1);
    assertNullRefused("onFulfilled", () -> p.then(null));
    assertNullRefused("onFulfilled", () -> p.then(null, e -> 0));
    assertNullRefused("onRejected", () -> p.then(v -> v, null));
    assertNullRefused("onRejected", () -> p.catchError(null));
    assertNullRefused("onFinally", () -> p.andFinally(null));
    assertNullRefused("reason", () -> Promise.reject(loop, null));
    assertNullRefused("loop", () -> Promise.resolve(null, 1));
    assertNullRefused("loop", () -> Promise.withResolvers(null));
    Promise.Resolvers<Integer> r = Promise.withResolvers(loop);
    assertNullRefused("reason", () -> r.reject(null));
    assertTrue(r.promise().isPending(), "a refused reject(null) must not settle the promise");
    assertTrue(r.resolve(2));
  }

  @CarrierTest
  void nullPromiseListsAreRefusedNamingTheArgument(LoopFixture f) {
    f.run(
        () -> {
          Loop loop = Loop.current();
          assertNullRefused("promises", () -> Promise.all(null));
          assertNullRefused("promises", () -> Promise.allSettled(null));
          assertNullRefused("promises", () -> Promise.any(null));
          assertNullRefused("promises", () -> Promise.race(null));
          assertNullRefused(
              "promises[1]", () -> Promise.all(Arrays.asList(Promise.resolve(loop, 1), null)));
          assertNullRefused("delay", () -> Promise.delay(null));
        });
  }

  @CarrierTest
  void refusedCallsOnTheLoopThrowThereAndTheLoopGoesOn(LoopFixture f) {
    AtomicBoolean later = new AtomicBoolean();
    List<String> messages = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          try {
            loop.setTimeout(null, 1);
          } catch (NullPointerException e) {
            messages.add(e.getMessage());
          }
          try {
            loop.setInterval(NOOP, Duration.ofDays(365));
          } catch (IllegalArgumentException e) {
            messages.add(e.getMessage());
          }
          loop.setTimeout(() -> later.set(true), 1);
        });
    assertEquals(2, messages.size(), messages.toString());
    assertTrue(messages.get(0).contains("callback"), messages.get(0));
    assertTrue(messages.get(1).contains("period"), messages.get(1));
    assertTrue(later.get(), "the loop must go on after a refused call");
  }

  // ---- delays and periods ----------------------------------------------------------------------

  @CarrierTest
  void delayAboveTwoToThe31MinusOneMillisIsRefused(LoopFixture f) {
    Loop loop = f.newLoop();
    long tooLong = 2_147_483_648L;
    assertRefused(
        IllegalArgumentException.class,
        () -> loop.setTimeout(NOOP, tooLong),
        "delay",
        "2147483648",
        "2147483647");
    assertRefused(
        IllegalArgumentException.class,
        () -> loop.setTimeout(NOOP, Duration.ofMillis(tooLong)),
        "delay",
        "2147483647");
    assertRefused(
        IllegalArgumentException.class,
        () -> loop.setTimeout(NOOP, Duration.ofDays(365)),
        "delay",
        "2147483647");
    assertRefused(
        IllegalArgumentException.class,
        () -> loop.setTimeout(NOOP, Duration.ofSeconds(Long.MAX_VALUE)),
        "delay",
        "2147483647");
    assertRefused(
        IllegalArgumentException.class,
        () -> loop.setTimeout(NOOP, Long.MAX_VALUE),
        "delay",
        "2147483647");
    assertRefused(
        IllegalArgumentException.class,
        () -> loop.setInterval(NOOP, tooLong),
        "period",
        "2147483647");
    assertRefused(
        IllegalArgumentException.class,
        () -> loop.setInterval(NOOP, Duration.ofMillis(tooLong)),
        "period",
        "2147483647");
    // The largest allowed delay is accepted.
    Timer t = loop.setTimeout(NOOP, 2_147_483_647L);
    assertTrue(t.cancel());
    Timer d = loop.setTimeout(NOOP, Duration.ofMillis(2_147_483_647L));
    assertTrue(d.cancel());
  }

  @CarrierTest
  void monitorDelayBelowOneMillisecondIsRefused(LoopFixture f) {
    Loop loop = f.newLoop();
    assertRefused(
        IllegalArgumentException.class,
        () -> loop.monitorDelay(Duration.ofNanos(999_999)),
        "resolution",
        "1 ms");
  }

  // ---- pools and carriers ----------------------------------------------------------------------

  @CarrierTest
  void unknownOffloadPoolIsRefusedListingTheConfiguredPools(LoopFixture f) {
    Loop loop =
        f.newLoop(b -> b.set("loopkit.pool.db.kind", "io").set("loopkit.pool.db.size", "1"));
    IllegalArgumentException e =
        assertRefused(
            IllegalArgumentException.class,
            () -> loop.offload("nope", () -> 1),
            "pool",
            "'nope'",
            "io",
            "cpu",
            "db");
    assertFalse(e.getMessage().isBlank());
    assertEquals(List.of("cpu", "db", "io"), loop.offloadPools().stream().sorted().toList());
    assertEquals(5, f.await(loop, loop.offload("db", () -> 5)));
  }

  /** The names of the carriers found through ServiceLoader, which a refusal must list. */
  private static String[] carriersFound(String... more) {
    List<String> all = new ArrayList<>(Arrays.asList(more));
    CarrierSetup.discovered().stream().map(CarrierSetup::carrier).distinct().forEach(all::add);
    return all.toArray(String[]::new);
  }

  @Test
  void unknownCarrierIsRefusedListingTheCarriersFound() {
    LoopConfig config = LoopConfig.builder().isolated().carrier("bogus").build();
    assertRefused(
        IllegalArgumentException.class,
        () -> Loop.create(config),
        carriersFound("loopkit.carrier", "'bogus'"));
    AtomicBoolean ran = new AtomicBoolean();
    assertRefused(
        IllegalArgumentException.class,
        () -> Loop.run(config, () -> ran.set(true)),
        carriersFound("loopkit.carrier"));
    assertFalse(ran.get(), "main must not run when the carrier is unknown");
  }

  @Test
  void unknownCarrierFromSystemPropertiesNamesTheSource() {
    LoopConfig config =
        LoopConfig.builder()
            .isolated()
            .systemProperties(java.util.Map.of("loopkit.carrier", "bogus"))
            .build();
    assertRefused(
        IllegalArgumentException.class,
        () -> Loop.create(config),
        carriersFound("loopkit.carrier", "a system property"));
  }

  @Test
  void nullConfigOrMainIsRefused() {
    assertNullRefused("config", () -> Loop.create(null));
    assertNullRefused("main", () -> Loop.run(LoopConfig.builder().isolated().build(), null));
  }
}
