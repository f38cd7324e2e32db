package dev.cryoprotect.migrate.database.postgres;

import dev.cryoprotect.migrate.MigrateException;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How to reach the database and where the history table lives. Accepts a JDBC URL ({@code jdbc:postgresql://...}) or
 * the {@code postgresql://user:password@host:5432/db} URL that Supabase shows. The password is kept out of
 * {@link #toString()} and {@link #describe()}.
 *
 * @param embedded the local embedded database (errors then say what it cannot do, such as missing extensions)
 */
public record PostgresConfig(String jdbcUrl, String user, String password, String historySchema, String historyTable,
                             boolean embedded) {
    private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)(password=)[^&;]*");
    private static final Pattern APPLICATION_NAME_PARAM = Pattern.compile("[?&]ApplicationName=([^&]*)");

    public PostgresConfig {
        if (historySchema == null || historySchema.isBlank()) {
            throw MigrateException.badInput("history schema must not be empty");
        }
        if (historyTable == null || historyTable.isBlank()) {
            throw MigrateException.badInput("history table must not be empty");
        }
    }

    /** Parses a JDBC or postgresql:// URL; credentials in the URL become {@code user} and {@code password}. */
    public static PostgresConfig fromUrl(String url, String historySchema) {
        if (url == null || url.isBlank()) {
            throw MigrateException.badInput("database URL is empty");
        }
        String trimmed = url.strip();
        if (trimmed.startsWith("jdbc:postgresql:")) {
            int query = trimmed.indexOf('?');
            checkSslMode(query < 0 ? null : trimmed.substring(query + 1)); // bad input, not "unreachable"
            return new PostgresConfig(trimmed, null, null, historySchema, "migrations", false);
        }
        if (!trimmed.startsWith("postgres://") && !trimmed.startsWith("postgresql://")) {
            throw MigrateException.badInput("database URL must start with postgresql://, postgres:// or jdbc:postgresql://");
        }
        try {
            URI uri = new URI(trimmed);
            String user = null;
            String password = null;
            if (uri.getRawUserInfo() != null) {
                String[] parts = uri.getRawUserInfo().split(":", 2);
                user = decode(parts[0]);
                password = parts.length > 1 ? decode(parts[1]) : null;
            }
            // A database URL has no fragment (a '#' cut it), and an '@' outside the user information means a '/' or
            // '?' in the password ended it early: the "host" read then is part of the password, never to be echoed.
            String afterScheme = trimmed.substring(trimmed.indexOf("://") + 3);
            if (uri.getHost() == null || uri.getRawFragment() != null
                    || uri.getRawUserInfo() == null && afterScheme.indexOf('@') >= 0) {
                throw MigrateException.badInput("database URL has no host that can be read: " + whyNoHost(trimmed));
            }
            checkSslMode(uri.getRawQuery());
            if (uri.getPort() > 65535) {
                throw MigrateException.badInput("database URL's port " + uri.getPort() + " is not a port (1 to 65535)");
            }
            String jdbc = "jdbc:postgresql://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
                    + (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/postgres" : uri.getRawPath())
                    + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
            return new PostgresConfig(jdbc, user, password, historySchema, "migrations", false);
        } catch (URISyntaxException e) {
            // The message of URISyntaxException quotes the input, which may hold the password: do not pass it on.
            throw MigrateException.badInput("database URL is not a valid URL (check that special characters in the"
                    + " password are percent-encoded)");
        }
    }

    /**
     * Why a postgresql:// URL's host cannot be found, naming the character and never echoing the password: most often
     * a password with '@', '#', '/' or '?' not percent-encoded.
     */
    private static String whyNoHost(String url) {
        String rest = url.substring(url.indexOf("://") + 3);
        if (rest.indexOf('#') >= 0 && rest.indexOf('#') < rest.lastIndexOf('@')) {
            return "the user or password holds '#', which starts a URL fragment; percent-encode it as %23";
        }
        if (rest.indexOf('@') != rest.lastIndexOf('@')) {
            return "the user or password holds '@'; percent-encode it as %40";
        }
        if (rest.indexOf('@') >= 0 && rest.substring(0, rest.indexOf('@')).chars().anyMatch(c -> c == '/' || c == '?')) {
            return "the user or password holds '/' or '?'; percent-encode them as %2F and %3F (an '@' elsewhere in the"
                    + " URL as %40)";
        }
        String hostAndPort = rest.substring(rest.lastIndexOf('@') + 1).split("[/?#]", 2)[0];
        int colon = hostAndPort.lastIndexOf(':');
        if (colon >= 0 && !hostAndPort.endsWith("]") && !hostAndPort.substring(colon + 1).matches("[0-9]+")) {
            // Not quoted: without user@ before the host, this "port" is often the password.
            return rest.indexOf('@') < 0 ? "there is no user@ before the host, and what follows its ':' is not a port"
                    + " number (the form is postgresql://user:password@host:5432/postgres)"
                    : "the port after the host's ':' is not a number";
        }
        return "check that special characters in the user and password are percent-encoded (@ as %40, # as %23,"
                + " / as %2F, ? as %3F)";
    }

    private static final java.util.Set<String> SSL_MODES = java.util.Set.of("disable", "allow", "prefer", "require",
            "verify-ca", "verify-full");

    /** An sslmode the driver does not know is bad input, not an unreachable server. */
    private static void checkSslMode(String rawQuery) {
        if (rawQuery == null) {
            return;
        }
        for (String parameter : rawQuery.split("&")) {
            if (parameter.startsWith("sslmode=")
                    && !SSL_MODES.contains(decode(parameter.substring(8)).toLowerCase(java.util.Locale.ROOT))) {
                throw MigrateException.badInput("database URL's sslmode '" + decode(parameter.substring(8)) + "' is not"
                        + " one of disable, allow, prefer, require, verify-ca, verify-full");
            }
        }
    }

    /** Percent-decoding as a URL's user information has it: a '+' stays a '+' (URLDecoder reads forms, '+' = space). */
    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static final java.sql.Driver DRIVER = new org.postgresql.Driver();

    /** A new connection, or UNREACHABLE with a message that names the server but never the password. */
    public java.sql.Connection connect() {
        String applicationName = applicationName();
        java.util.Properties props = new java.util.Properties();
        if (user != null) {
            props.setProperty("user", user);
        }
        if (password != null) {
            props.setProperty("password", password);
        }
        props.setProperty("connectTimeout", "10");
        props.setProperty("ApplicationName", applicationName);
        props.setProperty("tcpKeepAlive", "true");
        try {
            // The driver itself, not DriverManager: that would first look up every driver on the class path.
            java.sql.Connection connection = DRIVER.connect(jdbcUrl, props);
            if (connection == null) { // the driver did not take the URL as its own
                throw MigrateException.badInput("the database URL is not one the PostgreSQL driver accepts; check its"
                        + " host, port and parameters");
            }
            SessionSettings.apply(connection, applicationName);
            return connection;
        } catch (java.sql.SQLException e) {
            throw new MigrateException(dev.cryoprotect.migrate.Failure.UNREACHABLE, "cannot connect to PostgreSQL at "
                    + describe() + ": " + e.getMessage() + unknownHost(e), e);
        }
    }

    /** The driver says only "The connection attempt failed." when the host name does not resolve: say that. */
    private static String unknownHost(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.net.UnknownHostException unknown) {
                return " (host not found: " + unknown.getMessage() + "; check the host name, and this machine's DNS)";
            }
        }
        return "";
    }

    /** How this tool's sessions show in {@code pg_stat_activity}: the URL's {@code ApplicationName}, else "migrate". */
    public String applicationName() {
        Matcher given = APPLICATION_NAME_PARAM.matcher(jdbcUrl);
        return given.find() ? decode(given.group(1)) : "migrate";
    }

    /** Closes a connection this config opened; best effort, since the server ends the session either way. */
    public static void closeQuietly(java.sql.Connection connection) {
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (java.sql.SQLException ignored) {
            // nothing more to release on this side
        }
    }

    public PostgresConfig withHistoryTable(String table) {
        return new PostgresConfig(jdbcUrl, user, password, historySchema, table, embedded);
    }

    /** The same database, known to be the local embedded one. */
    public PostgresConfig asEmbedded() {
        return new PostgresConfig(jdbcUrl, user, password, historySchema, historyTable, true);
    }

    /** Host, port and database, as far as the URL says, without credentials. */
    public String describe() {
        String shown = PASSWORD_PARAM.matcher(jdbcUrl).replaceAll("$1***");
        return shown.replaceFirst("^jdbc:", "") + (user == null ? "" : " as " + user);
    }

    @Override
    public String toString() {
        return "PostgresConfig[" + describe() + ", history=" + historySchema + "." + historyTable + "]";
    }
}
