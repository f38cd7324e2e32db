package dev.cryoprotect.migrate.report;

import java.util.Map;

/**
 * What a universal run works towards, fixed when it starts: small on purpose, since the state machine carries it.
 *
 * @param target    the pinned version (the one asked for, else the highest of the files), null when there are none
 * @param convex    whether Convex takes part
 * @param databases each database's current version, pending count and whether anything blocks apply
 */
public record UniversalPlan(String target, boolean convex, Map<String, DatabasePlan> databases) {
    public record DatabasePlan(String currentVersion, long pending, boolean ok) {
    }
}
