package dev.cryoprotect.migrate.plan;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.AppliedMigration;
import dev.cryoprotect.migrate.model.Database;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.MigrationPart;
import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.model.MigrationState;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.report.StatusEntry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Decides states, what apply runs and what rollback undoes, from the files and one database's history. */
public final class Planner {
    private Planner() {
    }

    /** Every version of the files (for this database) and of the history, in version order. */
    public static List<StatusEntry> status(MigrationSet set, Database database, List<AppliedMigration> history) {
        Map<Version, AppliedMigration> applied = new TreeMap<>();
        history.forEach(a -> applied.put(a.version(), a));
        Version highestApplied = applied.isEmpty() ? null : ((TreeMap<Version, AppliedMigration>) applied).lastKey();

        Map<Version, StatusEntry> entries = new TreeMap<>();
        for (Migration m : set.touching(database)) {
            MigrationPart part = m.part(database).orElseThrow();
            AppliedMigration row = applied.get(m.version());
            MigrationState state;
            String detail = null;
            if (row == null) {
                state = highestApplied != null && m.version().compareTo(highestApplied) < 0
                        ? MigrationState.OUT_OF_ORDER : MigrationState.PENDING;
            } else if (row.unfinished()) {
                state = row.state() == AppliedMigration.State.PARTIAL ? MigrationState.PARTIAL : MigrationState.ROLLING_BACK;
                detail = unfinishedDetail(database, row, part.fileName(), !part.matches(row.checksum()));
            } else if (!part.matches(row.checksum())) {
                state = MigrationState.CHANGED;
            } else {
                state = MigrationState.APPLIED;
            }
            entries.put(m.version(), entry(m.version().text(), m.name(), part.fileName(), state, row, part.checksum(),
                    detail));
        }
        for (AppliedMigration row : applied.values()) {
            if (!entries.containsKey(row.version())) {
                entries.put(row.version(), entry(row.version().text(), row.name(), null, MigrationState.MISSING, row,
                        null, row.unfinished() ? unfinishedDetail(database, row, null, false) : null));
            }
        }
        return new ArrayList<>(entries.values());
    }

    /** Versions whose apply or rollback stopped part way, in version order. */
    public static List<AppliedMigration> unfinished(List<AppliedMigration> history) {
        return history.stream().filter(AppliedMigration::unfinished)
                .sorted(Comparator.comparing(AppliedMigration::version)).toList();
    }

    /**
     * Refuses to run past an unfinished version (HISTORY_CONFLICT): the message says how far each got and the command
     * that finishes or undoes it.
     */
    public static MigrateException unfinishedConflict(MigrationSet set, Database database, String verb,
                                                      List<AppliedMigration> unfinished) {
        List<String> lines = new ArrayList<>();
        String firstFile = null; // for JSON's error.file: the first the message names
        for (AppliedMigration row : unfinished) {
            MigrationPart part = set.find(row.version()).flatMap(m -> m.part(database)).orElse(null);
            if (firstFile == null && part != null) {
                firstFile = part.fileName();
            }
            lines.add("version " + row.version().text() + " (" + row.name() + "): " + unfinishedDetail(database, row,
                    part == null ? null : part.fileName(), part != null && !part.matches(row.checksum())));
        }
        return new MigrateException(Failure.HISTORY_CONFLICT, "cannot " + verb + " " + database.id()
                + " while a migration is unfinished; nothing was run:\n  " + String.join("\n  ", lines), firstFile,
                null, null);
    }

    /**
     * How far an unfinished version got, whether its file changed since, and the commands that end it: each brings the
     * database to a version boundary and no further ({@code --target} keeps apply from going on to later versions).
     */
    private static String unfinishedDetail(Database database, AppliedMigration row, String file, boolean fileChanged) {
        String progress = row.progress() == null ? "" : " (" + row.progress() + ")";
        String finish = "'migrate apply --database " + database.id() + " --resume --target " + row.version().text() + "'";
        String undo = "'migrate rollback --database " + database.id() + " --resume'";
        if (row.state() == AppliedMigration.State.ROLLING_BACK) {
            return "its rollback stopped part way" + progress + "; " + undo + " finishes the rollback";
        }
        if (fileChanged) {
            return "its apply stopped part way" + progress + "; " + file + " changed since it started: restore the"
                    + " file and run " + finish + " to finish it, or run " + undo + " to undo what ran and then apply"
                    + " the edited file";
        }
        return "its apply stopped part way" + progress + "; " + finish + " finishes it, " + undo + " undoes it";
    }

    /** The highest version applied whole, or "" when there is none. */
    public static String currentVersion(List<AppliedMigration> history) {
        return history.stream().filter(a -> !a.unfinished()).map(AppliedMigration::version)
                .max(Comparator.naturalOrder()).map(Version::text).orElse("");
    }

    /**
     * The migrations apply runs, in order.
     *
     * @param target apply up to and including this version, or all when null
     * @throws MigrateException HISTORY_CONFLICT for changed or missing files and out-of-order versions (unless allowed)
     */
    public static List<Migration> toApply(MigrationSet set, Database database, List<AppliedMigration> history,
                                          Version target, boolean outOfOrder) {
        checkTarget(set, target);
        if (!unfinished(history).isEmpty()) {
            throw unfinishedConflict(set, database, "apply to", unfinished(history));
        }
        List<StatusEntry> entries = status(set, database, history);
        List<String> conflicts = new ArrayList<>();
        List<String> conflictFiles = new ArrayList<>(); // for JSON's error.file: the first the message names
        for (StatusEntry e : entries) {
            if (e.state() == MigrationState.CHANGED) {
                conflictFiles.add(e.file());
                conflicts.add(e.file() + " changed after it was applied to " + database.id() + " (recorded checksum "
                        + abbreviate(e.appliedChecksum()) + ", file now " + abbreviate(e.fileChecksum())
                        + "). Restore the file, or if the edit is intended and already reflected in the database run"
                        + " 'migrate repair'; to change the schema further add a new migration");
            } else if (e.state() == MigrationState.MISSING) {
                conflicts.add("version " + e.version() + " (" + e.name() + ") is applied to " + database.id()
                        + " but no file has it any more. Restore the file, or roll it back from a checkout that has it");
            }
        }
        String highest = currentVersion(history);
        List<Migration> pending = new ArrayList<>();
        for (StatusEntry e : entries) {
            if (!e.state().isPending()) {
                continue;
            }
            Version v = Version.parse(e.version());
            if (target != null && v.compareTo(target) > 0) {
                continue;
            }
            if (e.state() == MigrationState.OUT_OF_ORDER && !outOfOrder) {
                conflictFiles.add(e.file());
                conflicts.add(e.file() + " (version " + e.version() + ") is pending but version " + highest
                        + " is already applied to " + database.id()
                        + ". Run with --out-of-order to apply it anyway, or renumber it above " + highest);
            }
            pending.add(set.find(v).orElseThrow());
        }
        if (!conflicts.isEmpty()) {
            throw new MigrateException(Failure.HISTORY_CONFLICT, "cannot apply to " + database.id()
                    + "; nothing was run:\n  " + String.join("\n  ", conflicts),
                    conflictFiles.isEmpty() ? null : conflictFiles.get(0), null, null);
        }
        return pending;
    }

    /**
     * The migrations rollback undoes, newest first: the latest applied one, or every one above {@code target}.
     * Refuses, before anything runs, when one of them cannot be undone (no file, or no down file for Supabase).
     *
     * @param target keep this version and everything below it; 0 (000, ...) rolls back everything, a first version
     *               numbered 0 too, unless the target is spelled as that version's own name (0000 keeps 0000); null
     *               rolls back one
     */
    public static List<Migration> toRollback(MigrationSet set, Database database, List<AppliedMigration> history,
                                             Version target) {
        boolean everything = target != null && target.number().signum() == 0
                && set.migrations().stream().noneMatch(m -> m.version().text().equals(target.text()));
        if (everything) {
            return toRollbackAll(set, database, history);
        }
        if (target != null && target.number().signum() != 0) {
            checkTarget(set, target);
        }
        return plan(set, database, history, target, false);
    }

    /** Every applied migration of {@code history}, newest first, as {@link #toRollback} refuses or plans them. */
    public static List<Migration> toRollbackAll(MigrationSet set, Database database, List<AppliedMigration> history) {
        return plan(set, database, history, null, true);
    }

    private static List<Migration> plan(MigrationSet set, Database database, List<AppliedMigration> history,
                                        Version target, boolean everything) {
        if (!unfinished(history).isEmpty()) {
            throw unfinishedConflict(set, database, "roll back", unfinished(history));
        }
        List<AppliedMigration> newestFirst = history.stream()
                .sorted(Comparator.comparing(AppliedMigration::version).reversed()).toList();
        List<AppliedMigration> undo = everything ? newestFirst : target == null ? newestFirst.stream().limit(1).toList()
                : newestFirst.stream().filter(a -> a.version().compareTo(target) > 0).toList();
        List<String> problems = new ArrayList<>();
        List<Migration> plan = new ArrayList<>();
        for (AppliedMigration a : undo) {
            Optional<Migration> m = set.find(a.version()).filter(x -> x.touches(database));
            if (m.isEmpty()) {
                problems.add("version " + a.version().text() + " (" + a.name() + ") has no file any more");
            } else if (database == Database.SUPABASE && m.get().down().isEmpty()) {
                problems.add(m.get().up().orElseThrow().fileName() + " has no down file "
                        + m.get().label() + ".down.sql");
            } else {
                plan.add(m.get());
            }
        }
        if (!problems.isEmpty()) {
            throw new MigrateException(Failure.BAD_INPUT, "cannot roll back " + database.id()
                    + "; nothing was rolled back:\n  " + String.join("\n  ", problems));
        }
        return plan;
    }

    private static void checkTarget(MigrationSet set, Version target) {
        if (target != null && set.find(target).isEmpty()) {
            String known = set.migrations().stream().map(m -> m.version().text()).collect(Collectors.joining(", "));
            throw new MigrateException(Failure.BAD_INPUT, "--target " + target.text()
                    + " is not the version of any migration file" + (known.isEmpty() ? "" : " (versions: " + known + ")"));
        }
    }

    private static StatusEntry entry(String version, String name, String file, MigrationState state,
                                     AppliedMigration row, String fileChecksum, String detail) {
        return new StatusEntry(version, name, file, state,
                row == null || row.appliedAt() == null ? null : row.appliedAt().toString(),
                row == null ? null : row.appliedBy(), row == null ? null : row.checksum(), fileChecksum,
                row == null ? null : row.recordedIn(), detail);
    }

    private static String abbreviate(String checksum) {
        return checksum == null ? "none" : checksum.substring(0, Math.min(12, checksum.length()));
    }
}
