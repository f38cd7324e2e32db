package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.wiring.LocalDatabases;
import dev.cryoprotect.migrate.wiring.Settings;
import dev.cryoprotect.migrate.wiring.Wiring;

import java.util.Map;
import java.util.function.Consumer;

/**
 * What a Lambda container builds once and every invoke reuses: the wiring (AWS clients, secrets, the Convex HTTP
 * client, made on first use), the JSON log and the run reports. Database connections are opened per invoke: one kept
 * across a SnapStart snapshot or a long idle would be stale.
 */
public final class Container {
    private static volatile Container shared;

    private final Wiring wiring;
    private final JsonLog log;
    private final RunReports reports;

    /**
     * @param environment the function's environment variables
     * @param logLines    receives each JSON log line: stdout in Lambda (CloudWatch), stderr for {@code migrate invoke}
     */
    public Container(Map<String, String> environment, Consumer<String> logLines) {
        String function = environment.getOrDefault("AWS_LAMBDA_FUNCTION_NAME", "local");
        this.log = new JsonLog(logLines, function);
        Settings settings = Settings.fromEnvironment(environment).withAppliedBy("lambda:" + function);
        // A deployed function has no local databases: a missing setting is an error, not a fallback.
        this.wiring = new Wiring(settings, LocalDatabases.NONE, log::step, notice -> log.event("notice", "WARN", notice));
        this.reports = new RunReports(wiring, log);
    }

    /** The container's instance, built from the process environment on first use. */
    static Container shared() {
        if (shared == null) {
            synchronized (Container.class) {
                if (shared == null) {
                    shared = new Container(System.getenv(), System.out::println);
                    Priming.register();
                }
            }
        }
        return shared;
    }

    Wiring wiring() {
        return wiring;
    }

    JsonLog log() {
        return log;
    }

    RunReports reports() {
        return reports;
    }
}
