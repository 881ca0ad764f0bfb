package dev.loopkit.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** The JFR event for one blocked-loop incident the watchdog reported. */
@Name("dev.loopkit.LoopBlocked")
@Label("Loop Blocked")
@Category("loopkit")
@Description("A callback, with its microtask checkpoint, held an event loop past the threshold")
@StackTrace(false) // the watchdog's own stack says nothing; the report carries the loop's
final class LoopBlockedEvent extends jdk.jfr.Event {
  @Label("Loop")
  String loop;

  @Label("Carrier")
  String carrier;

  @Label("Blocked For")
  @Timespan(Timespan.NANOSECONDS)
  long blockedFor;

  @Label("Phase")
  String phase;

  @Label("Callback")
  String callback;

  @Label("Thread")
  String thread;
}
