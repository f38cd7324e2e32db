package dev.cryoprotect.migrate.model;

/** A version's state on one database, named as Flyway users know them. */
public enum MigrationState {
    /** Recorded in the history with the file's checksum (or adopted without one). */
    APPLIED,
    /** Not applied yet, above every applied version. */
    PENDING,
    /** Not applied yet, but a higher version is: runs only with --out-of-order. */
    OUT_OF_ORDER,
    /** Applied, and the file changed since: blocks apply until 'migrate repair' or the file is restored. */
    CHANGED,
    /** Applied, but no file for this database has this version any more: blocks apply. */
    MISSING,
    /** An apply stopped part way: part of it is in the database. 'apply --resume' finishes it, 'rollback --resume' undoes it. */
    PARTIAL,
    /** A rollback stopped part way: part of it is undone. 'rollback --resume' finishes the rollback. */
    ROLLING_BACK;

    public boolean isPending() {
        return this == PENDING || this == OUT_OF_ORDER;
    }

    public boolean blocksApply() {
        return this == CHANGED || this == MISSING || this == OUT_OF_ORDER || unfinished();
    }

    /** An apply or rollback of this version stopped part way. */
    public boolean unfinished() {
        return this == PARTIAL || this == ROLLING_BACK;
    }
}
