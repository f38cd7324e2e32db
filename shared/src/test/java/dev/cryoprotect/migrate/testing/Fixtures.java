package dev.cryoprotect.migrate.testing;

import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.source.MigrationLoader;
import dev.cryoprotect.migrate.source.MigrationSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Migration sets built in memory from file names and texts, through the real loader. */
public final class Fixtures {
    private Fixtures() {
    }

    /** Loads name/text pairs: {@code set("001_a.sql", "CREATE TABLE a ();", "001_a.json", "{...}")}. */
    public static MigrationSet set(String... namesAndTexts) {
        List<MigrationSource.SourceFile> files = new ArrayList<>();
        for (int i = 0; i < namesAndTexts.length; i += 2) {
            files.add(new MigrationSource.SourceFile(namesAndTexts[i], namesAndTexts[i + 1].getBytes(StandardCharsets.UTF_8)));
        }
        return MigrationLoader.load(files);
    }
}
