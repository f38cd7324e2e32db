package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.report.RunResult;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Several databases' results as the CLI prints them: one result alone, or keyed by database. */
final class RunResults {
    private RunResults() {
    }

    static MigrationHandler.Outcome outcome(List<RunResult> results) {
        Object body;
        if (results.size() == 1) {
            body = results.get(0);
        } else {
            Map<String, RunResult> byDatabase = new LinkedHashMap<>();
            results.forEach(r -> byDatabase.put(r.database(), r));
            body = byDatabase;
        }
        return new MigrationHandler.Outcome(body, results.stream().filter(r -> !r.success()).map(RunResult::error)
                .findFirst().orElse(null));
    }
}
