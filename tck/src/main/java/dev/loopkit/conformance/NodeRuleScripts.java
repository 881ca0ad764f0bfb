package dev.loopkit.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The ordering rules' Node scripts ({@code node-rules/*.cjs} and their {@code .expected} output) as
 * files on disk: the resource directory itself when the suite runs from a directory of classes, or
 * else (from the {@code loopkit-tck} jar) a copy made once per JVM in a temporary directory, so
 * {@code node} can run them and the tests can read them as files.
 */
final class NodeRuleScripts {
  static final String RULES = "node-rules";

  private static volatile Path dir;

  private NodeRuleScripts() {}

  /** The scripts' directory. */
  static Path dir() {
    Path d = dir;
    if (d == null) {
      synchronized (NodeRuleScripts.class) {
        d = dir;
        if (d == null) {
          d = locate();
          dir = d;
        }
      }
    }
    return d;
  }

  /** The file of one script or expected output, e.g. {@code file("x.cjs")}. */
  static Path file(String name) {
    Path p = dir().resolve(name);
    if (!Files.isRegularFile(p)) {
      throw new AssertionError("missing resource " + RULES + "/" + name);
    }
    return p;
  }

  private static Path locate() {
    URL url = NodeRuleScripts.class.getClassLoader().getResource(RULES);
    if (url == null) {
      throw new AssertionError("missing resource directory " + RULES);
    }
    try {
      URI uri = url.toURI();
      if ("file".equals(uri.getScheme())) {
        return Path.of(uri);
      }
      if ("jar".equals(uri.getScheme())) {
        return copyOutOf(uri);
      }
    } catch (URISyntaxException e) {
      throw new AssertionError(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new AssertionError("the " + RULES + " scripts are neither files nor in a jar: " + url);
  }

  private static Path copyOutOf(URI uri) throws IOException {
    Path target = Files.createTempDirectory("loopkit-" + RULES);
    FileSystem jar;
    boolean opened = false;
    try {
      jar = FileSystems.newFileSystem(uri, Map.of());
      opened = true;
    } catch (FileSystemAlreadyExistsException e) {
      jar = FileSystems.getFileSystem(uri);
    }
    try (Stream<Path> files = Files.list(jar.provider().getPath(uri))) {
      List<Path> all = files.toList();
      for (Path p : all) {
        Path copy = target.resolve(p.getFileName().toString());
        Files.copy(p, copy);
        copy.toFile().deleteOnExit();
      }
    } finally {
      if (opened) {
        jar.close();
      }
    }
    target.toFile().deleteOnExit();
    return target;
  }
}
