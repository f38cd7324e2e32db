package dev.cryoprotect.migrate.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cryoprotect.migrate.convex.ConvexValues;
import dev.cryoprotect.migrate.model.MigrationState;
import dev.cryoprotect.migrate.model.StepOutcome;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.report.StatusEntry;
import dev.cryoprotect.migrate.report.StatusReport;
import dev.cryoprotect.migrate.report.StatusTable;
import dev.cryoprotect.migrate.report.StepResult;
import dev.cryoprotect.migrate.report.SyncRejection;
import dev.cryoprotect.migrate.report.SyncSummary;
import dev.cryoprotect.migrate.report.UniversalResult;

import java.io.PrintWriter;
import java.util.List;

/** Renders result records as text for people, or prints an outcome's JSON body (the same JSON the handlers return). */
final class Output {
    enum Format { text, json }

    /** Made on first use only: text output never loads Jackson's databind (start-up time). */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    private final PrintWriter out;
    private final Format format;

    public Output(PrintWriter out, Format format) {
        this.out = out;
        this.format = format;
    }

    public boolean isJson() {
        return format == Format.json;
    }

    public void json(Object value) {
        try {
            out.println(Json.MAPPER.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("result records always serialize", e);
        }
        out.flush();
    }

    /** {@code value} then spaces up to {@code width} characters, as {@code %-<width>s} pads. */
    private static StringBuilder padded(StringBuilder line, String value, int width) {
        line.append(value);
        for (int i = value.length(); i < width; i++) {
            line.append(' ');
        }
        return line;
    }

    public void status(StatusTable table) {
        if (isJson()) {
            json(table);
            return;
        }
        List<String> databases = List.copyOf(table.databases().keySet());
        for (StatusReport report : table.databases().values()) {
            out.printf("%-9s %s; current version: %s, pending: %d%n", report.database() + ":", report.target(),
                    report.currentVersion().isEmpty() ? "none" : report.currentVersion(), report.pending());
        }
        table.errors().forEach((database, error) -> out.printf("%-9s cannot be read, not shown below: %s%n",
                database + ":", error.message()));
        if (table.migrations().isEmpty()) {
            out.println("no migrations");
        } else {
            int nameWidth = Math.max(4, table.migrations().stream().mapToInt(r -> r.name().length()).max().orElse(4));
            int versionWidth = Math.max(7, table.migrations().stream().mapToInt(r -> r.version().length()).max().orElse(7));
            // One write for the whole table, padded by hand: a format string parsed per cell and a flush per line were
            // a tenth of a 500-migration status's main thread.
            StringBuilder text = new StringBuilder();
            StringBuilder line = new StringBuilder();
            padded(line, "VERSION", versionWidth).append("  ");
            padded(line, "NAME", nameWidth);
            databases.forEach(d -> padded(line.append("  "), d.toUpperCase(java.util.Locale.ROOT), 12));
            text.append(line.toString().stripTrailing()).append(System.lineSeparator());
            for (StatusTable.Row row : table.migrations()) {
                line.setLength(0);
                padded(line, row.version(), versionWidth).append("  ");
                padded(line, row.name(), nameWidth);
                for (String d : databases) {
                    MigrationState state = row.states().get(d);
                    padded(line.append("  "), state == null ? "-" : state.name(), 12);
                }
                text.append(line.toString().stripTrailing()).append(System.lineSeparator());
            }
            out.print(text);
            out.flush();
        }
        for (StatusReport report : table.databases().values()) {
            for (StatusEntry e : report.migrations()) {
                if (e.detail() != null) { // an unfinished apply or rollback: how far it got and the way out
                    out.println(report.database() + ": " + e.version() + " (" + e.name() + ") is " + e.state() + ": "
                            + e.detail());
                }
            }
        }
        for (StatusReport report : table.databases().values()) {
            List<String> foreign = report.migrations().stream().filter(e -> e.recordedIn() != null)
                    .map(e -> e.version()).toList();
            if (!foreign.isEmpty()) {
                out.println(report.database() + ": " + String.join(", ", foreign) + (foreign.size() == 1 ? " is" : " are")
                        + " applied according to " + report.migrations().stream().filter(e -> e.recordedIn() != null)
                        .findFirst().orElseThrow().recordedIn() + " only; 'migrate baseline --from-supabase-cli'"
                        + " records " + (foreign.size() == 1 ? "it" : "them") + " here too");
            }
        }
        if (table.convexSchema() != null) {
            out.println("convex schema: " + (table.convexSchema().upToDate()
                    ? table.convexSchema().file() + " matches the migrations" : table.convexSchema().message()));
        }
        if (table.databases().values().stream().anyMatch(r -> !r.ok())) {
            out.println("apply is blocked: see the PARTIAL, ROLLING_BACK, CHANGED, MISSING or OUT_OF_ORDER rows above");
        }
        out.flush();
    }

    /** One result as itself; several (one per database) as {"supabase": ..., "convex": ...}. */
    public void runs(List<RunResult> results) {
        if (isJson()) {
            if (results.size() == 1) {
                json(results.get(0));
            } else {
                java.util.Map<String, RunResult> byDatabase = new java.util.LinkedHashMap<>();
                results.forEach(r -> byDatabase.put(r.database(), r));
                json(byDatabase);
            }
            return;
        }
        results.forEach(this::run);
    }

    public void sync(SyncSummary summary) {
        if (isJson()) {
            json(summary);
            return;
        }
        out.printf("%s%d rows read, %d %s, %d failed%n", summary.dryRun() ? "[dry run] " : "", summary.totalCount(),
                summary.successCount(), summary.dryRun() ? "would sync" : "synced", summary.failureCount());
        out.printf("%-24s %9s %9s %9s %9s %9s %9s %9s%n", "TABLE", "READ", "INSERTED", "UPDATED", "UNCHANGED",
                "DELETED", "REJECTED", "PENDING");
        for (SyncSummary.TableResult t : summary.results()) {
            out.printf("%-24s %9d %9d %9d %9d %9d %9d %9d%n", t.table(), t.read(), t.inserted(), t.updated(),
                    t.unchanged(), t.deleted(), t.rejected(), t.pendingRejected());
            if (t.error() != null) {
                out.println("  error: " + t.error());
            }
            t.rejections().forEach(r -> out.println("  rejected " + r.key() + ": " + r.reason()));
            if (!t.skippedColumns().isEmpty()) {
                out.println("  not in the declared schema, not synced: " + String.join(", ", t.skippedColumns()));
            }
            t.notes().forEach(note -> out.println("  note: " + note));
            if (t.sample() != null) {
                try {
                    out.println("  sample: " + new ObjectMapper().writeValueAsString(
                            dev.cryoprotect.migrate.convex.ConvexValues.encode(t.sample())));
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        if (!summary.done()) {
            out.println("stopped at its row or time limit; not done yet: " + String.join(", ", summary.remaining())
                    + " (the next sync continues them)");
        }
        out.flush();
    }

    /** The rows kept as rejected, retried by every sync until they sync or their source row is gone. */
    public void rejections(List<SyncRejection> rejections) {
        if (isJson()) {
            json(rejections);
            return;
        }
        if (rejections.isEmpty()) {
            out.println("no rejected rows: every row read so far synced");
        }
        for (SyncRejection r : rejections) {
            out.printf("%s %s: %s (first %s, last %s)%n", r.table(), r.key(), r.reason(), r.firstSeen(), r.lastSeen());
        }
        out.flush();
    }

    public void universal(UniversalResult result) {
        if (isJson()) {
            json(result);
            return;
        }
        run(result.supabase());
        if (result.convex() != null) {
            run(result.convex());
        }
        result.compensation().forEach(this::run);
        out.println((result.success() ? "universal: " : "universal FAILED: ") + result.message());
        out.println("ended at: " + String.join(", ", result.ended().entrySet().stream().map(e -> e.getKey() + " "
                + (e.getValue() == null ? "unknown (unreachable)" : blankAsNone(e.getValue()))).toList())
                + (result.target() == null ? "" : " (target " + result.target() + ")"));
        out.flush();
    }

    void run(RunResult result) {
        String versions = result.initialVersion().equals(result.finalVersion()) ? ""
                : " (" + blankAsNone(result.initialVersion()) + " -> " + blankAsNone(result.finalVersion()) + ")";
        String newline = System.lineSeparator();
        StringBuilder text = new StringBuilder(result.dryRun() ? "[dry run] " : "").append(result.database())
                .append(": ").append(result.message()).append(versions).append(newline);
        // As wide as the longest version, so 10- and 14-digit versions line up.
        int width = Math.max(8, result.steps().stream().mapToInt(step -> step.version().length()).max().orElse(0));
        for (StepResult step : result.steps()) { // padded by hand: a format string parsed per line shows at 500 steps
            padded(text.append("  "), step.version(), width).append(' ');
            padded(text, step.outcome().toString(), 14).append(' ').append(step.file())
                    .append(step.durationMs() > 0 ? " (" + step.durationMs() + " ms)" : "").append(newline);
            if (step.message() != null && step.outcome() != StepOutcome.FAILED) {
                text.append("           ").append(step.message()).append(newline);
            }
        }
        out.print(text);
        out.flush();
    }

    public void line(String text) {
        out.println(text);
        out.flush();
    }

    private static String blankAsNone(String version) {
        return version.isEmpty() ? "none" : version;
    }
}
