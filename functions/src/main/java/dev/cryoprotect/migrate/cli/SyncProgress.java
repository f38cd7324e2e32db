package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.sync.SyncEngine;

import java.io.PrintWriter;
import java.util.Locale;

/** The sync's progress on stderr: a live line per table on a terminal, or one JSON event per committed batch. */
final class SyncProgress implements SyncEngine.Progress {
    private final PrintWriter err;
    private final String mode;
    private final long started = System.nanoTime();
    private String lastTable;

    SyncProgress(PrintWriter err, String mode) {
        this.err = err;
        String m = mode.toLowerCase(Locale.ROOT);
        this.mode = m.equals("auto") ? (System.console() != null ? "line" : "none") : m;
    }

    @Override
    public synchronized void batchCommitted(String table, long batch, long rowsRead, long rowsWritten) {
        double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
        switch (mode) {
            case "line" -> {
                if (lastTable != null && !lastTable.equals(table)) {
                    err.println();
                }
                err.printf("\r%s: %d rows read, %d written (%.0f rows/s)   ", table, rowsRead, rowsWritten, rowsWritten / seconds);
            }
            case "json" -> err.printf("{\"event\":\"sync_progress\",\"table\":\"%s\",\"batch\":%d,\"read\":%d,\"written\":%d}%n",
                    table.replace("\"", "\\\""), batch, rowsRead, rowsWritten);
            default -> {
                return;
            }
        }
        lastTable = table;
        err.flush();
    }

    void done() {
        if (mode.equals("line") && lastTable != null) {
            err.println();
            err.flush();
        }
    }
}
