package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.Checksums;
import dev.cryoprotect.migrate.model.Database;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.MigrationPart;
import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.model.Version;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The files {@code create --name N} writes: the next version and a template per kind. Versions continue the existing
 * style: zero-padded numbers (001, 002, ...) or, once the folder uses Supabase-CLI timestamps, a UTC timestamp.
 */
public final class MigrationScaffold {
    private static final Pattern SNAKE_CASE = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");
    private static final int TIMESTAMP_DIGITS = 14;
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss", Locale.ROOT);

    /** Which files a new migration gets. */
    public enum Kind {
        /** {@code .sql} and {@code .down.sql} for Supabase. */
        SQL,
        /** {@code .json} for Convex. */
        CONVEX,
        /** All three. */
        BOTH;

        /** {@code sql}, {@code convex} (or {@code json}) or {@code both}, as the CLI and the handler take it. */
        public static Kind parse(String text) {
            return switch (text == null ? "both" : text.toLowerCase(Locale.ROOT)) {
                case "sql" -> SQL;
                case "convex", "json" -> CONVEX;
                case "both" -> BOTH;
                default -> throw MigrateException.badInput("kind must be sql, convex or both, not '" + text + "'");
            };
        }
    }

    private MigrationScaffold() {
    }

    /** The new files for {@code name}, not yet written. */
    public static List<MigrationSource.SourceFile> files(MigrationSet existing, String name, Kind kind, Clock clock) {
        checkName(name);
        return templates(nextVersion(existing, clock), name, kind);
    }

    /**
     * Whether {@code part} of {@code migration} is still exactly the template {@code create} wrote: a blank file that
     * apply refuses, so it is never recorded as a migration.
     */
    public static boolean isUnedited(Migration migration, MigrationPart part) {
        if (part.database() == Database.SUPABASE && migration.up().filter(s -> !s.statements().isEmpty()).isPresent()) {
            return false; // the template is comments only: a file with a statement was written (and no checksums)
        }
        return templates(migration.version(), migration.name(), Kind.BOTH).stream()
                .filter(f -> f.name().equals(part.fileName()))
                .anyMatch(f -> part.matches(Checksums.sha256(new String(f.content(), StandardCharsets.UTF_8))));
    }

    private static List<MigrationSource.SourceFile> templates(Version version, String name, Kind kind) {
        String base = version.text() + "_" + name;
        List<MigrationSource.SourceFile> files = new ArrayList<>();
        if (kind != Kind.CONVEX) {
            files.add(file(base + ".sql", """
                    -- %s: Supabase (PostgreSQL) forward migration.
                    -- Runs in one transaction together with its history row. A file with a statement that cannot run in
                    -- one (CREATE INDEX CONCURRENTLY, VACUUM) runs statement by statement outside it, as does a file
                    -- whose first line is '-- migrate:no-transaction'.

                    """.formatted(base)));
            files.add(file(base + ".down.sql", """
                    -- %s: reverses %s.sql; run by 'migrate rollback'.

                    """.formatted(base, base)));
        }
        if (kind != Kind.SQL) {
            files.add(file(base + ".json", """
                    {
                      "version": "%s",
                      "name": "%s",
                      "description": "",
                      "schema": {},
                      "data": [],
                      "indexes": []
                    }
                    """.formatted(version.text(), name)));
        }
        return files;
    }

    /**
     * Writes the files to {@code source}; returns their names. Refused before anything is written when one of the
     * names is taken; each write is itself a create-only write, so a racing create cannot be overwritten either.
     */
    public static List<String> create(MigrationSource source, String name, Kind kind, Clock clock) {
        List<MigrationSource.SourceFile> files = files(MigrationLoader.load(source), name, kind, clock);
        for (MigrationSource.SourceFile file : files) {
            if (source.exists(file.name())) {
                throw new MigrateException(Failure.BAD_INPUT, file.name() + " already exists in " + source.describe()
                        + "; refusing to overwrite it (nothing was written)", file.name(), null, null);
            }
        }
        for (MigrationSource.SourceFile file : files) {
            source.createNew(file.name(), file.content());
        }
        return files.stream().map(MigrationSource.SourceFile::name).toList();
    }

    /**
     * As {@link #create}, into {@code drafts}: the version continues after both the live migrations and the drafts
     * already there, so drafts moved to the live folder one by one keep their order.
     */
    public static List<String> createDraft(MigrationSource live, MigrationSource drafts, String name, Kind kind,
                                           Clock clock) {
        checkName(name);
        Version next = nextVersion(MigrationLoader.load(live), clock);
        for (MigrationSource.SourceFile draft : drafts.files()) {
            String digits = draft.name().replaceFirst("^([0-9]+).*", "$1");
            if (!digits.equals(draft.name()) && Version.isValid(digits) && Version.parse(digits).compareTo(next) >= 0) {
                next = after(Version.parse(digits));
            }
        }
        List<MigrationSource.SourceFile> files = templates(next, name, kind);
        for (MigrationSource.SourceFile file : files) {
            if (drafts.exists(file.name())) {
                throw new MigrateException(Failure.BAD_INPUT, file.name() + " already exists in " + drafts.describe()
                        + "; refusing to overwrite it (nothing was written)", file.name(), null, null);
            }
        }
        files.forEach(f -> drafts.createNew(f.name(), f.content()));
        return files.stream().map(MigrationSource.SourceFile::name).toList();
    }

    /** The version after {@code v} in its own style: the same zero-padded width. */
    private static Version after(Version v) {
        String next = v.number().add(BigInteger.ONE).toString();
        return Version.parse("0".repeat(Math.max(0, v.text().length() - next.length())) + next);
    }

    static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw MigrateException.badInput("--name is required, in snake_case (for example add_teams)");
        }
        if (name.length() > MigrationLoader.MAX_NAME_LENGTH || !SNAKE_CASE.matcher(name).matches()) {
            throw MigrateException.badInput("--name '" + printable(name) + "' is not snake_case: use lower-case letters,"
                    + " digits and single underscores, starting with a letter, at most "
                    + MigrationLoader.MAX_NAME_LENGTH + " characters (for example add_teams)");
        }
    }

    static Version nextVersion(MigrationSet existing, Clock clock) {
        if (existing.latest().isEmpty()) {
            return Version.parse("001");
        }
        Version latest = existing.latest().get();
        if (latest.text().length() >= TIMESTAMP_DIGITS) {
            BigInteger now = new BigInteger(TIMESTAMP.format(clock.instant().atZone(ZoneOffset.UTC)));
            BigInteger next = now.compareTo(latest.number()) > 0 ? now : latest.number().add(BigInteger.ONE);
            return Version.parse(next.toString());
        }
        String next = latest.number().add(BigInteger.ONE).toString();
        int width = Math.max(3, latest.text().length());
        return Version.parse("0".repeat(Math.max(0, width - next.length())) + next);
    }

    private static MigrationSource.SourceFile file(String name, String text) {
        return new MigrationSource.SourceFile(name, text.getBytes(StandardCharsets.UTF_8));
    }

    /** The name as it may be shown in a message: control characters replaced, length bounded. */
    private static String printable(String name) {
        String shown = name.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return shown.length() > 120 ? shown.substring(0, 120) + "..." : shown;
    }
}
