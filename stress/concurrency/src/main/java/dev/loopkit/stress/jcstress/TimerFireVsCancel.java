package dev.loopkit.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.loopkit.Timer;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * (d) A one-shot timer firing on the loop racing {@code Timer.cancel()} from another thread:
 * exactly one of "it ran" and "cancel returned true" (cancel returns false once the callback has
 * started). The timer is due 1 ms after the sample is made, so some samples cancel before it fires
 * and some after. Result: ran, cancel returned true.
 */
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "fired; cancel came too late and said so")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "cancelled before it fired")
@Outcome(id = "1, 1", expect = FORBIDDEN, desc = "ran, yet cancel returned true")
@Outcome(id = "0, 0", expect = FORBIDDEN, desc = "never ran, yet cancel returned false")
@Outcome(expect = FORBIDDEN, desc = "ran twice")
public class TimerFireVsCancel {

  abstract static class Sample extends LoopSample {
    final Timer timer;
    int ran; // written by the loop, read by the arbiter after close

    Sample(String carrier) {
      super(carrier);
      timer = loop.setTimeout(() -> ran++, 1);
    }

    final void cancel(II_Result r) {
      r.r2 = timer.cancel() ? 1 : 0;
    }

    final void check(II_Result r) {
      finish(); // shutdown() still runs a ref'd one-shot timer
      r.r1 = ran;
    }
  }

  @JCStressTest
  @JCStressMeta(TimerFireVsCancel.class)
  @State
  public static class SingleThread extends Sample {
    public SingleThread() {
      super(SINGLE_THREAD);
    }

    @Actor
    public void canceller(II_Result r) {
      cancel(r);
    }

    @Arbiter
    public void arbiter(II_Result r) {
      check(r);
    }
  }

  @JCStressTest
  @JCStressMeta(TimerFireVsCancel.class)
  @State
  public static class ForkJoin extends Sample {
    public ForkJoin() {
      super(FORK_JOIN);
    }

    @Actor
    public void canceller(II_Result r) {
      cancel(r);
    }

    @Arbiter
    public void arbiter(II_Result r) {
      check(r);
    }
  }

  @JCStressTest
  @JCStressMeta(TimerFireVsCancel.class)
  @State
  public static class Virtual extends Sample {
    public Virtual() {
      super(VIRTUAL);
    }

    @Actor
    public void canceller(II_Result r) {
      cancel(r);
    }

    @Arbiter
    public void arbiter(II_Result r) {
      check(r);
    }
  }
}
