/**
 * Entry point of the migration core: {@link dev.cryoprotect.migrate.Migrator} runs status, apply, rollback, repair and
 * baseline of a {@link dev.cryoprotect.migrate.source.MigrationSource} against one
 * {@link dev.cryoprotect.migrate.target.DatabaseTarget}, and returns result records. Nothing in the core prints.
 */
package dev.cryoprotect.migrate;
