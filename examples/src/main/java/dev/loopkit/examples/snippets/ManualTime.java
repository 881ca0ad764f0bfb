package dev.loopkit.examples.snippets;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.ManualControl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The site's "Choosing a carrier": the manual carrier runs turns when told, in virtual time. */
public final class ManualTime {
  private ManualTime() {}

  public static void main(String[] args) {
    // snippet:manual-time
    Loop loop = Loop.create(LoopConfig.builder().carrier("manual").build());
    ManualControl control = ManualControl.of(loop);
    List<String> seen = new ArrayList<>();
    loop.setTimeout(() -> seen.add("30 s timer"), Duration.ofSeconds(30));
    control.runUntilIdle(); // nothing is due yet
    System.out.println(seen + " at " + control.now());
    control.advanceAndRun(Duration.ofSeconds(30)); // 30 s of virtual time, no waiting
    System.out.println(seen + " at " + control.now());
    loop.close(); // on manual, the caller's thread runs the loop to its end
    // end-snippet
  }
}
