package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.wiring.Settings;
import dev.cryoprotect.migrate.wiring.Wiring;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Optional;

/**
 * Each invoke's result, kept as the seed's {@code migration_logs} directory kept them: a JSON report at
 * {@code s3://$MIGRATIONS_BUCKET/$REPORTS_PREFIX/yyyy/mm/dd/<request id>.json}.
 */
final class RunReports {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Wiring wiring;
    private final JsonLog log;

    RunReports(Wiring wiring, JsonLog log) {
        this.wiring = wiring;
        this.log = log;
    }

    /** Writes the report; returns its address, or null without a bucket (or when S3 refused: a warning is logged). */
    String write(String runId, Object report) {
        Optional<S3Client> s3 = wiring.s3Client();
        if (s3.isEmpty()) {
            return null;
        }
        Settings settings = wiring.settings();
        String prefix = settings.reportsPrefix().endsWith("/") ? settings.reportsPrefix() : settings.reportsPrefix() + "/";
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        String key = String.format(Locale.ROOT, "%s%04d/%02d/%02d/%s.json", prefix, today.getYear(),
                today.getMonthValue(), today.getDayOfMonth(), runId);
        String address = "s3://" + settings.migrationsBucket() + "/" + key;
        try {
            byte[] body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(report);
            s3.get().putObject(b -> b.bucket(settings.migrationsBucket()).key(key).contentType("application/json"),
                    RequestBody.fromBytes(body));
            return address;
        } catch (IOException | SdkException e) {
            log.event("report_not_written", "WARN", "could not write the run report to " + address + ": " + e.getMessage());
            return null;
        }
    }
}
