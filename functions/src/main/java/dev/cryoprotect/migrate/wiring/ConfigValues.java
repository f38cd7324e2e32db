package dev.cryoprotect.migrate.wiring;

import dev.cryoprotect.migrate.MigrateException;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Checks on configuration as it arrives from the environment, an option or a secret. A value that cannot be right is
 * BAD_INPUT naming where it came from and the form expected, never a crash further in (a carriage return in a deploy
 * key would otherwise surface as an HTTP library's exception). Secrets are described, never quoted.
 */
final class ConfigValues {
    static final String CONVEX_URL_FORM = "https://<deployment>.convex.cloud, such as https://happy-otter-123.convex.cloud";
    static final String DEPLOY_KEY_FORM = "the key exactly as the Convex dashboard shows it, such as"
            + " prod:happy-otter-123|eyJ... (no spaces or line breaks)";
    static final String DATABASE_URL_FORM = "postgresql://user:password@host:5432/postgres, as the Supabase dashboard"
            + " shows it";

    private ConfigValues() {
    }

    /** Blank is unset (null). Otherwise the value must have no white space or control character anywhere. */
    static String token(String name, String value, String expected, boolean secret) {
        if (value == null || value.isBlank()) {
            return null;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c) || Character.isSpaceChar(c)) {
                throw MigrateException.badInput(name + " has " + describe(c) + " at character " + (i + 1)
                        + (i == value.length() - 1 || i == 0 ? " (a pasted line ending or space?)" : "")
                        + "; expected " + expected + (secret ? "" : ", not '" + masked(value) + "'"));
            }
        }
        return value;
    }

    /**
     * A Convex deploy key: a {@link #token} of printable ASCII, which is all an HTTP header can carry (a curly quote
     * pasted from a document would otherwise fail deep in the HTTP client).
     */
    static String deployKey(String name, String value) {
        String key = token(name, value, DEPLOY_KEY_FORM, true);
        for (int i = 0; key != null && i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw MigrateException.badInput(name + " has " + describe(c) + " at character " + (i + 1)
                        + (c == '\u201c' || c == '\u201d' || c == '\u2018' || c == '\u2019' ? " (a curly quote, pasted"
                        + " from a document?)" : "") + "; expected " + DEPLOY_KEY_FORM);
            }
        }
        return key;
    }

    /** A PostgreSQL URL in one of the forms {@link dev.cryoprotect.migrate.database.postgres.PostgresConfig} reads. */
    static String databaseUrl(String name, String value) {
        String url = token(name, value, DATABASE_URL_FORM, true);
        if (url != null && !url.startsWith("postgresql://") && !url.startsWith("postgres://")
                && !url.startsWith("jdbc:postgresql:")) {
            throw MigrateException.badInput(name + " must start with postgresql://, postgres:// or jdbc:postgresql:"
                    + "; expected " + DATABASE_URL_FORM);
        }
        return url;
    }

    /** A Convex deployment URL: http(s), a host, no credentials, no path; the trailing slash dropped. */
    static String convexUrl(String name, String value) {
        String url = token(name, value, CONVEX_URL_FORM, true); // a key pasted here by mistake must not be shown
        if (url == null) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw badConvexUrl(name, url, null);
        }
        if (uri.getRawUserInfo() != null) {
            throw MigrateException.badInput(name + " must not carry credentials; put the deploy key in"
                    + " CONVEX_DEPLOY_KEY");
        }
        if ((!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme()))
                || uri.getHost() == null || (uri.getRawPath() != null && !uri.getRawPath().matches("/?"))
                || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw badConvexUrl(name, url, uri);
        }
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** An http(s) endpoint such as AWS_ENDPOINT_URL. */
    static String endpoint(String name, String value) {
        String url = token(name, value, "http(s)://host:port", false);
        if (url == null) {
            return null;
        }
        try {
            URI uri = new URI(url);
            if ((!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme()))
                    || uri.getHost() == null) {
                throw new URISyntaxException(url, "no http(s) scheme or host");
            }
        } catch (URISyntaxException e) {
            throw MigrateException.badInput(name + " must be an http(s) URL such as http://127.0.0.1:4566, not '"
                    + masked(url) + "'");
        }
        return url;
    }

    /**
     * What is wrong with a Convex URL, said without quoting it: what users paste there by mistake is often the deploy
     * key (the two variables swapped), or a URL with the key in its path or query.
     */
    private static MigrateException badConvexUrl(String name, String url, URI uri) {
        String why;
        if (url.matches("(?i)(prod|dev|preview|project):.*") || url.contains("|")) {
            why = "it looks like a deploy key (are CONVEX_URL and CONVEX_DEPLOY_KEY swapped?)";
        } else if (uri == null || uri.getScheme() == null) {
            why = "it is not a URL starting with https://";
        } else if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())) {
            why = "its scheme is not https";
        } else if (uri.getHost() == null) {
            why = "it has no host";
        } else if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            why = "it has a query or fragment (? or #)";
        } else {
            why = "it has a path after the host";
        }
        return MigrateException.badInput(name + " must be the deployment's URL, " + CONVEX_URL_FORM + "; " + why
                + " (the value is not shown: it may hold a key)");
    }

    /** The value with its secrets (see {@link SecretValues#hidden}) and every control character hidden. */
    static String masked(String value) {
        String hidden = SecretValues.hidden(value);
        StringBuilder shown = new StringBuilder();
        for (int i = 0; i < hidden.length() && shown.length() < 200; i++) {
            char c = hidden.charAt(i);
            shown.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return shown.toString();
    }

    private static String describe(char c) {
        return switch (c) {
            case '\r' -> "a carriage return";
            case '\n' -> "a line break";
            case '\t' -> "a tab";
            case ' ' -> "a space";
            default -> String.format("the character U+%04X", (int) c);
        };
    }
}
