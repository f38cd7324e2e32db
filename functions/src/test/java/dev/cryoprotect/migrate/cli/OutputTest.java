package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.model.MigrationState;
import dev.cryoprotect.migrate.model.StepOutcome;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.report.StepResult;
import dev.cryoprotect.migrate.report.StatusEntry;
import dev.cryoprotect.migrate.report.StatusReport;
import dev.cryoprotect.migrate.report.StatusTable;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The status table is padded by hand: it must be what the format strings it replaced printed, character for character. */
class OutputTest {
    @Test
    void theStatusTableIsWhatFormatStringsPrinted() {
        List<StatusEntry> supabase = new ArrayList<>();
        List<StatusEntry> convex = new ArrayList<>();
        String[] names = {"initial_schema", "x", "a_rather_long_migration_name_that_sets_the_width", "caf\u00e9_\uD83D\uDE00"};
        for (int i = 0; i < names.length; i++) {
            String version = i == 2 ? "20240101120000" : String.format("%03d", i + 1);
            MigrationState state = MigrationState.values()[i % MigrationState.values().length];
            supabase.add(new StatusEntry(version, names[i], version + "_" + names[i] + ".sql", state, null, null, null,
                    null, null, null));
            if (i != 1) { // 002 has no Convex part: its cell is "-"
                convex.add(new StatusEntry(version, names[i], version + "_" + names[i] + ".json", MigrationState.PENDING,
                        null, null, null, null, null, null));
            }
        }
        StatusTable table = StatusTable.of(List.of(new StatusReport("supabase", "db", "001", supabase, 1, true),
                new StatusReport("convex", "cx", "", convex, 3, true)), null);
        StringWriter written = new StringWriter();
        new Output(new PrintWriter(written), Output.Format.text).status(table);

        // The oracle: the format strings the table was printed with before.
        StringWriter expected = new StringWriter();
        PrintWriter out = new PrintWriter(expected);
        out.printf("%-9s %s; current version: %s, pending: %d%n", "supabase:", "db", "001", 1);
        out.printf("%-9s %s; current version: %s, pending: %d%n", "convex:", "cx", "none", 3);
        int nameWidth = table.migrations().stream().mapToInt(r -> r.name().length()).max().orElse(4);
        int versionWidth = Math.max(7, table.migrations().stream().mapToInt(r -> r.version().length()).max().orElse(7));
        StringBuilder header = new StringBuilder(String.format("%-" + versionWidth + "s  %-" + nameWidth + "s", "VERSION",
                "NAME"));
        for (String d : List.of("supabase", "convex")) {
            header.append(String.format("  %-12s", d.toUpperCase(Locale.ROOT)));
        }
        out.println(header.toString().stripTrailing());
        for (StatusTable.Row row : table.migrations()) {
            StringBuilder line = new StringBuilder(String.format("%-" + versionWidth + "s  %-" + nameWidth + "s",
                    row.version(), row.name()));
            for (String d : List.of("supabase", "convex")) {
                MigrationState state = row.states().get(d);
                line.append(String.format("  %-12s", state == null ? "-" : state.name()));
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
        assertEquals(expected.toString(), written.toString());
    }

    @Test
    void aRunsLinesAreWhatFormatStringsPrinted() {
        List<StepResult> steps = List.of(
                new StepResult("001", "a", "001_a.sql", StepOutcome.APPLIED, 12, null),
                new StepResult("20240101120000", "long", "20240101120000_long.sql", StepOutcome.WOULD_ROLL_BACK, 0, null),
                new StepResult("003", "c", "003_c.sql", StepOutcome.SKIPPED, 0, "not tried: because"),
                new StepResult("004", "d", "004_d.sql", StepOutcome.FAILED, 3, "the error"));
        RunResult result = new RunResult("supabase", "apply", true, "run", "", "003", steps, false, "it stopped", null);
        StringWriter written = new StringWriter();
        new Output(new PrintWriter(written), Output.Format.text).run(result);

        // The oracle: format strings, the version column as wide as the longest version (14 here), so versions of
        // different lengths line up.
        StringWriter expected = new StringWriter();
        PrintWriter out = new PrintWriter(expected);
        out.printf("%s%s: %s%s%n", "[dry run] ", "supabase", "it stopped", " (none -> 003)");
        for (StepResult step : steps) {
            out.printf("  %-14s %-14s %s%s%n", step.version(), step.outcome(), step.file(),
                    step.durationMs() > 0 ? " (" + step.durationMs() + " ms)" : "");
            if (step.message() != null && step.outcome() != StepOutcome.FAILED) {
                out.printf("           %s%n", step.message());
            }
        }
        out.flush();
        assertEquals(expected.toString(), written.toString());
    }
}
