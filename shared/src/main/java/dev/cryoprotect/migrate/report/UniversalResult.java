package dev.cryoprotect.migrate.report;

/**
 * The seed's unified result of a universal run: what Supabase and Convex did, the status afterwards, and, when Convex
 * failed after Supabase had moved, the rollback that put Supabase back where the run found it.
 *
 * @param convex           null when Convex is disabled or Supabase failed first
 * @param supabaseRollback null unless Convex failed after Supabase applied something
 */
public record UniversalResult(RunResult supabase, RunResult convex, RunResult supabaseRollback, StatusTable status,
                              boolean success, String message, ErrorReport error) {
}
