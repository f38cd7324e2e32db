/**
 * Pure planning: compares the migration files with a database's history and decides each version's state, what apply
 * runs and what rollback undoes. No I/O here.
 */
package dev.cryoprotect.migrate.plan;
