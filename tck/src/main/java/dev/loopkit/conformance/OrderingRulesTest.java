package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loopkit.Loop;
import dev.loopkit.ManualControl;
import dev.loopkit.Promise;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.junit.jupiter.api.TestInfo;

/**
 * The ordering rules of the loop contract, one test per scenario. Each test does with loopkit what
 * the CommonJS script {@code node-rules/<test name>.cjs} does with Node 20, and expects the lines
 * Node printed, committed as {@code node-rules/<test name>.expected}. {@link NodeRulesTest} runs
 * the scripts under {@code node} and checks that every script has its test here.
 */
class OrderingRulesTest {

  /** Where the scripts and their expected output live on the test classpath. */
  static final String RULES = NodeRuleScripts.RULES;

  // ---- synchronous code of a callback finishes before anything it schedules ------------------

  @CarrierTest
  void syncCodeOfACallbackFinishesBeforeAnythingItSchedules(LoopFixture f, TestInfo test) {
    List<String> log = newLog();
    f.run(
        () -> {
          Loop loop = Loop.current();
          log.add("main start");
          loop.nextTick(() -> log.add("tick from main"));
          loop.queueMicrotask(() -> log.add("microtask from main"));
          loop.setImmediate(
              () -> {
                log.add("immediate start");
                loop.setTimeout(() -> log.add("timeout from immediate"), 0);
                loop.nextTick(() -> log.add("tick from immediate"));
                Promise.resolve("from immediate").then(v -> log.add("promise " + v));
                log.add("immediate end");
              });
          log.add("main end");
        });
    assertNodeOrder(test, log);
  }

  // ---- nextTick before promise reactions/queueMicrotask; both before any timer or immediate ---

  @CarrierTest
  void nextTickRunsBeforePromiseReactions(LoopFixture f, TestInfo test) {
    List<String> log = newLog();
    f.run(
        () -> {
          Loop loop = Loop.current();
          Promise.resolve(1).then(v -> log.add("promise " + v));
          loop.queueMicrotask(() -> log.add("microtask"));
          loop.nextTick(() -> log.add("tick 1"));
          Promise.resolve(2).then(v -> log.add("promise " + v));
          loop.nextTick(() -> log.add("tick 2"));
          log.add("main end");
        });
    assertNodeOrder(test, log);
  }

  @CarrierTest
  void ticksAndMicrotasksRunBeforeAnyTimerOrImmediate(LoopFixture f, TestInfo test) {
    List<String> log = newLog();
    f.run(
        () -> {
          Loop loop = Loop.current();
          loop.setImmediate(
              () -> {
                log.add("immediate");
                loop.setTimeout(() -> log.add("timeout"), 0);
                loop.queueMicrotask(() -> log.add("microtask from immediate"));
                loop.nextTick(() -> log.add("tick from immediate"));
              });
          Promise.resolve("from main").then(v -> log.add("promise " + v));
          loop.nextTick(() -> log.add("tick from main"));
          log.add("main end");
        });
    assertNodeOrder(test, log);
  }

  // ---- ticks drain completely before the first microtask; microtasks drain completely before
  // ---- ticks queued from inside them

  @CarrierTest
  void ticksDrainCompletelyBeforeTheFirstMicrotask(LoopFixture f, TestInfo test) {
    List<String> log = newLog();
    f.run(
        () -> {
          Loop loop = Loop.current();
          loop.queueMicrotask(() -> log.add("microtask"));
          loop.nextTick(
              () -> {
                log.add("tick 1");
                loop.nextTick(
                    () -> {
                      log.add("tick 3 (queued by tick 1)");
                      loop.nextTick(() -> log.add("tick 4 (queued by tick 3)"));
                    });
              });
          loop.nextTick(() -> log.add("tick 2"));
          log.add("main end");
        });
    assertNodeOrder(test, log);
  }

  @CarrierTest
  void microtasksDrainCompletelyBeforeTicksQueuedFromThem(LoopFixture f, TestInfo test) {
    List<String> log = newLog();
    f.run(
        () -> {
          Loop loop = Loop.current();
          loop.queueMicrotask(
              () -> {
                log.add("microtask 1");
                loop.nextTick(
                    () -> {
                      log.add("tick (queued by microtask 1)");
                      loop.queueMicrotask(() -> log.add("microtask 5 (queued by the tick)"));
                    });
                loop.queueMicrotask(() -> log.add("microtask 3 (queued by microtask 1)"));
              });
          loop.queueMicrotask(
              () -> {
                log.add("microtask 2");
                Promise.resolve(null)
                    .then(v -> log.add("microtask 4 (promise reaction queued by microtask 2)"));
              });
          log.add("main end");
        });
    assertNodeOrder(test, log);
  }

  // ---- ticks and microtasks drain between two timer callbacks and between two immediates -----

  @CarrierTest
  void ticksAndMicrotasksDrainBetweenTwoTimers(LoopFixture f, TestInfo test) {
    List<String> log = newLog();
    f.run(
        () -> {
          Loop loop = Loop.current();
          loop.setTimeout(
              () -> {
                log.add("timeout 1");
                Promise.resolve(null).then(v -> log.add("promise from timeout 1"));
                loop.nextTick(() -> log.add("tick from timeout 1"));
              },
              0);
          loop.setTimeout(
              () -> {
                log.add("timeout 2");
                loop.queueMicrotask(() -> log.add("microtask from timeout 2"));
                loop.nextTick(() -> log.add("tick from timeout 2"));
              },
              0);
          log.add("main end");
        });
    assertNodeOrder(test, log);
  }

  @CarrierTest
  void ticksAndMicrotasksDrainBetweenTwoImmediates(LoopFixture f, TestInfo test) {
    List<String> log = newLog();
    f.run(
        () -> {
          Loop loop = Loop.current();
          loop.setImmediate(
              () -> {
                log.add("immediate 1");
                Promise.resolve(null).then(v -> log.add("promise from immediate 1"));
                loop.nextTick(() -> log.add("tick from immediate 1"));
              });
          loop.setImmediate(
              () -> {
                log.add("immediate 2");
                loop.queueMicrotask(() -> log.add("microtask from immediate 2"));
                loop.nextTick(() -> log.add("tick from immediate 2"));
              });
          log.add("main end");
        });
    assertNodeOrder(test, log);
  }

  // ---- an immediate queued inside an immediate runs in the next turn, after the others -------

  @CarrierTest
  void immediateQueuedInsideAnImmediateRunsInTheNextTurn(LoopFixture f, TestInfo test) {
    List<String> log = newLog();
    f.run(
        () -> {
          Loop loop = Loop.current();
          loop.setImmediate(
              () -> {
                log.add("immediate 1");
                loop.setImmediate(() -> log.add("immediate 4 (queued by immediate 1)"));
              });
          loop.setImmediate(
              () -> {
                log.add("immediate 2");
                loop.setImmediate(() -> log.add("immediate 5 (queued by immediate 2)"));
              });
          loop.setImmediate(() -> log.add("immediate 3"));
          log.add("main end");
        });
    assertNodeOrder(test, log);
  }

  // ---- inside an I/O or offload callback, setImmediate runs before setTimeout(0) -------------

  @CarrierTest
  void insideAnIoCallbackSetImmediateRunsBeforeSetTimeout0(LoopFixture f, TestInfo test) {
    List<String> log = newLog();
    Path file = script(test);
    f.run(
        () -> {
          Loop loop = Loop.current();
          loop.offload(() -> Files.readAllBytes(file))
              .then(
                  bytes -> {
                    log.add("io");
                    loop.setTimeout(() -> log.add("timeout"), 0);
                    loop.setImmediate(() -> log.add("immediate"));
                    return bytes.length;
                  });
          log.add("main end");
        });
    assertNodeOrder(test, log);
  }

  @CarrierTest
  void insideAnOffloadCallbackSetImmediateRunsBeforeSetTimeout0(LoopFixture f, TestInfo test) {
    List<String> log = newLog();
    f.run(
        () -> {
          Loop loop = Loop.current();
          loop.offload(() -> pbkdf2("secret", "salt", 1000, 32))
              .then(
                  key -> {
                    log.add("offload: " + key.length + " bytes");
                    loop.setTimeout(() -> log.add("timeout"), 0);
                    loop.setImmediate(() -> log.add("immediate"));
                    return key;
                  });
          log.add("main end");
        });
    assertNodeOrder(test, log);
  }

  // ---- inside a timer callback, setImmediate runs before a new setTimeout(0) -----------------

  @CarrierTest
  void insideATimerSetImmediateRunsBeforeANewSetTimeout0(LoopFixture f, TestInfo test) {
    List<String> log = newLog();
    f.run(
        () -> {
          Loop loop = Loop.current();
          loop.setTimeout(
              () -> {
                log.add("timeout 1");
                loop.setTimeout(() -> log.add("timeout 2 (queued by timeout 1)"), 0);
                loop.setImmediate(() -> log.add("immediate (queued by timeout 1)"));
              },
              0);
          log.add("main end");
        });
    assertNodeOrder(test, log);
  }

  // ---- timers with equal delay scheduled together fire in creation order ---------------------

  @CarrierTest
  void timersWithEqualDelayFireInCreationOrder(LoopFixture f, TestInfo test) {
    List<String> log = newLog();
    f.run(
        () -> {
          Loop loop = Loop.current();
          for (int i = 1; i <= 5; i++) {
            int n = i;
            loop.setTimeout(() -> log.add("timeout " + n + " of 10 ms"), 10);
          }
          for (int i = 1; i <= 3; i++) {
            int n = i;
            loop.setTimeout(() -> log.add("timeout " + n + " of 0 ms"), 0);
          }
          log.add("main end");
        });
    assertNodeOrder(test, log);
  }

  // ---- a recursive nextTick or microtask chain starves timers and I/O (as Node) --------------
  // The watchdog half of the rule is tested with the watchdog. Here: a chain of at least 10,000
  // links that also lasts at least 20 ms on the loop's clock (moved by the test where time is
  // virtual), so the timer is due and the second read done while it runs; all wait for its end.

  @CarrierTest
  void recursiveNextTickChainStarvesTimersImmediatesAndIo(LoopFixture f, TestInfo test) {
    starvationScenario(f, test, false);
  }

  @CarrierTest
  void recursiveMicrotaskChainStarvesTimersImmediatesAndIo(LoopFixture f, TestInfo test) {
    starvationScenario(f, test, true);
  }

  private static void starvationScenario(LoopFixture f, TestInfo test, boolean microtasks) {
    List<String> log = newLog();
    Path file = script(test);
    AtomicInteger links = new AtomicInteger();
    f.run(
        () -> {
          Loop loop = Loop.current();
          loop.offload(() -> Files.readAllBytes(file))
              .then(
                  bytes -> {
                    log.add("io");
                    long start = loop.clock().nanoTime();
                    loop.offload(() -> Files.readAllBytes(file)).then(b -> log.add("second io"));
                    loop.setTimeout(() -> log.add("timeout"), 0);
                    loop.setImmediate(() -> log.add("immediate"));
                    Runnable step =
                        new Runnable() {
                          @Override
                          public void run() {
                            int n = links.incrementAndGet();
                            if (n == 1 && f.has(Capability.VIRTUAL_TIME)) {
                              ManualControl.of(loop).advance(Duration.ofMillis(20));
                            }
                            long elapsed = loop.clock().nanoTime() - start;
                            if (n < 10_000 || elapsed < Duration.ofMillis(20).toNanos()) {
                              queue(loop, microtasks, this);
                            } else {
                              log.add(
                                  microtasks
                                      ? "microtask chain ended after at least 10000 microtasks"
                                      : "tick chain ended after at least 10000 ticks");
                            }
                          }
                        };
                    queue(loop, microtasks, step);
                    return bytes.length;
                  });
          log.add("main end");
        });
    assertNodeOrder(test, log);
  }

  private static void queue(Loop loop, boolean microtask, Runnable step) {
    if (microtask) {
      loop.queueMicrotask(step);
    } else {
      loop.nextTick(step);
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** A log that a carrier's threads may append to (callbacks run one at a time, in order). */
  private static List<String> newLog() {
    return Collections.synchronizedList(new ArrayList<>());
  }

  /** Asserts {@code log} is what Node printed for the script named after the running test. */
  private static void assertNodeOrder(TestInfo test, List<String> log) {
    String scenario = scenario(test);
    assertEquals(expectedLines(scenario), List.copyOf(log), "order of callbacks in " + scenario);
  }

  /** The lines Node printed for {@code scenario}, from {@code <scenario>.expected}. */
  static List<String> expectedLines(String scenario) {
    String resource = RULES + "/" + scenario + ".expected";
    try (InputStream in = OrderingRulesTest.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new AssertionError("missing test resource " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String scenario(TestInfo test) {
    return test.getTestMethod().orElseThrow().getName();
  }

  /** The scenario's own script on disk: the file the "I/O" reads, as the Node script does. */
  private static Path script(TestInfo test) {
    return NodeRuleScripts.file(scenario(test) + ".cjs");
  }

  /** What Node's {@code crypto.pbkdf2(password, salt, iterations, keylen, 'sha256')} computes. */
  private static byte[] pbkdf2(String password, String salt, int iterations, int keyLength)
      throws Exception {
    var spec =
        new PBEKeySpec(
            password.toCharArray(),
            salt.getBytes(StandardCharsets.UTF_8),
            iterations,
            keyLength * 8);
    return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
  }
}
