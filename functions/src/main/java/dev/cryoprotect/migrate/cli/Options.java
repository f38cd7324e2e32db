package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.wiring.Settings;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Options shared by the commands, as picocli mixins. An option left out is null, so the setting falls back to the
 * environment (see {@link dev.cryoprotect.migrate.wiring.Settings#fromEnvironment}) and then to its default.
 */
final class Options {
    private Options() {
    }

    /** Where the migration files are. */
    static final class Files {
        @Option(names = "--migrations", paramLabel = "DIR",
                description = "Directory of migration files (default: $MIGRATIONS_DIR, else ./migrations).")
        Path migrations;

        Settings applyTo(Settings settings) {
            if (migrations != null && migrations.toString().isBlank()) {
                throw emptyOption("--migrations", "a folder");
            }
            return migrations == null ? settings : settings.withMigrationsDir(migrations);
        }
    }

    /** Which environment's .env files to read. */
    static final class Env {
        @Option(names = "--env", paramLabel = "NAME",
                description = "The environment: reads .env.NAME (and .env.NAME.local) over .env and .env.local from the"
                        + " working folder; real environment variables still win. Default: $MIGRATE_ENV. An environment"
                        + " named production (or marked MIGRATE_PRODUCTION=true) asks before rollback, repair, baseline"
                        + " and sync --prune.")
        String name;
    }

    /** How results are printed. */
    static final class Format {
        @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
                description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
        Output.Format format;
    }

    /** Which PostgreSQL and how to treat its history and lock. */
    static final class Database {
        @Option(names = "--database-url", paramLabel = "URL",
                description = "PostgreSQL URL (postgresql://user:pass@host:5432/db or jdbc:postgresql://...). "
                        + "Default: $SUPABASE_DB_URL, else the embedded local database under --local-dir.")
        String databaseUrl;

        @Option(names = "--history-schema", paramLabel = "SCHEMA",
                description = "Schema of the 'migrations' history table (default: $HISTORY_SCHEMA, else public).")
        String historySchema;

        @Option(names = "--lock-timeout", paramLabel = "SECONDS",
                description = "How long to wait for another run's lock before failing with exit code 3 "
                        + "(default: $LOCK_TIMEOUT_SECONDS, else 30).")
        Long lockTimeoutSeconds;

        @Mixin
        LocalDir local;

        Settings applyTo(Settings settings) {
            if (databaseUrl != null && databaseUrl.isBlank()) {
                throw emptyOption("--database-url", "a PostgreSQL URL");
            }
            if (databaseUrl != null) {
                settings = settings.withDatabaseUrl(databaseUrl);
            }
            if (historySchema != null) {
                settings = settings.withHistorySchema(historySchema);
            }
            if (lockTimeoutSeconds != null) {
                if (lockTimeoutSeconds < 0 || lockTimeoutSeconds > Settings.MAX_SECONDS) {
                    throw MigrateException.badInput("--lock-timeout must be 0 to " + Settings.MAX_SECONDS
                            + " seconds (a day)");
                }
                settings = settings.withLockTimeout(Duration.ofSeconds(lockTimeoutSeconds));
            }
            return settings;
        }

        CliLocalDatabases localDatabases(Map<String, String> env) {
            return new CliLocalDatabases(local.localDir, env);
        }
    }

    /** Where the local databases keep their state. */
    static final class LocalDir {
        @Option(names = "--local-dir", paramLabel = "DIR",
                description = "Where the local databases keep their data (default: $MIGRATE_LOCAL_DIR, else .local).")
        Path localDir;
    }

    /**
     * An option given with nothing in it, as {@code --database-url "$PROD_URL"} is when the variable is unset: left
     * out, the option would fall back to the local database, which is not what was asked for.
     */
    static MigrateException emptyOption(String option, String what) {
        return MigrateException.badInput(option + " is empty (an unset variable?): give " + what
                + ", or leave the option out for its default");
    }

    /** Parses --target and --version values: digits, compared as numbers. */
    static final class VersionConverter implements ITypeConverter<Version> {
        @Override
        public Version convert(String value) {
            String v = value.strip();
            if (!Version.isValid(v)) {
                throw new TypeConversionException("'" + value + "' is not a version (digits, such as 003)");
            }
            return Version.parse(v);
        }
    }
}
