package dev.loopkit.examples.snippets;

import dev.loopkit.Loop;
import dev.loopkit.micrometer.LoopMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** The README's and the site's Observability: Micrometer meters for one loop. */
public final class Metrics {
  private Metrics() {}

  public static void main(String[] args) throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    // snippet:metrics
    Loop loop = Loop.create();
    // snippet:metrics-line
    LoopMetrics metrics = LoopMetrics.monitor(registry, loop); // dev.loopkit.micrometer
    // end-snippet
    loop.submit(() -> {}).get();
    System.out.println(
        "loop delay meter: " + (registry.find("loopkit.loop.delay").timer() != null));
    metrics.close(); // detaches from the loop and removes the meters
    loop.close();
    // end-snippet
  }
}
