package dev.cryoprotect.migrate.model;

import java.util.Set;

/**
 * The file of one version that one database runs, identified for history and checksum checks.
 *
 * @param equivalentChecksums checksums that still mean this file unchanged (see {@link Checksums#equivalents})
 */
public record MigrationPart(Database database, String fileName, String checksum, Set<String> equivalentChecksums) {
    public MigrationPart {
        equivalentChecksums = Set.copyOf(equivalentChecksums);
    }

    /** Whether a recorded checksum is this file's (null: adopted without one, so nothing to compare). */
    public boolean matches(String recorded) {
        return recorded == null || recorded.equals(checksum) || equivalentChecksums.contains(recorded);
    }
}
