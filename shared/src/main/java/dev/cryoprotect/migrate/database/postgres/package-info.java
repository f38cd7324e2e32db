/**
 * Supabase (PostgreSQL) as a migration target, over JDBC: {@link dev.cryoprotect.migrate.database.postgres.PostgresTarget}
 * composed of the history table, the session advisory lock, the script runner (each migration and its history row in
 * one transaction) and the error messages (server errors mapped to file and line).
 */
package dev.cryoprotect.migrate.database.postgres;
