package dev.cryoprotect.migrate.sync;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Groups one table's rows into batches bounded by rows and bytes and keeps up to {@code inFlight} of them in flight.
 * Batches may complete in any order but are accounted in order, and the high-water mark moves only past a batch that,
 * with every batch before it, committed: a crash resumes without loss, and a re-sent batch changes nothing.
 */
final class OrderedBatchWriter {
    /** Told of each batch as it is accounted, in order. */
    interface Committed {
        void batch(SyncSink.Written written);

        /**
         * Called before a mark is stored: the rows it passes that were rejected must be recorded first, or a run killed
         * in between would leave them behind the mark and in no list.
         */
        void beforeMark();
    }

    private record Pending(Future<SyncSink.Written> result, List<String> mark) {
    }

    private final SyncSink sink;
    private final String table;
    private final String markKey;
    private final String markLabel;
    private final SyncOptions options;
    private final ExecutorService pool;
    private final Committed committed;
    private final Semaphore slots;
    private final Deque<Pending> pending = new ArrayDeque<>();
    private List<SyncSink.Row> rows = new ArrayList<>();
    private long bytes;
    private List<String> lastMark;
    private List<String> storedMark;

    /**
     * @param markKey   where progress is kept (the table for its cursor mark, or a pass's or key range's own key)
     * @param markLabel the cursor column, or "" for a pass by primary key
     */
    OrderedBatchWriter(SyncSink sink, String table, String markKey, String markLabel, SyncOptions options,
                       ExecutorService pool, Committed committed) {
        this.sink = sink;
        this.table = table;
        this.markKey = markKey;
        this.markLabel = markLabel;
        this.options = options;
        this.pool = pool;
        this.committed = committed;
        this.slots = new Semaphore(Math.max(1, options.inFlight()));
    }

    /** Adds a row; {@code mark}, when given, is stored once this row's batch and all before it committed. */
    void add(SyncSink.Row row, List<String> mark) {
        rows.add(row);
        bytes += row.bytes();
        if (mark != null) {
            lastMark = mark;
        }
        if (rows.size() >= options.batchRows() || bytes >= options.batchBytes()) {
            flush();
        }
    }

    /** A row that is not sent (rejected before it): the mark may still move past it, with the next batch. */
    void advance(List<String> mark) {
        if (mark != null) {
            lastMark = mark;
        }
    }

    /** Sends what is left and waits for every batch; throws the first failure after the others settled. */
    void finish() {
        flush();
        account(true);
        if (lastMark != null && lastMark != storedMark) {
            storeMark(lastMark); // past rows rejected after the last batch (all of them, at times)
        }
    }

    private void flush() {
        if (rows.isEmpty()) {
            return;
        }
        List<SyncSink.Row> batch = rows;
        rows = new ArrayList<>();
        bytes = 0;
        slots.acquireUninterruptibly();
        pending.add(new Pending(pool.submit(() -> {
            try {
                return writeOrSplit(batch);
            } finally {
                slots.release();
            }
        }), lastMark));
        account(false);
    }

    /**
     * Writes a batch; if Convex refuses it (a function error: some row's document is not acceptable), writes its
     * halves, down to single rows, so only the rows Convex refuses are rejected and the rest of the batch syncs. An
     * unreachable Convex is not the rows' fault and stops the table.
     */
    private SyncSink.Written writeOrSplit(List<SyncSink.Row> batch) {
        try {
            return sink.write(table, table, batch);
        } catch (MigrateException e) {
            if (e.failure() != Failure.MIGRATION_FAILED) {
                throw e;
            }
            if (batch.size() == 1) {
                return new SyncSink.Written(0, 0, 0, List.of(new SyncSink.Rejection(batch.get(0).key(),
                        e.getMessage(), 0, 0)));
            }
            int half = batch.size() / 2;
            return writeOrSplit(batch.subList(0, half)).plus(writeOrSplit(batch.subList(half, batch.size())));
        }
    }

    /** Takes finished batches off the front, in order; stores the mark they reach. */
    private void account(boolean wait) {
        List<String> reached = null;
        try {
            while (!pending.isEmpty() && (wait || pending.peekFirst().result().isDone())) {
                Pending head = pending.pollFirst();
                committed.batch(head.result().get());
                if (head.mark() != null) {
                    reached = head.mark();
                }
            }
        } catch (ExecutionException e) {
            pending.forEach(p -> awaitQuietly(p.result()));
            pending.clear();
            storeMark(reached); // what committed before the failure stays committed
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MigrateException(Failure.UNREACHABLE, "interrupted while syncing " + table);
        }
        storeMark(reached);
    }

    private void storeMark(List<String> reached) {
        if (reached != null && markKey != null) {
            committed.beforeMark();
            sink.setMark(markKey, markLabel, options.schema(), reached);
            storedMark = reached;
        }
    }

    private static void awaitQuietly(Future<?> f) {
        try {
            f.get();
        } catch (Exception ignored) {
            // its failure, if any, is superseded by the one being reported
        }
    }
}
