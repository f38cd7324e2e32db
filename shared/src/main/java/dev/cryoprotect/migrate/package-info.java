/**
 * Entry points of the migration core: {@link dev.cryoprotect.migrate.Migrator} runs status, apply, rollback, repair
 * and baseline of a {@link dev.cryoprotect.migrate.source.MigrationSource} against one
 * {@link dev.cryoprotect.migrate.database.DatabaseTarget}; {@link dev.cryoprotect.migrate.Orchestrator} runs them over
 * several databases and the universal run. Both return result records; nothing in the core prints.
 */
package dev.cryoprotect.migrate;
