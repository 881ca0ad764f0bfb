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
 * (b) Two producers hand in two tasks each: each producer's tasks run in its own order, none is
 * lost and none runs twice. Result: the position (1–4) at which a1, a2, b1, b2 ran; 9 marks a
 * second run of the same task.
 */
@Outcome(id = "1, 2, 3, 4", expect = ACCEPTABLE, desc = "a1 a2 b1 b2")
@Outcome(id = "1, 3, 2, 4", expect = ACCEPTABLE, desc = "a1 b1 a2 b2")
@Outcome(id = "1, 4, 2, 3", expect = ACCEPTABLE, desc = "a1 b1 b2 a2")
@Outcome(id = "2, 3, 1, 4", expect = ACCEPTABLE, desc = "b1 a1 a2 b2")
@Outcome(id = "2, 4, 1, 3", expect = ACCEPTABLE, desc = "b1 a1 b2 a2")
@Outcome(id = "3, 4, 1, 2", expect = ACCEPTABLE, desc = "b1 b2 a1 a2")
@Outcome(expect = FORBIDDEN, desc = "a producer's tasks reordered, lost or run twice")
public class ProducerOrder {

  abstract static class Sample extends LoopSample {
    // written by the loop only (one callback at a time), read by the arbiter after close
    int seq;
    int a1;
    int a2;
    int b1;
    int b2;

    Sample(String carrier) {
      super(carrier);
    }

    final void handInA() {
      loop.execute(() -> a1 = a1 == 0 ? ++seq : 9);
      loop.execute(() -> a2 = a2 == 0 ? ++seq : 9);
    }

    final void handInB() {
      loop.execute(() -> b1 = b1 == 0 ? ++seq : 9);
      loop.execute(() -> b2 = b2 == 0 ? ++seq : 9);
    }

    final void check(IIII_Result r) {
      finish();
      r.r1 = a1;
      r.r2 = a2;
      r.r3 = b1;
      r.r4 = b2;
    }
  }

  @JCStressTest
  @JCStressMeta(ProducerOrder.class)
  @State
  public static class SingleThread extends Sample {
    public SingleThread() {
      super(SINGLE_THREAD);
    }

    @Actor
    public void producerA() {
      handInA();
    }

    @Actor
    public void producerB() {
      handInB();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
      check(r);
    }
  }

  @JCStressTest
  @JCStressMeta(ProducerOrder.class)
  @State
  public static class ForkJoin extends Sample {
    public ForkJoin() {
      super(FORK_JOIN);
    }

    @Actor
    public void producerA() {
      handInA();
    }

    @Actor
    public void producerB() {
      handInB();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
      check(r);
    }
  }

  @JCStressTest
  @JCStressMeta(ProducerOrder.class)
  @State
  public static class Virtual extends Sample {
    public Virtual() {
      super(VIRTUAL);
    }

    @Actor
    public void producerA() {
      handInA();
    }

    @Actor
    public void producerB() {
      handInB();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
      check(r);
    }
  }

  @JCStressTest
  @JCStressMeta(ProducerOrder.class)
  @State
  public static class Manual extends Sample {
    public Manual() {
      super(MANUAL);
    }

    @Actor
    public void producerA() {
      handInA();
    }

    @Actor
    public void producerB() {
      handInB();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
      check(r);
    }
  }
}
