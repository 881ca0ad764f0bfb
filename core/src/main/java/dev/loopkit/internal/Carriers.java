package dev.loopkit.internal;

import dev.loopkit.LoopConfig;
import dev.loopkit.spi.CarrierProvider;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Finds carriers by name through {@link ServiceLoader} (module path and class path). */
final class Carriers {
  private static volatile Map<String, CarrierProvider> cache;

  private Carriers() {}

  static CarrierProvider provider(LoopConfig config) {
    String name = config.carrier();
    Map<String, CarrierProvider> all = all();
    CarrierProvider p = all.get(name);
    if (p == null) {
      throw new IllegalArgumentException(
          "loopkit.carrier: '"
              + name
              + "' (from "
              + config.sourceOf("loopkit.carrier").orElse(LoopConfig.Source.DEFAULT)
              + ") is not a carrier found on the class or module path; found: "
              + (all.isEmpty()
                  ? "none (add loopkit-adapters to the class path)"
                  : String.join(", ", all.keySet())));
    }
    return p;
  }

  static Map<String, CarrierProvider> all() {
    Map<String, CarrierProvider> m = cache;
    if (m == null) {
      m = new TreeMap<>();
      for (CarrierProvider p : ServiceLoader.load(CarrierProvider.class)) {
        m.putIfAbsent(p.name(), p);
      }
      if (m.isEmpty()) {
        ClassLoader own = Carriers.class.getClassLoader();
        for (CarrierProvider p : ServiceLoader.load(CarrierProvider.class, own)) {
          m.putIfAbsent(p.name(), p);
        }
      }
      cache = java.util.Collections.unmodifiableMap(m);
      m = cache;
    }
    return m;
  }
}
