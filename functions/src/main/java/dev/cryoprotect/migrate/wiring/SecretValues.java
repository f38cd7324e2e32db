package dev.cryoprotect.migrate.wiring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.MigrateException;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/**
 * The shapes a secret's value may take in Secrets Manager. Errors say which shape was expected and never quote the
 * value.
 */
public final class SecretValues {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final java.util.regex.Pattern PASSWORD_PARAMETER =
            java.util.regex.Pattern.compile("(?i)(password=)[^&;]*");
    private static final java.util.regex.Pattern DEPLOY_KEY =
            java.util.regex.Pattern.compile("\\b([a-z-]+:[A-Za-z0-9_-]+)\\|.*");

    private SecretValues() {
    }

    /**
     * One value (a URL, a key, a word of a command line) with its secrets hidden: a URL's user:password@ (up to its
     * last @, as a password may hold any character), a password= parameter, and a Convex deploy key's secret part.
     */
    public static String hidden(String value) {
        String shown = value;
        int scheme = shown.indexOf("://");
        int at = shown.lastIndexOf('@');
        if (scheme >= 0 && at > scheme) {
            shown = shown.substring(0, scheme + 3) + "***" + shown.substring(at);
        }
        shown = PASSWORD_PARAMETER.matcher(shown).replaceAll("$1***");
        return DEPLOY_KEY.matcher(shown).replaceAll("$1|***");
    }

    /** A database URL as plain text, {@code {"url": ...}}, or the RDS shape {@code {"username","password","host","port","dbname"}}. */
    public static String databaseUrl(String value) {
        return ConfigValues.databaseUrl("the database secret", databaseUrlOf(value));
    }

    private static String databaseUrlOf(String value) {
        return read(value, "the database secret", List.of("url", "uri", "connectionString", "SUPABASE_DB_URL"), json -> {
            if (json.hasNonNull("host") && json.hasNonNull("username")) {
                return "postgresql://" + enc(json.get("username").asText())
                        + (json.hasNonNull("password") ? ":" + enc(json.get("password").asText()) : "") + "@"
                        + json.get("host").asText() + ":" + json.path("port").asText("5432") + "/"
                        + json.path("dbname").asText("postgres");
            }
            throw MigrateException.badInput("the database secret's JSON has no url, nor host and username");
        });
    }

    /** A Convex deploy key as plain text, or {@code {"deployKey": ...}} / {@code {"CONVEX_DEPLOY_KEY": ...}}. */
    public static String deployKey(String value) {
        String key = read(value, "the Convex deploy key secret", List.of("deployKey", "CONVEX_DEPLOY_KEY", "key"), json -> {
            throw MigrateException.badInput("the Convex deploy key secret's JSON has no deployKey field");
        });
        return ConfigValues.deployKey("the Convex deploy key secret", key);
    }

    /** Plain text as it is; a JSON object's first field of {@code fields}, else what {@code otherwise} makes of it. */
    private static String read(String value, String what, List<String> fields, Function<JsonNode, String> otherwise) {
        String text = value == null ? "" : value.strip();
        if (text.isEmpty()) {
            throw MigrateException.badInput(what + " is empty");
        }
        if (!text.startsWith("{")) {
            return text;
        }
        JsonNode json;
        try {
            json = JSON.readTree(text);
        } catch (IOException e) {
            throw MigrateException.badInput(what + " starts with '{' but is not valid JSON");
        }
        for (String field : fields) {
            if (json.hasNonNull(field)) {
                return json.get(field).asText().strip();
            }
        }
        return otherwise.apply(json);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
