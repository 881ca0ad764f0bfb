package dev.loopkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's configuration table lists every key {@link LoopConfig} defines. */
class ReadmeKeysTest {

  @Test
  void readmeListsEveryConfigurationKey() throws IOException {
    Path readme = Path.of("..", "README.md");
    String text = Files.readString(readme);
    List<String> missing =
        LoopConfig.keys().stream()
            .map(LoopConfig.Key::name)
            .filter(k -> !text.contains("`" + k + "`"))
            .toList();
    assertTrue(missing.isEmpty(), "README.md does not list: " + missing);
  }
}
