package dev.loopkit.examples.snippets;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;

/** The site's "Choosing a carrier": a server-mode loop on the carrier the builder names. */
public final class ChooseCarrier {
  private ChooseCarrier() {}

  public static void main(String[] args) throws Exception {
    // snippet:choose-carrier
    LoopConfig config = LoopConfig.builder().carrier("fork-join").build();
    try (Loop loop = Loop.create(config)) { // close(): shut down, then wait for the end
      loop.submit(() -> System.out.println("running on " + loop.carrier())).get();
    }
    // end-snippet
  }
}
