package dev.loopkit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.examples.snippets.ChooseCarrier;
import dev.loopkit.examples.snippets.FirstProgram;
import dev.loopkit.examples.snippets.ManualTime;
import dev.loopkit.examples.snippets.Metrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java snippet of the README and of the site's pages is a region of a compiled source file
 * under {@code dev.loopkit.examples.snippets} (the fence is preceded by {@code <!-- snippet:
 * Class#region -->}), equal to it line for line; and each of those programs runs here and prints
 * what the pages say it prints.
 */
class SnippetsTest {
  private static final Path ROOT = Path.of("..");
  private static final Path SOURCES = Path.of("src/main/java/dev/loopkit/examples/snippets");

  @Test
  void everyJavaSnippetOfTheReadmeAndTheSiteIsACompiledRegion() throws IOException {
    List<Path> documents = new ArrayList<>();
    documents.add(ROOT.resolve("README.md"));
    try (Stream<Path> pages = Files.list(ROOT.resolve("site/src/pages"))) {
      pages.filter(p -> p.toString().endsWith(".md")).sorted().forEach(documents::add);
    }
    int checked = 0;
    List<String> problems = new ArrayList<>();
    for (Path doc : documents) {
      checked +=
          Snippets.check(doc.getFileName().toString(), Files.readString(doc), SOURCES, problems);
    }
    assertEquals(List.of(), problems);
    assertTrue(checked >= 5, "only " + checked + " snippets found");
  }

  @Test
  void theCoordinatesNameArtifactsTheBomManages() throws IOException {
    String bom = Files.readString(ROOT.resolve("bom/pom.xml"));
    String getStarted = Files.readString(ROOT.resolve("site/src/pages/02-getting-started.md"));
    String readme = Files.readString(ROOT.resolve("README.md"));
    String coordinates = xmlFence(readme);
    assertEquals(coordinates, xmlFence(getStarted), "the README and the site show one snippet");
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("<artifactId>(loopkit-[a-z]+)</artifactId>")
            .matcher(coordinates);
    int artifacts = 0;
    while (m.find()) {
      artifacts++;
      String artifact = m.group(1);
      assertTrue(
          artifact.equals("loopkit-bom")
              || bom.contains("<artifactId>" + artifact + "</artifactId>"),
          artifact + " is not managed by the BOM");
    }
    assertEquals(3, artifacts, coordinates);
  }

  private static String xmlFence(String markdown) {
    int start = markdown.indexOf("```xml\n");
    assertTrue(start >= 0, "no xml snippet");
    return markdown.substring(start, markdown.indexOf("```\n", start + 7));
  }

  @Test
  void aSnippetThatDriftedFromItsSourceOrHasNoSourceIsCaught() throws IOException {
    List<String> problems = new ArrayList<>();
    String drifted =
        "<!-- snippet: ManualTime#manual-time -->\n```java\nSystem.out.println(\"x\");\n```\n";
    String unmarked = "Some text.\n\n```java\nint x = 1;\n```\n";
    Snippets.check("drifted.md", drifted, SOURCES, problems);
    Snippets.check("unmarked.md", unmarked, SOURCES, problems);
    assertEquals(2, problems.size(), problems.toString());
  }

  @Test
  void theFirstProgramPrintsWhatThePagesSay() throws Exception {
    List<String> lines = run(() -> FirstProgram.main(new String[0]));
    assertEquals(6, lines.size(), lines.toString());
    assertEquals(List.of("main", "tick", "immediate"), lines.subList(0, 3));
    assertTrue(lines.get(3).matches("read \\d+ chars"), lines.get(3));
    assertEquals(List.of("immediate after the read", "timeout"), lines.subList(4, 6));
  }

  @Test
  void chooseCarrierRunsOnForkJoin() throws Exception {
    assertEquals(List.of("running on fork-join"), run(() -> ChooseCarrier.main(new String[0])));
  }

  @Test
  void manualTimeFiresTheTimerInVirtualTime() throws Exception {
    assertEquals(
        List.of("[] at PT0S", "[30 s timer] at PT30S"), run(() -> ManualTime.main(new String[0])));
  }

  @Test
  void metricsBindsTheMeters() throws Exception {
    assertEquals(List.of("loop delay meter: true"), run(() -> Metrics.main(new String[0])));
  }

  interface Program {
    void run() throws Exception;
  }

  /** Runs {@code program} with standard output captured (loop threads included); its lines. */
  private static synchronized List<String> run(Program program) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      program.run();
    } finally {
      System.setOut(original);
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    original.print(out);
    return out.lines().toList();
  }
}
