package dev.cryoprotect.migrate.report;

import dev.cryoprotect.migrate.model.MigrationState;
import dev.cryoprotect.migrate.model.Version;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Status of several databases side by side: one row per version with each database's state (absent where the
 * version has no file for that database), the per-database reports, the databases whose history could not be read
 * ({@code errors}: one unreachable database does not hide the others), and the Convex schema.ts check when asked for.
 */
public record StatusTable(List<Row> migrations, Map<String, StatusReport> databases, Map<String, ErrorReport> errors,
                          SchemaCheck convexSchema, boolean ok) {

    public record Row(String version, String name, Map<String, MigrationState> states) {
    }

    /** Whether a deployed Convex schema.ts matches the schema the migrations declare. */
    public record SchemaCheck(String file, boolean upToDate, String message) {
    }

    public static StatusTable of(List<StatusReport> reports, SchemaCheck convexSchema) {
        return of(reports, Map.of(), convexSchema);
    }

    public static StatusTable of(List<StatusReport> reports, Map<String, ErrorReport> errors, SchemaCheck convexSchema) {
        Map<Version, Row> rows = new TreeMap<>();
        Map<String, StatusReport> byDatabase = new LinkedHashMap<>();
        for (StatusReport report : reports) {
            byDatabase.put(report.database(), report);
            for (StatusEntry e : report.migrations()) {
                Row row = rows.computeIfAbsent(Version.parse(e.version()),
                        v -> new Row(e.version(), e.name(), new LinkedHashMap<>()));
                row.states().put(report.database(), e.state());
            }
        }
        boolean ok = errors.isEmpty() && reports.stream().allMatch(StatusReport::ok)
                && (convexSchema == null || convexSchema.upToDate());
        return new StatusTable(new ArrayList<>(rows.values()), byDatabase, new LinkedHashMap<>(errors), convexSchema, ok);
    }
}
