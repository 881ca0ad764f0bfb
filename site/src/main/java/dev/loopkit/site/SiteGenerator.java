package dev.loopkit.site;

import dev.loopkit.LoopConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.commonmark.Extension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * Builds the documentation site: every page of {@code src/pages} (Markdown) becomes HTML; the
 * configuration reference is generated from {@link LoopConfig#keys()}, the same definitions the
 * parser reads; the benchmark summary, when {@code src/data/benchmarks/summary.md} exists, becomes
 * the benchmarks page; the comparison CLI's report, when {@code src/data/comparison/comparison.md}
 * exists, becomes the comparison page (its charts are inline SVG).
 *
 * <p>Run by the build ({@code prepare-package}): {@code SiteGenerator <site module dir> <out dir>}.
 */
public final class SiteGenerator {
  private static final List<Extension> EXTENSIONS = List.of(TablesExtension.create());

  private SiteGenerator() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: SiteGenerator <site module dir> <output dir>");
    }
    Path module = Path.of(args[0]);
    Path out = Path.of(args[1]);
    Files.createDirectories(out);
    List<String[]> pages = new ArrayList<>(); // {file name, title, markdown}
    try (Stream<Path> files = Files.list(module.resolve("src/pages"))) {
      for (Path p : files.filter(f -> f.toString().endsWith(".md")).sorted().toList()) {
        String md = Files.readString(p);
        pages.add(new String[] {htmlName(p), title(md), md});
      }
    }
    pages.add(new String[] {"configuration.html", "Configuration", configurationReference()});
    Path summary = module.resolve("src/data/benchmarks/summary.md");
    if (Files.exists(summary)) {
      pages.add(new String[] {"benchmarks.html", "Benchmarks", Files.readString(summary)});
    }
    Path comparison = module.resolve("src/data/comparison/comparison.md");
    if (Files.exists(comparison)) {
      pages.add(new String[] {"comparison.html", "Comparison", Files.readString(comparison)});
    }
    for (String[] page : pages) {
      Files.writeString(
          out.resolve(page[0]), layout(page[1], render(page[2]), pages), StandardCharsets.UTF_8);
    }
    System.out.println("site: " + pages.size() + " pages in " + out);
  }

  /** The configuration reference, one row per key, from the definitions the parser uses. */
  static String configurationReference() {
    StringBuilder md = new StringBuilder();
    md.append("# Configuration\n\n")
        .append("Read from, in increasing precedence: the defaults, `loopkit.properties` on the")
        .append(" class path, the environment (`LOOPKIT_*`), system properties (`-Dloopkit.*`)")
        .append(
            " and `LoopConfig.builder()`. Unknown keys and bad values fail fast, naming the key")
        .append(" and what is allowed.\n\n")
        .append(
            "| key | environment | default | allowed | what it does |\n|---|---|---|---|---|\n");
    for (LoopConfig.Key k : LoopConfig.keys()) {
      md.append("| `")
          .append(k.name())
          .append("` | `")
          .append(k.environmentName())
          .append("` | ")
          .append(escape(k.defaultValue()))
          .append(" | ")
          .append(escape(k.allowed()))
          .append(" | ")
          .append(escape(k.description()))
          .append(" |\n");
    }
    return md.toString();
  }

  private static String escape(String s) {
    return s.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;");
  }

  static String render(String markdown) {
    Parser parser = Parser.builder().extensions(EXTENSIONS).build();
    return HtmlRenderer.builder().extensions(EXTENSIONS).build().render(parser.parse(markdown));
  }

  private static String htmlName(Path md) {
    String name = md.getFileName().toString();
    return name.substring(0, name.length() - 3).replaceFirst("^\\d+-", "") + ".html";
  }

  private static String title(String md) {
    return md.lines()
        .filter(l -> l.startsWith("# "))
        .findFirst()
        .map(l -> l.substring(2).trim())
        .orElse("loopkit");
  }

  private static String layout(String title, String body, List<String[]> pages) {
    StringBuilder nav = new StringBuilder();
    for (String[] p : pages) {
      nav.append("<a href=\"").append(p[0]).append("\">").append(p[1]).append("</a> ");
    }
    return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>%s — loopkit</title>
        <style>
        body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
        nav{border-bottom:1px solid #ddd;padding-bottom:.5rem;margin-bottom:1rem}
        nav a{margin-right:1rem}
        table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top}
        code,pre{background:#f5f5f5}pre{padding:.75rem;overflow:auto}
        .charts{display:flex;flex-wrap:wrap;gap:.5rem}
        </style></head>
        <body><nav>%s</nav>
        %s
        </body></html>
        """
        .formatted(title, nav, body);
  }
}
