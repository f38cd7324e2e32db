package dev.cryoprotect.migrate.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.report.StatusEntry;
import dev.cryoprotect.migrate.report.StatusReport;
import dev.cryoprotect.migrate.report.StepResult;

import java.io.PrintWriter;
import java.util.List;

/** Renders result records as text for people or as JSON (the same JSON the Lambda handlers return). */
public final class Output {
    public enum Format { text, json }

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

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
            out.println(JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("result records always serialize", e);
        }
        out.flush();
    }

    public void status(List<StatusReport> reports) {
        if (isJson()) {
            json(reports.size() == 1 ? reports.get(0) : reports);
            return;
        }
        for (StatusReport report : reports) {
            out.printf("%s (%s)%n", report.database(), report.target());
            out.printf("current version: %s, pending: %d%n",
                    report.currentVersion().isEmpty() ? "none" : report.currentVersion(), report.pending());
            if (report.migrations().isEmpty()) {
                out.println("no migrations");
            } else {
                int nameWidth = Math.max(4, report.migrations().stream().mapToInt(e -> e.name().length()).max().orElse(4));
                int versionWidth = Math.max(7, report.migrations().stream().mapToInt(e -> e.version().length()).max().orElse(7));
                String row = "%-" + versionWidth + "s  %-" + nameWidth + "s  %-12s  %s%n";
                out.printf(row, "VERSION", "NAME", "STATE", "APPLIED AT");
                for (StatusEntry e : report.migrations()) {
                    out.printf(row, e.version(), e.name(), e.state(), e.appliedAt() == null ? "" : e.appliedAt());
                }
            }
            if (!report.ok()) {
                out.println("apply is blocked: see the CHANGED, MISSING or OUT_OF_ORDER rows above");
            }
            out.println();
        }
        out.flush();
    }

    public void run(RunResult result) {
        if (isJson()) {
            json(result);
            return;
        }
        String versions = result.initialVersion().equals(result.finalVersion()) ? ""
                : " (" + blankAsNone(result.initialVersion()) + " -> " + blankAsNone(result.finalVersion()) + ")";
        out.printf("%s%s: %s%s%n", result.dryRun() ? "[dry run] " : "", result.database(), result.message(), versions);
        for (StepResult step : result.steps()) {
            out.printf("  %-8s %-14s %s%s%n", step.version(), step.outcome(), step.file(),
                    step.durationMs() > 0 ? " (" + step.durationMs() + " ms)" : "");
            if (step.message() != null && !step.outcome().equals("failed")) {
                out.printf("           %s%n", step.message());
            }
        }
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
