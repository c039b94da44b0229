package dev.gateway.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The fenced code blocks of the pages under {@code docs/}, with the marker that may precede each one. Tests read
 * the examples from here, so the docs cannot drift from what the gateway loads.
 *
 * <p>A marker is an HTML comment (invisible when the page is rendered) on the line just before the opening fence:
 * <pre>{@code <!-- example: file=redis.json tyk-verbatim -->}</pre>
 * Its words are {@code key=value} options and bare flags:
 * <ul>
 *   <li>{@code file=NAME}: load the block as this file name (an API without {@code api_id} takes its id from it);
 *       tests also find a block by it;</li>
 *   <li>{@code expect-error=POINTER}: loading must fail with exactly one error, at this JSON pointer;</li>
 *   <li>{@code tyk-verbatim}: Tyk's own text, as Tyk's page prints it; not to be tidied;</li>
 *   <li>{@code not-json}: deliberately not JSON; the block must then have a fence other than {@code json}.</li>
 * </ul>
 */
final class DocsExamples {

    private static final Pattern FENCE = Pattern.compile("^(\\s*)```(\\S*)\\s*$");
    private static final Pattern MARKER = Pattern.compile("^\\s*<!--\\s*example:(.*?)-->\\s*$");

    private DocsExamples() {
    }

    /**
     * One fenced block.
     *
     * @param page the Markdown file
     * @param line the 1-based line of the opening fence
     * @param language the fence's info string: {@code json}, {@code text}, empty...
     * @param text the block's lines, without the fences and without the fence's own indentation
     * @param marker the options of the marker before it; empty when there is none
     */
    record Block(Path page, int line, String language, String text, Marker marker) {

        /** {@code docs/tcp.md:35}, for test names and messages. */
        String where() {
            return page.getParent().getFileName() + "/" + page.getFileName() + ":" + line;
        }
    }

    /** The options of a marker: {@code key=value} pairs and bare flags. */
    record Marker(Map<String, String> options, Set<String> flags) {

        static final Marker NONE = new Marker(Map.of(), Set.of());

        static Marker parse(String words) {
            Map<String, String> options = new LinkedHashMap<>();
            Set<String> flags = new LinkedHashSet<>();
            for (String word : words.trim().split("\\s+")) {
                int equals = word.indexOf('=');
                if (equals > 0) {
                    options.put(word.substring(0, equals), word.substring(equals + 1));
                } else if (!word.isEmpty()) {
                    flags.add(word);
                }
            }
            return new Marker(Map.copyOf(options), Set.copyOf(flags));
        }

        Optional<String> option(String key) {
            return Optional.ofNullable(options.get(key));
        }

        boolean has(String flag) {
            return flags.contains(flag);
        }
    }

    /**
     * The {@code docs/} folder of the repository. Maven runs a module's tests in the module's folder, an IDE may
     * run them from the root: walk up from the working directory to the folder that holds both the parent
     * {@code pom.xml} and {@code docs/}.
     */
    static Path docsDir() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("docs"))) {
                return dir.resolve("docs");
            }
        }
        throw new IllegalStateException("no docs/ folder beside a pom.xml above " + Path.of("").toAbsolutePath());
    }

    /** Every fenced block of every {@code docs/*.md} page, page by page in name order. */
    static List<Block> all() {
        try (Stream<Path> pages = Files.list(docsDir())) {
            return pages.filter(p -> p.getFileName().toString().endsWith(".md")).sorted()
                    .flatMap(page -> blocks(page).stream()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The one block of {@code page} (a name under {@code docs/}) whose marker says {@code file=fileName}. */
    static Block byFile(String page, String fileName) {
        List<Block> found = blocks(docsDir().resolve(page)).stream()
                .filter(b -> b.marker().option("file").filter(fileName::equals).isPresent()).toList();
        if (found.size() != 1) {
            throw new IllegalStateException("expected one block marked file=" + fileName + " in docs/" + page
                    + ", found " + found.size());
        }
        return found.get(0);
    }

    /** The fenced blocks of one page. */
    static List<Block> blocks(Path page) {
        List<String> lines;
        try {
            lines = Files.readAllLines(page);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher open = FENCE.matcher(lines.get(i));
            if (!open.matches()) {
                continue;
            }
            String indent = open.group(1);
            int close = i + 1;
            while (close < lines.size() && !lines.get(close).strip().equals("```")) {
                close++;
            }
            if (close == lines.size()) {
                throw new IllegalStateException(page + ":" + (i + 1) + ": a fence that is never closed");
            }
            StringBuilder text = new StringBuilder();
            for (String line : lines.subList(i + 1, close)) {
                text.append(line.startsWith(indent) ? line.substring(indent.length()) : line).append('\n');
            }
            Matcher marker = i > 0 ? MARKER.matcher(lines.get(i - 1)) : null;
            blocks.add(new Block(page, i + 1, open.group(2), text.toString(),
                    marker != null && marker.matches() ? Marker.parse(marker.group(1)) : Marker.NONE));
            i = close;
        }
        return blocks;
    }
}
