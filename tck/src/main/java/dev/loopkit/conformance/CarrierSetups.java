package dev.loopkit.conformance;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

/** Runs a {@link CarrierTest} once per {@link CarrierSetup}, with a fresh {@link LoopFixture}. */
final class CarrierSetups implements TestTemplateInvocationContextProvider {

  @Override
  public boolean supportsTestTemplate(ExtensionContext context) {
    return context.getRequiredTestMethod().isAnnotationPresent(CarrierTest.class);
  }

  /**
   * With {@code loopkit.test.setups} naming a subset, a test may require a capability that no
   * selected set-up has (the {@code virtual-one-carrier} run): it then runs zero times.
   */
  @Override
  public boolean mayReturnZeroTestTemplateInvocationContexts(ExtensionContext context) {
    return !System.getProperty("loopkit.test.setups", "").isBlank();
  }

  @Override
  public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(
      ExtensionContext context) {
    CarrierTest spec = context.getRequiredTestMethod().getAnnotation(CarrierTest.class);
    List<Capability> required = Arrays.asList(spec.requires());
    String only = System.getProperty("loopkit.test.setups", "");
    Set<String> selected =
        only.isBlank()
            ? Set.of()
            : Arrays.stream(only.split(",")).map(String::trim).collect(Collectors.toSet());
    return CarrierSetup.discovered().stream()
        .filter(s -> selected.isEmpty() || selected.contains(s.name()))
        .filter(s -> s.capabilities().containsAll(required))
        .map(Invocation::new);
  }

  /**
   * One run of a test on one set-up, displayed as {@code [set-up]} under the test's name (the XML
   * reports join the two: {@code test(LoopFixture)[fork-join-1]}).
   */
  private record Invocation(CarrierSetup setup) implements TestTemplateInvocationContext {
    @Override
    public String getDisplayName(int invocationIndex) {
      return "[" + setup.name() + "]";
    }

    @Override
    public List<Extension> getAdditionalExtensions() {
      LoopFixture fixture = new LoopFixture(setup);
      return List.of(
          new ParameterResolver() {
            @Override
            public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
              return p.getParameter().getType() == LoopFixture.class;
            }

            @Override
            public Object resolveParameter(ParameterContext p, ExtensionContext e) {
              return fixture;
            }
          },
          (AfterEachCallback) e -> fixture.closeAndCheck());
    }
  }
}
