package dev.loopkit.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * (a) Plain writes a thread makes before {@code execute} are visible inside the task (handing a
 * task in happens-before it runs). Result: the two values the task read.
 */
@Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "the task ran and saw both writes")
@Outcome(id = "0, 0", expect = FORBIDDEN, desc = "the task never ran, or saw neither write")
@Outcome(expect = FORBIDDEN, desc = "the task saw a write made before execute only partly")
public class HandoffVisibility {

  abstract static class Sample extends LoopSample {
    int x;
    long y;

    Sample(String carrier) {
      super(carrier);
    }

    final void produce(II_Result r) {
      x = 1;
      y = 2;
      loop.execute(
          () -> {
            r.r1 = x;
            r.r2 = (int) y;
          });
    }
  }

  @JCStressTest
  @JCStressMeta(HandoffVisibility.class)
  @State
  public static class SingleThread extends Sample {
    public SingleThread() {
      super(SINGLE_THREAD);
    }

    @Actor
    public void producer(II_Result r) {
      produce(r);
    }

    @Arbiter
    public void arbiter(II_Result r) {
      finish();
    }
  }

  @JCStressTest
  @JCStressMeta(HandoffVisibility.class)
  @State
  public static class ForkJoin extends Sample {
    public ForkJoin() {
      super(FORK_JOIN);
    }

    @Actor
    public void producer(II_Result r) {
      produce(r);
    }

    @Arbiter
    public void arbiter(II_Result r) {
      finish();
    }
  }

  @JCStressTest
  @JCStressMeta(HandoffVisibility.class)
  @State
  public static class Virtual extends Sample {
    public Virtual() {
      super(VIRTUAL);
    }

    @Actor
    public void producer(II_Result r) {
      produce(r);
    }

    @Arbiter
    public void arbiter(II_Result r) {
      finish();
    }
  }

  @JCStressTest
  @JCStressMeta(HandoffVisibility.class)
  @State
  public static class Manual extends Sample {
    public Manual() {
      super(MANUAL);
    }

    @Actor
    public void producer(II_Result r) {
      produce(r);
    }

    @Arbiter
    public void arbiter(II_Result r) {
      finish();
    }
  }
}
