package dev.cryoprotect.migrate.model;

import java.util.Optional;

/**
 * One version and every file it has: an optional Supabase forward script and its down script, and an optional Convex
 * migration. At least one of {@code up} and {@code convex} is present.
 */
public record Migration(Version version, String name, Optional<SqlScript> up, Optional<SqlScript> down,
                        Optional<ConvexMigration> convex) {

    /** The file a database runs for this version, or empty when this version does not touch that database. */
    public Optional<MigrationPart> part(Database database) {
        return switch (database) {
            case SUPABASE -> up.map(s -> new MigrationPart(database, s.fileName(), s.checksum(),
                    recorded -> Checksums.equivalents(s.text()).contains(recorded)));
            case CONVEX -> convex.map(c -> new MigrationPart(database, c.fileName(), c.checksum(),
                    c.equivalentChecksums()::contains));
        };
    }

    public boolean touches(Database database) {
        return database == Database.SUPABASE ? up.isPresent() : convex.isPresent();
    }

    public String label() {
        return version.text() + "_" + name;
    }
}
