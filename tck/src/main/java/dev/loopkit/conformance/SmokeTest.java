package dev.loopkit.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import java.util.ArrayList;
import java.util.List;

/** The smallest end-to-end checks: a loop runs callbacks in Node's order on every carrier. */
class SmokeTest {

  @CarrierTest
  void programModeRunsMainThenEverythingItScheduled(LoopFixture f) {
    List<String> log = new ArrayList<>();
    f.run(
        () -> {
          Loop loop = Loop.current();
          log.add("main");
          loop.setTimeout(() -> log.add("timeout"), 5);
          loop.setImmediate(() -> log.add("immediate"));
          Promise.resolve(1).then(v -> log.add("promise " + v));
          loop.queueMicrotask(() -> log.add("microtask"));
          loop.nextTick(() -> log.add("tick"));
          log.add("main end");
        });
    assertEquals(
        List.of("main", "main end", "tick", "promise 1", "microtask", "immediate", "timeout"), log);
  }

  @CarrierTest
  void offloadResultComesBackOnTheLoop(LoopFixture f) {
    Loop loop = f.newLoop();
    Promise<String> p =
        loop.offload(() -> "worked on " + Thread.currentThread().getName())
            .then(v -> v + ", back on loop " + loop.inEventLoop());
    String v = f.await(loop, p);
    assertEquals(true, v.endsWith("back on loop true"), v);
  }
}
