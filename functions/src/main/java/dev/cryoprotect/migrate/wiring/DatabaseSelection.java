package dev.cryoprotect.migrate.wiring;

import dev.cryoprotect.migrate.MigrateException;

import java.util.Locale;

/** Which databases a command runs on: {@code --database} on the CLI, {@code "database"} in an event. */
public enum DatabaseSelection {
    ALL, SUPABASE, CONVEX;

    public static DatabaseSelection parse(String text) {
        String which = text == null ? "all" : text.strip().toLowerCase(Locale.ROOT);
        return switch (which) {
            case "all" -> ALL;
            case "supabase" -> SUPABASE;
            case "convex" -> CONVEX;
            default -> throw MigrateException.badInput("database must be supabase, convex or all, not '" + text + "'");
        };
    }

    boolean includesSupabase() {
        return this != CONVEX;
    }

    boolean includesConvex() {
        return this != SUPABASE;
    }
}
