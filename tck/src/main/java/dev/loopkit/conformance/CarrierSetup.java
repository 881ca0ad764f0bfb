package dev.loopkit.conformance;

import dev.loopkit.LoopConfig;
import dev.loopkit.spi.CarrierProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * One way to run loops in the conformance suite: a carrier, perhaps with settings (for instance a
 * degenerate pool size), and what it can do. The suite runs on every set-up that the carriers found
 * through {@link ServiceLoader} declare ({@link #discovered()}).
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

  /**
   * Every set-up of every carrier on the class path ({@code META-INF/services/
   * dev.loopkit.spi.CarrierProvider}), as each provider's {@link CarrierProvider#testSetups()}
   * declares them, in the order the providers are found.
   *
   * @throws IllegalStateException if no carrier is found, two set-ups share a name, or a set-up
   *     names a capability that {@link Capability} does not have
   */
  public static List<CarrierSetup> discovered() {
    return Discovered.ALL;
  }

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

  /** The set-ups found once per JVM (class loading makes it lazy and safe). */
  private static final class Discovered {
    static final List<CarrierSetup> ALL = find();

    private static List<CarrierSetup> find() {
      List<CarrierSetup> all = new ArrayList<>();
      Map<String, String> owner = new HashMap<>();
      for (CarrierProvider p : ServiceLoader.load(CarrierProvider.class)) {
        for (CarrierProvider.TestSetup s : p.testSetups()) {
          String previous = owner.putIfAbsent(s.name(), p.name());
          if (previous != null) {
            throw new IllegalStateException(
                "carrier set-up '"
                    + s.name()
                    + "' is declared by both '"
                    + previous
                    + "' and '"
                    + p.name()
                    + "': set-up names must be unique");
          }
          all.add(of(p.name(), s));
        }
      }
      if (all.isEmpty()) {
        throw new IllegalStateException(
            "no carrier found through ServiceLoader: put a carrier and its"
                + " META-INF/services/dev.loopkit.spi.CarrierProvider on the test class path");
      }
      return List.copyOf(all);
    }

    private static CarrierSetup of(String carrier, CarrierProvider.TestSetup s) {
      EnumSet<Capability> caps = EnumSet.noneOf(Capability.class);
      for (String c : s.capabilities()) {
        try {
          caps.add(Capability.valueOf(c));
        } catch (IllegalArgumentException e) {
          throw new IllegalStateException(
              "carrier '"
                  + carrier
                  + "', set-up '"
                  + s.name()
                  + "': unknown capability '"
                  + c
                  + "'; known: "
                  + Arrays.stream(Capability.values())
                      .map(Enum::name)
                      .collect(Collectors.joining(", ")),
              e);
        }
      }
      Map<String, String> settings = Map.copyOf(s.settings());
      return new CarrierSetup(
          s.name(),
          carrier,
          b -> {
            settings.forEach(b::set);
            return b;
          },
          Set.copyOf(caps));
    }
  }
}
