package dev.cryoprotect.migrate.plan;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.AppliedMigration;
import dev.cryoprotect.migrate.model.Database;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.model.MigrationState;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.report.StatusEntry;
import dev.cryoprotect.migrate.testing.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The planner alone: files and a history in, states and plans out. */
@Tag("fast")
class PlannerTest {
    private static final MigrationSet SET = Fixtures.set(
            "001_a.sql", "CREATE TABLE a (id int);", "001_a.down.sql", "DROP TABLE a;",
            "002_b.sql", "CREATE TABLE b (id int);", "002_b.down.sql", "DROP TABLE b;",
            "002_b.json", "{\"version\": \"002\", \"schema\": {\"b\": {\"n\": \"number\"}}}",
            "003_c.json", "{\"version\": \"003\", \"schema\": {\"c\": {\"n\": \"number\"}}}",
            "004_d.sql", "CREATE TABLE d (id int);");

    private static AppliedMigration row(String version, String checksum) {
        return new AppliedMigration(Version.parse(version), "x", checksum, Instant.EPOCH, null, "run", "me");
    }

    private static String checksum(String version, Database database) {
        return SET.find(Version.parse(version)).flatMap(m -> m.part(database)).orElseThrow().checksum();
    }

    private static List<String> versions(List<Migration> plan) {
        return plan.stream().map(m -> m.version().text()).toList();
    }

    @Test
    void eachDatabaseSeesOnlyTheVersionsThatHaveAFileForIt() {
        assertEquals(List.of("001", "002", "004"), Planner.status(SET, Database.SUPABASE, List.of()).stream()
                .map(StatusEntry::version).toList());
        assertEquals(List.of("002", "003"), Planner.status(SET, Database.CONVEX, List.of()).stream()
                .map(StatusEntry::version).toList());
    }

    @Test
    void statesAreAppliedPendingChangedMissingAndOutOfOrder() {
        List<AppliedMigration> history = List.of(row("002", checksum("002", Database.SUPABASE)),
                row("004", "edited-since"), row("009", "gone"));
        List<MigrationState> states = Planner.status(SET, Database.SUPABASE, history).stream()
                .map(StatusEntry::state).toList();
        assertEquals(List.of(MigrationState.OUT_OF_ORDER, MigrationState.APPLIED, MigrationState.CHANGED,
                MigrationState.MISSING), states);
        assertEquals("009", Planner.currentVersion(history));
        assertEquals("", Planner.currentVersion(List.of()));
    }

    @Test
    void aRowAdoptedWithoutAChecksumCountsAsApplied() {
        assertEquals(MigrationState.APPLIED, Planner.status(SET, Database.SUPABASE, List.of(row("1", null))).get(0).state(),
                "the old system wrote \"1\" and no checksum; the file is 001");
    }

    @Test
    void applyPlansPendingVersionsInOrderUpToTheTarget() {
        assertEquals(List.of("001", "002", "004"), versions(Planner.toApply(SET, Database.SUPABASE, List.of(), null, false)));
        assertEquals(List.of("001", "002"), versions(Planner.toApply(SET, Database.SUPABASE, List.of(),
                Version.parse("003"), false)), "a target that only Convex has still bounds Supabase");
        assertEquals(List.of("003"), versions(Planner.toApply(SET, Database.CONVEX,
                List.of(row("002", checksum("002", Database.CONVEX))), null, false)));
    }

    @Test
    void applyRefusesConflictsListingEveryOne() {
        List<AppliedMigration> history = List.of(row("002", checksum("002", Database.SUPABASE)),
                row("004", "edited-since"), row("009", "gone"));
        MigrateException e = assertThrows(MigrateException.class,
                () -> Planner.toApply(SET, Database.SUPABASE, history, null, false));
        assertEquals(Failure.HISTORY_CONFLICT, e.failure());
        assertTrue(e.getMessage().contains("004_d.sql changed after it was applied"), e.getMessage());
        assertTrue(e.getMessage().contains("migrate repair"), e.getMessage());
        assertTrue(e.getMessage().contains("version 009 (x) is applied to supabase but no file has it"), e.getMessage());
        assertTrue(e.getMessage().contains("001_a.sql (version 001) is pending but version 009 is already applied"),
                e.getMessage());
    }

    @Test
    void outOfOrderIsAllowedWhenAskedFor() {
        List<AppliedMigration> history = List.of(row("002", checksum("002", Database.SUPABASE)),
                row("004", checksum("004", Database.SUPABASE)));
        assertEquals(List.of("001"), versions(Planner.toApply(SET, Database.SUPABASE, history, null, true)));
    }

    @Test
    void anUnknownTargetIsBadInputListingTheVersions() {
        MigrateException e = assertThrows(MigrateException.class,
                () -> Planner.toApply(SET, Database.SUPABASE, List.of(), Version.parse("005"), false));
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().contains("(versions: 001, 002, 003, 004)"), e.getMessage());
    }

    @Test
    void rollbackUndoesTheLatestOrEverythingAboveTheTargetNewestFirst() {
        List<AppliedMigration> history = List.of(row("001", null), row("002", null));
        assertEquals(List.of("002"), versions(Planner.toRollback(SET, Database.SUPABASE, history, null)));
        assertEquals(List.of("002", "001"), versions(Planner.toRollback(SET, Database.SUPABASE, history,
                Version.parse("000"))));
        assertEquals(List.of(), versions(Planner.toRollback(SET, Database.SUPABASE, history, Version.parse("002"))));
    }

    @Test
    void rollbackRefusesBeforeAnythingWhenAVersionCannotBeUndone() {
        List<AppliedMigration> history = List.of(row("001", null), row("004", null), row("009", null));
        MigrateException e = assertThrows(MigrateException.class,
                () -> Planner.toRollback(SET, Database.SUPABASE, history, Version.parse("000")));
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().contains("004_d.sql has no down file 004_d.down.sql"), e.getMessage());
        assertTrue(e.getMessage().contains("version 009 (x) has no file any more"), e.getMessage());
    }

    @Test
    void convexRollsBackWithoutADownFile() {
        List<AppliedMigration> history = List.of(row("002", null), row("003", null));
        assertEquals(List.of("003", "002"), versions(Planner.toRollback(SET, Database.CONVEX, history,
                Version.parse("000"))));
    }

    private static AppliedMigration unfinished(String version, String checksum, AppliedMigration.State state) {
        return new AppliedMigration(Version.parse(version), "b", checksum, Instant.EPOCH, null, "run", "me", null, state,
                "2 of 5 batches committed (ops 1-200 of 500)");
    }

    @Test
    void anUnfinishedVersionIsShownWithItsProgressAndTheCommandsThatEndIt() {
        List<AppliedMigration> history = List.of(unfinished("002", checksum("002", Database.CONVEX),
                AppliedMigration.State.PARTIAL));
        StatusEntry entry = Planner.status(SET, Database.CONVEX, history).get(0);
        assertEquals(MigrationState.PARTIAL, entry.state());
        assertEquals("its apply stopped part way (2 of 5 batches committed (ops 1-200 of 500)); 'migrate apply"
                + " --database convex --resume --target 002' finishes it, 'migrate rollback --database convex --resume'"
                + " undoes it", entry.detail());
        assertEquals("", Planner.currentVersion(history), "a partial version is not the current version");
        MigrateException apply = assertThrows(MigrateException.class,
                () -> Planner.toApply(SET, Database.CONVEX, history, null, false));
        assertEquals(Failure.HISTORY_CONFLICT, apply.failure());
        assertTrue(apply.getMessage().contains("--resume --target 002"), apply.getMessage());
        MigrateException rollback = assertThrows(MigrateException.class,
                () -> Planner.toRollback(SET, Database.CONVEX, history, null));
        assertEquals(Failure.HISTORY_CONFLICT, rollback.failure());
    }

    @Test
    void anUnfinishedVersionWhoseFileChangedSaysSoAndOffersBothWays() {
        StatusEntry partial = Planner.status(SET, Database.CONVEX, List.of(unfinished("002", "other",
                AppliedMigration.State.PARTIAL))).get(0);
        assertTrue(partial.detail().contains("002_b.json changed since it started: restore the file and run 'migrate"
                + " apply --database convex --resume --target 002' to finish it, or run 'migrate rollback --database"
                + " convex --resume' to undo what ran and then apply the edited file"), partial.detail());
        StatusEntry rollingBack = Planner.status(SET, Database.SUPABASE, List.of(unfinished("002",
                checksum("002", Database.SUPABASE), AppliedMigration.State.ROLLING_BACK))).get(1);
        assertEquals(MigrationState.ROLLING_BACK, rollingBack.state());
        assertTrue(rollingBack.detail().endsWith("'migrate rollback --database supabase --resume' finishes the rollback"),
                rollingBack.detail());
    }
}
