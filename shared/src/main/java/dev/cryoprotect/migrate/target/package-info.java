/**
 * The database seam: {@link dev.cryoprotect.migrate.target.DatabaseTarget} is everything the core needs from a
 * database (history, lock, apply one, roll back one, dry run). Implementations live in sub-packages.
 */
package dev.cryoprotect.migrate.target;
