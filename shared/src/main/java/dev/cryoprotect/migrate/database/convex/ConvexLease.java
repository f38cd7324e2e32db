package dev.cryoprotect.migrate.database.convex;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A held Convex run lock: a lease renewed in the background every third of its length. A crashed runner stops
 * renewing and its lease expires; a runner whose lease lapsed is refused by the functions themselves (LOCK_LOST).
 */
final class ConvexLease implements AutoCloseable {
    private final MigrationFunctions functions;
    private final String owner;
    private final ScheduledExecutorService renewer;

    ConvexLease(MigrationFunctions functions, String owner, Duration lease) {
        this.functions = functions;
        this.owner = owner;
        this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "convex-lease-renewer");
            thread.setDaemon(true);
            return thread;
        });
        long every = Math.max(1, lease.toMillis() / 3);
        renewer.scheduleAtFixedRate(() -> {
            try {
                functions.renewLock(owner, lease);
            } catch (RuntimeException ignored) {
                // A missed renewal is retried next period; if the lease lapses, Convex refuses our writes (LOCK_LOST).
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    /** The fencing token every write carries. */
    String owner() {
        return owner;
    }

    @Override
    public void close() {
        renewer.shutdownNow();
        try {
            functions.releaseLock(owner);
        } catch (RuntimeException ignored) {
            // The lease expires on its own.
        }
    }
}
