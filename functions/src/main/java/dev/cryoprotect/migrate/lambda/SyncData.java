package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cryoprotect.migrate.report.SyncSummary;
import dev.cryoprotect.migrate.sync.SyncEngine;
import dev.cryoprotect.migrate.sync.SyncOptions;
import dev.cryoprotect.migrate.wiring.Outcome;

import java.time.Duration;

/**
 * Syncs Supabase tables to Convex (tables, limit, dryRun, prune): the CLI's {@code migrate sync --format json}.
 * Invoked directly, over API Gateway, by the EventBridge schedule and by the universal run's optional sync step.
 * Logs a JSON progress event at most every few seconds while it runs.
 */
public final class SyncData extends MigrationHandler {
    private static final long PROGRESS_EVERY_NANOS = 5_000_000_000L;
    /**
     * A call reads for at most this long, then commits and answers what is left (done: false), well inside Lambda's
     * 15 minutes and the function's timeout; the sync state machine calls again until done.
     */
    private static final int DEFAULT_MAX_SECONDS = 420;
    /** The most a call may ask for: the function's timeout is 600 s, and a call commits after its last batch. */
    static final int MOST_SECONDS = 540;
    /** Over API Gateway, which gives up on an answer after 30 s: a call reads for at most this long. */
    static final int API_MAX_SECONDS = 20;

    public SyncData() {
    }

    public SyncData(Container container) {
        super(container);
    }

    /** A container made per invoke, as {@link Container#shared()} is: its set-up may fail like a cold start's. */
    public SyncData(java.util.function.Supplier<Container> containers) {
        super(containers);
    }

    /** A call over the API reads for at most {@link #API_MAX_SECONDS} and answers what is left; call it again. */
    @Override
    protected JsonNode overApi(JsonNode input) {
        if (input != null && !input.isNull() && !input.isObject()) {
            return input; // refused as it is, with the usual message
        }
        ObjectNode bounded = input == null || input.isNull() ? JSON.createObjectNode() : ((ObjectNode) input).deepCopy();
        String given = bounded.path("maxSeconds").asText("");
        if (given.isEmpty() || given.matches("[0-9]{1,9}") && Integer.parseInt(given) > API_MAX_SECONDS) {
            bounded.put("maxSeconds", API_MAX_SECONDS); // anything else is left to be refused as usual
        }
        return bounded;
    }

    @Override
    protected Outcome<?> handle(MigrationRequest request, Container container) {
        MigrationRequest.SyncWork work = request.work();
        SyncOptions options = SyncOptions.defaults().withTables(request.tables()).withDryRun(request.dryRun())
                .withLimit(request.limit()).withPrune(request.prune())
                .withMaxDuration(Duration.ofSeconds(work.maxSeconds() == null ? DEFAULT_MAX_SECONDS
                        : Math.min(work.maxSeconds(), MOST_SECONDS)))
                .withRange(work.range());
        if (work.ranges() != null) {
            return container.wiring().planSyncRanges(options, work.ranges(), request.runId() == null ? "fanout"
                    : request.runId());
        }
        if (work.finish()) {
            return container.wiring().finishSyncRanges(options, work.mark());
        }
        if (request.prune() && !request.dryRun()) {
            confirmedInProduction(container, request, "sync with prune", () -> container.wiring().prunePlan(options)
                    .entrySet().stream().map(e -> "delete " + e.getValue() + " Convex document(s) of " + e.getKey())
                    .toList());
        }
        long[] lastLog = {System.nanoTime()};
        SyncEngine.Progress progress = (table, batch, read, written) -> {
            if (System.nanoTime() - lastLog[0] >= PROGRESS_EVERY_NANOS) {
                lastLog[0] = System.nanoTime();
                container.log().event("sync_progress", "INFO", table + ": " + read + " rows read, " + written
                        + " written, batch " + batch);
            }
        };
        return continuing(container.wiring().sync(options, progress), work.range() != null);
    }

    /**
     * A call that leaves work for the next (stopped at its time limit, or one key range of a fan-out) answers its
     * summary even with rows still rejected, so the state machine's loop goes on: later calls retry them, and the call
     * that finishes decides (a table's error still fails the call at once).
     */
    private static Outcome<?> continuing(Outcome<SyncSummary> outcome, boolean range) {
        SyncSummary summary = outcome.result();
        boolean tableFailed = summary.results().stream().anyMatch(r -> r.error() != null);
        return outcome.ok() || tableFailed || summary.done() && !range ? outcome : Outcome.ok(summary);
    }
}
