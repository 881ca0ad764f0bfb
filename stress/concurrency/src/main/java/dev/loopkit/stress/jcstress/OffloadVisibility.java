package dev.loopkit.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * (f) An offload's result and the plain writes its worker made are visible in the callback that
 * runs on the loop. Result: the value, the two plain fields the callback read, and whether it ran
 * on the loop.
 */
@Outcome(
    id = "42, 1, 2, 1",
    expect = ACCEPTABLE,
    desc = "the callback ran on the loop, saw everything")
@Outcome(id = "0, 0, 0, 0", expect = FORBIDDEN, desc = "the callback never ran")
@Outcome(expect = FORBIDDEN, desc = "the callback missed a worker write, or ran off the loop")
public class OffloadVisibility {

  abstract static class Sample extends LoopSample {
    int x; // written by the worker, read by the callback
    long y;

    Sample(String carrier) {
      super(carrier);
    }

    final void offload(IIII_Result r) {
      loop.offload(
              () -> {
                x = 1;
                y = 2;
                return 42;
              })
          .then(
              v -> {
                r.r1 = v;
                r.r2 = x;
                r.r3 = (int) y;
                r.r4 = loop.inEventLoop() ? 1 : 0;
                return null;
              });
    }
  }

  @JCStressTest
  @JCStressMeta(OffloadVisibility.class)
  @State
  public static class SingleThread extends Sample {
    public SingleThread() {
      super(SINGLE_THREAD);
    }

    @Actor
    public void producer(IIII_Result r) {
      offload(r);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
      finish();
    }
  }

  @JCStressTest
  @JCStressMeta(OffloadVisibility.class)
  @State
  public static class ForkJoin extends Sample {
    public ForkJoin() {
      super(FORK_JOIN);
    }

    @Actor
    public void producer(IIII_Result r) {
      offload(r);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
      finish();
    }
  }

  @JCStressTest
  @JCStressMeta(OffloadVisibility.class)
  @State
  public static class Virtual extends Sample {
    public Virtual() {
      super(VIRTUAL);
    }

    @Actor
    public void producer(IIII_Result r) {
      offload(r);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
      finish();
    }
  }
}
