package io.stampede.balancer.config.nginx;

import io.stampede.common.yaml.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * nginx's configuration syntax, read as nginx's {@code ngx_conf_parse} reads it: directives of
 * words ended by {@code ;} or followed by a {@code { ... }} block, {@code #} comments, single- and
 * double-quoted words with nginx's escapes, {@code ${var}} inside a word, and {@code include} with
 * glob patterns (relative to the main file's directory, expanded in sorted order). Every directive
 * keeps its file and line, so every later error can point at it.
 */
public final class NginxConf {
    /** One directive: its name, its words after the name, its block (null for none), and where it was written. */
    public record Directive(String name, List<String> args, List<Directive> block, String file, int line) {
        public String where() {
            return file + ":" + line;
        }
    }

    private static final int MAX_INCLUDE_DEPTH = 16;

    private NginxConf() {}

    /** @throws ConfigException naming the file and line of a syntax error or an unreadable include */
    public static List<Directive> load(Path file) {
        Path main = file.toAbsolutePath().normalize();
        return read(main, main.getParent(), 0);
    }

    /** Parses {@code text} as if read from {@code file} (includes resolved against {@code base}). */
    public static List<Directive> parse(String file, String text, Path base) {
        return new Parser(file, text, base, 0).block(false);
    }

    private static List<Directive> read(Path file, Path base, int depth) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        return new Parser(file.toString(), text, base, depth).block(false);
    }

    private static final class Parser {
        private final String file;
        private final String text;
        private final Path base;
        private final int depth;
        private int pos;
        private int line = 1;

        Parser(String file, String text, Path base, int depth) {
            this.file = file;
            this.text = text;
            this.base = base;
            this.depth = depth;
        }

        private ConfigException error(int at, String message) {
            return new ConfigException(file + ":" + at + ": " + message);
        }

        /** Directives up to the end of the file, or (inside a block) up to its closing brace. */
        List<Directive> block(boolean inside) {
            List<Directive> out = new ArrayList<>();
            while (true) {
                List<String> words = new ArrayList<>();
                int startLine = -1;
                while (true) {
                    Token t = next();
                    if (t == null) {
                        if (!words.isEmpty()) {
                            throw error(line, "unexpected end of file, expecting \";\" or \"}\" after \"" + words.get(0) + "\"");
                        }
                        if (inside) {
                            throw error(line, "unexpected end of file, expecting \"}\"");
                        }
                        return out;
                    }
                    if (t.special == '}') {
                        if (!words.isEmpty()) {
                            throw error(t.line, "unexpected \"}\" (a directive before it has no \";\")");
                        }
                        if (!inside) {
                            throw error(t.line, "unexpected \"}\"");
                        }
                        return out;
                    }
                    if (t.special == ';' || t.special == '{') {
                        if (words.isEmpty()) {
                            throw error(t.line, "unexpected \"" + t.special + "\"");
                        }
                        String name = words.get(0);
                        List<String> args = List.copyOf(words.subList(1, words.size()));
                        if (t.special == '{') {
                            List<Directive> inner = block(true);
                            out.add(new Directive(name, args, inner, file, startLine));
                        } else if (name.equals("include")) {
                            out.addAll(include(args, startLine));
                        } else {
                            out.add(new Directive(name, args, null, file, startLine));
                        }
                        break;
                    }
                    if (words.isEmpty()) {
                        startLine = t.line;
                    }
                    words.add(t.word);
                }
            }
        }

        private List<Directive> include(List<String> args, int at) {
            if (args.size() != 1) {
                throw error(at, "invalid number of arguments in \"include\" directive");
            }
            if (depth >= MAX_INCLUDE_DEPTH) {
                throw error(at, "include nested more than " + MAX_INCLUDE_DEPTH + " deep (a file including itself?)");
            }
            String pattern = args.get(0);
            Path p = Path.of(pattern);
            Path resolved = p.isAbsolute() ? p : base.resolve(p);
            List<Path> files = new ArrayList<>();
            if (pattern.contains("*") || pattern.contains("?") || pattern.contains("[")) {
                // nginx's glob(3): any part of the path may hold a wildcard; hidden names need a
                // pattern that starts with a dot; matching nothing is fine.
                files = glob(resolved.normalize());
            } else {
                if (!Files.isRegularFile(resolved)) {
                    throw error(at, "include \"" + pattern + "\": no such file (" + resolved + ")");
                }
                files.add(resolved);
            }
            List<Directive> out = new ArrayList<>();
            for (Path f : files) {
                out.addAll(read(f, base, depth + 1));
            }
            return out;
        }

        private static List<Path> glob(Path pattern) {
            List<Path> at = new ArrayList<>();
            at.add(pattern.getRoot());
            for (Path part : pattern) {
                String p = part.toString();
                List<Path> next = new ArrayList<>();
                for (Path dir : at) {
                    if (!(p.contains("*") || p.contains("?") || p.contains("["))) {
                        next.add(dir.resolve(p));
                        continue;
                    }
                    if (!Files.isDirectory(dir)) {
                        continue;
                    }
                    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p)) {
                        for (Path f : ds) {
                            if (!f.getFileName().toString().startsWith(".") || p.startsWith(".")) {
                                next.add(f);
                            }
                        }
                    } catch (IOException e) {
                        // an unreadable directory matches nothing
                    }
                }
                at = next;
            }
            List<Path> files = new ArrayList<>();
            for (Path f : at) {
                if (Files.isRegularFile(f)) {
                    files.add(f);
                }
            }
            files.sort(null);
            return files;
        }

        private record Token(String word, char special, int line) {}

        private Token next() {
            // Blanks and comments.
            while (pos < text.length()) {
                char c = text.charAt(pos);
                if (c == '\n') {
                    line++;
                    pos++;
                } else if (Character.isWhitespace(c)) {
                    pos++;
                } else if (c == '#') {
                    while (pos < text.length() && text.charAt(pos) != '\n') {
                        pos++;
                    }
                } else {
                    break;
                }
            }
            if (pos >= text.length()) {
                return null;
            }
            int at = line;
            char c = text.charAt(pos);
            if (c == ';' || c == '{' || c == '}') {
                pos++;
                return new Token(null, c, at);
            }
            if (c == '"' || c == '\'') {
                return quoted(c, at);
            }
            StringBuilder w = new StringBuilder();
            boolean inVariable = false;
            boolean dollar = false; // the last character was a $ of the word's own, not an escaped one
            while (pos < text.length()) {
                char d = text.charAt(pos);
                if (d == '{' && dollar) {
                    inVariable = true; // ${name}: the braces belong to the word
                } else if (d == '}' && inVariable) {
                    inVariable = false;
                } else if (Character.isWhitespace(d) || d == ';' || d == '{' || d == '}') {
                    break;
                } else if (d == '\\' && pos + 1 < text.length()) {
                    // As nginx: the escaped character is part of the word whatever it is, and the
                    // escapes of a quoted string are read in a bare word too (a\nb is three characters).
                    char e = text.charAt(pos + 1);
                    if (e == '\n') {
                        line++;
                    }
                    NginxStrings.appendEscaped(w, e);
                    pos += 2;
                    dollar = false;
                    continue;
                }
                w.append(d);
                dollar = d == '$';
                pos++;
            }
            return new Token(w.toString(), (char) 0, at);
        }

        private Token quoted(char quote, int at) {
            pos++;
            StringBuilder w = new StringBuilder();
            while (pos < text.length()) {
                char d = text.charAt(pos++);
                if (d == '\n') {
                    line++;
                }
                if (d == quote) {
                    if (pos < text.length() && !Character.isWhitespace(text.charAt(pos)) && ";{}".indexOf(text.charAt(pos)) < 0) {
                        throw error(line, "unexpected \"" + text.charAt(pos) + "\" after a quoted word");
                    }
                    return new Token(w.toString(), (char) 0, at);
                }
                if (d == '\\' && pos < text.length()) {
                    char e = text.charAt(pos++);
                    if (e == '\n') {
                        line++; // a later directive's line number must still be right
                    }
                    NginxStrings.appendEscaped(w, e);
                    continue;
                }
                w.append(d);
            }
            throw error(at, "unexpected end of file inside a quoted word");
        }
    }
}
