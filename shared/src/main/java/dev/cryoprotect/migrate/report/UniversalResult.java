package dev.cryoprotect.migrate.report;

import java.util.List;
import java.util.Map;

/**
 * The seed's unified result of a universal run: the pinned target, what Supabase and Convex did, the compensation
 * when Convex failed, and where each database ended.
 *
 * @param target       the version the run worked towards (pinned before it started), or null when there are no files
 * @param convex       null when Convex is disabled or Supabase failed first
 * @param compensation empty unless Convex failed in a real run: undoing this run on Convex, then on Supabase
 * @param ended        each database's version after everything (null when it could not be read)
 */
public record UniversalResult(String target, RunResult supabase, RunResult convex, List<RunResult> compensation,
                             Map<String, String> ended, boolean success, String message, ErrorReport error) {
}
