package dev.loopkit.adapters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On the module path (its own surefire execution): the core and adapters are named modules, the
 * carriers are found through {@code provides}, and a loop runs.
 */
class ModulePathSmokeTest {

  @Test
  void carriersAreFoundAndRunOnTheModulePath() {
    assertTrue(Loop.class.getModule().isNamed(), "core is not on the module path");
    assertEquals("dev.loopkit.core", Loop.class.getModule().getName());
    assertEquals("dev.loopkit.adapters", SingleThreadCarrier.class.getModule().getName());
    for (String carrier : List.of("single-thread", "fork-join", "virtual", "manual")) {
      List<String> log = new ArrayList<>();
      Loop.run(
          LoopConfig.builder().isolated().carrier(carrier).build(),
          () -> {
            Loop loop = Loop.current();
            loop.setImmediate(() -> log.add("immediate on " + loop.carrier()));
            loop.nextTick(() -> log.add("tick"));
          });
      assertEquals(List.of("tick", "immediate on " + carrier), log);
    }
  }
}
