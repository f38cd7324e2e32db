package dev.cryoprotect.migrate.sync;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Reads rows on a thread of their own, a bounded queue ahead of the caller: PostgreSQL's stream is decoded on one
 * core while the caller converts and encodes on another. Rows reach the caller in order; a failure of the read is
 * thrown to the caller; when the caller stops (its handler returns false or throws), the read is told to stop and
 * is waited for, so the connection is idle again when {@link #run} returns.
 */
final class ReadAhead {
    private static final int BATCH = 256;
    private static final int BATCHES = 8;
    private static final Object END = new Object();

    private ReadAhead() {
    }

    @SuppressWarnings("unchecked")
    static void run(Consumer<TableReader.RowHandler> read, TableReader.RowHandler handler) {
        BlockingQueue<Object> queue = new ArrayBlockingQueue<>(BATCHES);
        AtomicBoolean stop = new AtomicBoolean();
        Thread reader = new Thread(() -> {
            List<TableReader.SourceRow> batch = new ArrayList<>(BATCH);
            Object last = END;
            try {
                read.accept(row -> {
                    batch.add(row);
                    if (batch.size() == BATCH) {
                        put(queue, new ArrayList<>(batch), stop);
                        batch.clear();
                    }
                    return !stop.get();
                });
                if (!batch.isEmpty()) {
                    put(queue, new ArrayList<>(batch), stop);
                }
            } catch (RuntimeException | Error e) {
                last = e;
            }
            put(queue, last, stop);
        }, "sync-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            while (true) {
                Object item = queue.take();
                if (item == END) {
                    return;
                }
                if (item instanceof RuntimeException e) {
                    throw e;
                }
                if (item instanceof Error e) {
                    throw e;
                }
                for (TableReader.SourceRow row : (List<TableReader.SourceRow>) item) {
                    if (!handler.row(row)) {
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading rows", e);
        } finally {
            stop.set(true);
            while (reader.isAlive()) {
                queue.clear(); // a reader waiting to hand over a batch sees the stop
                try {
                    reader.join(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
    }

    /** Hands an item over, unless the caller has stopped listening. */
    private static void put(BlockingQueue<Object> queue, Object item, AtomicBoolean stop) {
        try {
            while (!stop.get()) {
                if (queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
