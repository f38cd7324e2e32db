package dev.cryoprotect.migrate.model;

import java.util.Locale;

/** The two databases a migration version can change. */
public enum Database {
    SUPABASE, CONVEX;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Database fromId(String id) {
        for (Database d : values()) {
            if (d.id().equalsIgnoreCase(id)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown database '" + id + "' (expected supabase or convex)");
    }
}
