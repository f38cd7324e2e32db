package dev.cryoprotect.migrate.report;

import java.util.List;

/**
 * Every version known to the files or the history of one database, in version order.
 *
 * @param currentVersion the highest applied version ("" when none)
 * @param ok             false when something blocks apply (a changed, missing or out-of-order migration)
 */
public record StatusReport(String database, String target, String currentVersion, List<StatusEntry> migrations,
                           long pending, boolean ok) {
    public StatusReport {
        migrations = List.copyOf(migrations);
    }

    public static StatusReport of(String database, String target, String currentVersion, List<StatusEntry> entries) {
        long pending = entries.stream().filter(e -> e.state().isPending()).count();
        boolean ok = entries.stream().noneMatch(e -> e.state().blocksApply());
        return new StatusReport(database, target, currentVersion, entries, pending, ok);
    }
}
