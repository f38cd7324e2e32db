/**
 * The Supabase (PostgreSQL) target over JDBC: the {@code migrations} history table, a session advisory lock, each
 * migration and its history row in one transaction, server errors mapped to file and line.
 */
package dev.cryoprotect.migrate.target.postgres;
