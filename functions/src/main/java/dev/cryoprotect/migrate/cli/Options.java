package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.model.Version;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.nio.file.Path;
import java.time.Duration;

/** Options shared by the commands, as picocli mixins. */
final class Options {
    private Options() {
    }

    /** Where the files are and how results are printed. */
    static final class Files {
        @Option(names = "--migrations", paramLabel = "DIR", defaultValue = "migrations",
                description = "Directory of migration files (default: ${DEFAULT-VALUE}).")
        Path migrations;

        @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
                description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
        Output.Format format;
    }

    /** Which PostgreSQL and how to treat its history. */
    static final class Database {
        @Option(names = "--database-url", paramLabel = "URL",
                description = "PostgreSQL URL (postgresql://user:pass@host:5432/db or jdbc:postgresql://...). "
                        + "Default: $SUPABASE_DB_URL, else the embedded local database under --local-dir.")
        String databaseUrl;

        @Option(names = "--history-schema", paramLabel = "SCHEMA", defaultValue = "public",
                description = "Schema of the 'migrations' history table (default: ${DEFAULT-VALUE}).")
        String historySchema;

        @Option(names = "--lock-timeout", paramLabel = "SECONDS", defaultValue = "30",
                description = "How long to wait for another run's lock before failing with exit code 3 "
                        + "(default: ${DEFAULT-VALUE}).")
        long lockTimeoutSeconds;

        @Mixin
        LocalDir local;

        Duration lockTimeout() {
            return Duration.ofSeconds(lockTimeoutSeconds);
        }
    }

    /** Where the embedded local database keeps its data. */
    static final class LocalDir {
        @Option(names = "--local-dir", paramLabel = "DIR", defaultValue = "${env:MIGRATE_LOCAL_DIR:-.local}",
                description = "Where the embedded local database keeps its data (default: .local, or $MIGRATE_LOCAL_DIR).")
        Path localDir;
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
