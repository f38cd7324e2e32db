package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.MigrateException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The variables a command runs with, as users of the Supabase and Convex CLIs keep them: the process's own variables
 * over the {@code .env} files of the working folder. From the strongest: the process's variables, {@code .env.NAME.local},
 * {@code .env.NAME}, {@code .env.local}, {@code .env}; NAME is the selected environment ({@code --env}, else
 * {@code MIGRATE_ENV} from the process or from {@code .env.local}/{@code .env}). Lines are {@code KEY=VALUE}, with an
 * optional {@code export}, {@code #} comments, and single (literal) or double (\n, \", \\ escapes) quotes. A line that
 * is none of these is bad input naming the file and line; values are never shown.
 */
final class DotEnv {
    private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

    private DotEnv() {
    }

    /**
     * @param explicit the {@code --env} option, or null; when given, its file must exist
     */
    static Map<String, String> load(Path folder, String explicit, Map<String, String> process) {
        Map<String, String> base = new HashMap<>(read(folder.resolve(".env")));
        base.putAll(read(folder.resolve(".env.local")));
        String name = explicit != null ? explicit : process.get("MIGRATE_ENV") != null ? process.get("MIGRATE_ENV")
                : base.get("MIGRATE_ENV");
        Map<String, String> merged = new HashMap<>(base);
        if (name != null && !name.isBlank()) {
            name = name.strip();
            if (!NAME.matcher(name).matches()) {
                throw MigrateException.badInput("environment name '" + name + "' must be letters, digits, '-' and '_'"
                        + " (such as development, staging, production)");
            }
            Path file = folder.resolve(".env." + name);
            Path local = folder.resolve(".env." + name + ".local");
            if (explicit != null && !Files.exists(file) && !Files.exists(local)) {
                throw MigrateException.badInput("--env " + name + ": there is no .env." + name + " (or .env." + name
                        + ".local) in " + folder.toAbsolutePath().normalize());
            }
            merged.putAll(read(file));
            merged.putAll(read(local));
            merged.put("MIGRATE_ENV", name);
        }
        merged.putAll(process);
        if (name != null && !name.isBlank()) {
            merged.put("MIGRATE_ENV", name.strip()); // --env wins over a MIGRATE_ENV the process has
        }
        return merged;
    }

    /** The file's variables, in order; none when it does not exist. */
    static Map<String, String> read(Path file) {
        if (!Files.isRegularFile(file)) {
            return Map.of();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw MigrateException.badInput("cannot read " + file + ": " + e.getMessage());
        }
        Map<String, String> vars = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (i == 0 && line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).strip();
            }
            int eq = line.indexOf('=');
            String where = file.getFileName() + ":" + (i + 1);
            if (eq <= 0) {
                throw MigrateException.badInput(where + ": expected KEY=VALUE (a variable name, '=', its value)");
            }
            String key = line.substring(0, eq).strip();
            if (!KEY.matcher(key).matches()) {
                throw MigrateException.badInput(where + ": '" + printable(key) + "' is not a variable name (letters,"
                        + " digits and '_', not starting with a digit)");
            }
            vars.put(key, value(line.substring(eq + 1).strip(), where, key));
        }
        return vars;
    }

    private static String value(String raw, String where, String key) {
        if (raw.startsWith("'")) {
            int end = raw.indexOf('\'', 1);
            if (end < 0) {
                throw MigrateException.badInput(where + ": the value of " + key + " opens a ' quote it never closes");
            }
            trailing(raw.substring(end + 1), where, key);
            return raw.substring(1, end);
        }
        if (raw.startsWith("\"")) {
            StringBuilder out = new StringBuilder();
            for (int i = 1; i < raw.length(); i++) {
                char c = raw.charAt(i);
                if (c == '\\' && i + 1 < raw.length()) {
                    char next = raw.charAt(++i);
                    out.append(switch (next) {
                        case 'n' -> '\n';
                        case 't' -> '\t';
                        case 'r' -> '\r';
                        default -> next;
                    });
                } else if (c == '"') {
                    trailing(raw.substring(i + 1), where, key);
                    return out.toString();
                } else {
                    out.append(c);
                }
            }
            throw MigrateException.badInput(where + ": the value of " + key + " opens a \" quote it never closes");
        }
        int comment = raw.indexOf(" #");
        return (comment >= 0 ? raw.substring(0, comment) : raw).strip();
    }

    private static void trailing(String rest, String where, String key) {
        String after = rest.strip();
        if (!after.isEmpty() && !after.startsWith("#")) {
            throw MigrateException.badInput(where + ": unexpected text after the quoted value of " + key);
        }
    }

    private static String printable(String s) {
        String shown = s.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return shown.length() > 40 ? shown.substring(0, 40) + "..." : shown;
    }
}
