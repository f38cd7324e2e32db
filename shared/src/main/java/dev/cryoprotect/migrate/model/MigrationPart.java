package dev.cryoprotect.migrate.model;

import java.util.function.Predicate;

/**
 * The file of one version that one database runs, identified for history and checksum checks.
 *
 * @param alsoUnchanged whether a checksum other than the file's own still means this file unchanged (see
 *                      {@link Checksums#equivalents}); asked only when the recorded checksum differs, which is rare, so
 *                      the other checksums are not computed for every file of every status
 */
public record MigrationPart(Database database, String fileName, String checksum, Predicate<String> alsoUnchanged) {

    /** Whether a recorded checksum is this file's (null: adopted without one, so nothing to compare). */
    public boolean matches(String recorded) {
        return recorded == null || recorded.equals(checksum) || alsoUnchanged.test(recorded);
    }
}
