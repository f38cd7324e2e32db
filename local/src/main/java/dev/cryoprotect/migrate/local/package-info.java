/**
 * Development and test tooling, never deployed: an embedded PostgreSQL bootstrapped like a Supabase project and the
 * local Convex backend (the real convex/ functions under convex-test), both started on demand and found again by
 * later commands.
 */
package dev.cryoprotect.migrate.local;
