package dev.cryoprotect.migrate.database.convex;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.convex.ConvexException;
import dev.cryoprotect.migrate.model.ConvexMigration.DataOp;
import dev.cryoprotect.migrate.model.ConvexMigration;
import dev.cryoprotect.migrate.model.Migration;

import java.util.Map;

/**
 * Turns failed Convex calls into messages for people: the runner's ConvexError codes mapped to failure kinds, the op
 * index mapped back to the file's line, and what became of the migration.
 */
final class ConvexFailures {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConvexFailures() {
    }

    /** A call that did not get through, while running {@code migration} (or null: a read, the lock, a dry run). */
    static MigrateException unreachable(Migration migration, ConvexException.TransportError e) {
        return new MigrateException(Failure.UNREACHABLE, e.getMessage() + (migration == null ? ""
                : ". " + migration.convex().map(ConvexMigration::fileName).orElse(migration.version().text())
                + " was in flight: run 'migrate status' to see where it stands (each Convex mutation lands whole or"
                + " not at all; a batched migration stopped part way shows PARTIAL, and 'apply --resume' or 'rollback"
                + " --resume' ends it; re-running apply never applies a version twice)"), e);
    }

    /** A function that threw, while running {@code migration} (or null). */
    static MigrateException functionFailed(Migration migration, ConvexException.FunctionError e) {
        if (e.data() instanceof Map<?, ?> data && data.get("code") instanceof String) {
            return fromErrorData(migration, data);
        }
        String file = migration == null ? null : migration.convex().map(ConvexMigration::fileName).orElse(null);
        return new MigrateException(Failure.MIGRATION_FAILED, (file == null ? "" : file + ": ") + e.getMessage()
                + (migration == null ? "" : ". Convex undid the whole mutation; nothing of it remains"), file, null, e);
    }

    /** The runner's ConvexError data ({@code code}, {@code message}, {@code opIndex}) as a message naming file and line. */
    static MigrateException fromErrorData(Migration migration, Map<?, ?> data) {
        String code = String.valueOf(data.get("code"));
        String message = data.get("message") instanceof String s ? s : JSON.valueToTree(data).toString();
        if (code.equals("LOCK_LOST")) {
            return new MigrateException(Failure.LOCK_BUSY, "Convex: " + message + "; nothing more was run");
        }
        ConvexMigration convex = migration == null ? null : migration.convex().orElse(null);
        String file = convex == null ? null : convex.fileName();
        Integer line = null;
        if (convex != null && data.get("opIndex") instanceof Number index) {
            line = convex.ops().stream().filter(op -> op.index() == index.intValue()).map(DataOp::line)
                    .findFirst().orElse(null);
        }
        Failure kind = code.equals("CHECKSUM_MISMATCH") || code.equals("ROLLING_BACK")
                || code.equals("BATCH_IN_PROGRESS") ? Failure.HISTORY_CONFLICT : Failure.MIGRATION_FAILED;
        String where = file == null ? "" : file + (line == null ? "" : ":" + line) + ": ";
        String outcome = kind != Failure.MIGRATION_FAILED ? ""
                : convex != null && convex.batched() ? ". Convex undid this batch; earlier batches stay recorded and a"
                + " rerun continues after them (rollback undoes them)"
                : ". Convex undid the whole mutation; nothing of it remains";
        return new MigrateException(kind, where + message + outcome, file, line, null);
    }
}
