package dev.loopkit.conformance;

import dev.loopkit.LoopConfig;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * One way to run loops in the conformance suite: a carrier, perhaps with settings (for instance a
 * degenerate pool size), and what it can do. A new carrier adds a line to {@link #ALL}.
 *
 * @param name the name shown in test reports
 * @param carrier the {@code loopkit.carrier} value
 * @param settings further configuration of the set-up
 * @param capabilities what it can do
 */
public record CarrierSetup(
    String name,
    String carrier,
    UnaryOperator<LoopConfig.Builder> settings,
    Set<Capability> capabilities) {

  public static final List<CarrierSetup> ALL =
      List.of(
          new CarrierSetup(
              "single-thread", "single-thread", b -> b, EnumSet.of(Capability.OWN_THREADS)),
          new CarrierSetup("fork-join", "fork-join", b -> b, EnumSet.of(Capability.OWN_THREADS)),
          new CarrierSetup(
              "fork-join-1",
              "fork-join",
              b -> b.set("loopkit.forkjoin.parallelism", "1"),
              EnumSet.of(Capability.OWN_THREADS)),
          new CarrierSetup(
              "virtual",
              "virtual",
              b -> b,
              EnumSet.of(Capability.OWN_THREADS, Capability.SUSPENDS_CALLBACKS)),
          new CarrierSetup(
              "manual",
              "manual",
              b -> b,
              EnumSet.of(Capability.VIRTUAL_TIME, Capability.HELD_OFFLOADS)));

  /** An isolated builder (no environment, system properties or class path) for this set-up. */
  public LoopConfig.Builder builder() {
    return settings.apply(LoopConfig.builder().isolated().carrier(carrier));
  }

  public boolean has(Capability c) {
    return capabilities.contains(c);
  }

  @Override
  public String toString() {
    return name;
  }
}
