package dev.cryoprotect.migrate.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.cli.CliAccess;
import dev.cryoprotect.migrate.testing.TestConvex;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A seeded random property test of the sync's type mapping (README, "Sync", type mapping table) over every kind of
 * PostgreSQL value: for each seed a table with one column of each type is filled with random rows full of edge values,
 * synced once to the local Convex backend, and every row must have become exactly one document whose fields are the
 * documented mapping of its values, or be recorded as rejected with a reason, and be rejected exactly when the
 * documented rules say so. The expected values are computed by PostgreSQL itself (epochs by {@code extract}, text
 * forms by {@code ::text}, numeric exactness by PostgreSQL's own float8 conversion and shortest float8 output), never
 * by the code under test. A second sync changes nothing.
 *
 * <p>Every mismatch of every seed is collected and reported at the end, grouped by column, each with seed, row id,
 * column, input, expected and actual.
 */
class TypeMappingPropertyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long[] SEEDS = {1L, 42L, 20240601L, 7777L, 987654321L};
    private static final int ROWS = 200;
    private static final String TABLE = "kinds";
    private static final BigInteger MAX_EXACT = BigInteger.ONE.shiftLeft(53);
    private static final int MAX_ARRAY = 8192;
    /** Convex's limit on one document; a row whose document is larger is rejected. */
    private static final String HUGE_TEXT = "repeat('x', 1600000)";

    private static final Map<String, Integer> REASONS = new TreeMap<>();

    @TempDir
    Path migrations;

    // ---------------------------------------------------------------------------------------------------------------
    // The columns: type, random SQL value (edge values and ordinary ones), and how PostgreSQL computes the expectation.

    /** How the expectation query's text becomes the expected Convex value. */
    enum Kind {
        /** a number in PostgreSQL's text form (NaN, Infinity, -Infinity, -0 included). */
        NUMBER,
        /** int8 text: a number when |v| <= 2^53, else the row is rejected. */
        INT8,
        /** the text of pt_num(v): NaN, ±Infinity, "value double", or "OUT value": a number when it round-trips. */
        NUMERIC,
        STRING,
        BOOL,
        /** hex. */
        BYTES,
        /** JSON text (jsonb's canonical form): objects and arrays; a key Convex forbids rejects the row. */
        JSON_VALUE,
        /** array_to_json text of an array of numbers or strings: a (nested) list. */
        ARRAY_JSON
    }

    /**
     * @param edges    SQL expressions of edge values
     * @param normal   an ordinary random value as an SQL expression
     * @param expect   the expectation's SQL, {@code %1$s} the column; NULL exactly when the value is NULL
     * @param element  for an array whose expectation is a text[] (one text per element): the elements' kind
     */
    record Col(String name, String type, List<String> edges, Function<Random, String> normal, String expect, Kind kind,
               Kind element) {
        Col(String name, String type, List<String> edges, Function<Random, String> normal, String expect, Kind kind) {
            this(name, type, edges, normal, expect, kind, null);
        }
    }

    private static String elements(String column, String elementExpression) {
        return "CASE WHEN " + column + " IS NULL THEN NULL ELSE ARRAY(SELECT " + elementExpression
                + " FROM unnest(" + column + ") WITH ORDINALITY AS u(e, o) ORDER BY o)::text[] END";
    }

    /**
     * PostgreSQL's own text form: the type's output function (format's %s), as psql shows it (a cast to text differs
     * for some: inet adds /32, char drops its padding, xml keeps a default declaration). num_nulls, not IS NULL: a
     * composite whose fields are all NULL IS NULL, but is a value.
     */
    private static final String TEXT_FORM = "CASE WHEN num_nulls(%1$s) = 1 THEN NULL ELSE format('%%s', %1$s) END";
    private static final String EPOCH_MS = "floor(extract(epoch from %1$s) * 1000)::text";

    static final List<Col> COLUMNS = List.of(
            new Col("c_int2", "int2", List.of("'-32768'", "'32767'", "'0'", "'-1'"),
                    r -> q(String.valueOf(r.nextInt(65536) - 32768)), "%1$s::text", Kind.NUMBER),
            new Col("c_int4", "int4", List.of("'-2147483648'", "'2147483647'", "'0'"),
                    r -> q(String.valueOf(r.nextInt())), "%1$s::text", Kind.NUMBER),
            new Col("c_int8", "int8", List.of("'9007199254740992'", "'-9007199254740992'", "'9007199254740993'",
                    "'-9007199254740993'", "'9223372036854775807'", "'-9223372036854775808'", "'0'"),
                    r -> q(String.valueOf(randomInt8(r))), "%1$s::text", Kind.INT8),
            new Col("c_float4", "float4", List.of("'NaN'", "'Infinity'", "'-Infinity'", "'-0'", "'1.4e-45'",
                    "'3.4028235e38'", "'1.17549435e-38'", "'0.1'"),
                    r -> q(Float.toString(randomFloat(r))), "%1$s::text", Kind.NUMBER),
            new Col("c_float8", "float8", List.of("'NaN'", "'Infinity'", "'-Infinity'", "'-0'", "'4.9e-324'",
                    "'1.7976931348623157e308'", "'0.1'", "'1e23'"),
                    r -> q(Double.toString(randomDouble(r))), "%1$s::text", Kind.NUMBER),
            new Col("c_numeric", "numeric", numericEdges(), r -> q(randomNumeric(r)), "pt_num(%1$s)", Kind.NUMERIC),
            new Col("c_domnum", "pt_dom_num", List.of("'0.0001'", "'-99999999.9999'", "'1e15'", "'0.1'"),
                    r -> q(randomNumeric(r, 8, 4)), "pt_num(%1$s::numeric)", Kind.NUMERIC),
            new Col("c_bool", "bool", List.of("true", "false"), r -> String.valueOf(r.nextBoolean()), "%1$s::text",
                    Kind.BOOL),
            new Col("c_text", "text", List.of("''", "'NULL'", "'null'", "'it''s'", "'\"'", "'\\'", "'\\\\x00'",
                    "'😀日本✓é\u0301'", "repeat('ab', 20000)"),
                    r -> q(randomText(r, 40)), TEXT_FORM, Kind.STRING),
            new Col("c_varchar", "varchar(40)", List.of("''", "'   '", "'" + "é".repeat(40) + "'"),
                    r -> q(randomText(r, 40)), TEXT_FORM, Kind.STRING),
            new Col("c_char", "char(5)", List.of("''", "'ab'", "'abcde'"), r -> q(randomText(r, 5)),
                    TEXT_FORM, Kind.STRING),
            new Col("c_uuid", "uuid", List.of("'00000000-0000-0000-0000-000000000000'",
                    "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", "'{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}'",
                    "'a0eebc999c0b4ef8bb6d6bb9bd380a11'"),
                    r -> q(new UUID(r.nextLong(), r.nextLong()).toString()), TEXT_FORM, Kind.STRING),
            new Col("c_tstz", "timestamptz", List.of("'infinity'", "'-infinity'", "'1970-01-01 00:00:00+00'",
                    "'1969-12-31 23:59:59.9995+00'", "'1969-12-31 23:59:59.999999+00'", "'0044-03-15 12:00:00+00 BC'",
                    "'12000-01-01 00:00:00+00'", "'4713-01-01 00:00:00+00 BC'", "'294276-12-31 23:59:59.999999+00'",
                    "'1582-10-10 00:00:00+00'", "'2000-02-29 12:34:56.789123+05:30'", "'0001-01-01 00:00:00+00'"),
                    r -> q(randomTimestamp(r, true)), EPOCH_MS, Kind.NUMBER),
            new Col("c_ts", "timestamp", List.of("'infinity'", "'-infinity'", "'1970-01-01 00:00:00'",
                    "'1969-12-31 23:59:59.9995'", "'0044-03-15 12:00:00 BC'", "'12000-01-01 00:00:00'",
                    "'4713-01-01 00:00:00 BC'", "'294276-12-31 23:59:59.999999'", "'1582-10-10 00:00:00'",
                    "'1900-01-01 00:00:00.0005'"),
                    r -> q(randomTimestamp(r, false)), EPOCH_MS, Kind.NUMBER),
            new Col("c_date", "date", List.of("'infinity'", "'-infinity'", "'0044-03-15 BC'", "'12000-01-01'",
                    "'4713-01-01 BC'", "'5874897-12-31'", "'1582-10-10'", "'1969-12-31'", "'1970-01-01'"),
                    r -> q(randomDate(r)), EPOCH_MS, Kind.NUMBER),
            new Col("c_interval", "interval", List.of("'0'", "'-1 day'", "'1 year 2 mons -3 days 04:05:06.789'",
                    "'178000000 years'", "'P1Y2M3DT4H5M6S'", "'-00:00:00.000001'", "'infinity'", "'-infinity'"),
                    r -> q(randomInterval(r)), TEXT_FORM, Kind.STRING),
            new Col("c_int4range", "int4range", List.of("'empty'", "'(,)'", "'[3,3]'", "'(,10]'", "'[5,)'"),
                    r -> {
                        int a = r.nextInt(2000) - 1000;
                        return q("[" + a + "," + (a + r.nextInt(50)) + (r.nextBoolean() ? "]" : ")"));
                    }, TEXT_FORM, Kind.STRING),
            new Col("c_tstzrange", "tstzrange", List.of("'empty'", "'[2024-01-01 00:00:00+00,infinity)'",
                    "'(-infinity,2024-01-01 00:00:00+00]'", "'(,)'"),
                    r -> {
                        long a = -2_000_000_000L + (long) (r.nextDouble() * 6_000_000_000L);
                        long b = a + r.nextInt(100_000_000);
                        return q("[" + tsText(a, r.nextInt(1_000_000), "+00") + "," + tsText(b, 0, "+00") + ")");
                    }, TEXT_FORM, Kind.STRING),
            new Col("c_int4multirange", "int4multirange", List.of("'{}'", "'{(,)}'", "'{[1,3),[3,5)}'"),
                    r -> {
                        List<String> ranges = new ArrayList<>();
                        for (int i = r.nextInt(4); i >= 0; i--) {
                            int a = r.nextInt(100);
                            ranges.add("[" + a + "," + (a + 1 + r.nextInt(10)) + ")");
                        }
                        return q("{" + String.join(",", ranges) + "}");
                    }, TEXT_FORM, Kind.STRING),
            new Col("c_domain", "pt_dom", List.of("'-1000000'", "'2147483647'", "'0'"),
                    r -> q(String.valueOf(r.nextInt(1_000_000))), "%1$s::int4::text", Kind.NUMBER),
            new Col("c_composite", "pt_comp", List.of("ROW(NULL, NULL, NULL)::pt_comp",
                    "ROW(1, 'he said \"hi\", (ok)', 'NaN')::pt_comp", "ROW(0, '', '-0')::pt_comp",
                    "ROW(-1, '\\', 'Infinity')::pt_comp"),
                    r -> "ROW(" + r.nextInt(1000) + ", " + q(randomText(r, 12)) + ", " + q(Double.toString(
                            randomDouble(r))) + ")::pt_comp", TEXT_FORM, Kind.STRING),
            new Col("c_enum", "pt_mood", List.of("'it''s \"fine\"'", "'ünïcødé'"),
                    r -> q(List.of("sad", "ok", "happy", "with space").get(r.nextInt(4))), TEXT_FORM, Kind.STRING),
            new Col("c_int4arr", "int4[]", List.of("'{}'", "ARRAY[NULL]::int4[]", "'[0:2]={1,2,3}'",
                    "array(SELECT g FROM generate_series(1, 8192) g)",
                    "array(SELECT g FROM generate_series(1, 8193) g)"),
                    r -> "ARRAY[" + list(r, 8, () -> r.nextInt(10) == 0 ? "NULL" : String.valueOf(r.nextInt()))
                            + "]::int4[]", "array_to_json(%1$s)::text", Kind.ARRAY_JSON),
            // An array of a domain, and a domain over a domain: read as the types beneath them.
            new Col("c_domarr", "pt_dom[]", List.of("'{}'", "ARRAY[NULL]::pt_dom[]", "'{-1000000,0,2147483647}'"),
                    r -> "ARRAY[" + list(r, 5, () -> r.nextInt(10) == 0 ? "NULL" : String.valueOf(r.nextInt(1_000_000)))
                            + "]::pt_dom[]", "array_to_json(%1$s)::text", Kind.ARRAY_JSON),
            new Col("c_domovarr", "pt_dom_arr", List.of("'{}'", "'{-1000000,NULL,2147483647}'"),
                    r -> "ARRAY[" + list(r, 5, () -> String.valueOf(r.nextInt(1_000_000))) + "]::pt_dom_arr",
                    "array_to_json(%1$s::pt_dom[])::text", Kind.ARRAY_JSON),
            new Col("c_domdom", "pt_dom_pos", List.of("'0'", "'2147483647'"),
                    r -> q(String.valueOf(r.nextInt(1_000_000))), "%1$s::int4::text", Kind.NUMBER),
            new Col("c_int4arr2", "int4[][]", List.of("'{}'", "'{{1,NULL},{NULL,4}}'", "'{{{1}},{{2}}}'",
                    "array(SELECT ARRAY[g, -g] FROM generate_series(1, 100) g)"),
                    r -> {
                        int m = 1 + r.nextInt(4);
                        int n = 1 + r.nextInt(4);
                        List<String> rows = new ArrayList<>();
                        for (int i = 0; i < m; i++) {
                            rows.add("{" + list(r, n, n, () -> r.nextInt(8) == 0 ? "NULL"
                                    : String.valueOf(r.nextInt(2001) - 1000)).replace(" ", "") + "}");
                        }
                        return q("{" + String.join(",", rows) + "}");
                    }, "array_to_json(%1$s)::text", Kind.ARRAY_JSON),
            new Col("c_textarr", "text[]", List.of("'{}'", "ARRAY['NULL', NULL, 'null', '']", "ARRAY[NULL]::text[]",
                    "ARRAY['{', '}', ',', '\"', '\\', 'a b']"),
                    r -> "ARRAY[" + list(r, 6, () -> r.nextInt(5) == 0 ? "NULL" : q(randomText(r, 10)))
                            + "]::text[]", "array_to_json(%1$s)::text", Kind.ARRAY_JSON),
            new Col("c_uuidarr", "uuid[]", List.of("'{}'", "ARRAY[NULL]::uuid[]"),
                    r -> "ARRAY[" + list(r, 3, () -> r.nextInt(5) == 0 ? "NULL"
                            : q(new UUID(r.nextLong(), r.nextLong()).toString())) + "]::uuid[]",
                    "array_to_json(%1$s)::text", Kind.ARRAY_JSON),
            new Col("c_int8arr", "int8[]", List.of("'{}'", "ARRAY['9007199254740993']::int8[]",
                    "ARRAY['-9007199254740992', NULL]::int8[]"),
                    r -> "ARRAY[" + list(r, 5, () -> r.nextInt(6) == 0 ? "NULL"
                            : q(String.valueOf(r.nextInt(30) == 0 ? randomInt8(r) : r.nextLong() % (1L << 53))))
                            + "]::int8[]",
                    elements("%1$s", "e::text"), Kind.STRING, Kind.INT8),
            new Col("c_numarr", "numeric[]", List.of("'{}'", "ARRAY['NaN', 'Infinity', '-Infinity', NULL]::numeric[]",
                    "ARRAY['0.1', '1e23']::numeric[]", "ARRAY['1e400']::numeric[]"),
                    r -> "ARRAY[" + list(r, 4, () -> r.nextInt(6) == 0 ? "NULL" : q(r.nextInt(10) == 0
                            ? randomNumeric(r) : randomNumeric(r, 1 + r.nextInt(15), r.nextInt(8))))
                            + "]::numeric[]", elements("%1$s", "pt_num(e)"), Kind.STRING, Kind.NUMERIC),
            new Col("c_float8arr", "float8[]",
                    List.of("'{}'", "ARRAY['NaN', 'Infinity', '-Infinity', '-0', NULL]::float8[]"),
                    r -> "ARRAY[" + list(r, 5, () -> r.nextInt(6) == 0 ? "NULL" : q(Double.toString(randomDouble(r))))
                            + "]::float8[]", elements("%1$s", "e::text"), Kind.STRING, Kind.NUMBER),
            new Col("c_tstzarr", "timestamptz[]", List.of("'{}'", "ARRAY['infinity', '-infinity', NULL]::timestamptz[]",
                    "ARRAY['0044-03-15 12:00:00+00 BC']::timestamptz[]",
                    "ARRAY['12000-01-01 00:00:00+00']::timestamptz[]",
                    "ARRAY['1969-12-31 23:59:59.9995+00']::timestamptz[]",
                    "ARRAY['1582-10-10 00:00:00+00']::timestamptz[]"),
                    r -> "ARRAY[" + list(r, 4, () -> r.nextInt(6) == 0 ? "NULL" : q(randomTimestamp(r, true)))
                            + "]::timestamptz[]", elements("%1$s", "floor(extract(epoch from e) * 1000)::text"),
                    Kind.STRING, Kind.NUMBER),
            new Col("c_tsarr", "timestamp[]", List.of("'{}'", "ARRAY['infinity', '-infinity', NULL]::timestamp[]",
                    "ARRAY['0044-03-15 12:00:00 BC']::timestamp[]", "ARRAY['2024-03-10 02:30:00']::timestamp[]"),
                    r -> "ARRAY[" + list(r, 4, () -> r.nextInt(6) == 0 ? "NULL" : q(randomTimestamp(r, false)))
                            + "]::timestamp[]", elements("%1$s", "floor(extract(epoch from e) * 1000)::text"),
                    Kind.STRING, Kind.NUMBER),
            new Col("c_datearr", "date[]", List.of("'{}'", "ARRAY['infinity', '-infinity', NULL]::date[]",
                    "ARRAY['0044-03-15 BC']::date[]", "ARRAY['12000-01-01']::date[]", "ARRAY['1582-10-10']::date[]"),
                    r -> "ARRAY[" + list(r, 4, () -> r.nextInt(6) == 0 ? "NULL" : q(randomDate(r))) + "]::date[]",
                    elements("%1$s", "floor(extract(epoch from e) * 1000)::text"), Kind.STRING, Kind.NUMBER),
            new Col("c_jsonbarr", "jsonb[]", List.of("'{}'", "ARRAY['{\"$bad\": 1}']::jsonb[]",
                    "ARRAY['null', NULL, '[]', '{}']::jsonb[]"),
                    r -> "ARRAY[" + list(r, 3, () -> r.nextInt(6) == 0 ? "NULL" : q(randomJson(r, 2, false)))
                            + "]::jsonb[]", elements("%1$s", "e::text"), Kind.STRING, Kind.JSON_VALUE),
            new Col("c_bit", "bit(8)", List.of("B'00000000'", "B'11111111'"),
                    r -> "B'" + bits(r, 8) + "'", TEXT_FORM, Kind.STRING),
            new Col("c_varbit", "varbit", List.of("B''::varbit", "B'1'"), r -> "B'" + bits(r, r.nextInt(24)) + "'",
                    TEXT_FORM, Kind.STRING),
            new Col("c_money", "money", List.of("'0'", "'-92233720368547758.08'", "'92233720368547758.07'", "'0.01'"),
                    r -> q(String.format(Locale.ROOT, "%.2f", (r.nextDouble() - 0.5) * 2e7)), TEXT_FORM, Kind.STRING),
            new Col("c_xml", "xml", List.of("'<a>x &amp; y</a>'", "'just text'", "'<r a=\"1\"><b/></r>'",
                    "'<?xml version=\"1.0\"?><doc>é</doc>'", "''"),
                    r -> "xmlelement(name e, xmlattributes(" + q(randomText(r, 8)) + " AS a), " + q(randomText(r, 12))
                            + ")", TEXT_FORM, Kind.STRING),
            new Col("c_tsvector", "tsvector", List.of("''::tsvector", "'a:1 b:2,3 ''it''''s'''::tsvector",
                    "'fat:2A,4 cat:3B rat:5C'::tsvector"),
                    r -> "to_tsvector('simple', " + q(randomText(r, 20)) + ")", TEXT_FORM, Kind.STRING),
            new Col("c_point", "point", List.of("'(0,0)'", "'(NaN,Infinity)'", "'(-0,1e300)'"),
                    r -> q("(" + coordinate(r) + "," + coordinate(r) + ")"), TEXT_FORM, Kind.STRING),
            new Col("c_line", "line", List.of("'{1,-1,0}'", "'[(0,0),(1,2)]'"),
                    r -> q("{" + (1 + r.nextInt(9)) + "," + coordinate(r) + "," + coordinate(r) + "}"), TEXT_FORM,
                    Kind.STRING),
            new Col("c_lseg", "lseg", List.of("'[(0,0),(1,1)]'"),
                    r -> q("[(" + coordinate(r) + "," + coordinate(r) + "),(" + coordinate(r) + "," + coordinate(r)
                            + ")]"), TEXT_FORM, Kind.STRING),
            new Col("c_box", "box", List.of("'(1,1),(0,0)'", "'(0,0),(0,0)'"),
                    r -> q("(" + coordinate(r) + "," + coordinate(r) + "),(" + coordinate(r) + "," + coordinate(r)
                            + ")"), TEXT_FORM, Kind.STRING),
            new Col("c_path", "path", List.of("'[(0,0),(1,1),(2,0)]'", "'((0,0),(1,1))'"),
                    r -> {
                        boolean open = r.nextBoolean();
                        return q((open ? "[" : "(") + "(" + coordinate(r) + "," + coordinate(r) + "),("
                                + coordinate(r) + "," + coordinate(r) + ")" + (open ? "]" : ")"));
                    },
                    TEXT_FORM, Kind.STRING),
            new Col("c_polygon", "polygon", List.of("'((0,0),(1,1),(1,0))'", "'((0,0))'"),
                    r -> q("((" + coordinate(r) + "," + coordinate(r) + "),(" + coordinate(r) + "," + coordinate(r)
                            + "),(" + coordinate(r) + "," + coordinate(r) + "))"), TEXT_FORM, Kind.STRING),
            new Col("c_circle", "circle", List.of("'<(0,0),0>'", "'<(1.5,-2.5),1e-300>'"),
                    r -> q("<(" + coordinate(r) + "," + coordinate(r) + ")," + Math.abs(r.nextDouble() * 100) + ">"),
                    TEXT_FORM, Kind.STRING),
            new Col("c_inet", "inet", List.of("'::1'", "'::ffff:1.2.3.4'", "'2001:db8::ff00:42:8329/64'",
                    "'0.0.0.0/0'", "'255.255.255.255'"),
                    r -> q(r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256)
                            + (r.nextBoolean() ? "/" + r.nextInt(33) : "")), TEXT_FORM, Kind.STRING),
            new Col("c_cidr", "cidr", List.of("'192.168.100.128/25'", "'::/0'", "'10/8'"),
                    r -> q(r.nextInt(256) + "." + r.nextInt(256) + ".0.0/16"), TEXT_FORM, Kind.STRING),
            new Col("c_macaddr", "macaddr", List.of("'08:00:2b:01:02:03'", "'08002B010203'"),
                    r -> q(HexFormat.ofDelimiter(":").formatHex(bytes(r, 6))), TEXT_FORM, Kind.STRING),
            new Col("c_bytea", "bytea", List.of("'\\x'::bytea", "'\\x00'::bytea", "'\\xff00ff'::bytea",
                    "decode(repeat('ab', 100000), 'hex')"),
                    r -> q("\\x" + HexFormat.of().formatHex(bytes(r, r.nextInt(40)))) + "::bytea",
                    "encode(%1$s, 'hex')", Kind.BYTES),
            new Col("c_json", "json", List.of("'{}'", "'[]'", "'null'", "'\"s\"'", "'5'", "'true'",
                    "'{\"a\": 1, \"a\": 2}'", "'{\"$bad\": 1}'", "'{\"x\": {\"$ref\": \"y\"}}'",
                    "(SELECT json_agg(g) FROM generate_series(1, 8193) g)",
                    "'{\"ключ\": 1}'", "'{\"a\": [1, [2, [3, {\"b\": null}]]]}'"),
                    r -> q(randomJson(r, 3, true)), "%1$s::jsonb::text", Kind.JSON_VALUE),
            new Col("c_jsonb", "jsonb", List.of("'{}'", "'[]'", "'null'", "'\"s\"'", "'-1.5e-3'", "'false'",
                    "'{\"$bad\": 1}'", "'[{\"ok\": {\"$nested\": true}}]'", "'{\"tab\\there\": 1}'",
                    "(SELECT jsonb_agg(g) FROM generate_series(1, 8192) g)",
                    "'{\"a\": \"é\\u00e9\\n\\\"\", \"b\": [true, false, null, 0.1, -7]}'"),
                    r -> q(randomJson(r, 3, false)), "%1$s::text", Kind.JSON_VALUE));

    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void everyPostgresValueKindMapsAsDocumentedOrTheRowIsRejected() throws Exception {
        Problems problems = new Problems();
        int rows = 0;
        int docs = 0;
        int rejected = 0;
        // "timestamp (as UTC)" whatever the machine's zone: run in one far from UTC, with daylight saving time.
        java.util.TimeZone zone = java.util.TimeZone.getDefault();
        java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("America/St_Johns"));
        try {
            for (long seed : SEEDS) {
                int[] counts = runSeed(seed, problems);
                rows += counts[0];
                docs += counts[1];
                rejected += counts[2];
            }
        } finally {
            java.util.TimeZone.setDefault(zone);
        }
        System.out.printf(Locale.ROOT, "TypeMappingPropertyTest: %d seeds, %d rows: %d documents, %d rejected%n",
                SEEDS.length, rows, docs, rejected);
        REASONS.forEach((reason, n) -> System.out.printf(Locale.ROOT, "  %4d rejected: %s%n", n, reason));
        if (!problems.isEmpty()) {
            Path all = Path.of("target", "TypeMappingPropertyTest-mismatches.txt");
            java.nio.file.Files.createDirectories(all.getParent());
            java.nio.file.Files.writeString(all, problems.report(Integer.MAX_VALUE));
            fail(problems.report(6) + "\n(every mismatch: " + all.toAbsolutePath() + ")");
        }
    }

    /** One seed: returns {rows, documents expected, rejections expected}. */
    private int[] runSeed(long seed, Problems problems) throws Exception {
        Random random = new Random(seed);
        String url = TestPostgres.newDatabase();
        TestConvex.reset();
        Map<String, String> env = TestConvex.environment();
        createTypes(url);

        // Random rows, as SQL, one INSERT per row (a bad literal names its row).
        Map<Integer, Map<String, String>> inputs = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            for (int id = 1; id <= ROWS; id++) {
                Map<String, String> values = new LinkedHashMap<>();
                for (Col col : COLUMNS) {
                    int roll = random.nextInt(100);
                    values.put(col.name(), roll < 8 || id == 1 ? "NULL" : roll < 20
                            ? col.edges().get(random.nextInt(col.edges().size())) : col.normal().apply(random));
                }
                if (id == ROWS / 2) {
                    values.put("c_text", HUGE_TEXT); // a document over 1 MiB, once per seed
                }
                String sql = "INSERT INTO " + TABLE + " (id, " + String.join(", ", values.keySet()) + ") VALUES ("
                        + id + ", " + String.join(", ", values.values()) + ")";
                try {
                    st.execute(sql);
                } catch (SQLException e) {
                    throw new AssertionError("seed " + seed + " row " + id + ": the generated row is not valid SQL: "
                            + e.getMessage() + "\n" + abbreviate(sql, 2000), e);
                }
                inputs.put(id, values);
            }
        }

        // Expected documents, from PostgreSQL.
        Map<Integer, Expected> expected = expectations(url);

        // One sync.
        Run first = sync(url, env, "sync", TABLE);
        int accepted = (int) expected.values().stream().filter(e -> e.rejectedBy().isEmpty()).count();
        int rejectedRows = ROWS - accepted;
        String where = "seed " + seed + ", first sync";
        if (!checkRun(first, where, problems)) {
            return new int[]{ROWS, accepted, rejectedRows};
        }
        JsonNode result = first.table(TABLE);
        expectCount(problems, where, result, "read", ROWS);
        expectCount(problems, where, result, "inserted", accepted);
        expectCount(problems, where, result, "rejected", rejectedRows);
        expectCount(problems, where, result, "pendingRejected", rejectedRows);
        if (first.exitCode() != (rejectedRows == 0 ? 0 : 1)) {
            problems.add("(summary)", where + ": exit code " + first.exitCode() + ", expected "
                    + (rejectedRows == 0 ? 0 : 1) + " (" + rejectedRows + " rows rejected)");
        }

        Map<Integer, String> reasons = rejections(url, env, seed, problems);
        reasons.values().forEach(r -> REASONS.merge(r.replaceAll("[0-9]+", "N").replaceAll("^(.{0,70}).*", "$1"), 1,
                Integer::sum));
        List<Map<String, Object>> documents = TestConvex.documents(TABLE);
        Map<Integer, List<Map<String, Object>>> byId = new TreeMap<>();
        for (Map<String, Object> doc : documents) {
            Object id = doc.get("id");
            if (!(id instanceof Double d) || d != Math.rint(d)) {
                problems.add("id", "seed " + seed + ": a document without a proper id: " + show(doc));
                continue;
            }
            byId.computeIfAbsent(d.intValue(), k -> new ArrayList<>()).add(doc);
        }
        if (documents.size() + reasons.size() != ROWS) {
            problems.add("(summary)", "seed " + seed + ": " + documents.size() + " documents + " + reasons.size()
                    + " rejections != " + ROWS + " rows");
        }

        for (Map.Entry<Integer, Expected> entry : expected.entrySet()) {
            int id = entry.getKey();
            Expected exp = entry.getValue();
            Map<String, String> input = inputs.get(id);
            List<Map<String, Object>> docsOfRow = byId.getOrDefault(id, List.of());
            String reason = reasons.get(id);
            String row = "seed " + seed + " row " + id;
            if (docsOfRow.size() > 1) {
                problems.add("(duplicates)", row + ": " + docsOfRow.size() + " documents");
            }
            if (reason != null && reason.isBlank()) {
                problems.add("(reasons)", row + ": rejected with an empty reason");
            }
            if (!exp.rejectedBy().isEmpty()) {
                String column = exp.rejectedBy().keySet().iterator().next();
                String why = exp.rejectedBy().values().iterator().next();
                if (reason == null) {
                    problems.add(column, row + " column " + column + " (" + type(column) + ") input "
                            + abbreviate(input.get(column), 120) + ": expected the row to be rejected (" + why
                            + "), actual: " + (docsOfRow.isEmpty() ? "neither a document nor a rejection"
                            : "a document with " + column + " = "
                            + abbreviate(show(docsOfRow.get(0).get(column)), 200)));
                } else {
                    String named = namedColumn(reason);
                    if (named != null && !exp.rejectedBy().containsKey(named)) {
                        problems.add(named, row + ": rejected for column " + named + " (" + type(named) + ") input "
                                + abbreviate(input.get(named), 120) + ", which maps ("
                                + abbreviate(show(exp.document().get(named)), 120) + "); expected a rejection for "
                                + exp.rejectedBy().keySet() + ". Reason: " + abbreviate(reason, 300));
                    }
                }
                if (!docsOfRow.isEmpty() && reason != null) {
                    problems.add(column, row + ": both rejected and a document");
                }
                continue;
            }
            if (reason != null) {
                String named = namedColumn(reason);
                String column = named == null ? "(unnamed rejection)" : named;
                problems.add(column, row + (named == null ? "" : " column " + named + " (" + type(named) + ") input "
                        + abbreviate(input.get(named), 120) + ", expected "
                        + abbreviate(show(exp.document().get(named)), 120))
                        + ": expected a document, actual: rejected ("
                        + abbreviate(reason, 300) + ")");
                continue;
            }
            if (docsOfRow.isEmpty()) {
                problems.add("(lost)", row + ": neither a document nor a rejection");
                continue;
            }
            Map<String, Object> doc = docsOfRow.get(0);
            compareDocument(row, input, exp.document(), doc, problems);
        }

        // A second sync changes nothing: unchanged documents, the same rejections, no duplicates.
        Run second = sync(url, env, "sync", TABLE);
        where = "seed " + seed + ", second sync";
        if (checkRun(second, where, problems)) {
            JsonNode again = second.table(TABLE);
            expectCount(problems, where, again, "inserted", 0);
            expectCount(problems, where, again, "updated", 0);
            expectCount(problems, where, again, "unchanged", accepted);
            expectCount(problems, where, again, "pendingRejected", rejectedRows);
            List<Map<String, Object>> after = TestConvex.documents(TABLE);
            if (after.size() != documents.size()) {
                problems.add("(second sync)", where + ": " + after.size() + " documents, before " + documents.size());
            }
        }
        return new int[]{ROWS, accepted, rejectedRows};
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Expectations, computed by PostgreSQL.

    /** A row's expected document, or the columns (with why) whose values the documented rules reject. */
    record Expected(Map<String, Object> document, Map<String, String> rejectedBy) {
    }

    static final class Reject extends Exception {
        private static final long serialVersionUID = 1L;

        Reject(String message) {
            super(message);
        }
    }

    private static void createTypes(String url) {
        TestPostgres.execute(url, """
                CREATE DOMAIN pt_dom AS int4 CHECK (VALUE >= -1000000);
                CREATE DOMAIN pt_dom_num AS numeric(20, 4);
                CREATE DOMAIN pt_dom_pos AS pt_dom CHECK (VALUE >= 0);
                CREATE DOMAIN pt_dom_arr AS pt_dom[];
                CREATE TYPE pt_comp AS (a int4, b text, c float8);
                CREATE TYPE pt_mood AS ENUM ('sad', 'ok', 'happy', 'with space', 'it''s "fine"', 'ünïcødé');
                -- numeric for the documented rule: NaN and the infinities as such, else the value and the double
                -- PostgreSQL converts it to (float8 text, exact with extra_float_digits 3), or OUT when none.
                CREATE FUNCTION pt_num(n numeric) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT
                  SET extra_float_digits = 3 AS $$
                DECLARE d float8;
                BEGIN
                  IF n = 'NaN'::numeric THEN RETURN 'NaN'; END IF;
                  IF n = 'Infinity'::numeric THEN RETURN 'Infinity'; END IF;
                  IF n = '-Infinity'::numeric THEN RETURN '-Infinity'; END IF;
                  BEGIN
                    d := n::float8;
                  EXCEPTION WHEN others THEN
                    RETURN 'OUT ' || n::text;
                  END;
                  RETURN n::text || ' ' || d::text;
                END $$;
                """);
        StringBuilder table = new StringBuilder("CREATE TABLE " + TABLE + " (id int PRIMARY KEY");
        for (Col col : COLUMNS) {
            table.append(", ").append(col.name()).append(' ').append(col.type());
        }
        TestPostgres.execute(url, table.append(")").toString());
    }

    /** The sync reads in UTC, whatever the machine's zone: a tstzrange's text, say, is UTC's. */
    private static Connection utc(Connection c) throws java.sql.SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET TimeZone = 'UTC'");
        }
        return c;
    }

    private static Map<Integer, Expected> expectations(String url) throws Exception {
        StringBuilder sql = new StringBuilder("SELECT id");
        for (Col col : COLUMNS) {
            sql.append(", ").append(String.format(Locale.ROOT, col.expect(), col.name()));
        }
        sql.append(" FROM ").append(TABLE).append(" ORDER BY id");
        Map<Integer, Expected> expected = new TreeMap<>();
        try (Connection c = utc(DriverManager.getConnection(url)); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql.toString())) {
            while (rs.next()) {
                int id = rs.getInt(1);
                Map<String, Object> doc = new LinkedHashMap<>();
                Map<String, String> rejectedBy = new LinkedHashMap<>();
                doc.put("id", (double) id);
                for (int i = 0; i < COLUMNS.size(); i++) {
                    Col col = COLUMNS.get(i);
                    try {
                        if (col.element() != null) {
                            Array array = rs.getArray(i + 2);
                            if (array == null) {
                                continue;
                            }
                            Object[] texts = (Object[]) array.getArray();
                            List<Object> list = new ArrayList<>();
                            for (Object text : texts) {
                                list.add(text == null ? null : expect(col.element(), (String) text));
                            }
                            checkArrays(list);
                            doc.put(col.name(), list);
                        } else {
                            String text = rs.getString(i + 2);
                            if (text == null) {
                                continue; // NULL: the field is omitted
                            }
                            doc.put(col.name(), expect(col.kind(), text));
                        }
                    } catch (Reject e) {
                        rejectedBy.put(col.name(), e.getMessage());
                    }
                }
                long size = size(doc);
                if (rejectedBy.isEmpty() && size > MAX_DOCUMENT) {
                    String largest = doc.entrySet().stream()
                            .max(java.util.Comparator.comparingLong(e -> size(e.getValue()))).orElseThrow().getKey();
                    rejectedBy.put(largest, "the document is about " + size + " bytes, over Convex's 1 MiB");
                }
                expected.put(id, new Expected(doc, rejectedBy));
            }
        }
        return expected;
    }

    private static Object expect(Kind kind, String text) throws Reject {
        switch (kind) {
            case NUMBER:
                return Double.parseDouble(text);
            case INT8: {
                BigInteger v = new BigInteger(text);
                if (v.abs().compareTo(MAX_EXACT) > 0) {
                    throw new Reject("int8 " + text + " is beyond 2^53");
                }
                return v.doubleValue();
            }
            case NUMERIC:
                return numeric(text);
            case STRING:
                return text;
            case BOOL:
                return Boolean.valueOf(text.equals("true"));
            case BYTES:
                return HexFormat.of().parseHex(text);
            case JSON_VALUE:
            case ARRAY_JSON: {
                Object value;
                try {
                    value = jsonValue(JSON.readTree(text), kind == Kind.JSON_VALUE);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException("PostgreSQL gave invalid JSON: " + text, e);
                }
                checkArrays(value);
                return value;
            }
            default:
                throw new IllegalStateException(kind.toString());
        }
    }

    /**
     * The documented numeric rule: "number when it round-trips exactly (NaN and ±Infinity kept)". Round-trips: the
     * double PostgreSQL converts the value to, written as a Convex (JavaScript) client writes a number, is the same
     * value; so 0.1 and 1e23 are numbers, 0.30000000000000001 and 2^53 + 1 are not.
     */
    private static Object numeric(String text) throws Reject {
        switch (text) {
            case "NaN": return Double.NaN;
            case "Infinity": return Double.POSITIVE_INFINITY;
            case "-Infinity": return Double.NEGATIVE_INFINITY;
            default: break;
        }
        String[] parts = text.split(" ");
        if (parts[0].equals("OUT")) {
            throw new Reject("numeric " + abbreviate(parts[1], 40) + " is out of the range of a double");
        }
        BigDecimal value = new BigDecimal(parts[0]);
        double d = Double.parseDouble(parts[1]);
        if (Double.doubleToLongBits(d) != Double.doubleToLongBits(value.doubleValue())) {
            throw new IllegalStateException("PostgreSQL converts " + parts[0] + " to " + parts[1] + ", Java to "
                    + value.doubleValue());
        }
        BigDecimal written = javascriptNumber(d);
        if (!Double.isFinite(d) || written.compareTo(value) != 0) {
            throw new Reject("numeric " + abbreviate(value.toString(), 40) + " does not round-trip through a double ("
                    + (Double.isFinite(d) ? "which reads back as " + written.toString() : parts[1]) + ")");
        }
        return d;
    }

    /**
     * The decimal value JavaScript's Number::toString writes for a finite double (ECMA-262 6.1.6.1.20): the fewest
     * significant digits that read back as the double, the closest to it when several have that many, and of two
     * as close the even one.
     */
    static BigDecimal javascriptNumber(double d) {
        if (d == 0) {
            return BigDecimal.ZERO;
        }
        BigDecimal exact = new BigDecimal(d);
        for (int digits = 1; digits <= 17; digits++) {
            BigDecimal best = null;
            for (java.math.RoundingMode mode : List.of(java.math.RoundingMode.FLOOR, java.math.RoundingMode.CEILING)) {
                BigDecimal candidate = exact.round(new java.math.MathContext(digits, mode));
                if (candidate.doubleValue() != d) {
                    continue;
                }
                int nearer = best == null ? -1 : candidate.subtract(exact).abs().compareTo(best.subtract(exact).abs());
                if (nearer < 0 || nearer == 0 && !candidate.unscaledValue().testBit(0)) {
                    best = candidate; // the nearest; of two as near, the one whose last digit is even
                }
            }
            if (best != null) {
                return best;
            }
        }
        throw new IllegalStateException("no decimal of at most 17 digits for " + d);
    }

    /** A JSON value as Convex holds it; a key Convex forbids (starts with '$', not printable ASCII) rejects. */
    private static Object jsonValue(JsonNode node, boolean checkKeys) throws Reject {
        if (node.isNull()) {
            return null;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            for (JsonNode item : node) {
                list.add(jsonValue(item, checkKeys));
            }
            return list;
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            if (checkKeys && (key.startsWith("$") || key.chars().anyMatch(ch -> ch < 32 || ch >= 127))) {
                throw new Reject("JSON key " + JSON.valueToTree(key) + " is one Convex forbids");
            }
            map.put(key, jsonValue(e.getValue(), checkKeys));
        }
        return map;
    }

    private static final long MAX_DOCUMENT = 1 << 20;

    /** A lower bound of a value's size as Convex counts it (strings and bytes by length, 8 bytes a number). */
    private static long size(Object value) {
        if (value instanceof String s) {
            return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
        if (value instanceof byte[] b) {
            return b.length;
        }
        if (value instanceof List<?> list) {
            return list.stream().mapToLong(TypeMappingPropertyTest::size).sum();
        }
        if (value instanceof Map<?, ?> map) {
            return map.entrySet().stream().mapToLong(e -> String.valueOf(e.getKey()).length() + size(e.getValue()))
                    .sum();
        }
        return 8;
    }

    private static void checkArrays(Object value) throws Reject {
        if (value instanceof List<?> list) {
            if (list.size() > MAX_ARRAY) {
                throw new Reject("an array of " + list.size() + " values (Convex: at most 8192)");
            }
            for (Object item : list) {
                checkArrays(item);
            }
        } else if (value instanceof Map<?, ?> map) {
            for (Object item : map.values()) {
                checkArrays(item);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The sync, its rejections, and the comparison.

    record Run(int exitCode, JsonNode summary, String out, String err) {
        JsonNode table(String name) {
            for (JsonNode t : summary.path("results")) {
                if (t.path("table").asText().equals(name)) {
                    return t;
                }
            }
            return null;
        }
    }

    private Run sync(String url, Map<String, String> env, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--database-url", url, "--migrations", migrations.toString(), "--format", "json",
                "--progress", "none"));
        if (all.contains("--rejections")) {
            all.removeAll(List.of("--progress", "none"));
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code;
        try {
            code = CliAccess.run(all.toArray(String[]::new), env, out, err);
        } catch (RuntimeException e) {
            return new Run(-1, null, out.toString(), err + "\nthrown: " + e);
        }
        JsonNode summary = null;
        try {
            summary = out.toString().isBlank() ? null : JSON.readTree(out.toString());
        } catch (Exception e) {
            // left null: reported by checkRun
        }
        return new Run(code, summary, out.toString(), err.toString());
    }

    private static boolean checkRun(Run run, String where, Problems problems) {
        if (run.exitCode() == 70 || run.exitCode() < 0) {
            problems.add("(crash)", where + ": exit code " + run.exitCode() + " (internal error): " + abbreviate(
                    run.err() + " " + run.out(), 3000));
            return false;
        }
        if (run.summary() == null || run.table(TABLE) == null) {
            problems.add("(crash)", where + ": exit code " + run.exitCode() + " and no JSON summary for " + TABLE + ": "
                    + abbreviate(run.out() + " " + run.err(), 3000));
            return false;
        }
        JsonNode table = run.table(TABLE);
        if (!table.path("error").isNull() && !table.path("error").isMissingNode()) {
            problems.add("(crash)", where + ": the table failed as a whole: " + table.path("error").asText());
            return false;
        }
        return true;
    }

    private static void expectCount(Problems problems, String where, JsonNode table, String field, int wanted) {
        if (table.path(field).asInt(-1) != wanted) {
            problems.add("(summary)", where + ": " + field + " = " + table.path(field) + ", expected " + wanted);
        }
    }

    /** The recorded rejections of the table, by row id; each listed once. */
    private Map<Integer, String> rejections(String url, Map<String, String> env, long seed, Problems problems)
            throws Exception {
        Run listed = sync(url, env, "sync", "--rejections", TABLE);
        Map<Integer, String> reasons = new TreeMap<>();
        if (listed.exitCode() != 0) {
            problems.add("(rejections)", "seed " + seed + ": sync --rejections exit code " + listed.exitCode() + ": "
                    + abbreviate(listed.err() + listed.out(), 2000));
            return reasons;
        }
        JsonNode list = listed.summary();
        if (list == null || !list.isArray()) {
            if (!listed.out().contains("no rejected rows")) {
                problems.add("(rejections)", "seed " + seed + ": sync --rejections gave no JSON list: "
                        + abbreviate(listed.out(), 500));
            }
            return reasons;
        }
        for (JsonNode r : list) {
            List<?> key = JSON.readValue(r.path("key").asText(), List.class);
            int id = Integer.parseInt(String.valueOf(key.get(0)));
            if (reasons.put(id, r.path("reason").asText("")) != null) {
                problems.add("(rejections)", "seed " + seed + " row " + id + ": listed twice");
            }
        }
        return reasons;
    }

    private static final Pattern COLUMN = Pattern.compile("\\b(c_[a-z0-9_]+)\\b");

    /** The first of our columns a rejection's reason names, or null. */
    private static String namedColumn(String reason) {
        var m = COLUMN.matcher(reason);
        while (m.find()) {
            String name = m.group(1);
            if (COLUMNS.stream().anyMatch(c -> c.name().equals(name))) {
                return name;
            }
        }
        return null;
    }

    private static String type(String column) {
        return COLUMNS.stream().filter(c -> c.name().equals(column)).map(Col::type).findFirst().orElse("?");
    }

    private static void compareDocument(String row, Map<String, String> input, Map<String, Object> expected,
                                        Map<String, Object> actual, Problems problems) {
        if (!same(expected.get("id"), actual.get("id"))) {
            problems.add("id", row + ": id " + show(actual.get("id")));
        }
        for (Col col : COLUMNS) {
            String name = col.name();
            String prefix = row + " column " + name + " (" + col.type() + ") input " + abbreviate(input.get(name), 120)
                    + ": ";
            if (!expected.containsKey(name)) {
                if (actual.containsKey(name)) {
                    problems.add(name, prefix + "expected the field omitted (NULL), actual " + abbreviate(
                            show(actual.get(name)), 200));
                }
                continue;
            }
            if (!actual.containsKey(name)) {
                problems.add(name, prefix + "expected " + abbreviate(show(expected.get(name)), 200)
                        + ", actual: the field is missing");
                continue;
            }
            if (!same(expected.get(name), actual.get(name))) {
                problems.add(name, prefix + "expected " + abbreviate(show(expected.get(name)), 200) + ", actual "
                        + abbreviate(show(actual.get(name)), 200));
            }
        }
        for (String field : actual.keySet()) {
            if (!field.startsWith("_") && !field.equals("id")
                    && COLUMNS.stream().noneMatch(c -> c.name().equals(field))) {
                problems.add("(extra field)", row + ": unexpected field " + field);
            }
        }
    }

    /** Convex equality: numbers bit for bit (NaN equals NaN, -0 is not 0), bytes by content, lists and maps deep. */
    private static boolean same(Object expected, Object actual) {
        if (expected == null || actual == null) {
            return expected == actual;
        }
        if (expected instanceof Double e && actual instanceof Double a) {
            return Double.doubleToLongBits(e) == Double.doubleToLongBits(a);
        }
        if (expected instanceof byte[] e && actual instanceof byte[] a) {
            return Arrays.equals(e, a);
        }
        if (expected instanceof List<?> e && actual instanceof List<?> a) {
            if (e.size() != a.size()) {
                return false;
            }
            for (int i = 0; i < e.size(); i++) {
                if (!same(e.get(i), a.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (expected instanceof Map<?, ?> e && actual instanceof Map<?, ?> a) {
            if (!e.keySet().equals(a.keySet())) {
                return false;
            }
            for (Object key : e.keySet()) {
                if (!same(e.get(key), a.get(key))) {
                    return false;
                }
            }
            return true;
        }
        return expected.getClass() == actual.getClass() && expected.equals(actual);
    }

    private static String show(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Double d) {
            return (d == 0 && 1 / d < 0 ? "-0.0" : d.toString()) + " (number)";
        }
        if (value instanceof Long l) {
            return l + " (int64)";
        }
        if (value instanceof String s) {
            return JSON.valueToTree(s).toString() + " (string)";
        }
        if (value instanceof byte[] b) {
            return "0x" + HexFormat.of().formatHex(b) + " (bytes)";
        }
        if (value instanceof List<?> list) {
            StringBuilder sb = new StringBuilder("[");
            for (Object item : list) {
                sb.append(sb.length() > 1 ? ", " : "").append(show(item));
                if (sb.length() > 400) {
                    sb.append(", ... (").append(list.size()).append(" values)");
                    break;
                }
            }
            return sb.append(']').toString();
        }
        if (value instanceof Map<?, ?> map) {
            StringBuilder sb = new StringBuilder("{");
            for (Map.Entry<?, ?> e : map.entrySet()) {
                sb.append(sb.length() > 1 ? ", " : "").append(e.getKey()).append(": ").append(show(e.getValue()));
            }
            return sb.append('}').toString();
        }
        return value + " (" + value.getClass().getSimpleName() + ")";
    }

    private static String abbreviate(String s, int max) {
        if (s == null) {
            return "null";
        }
        s = s.replace("\n", "\\n");
        return s.length() <= max ? s : s.substring(0, max) + "...(" + s.length() + " chars)";
    }

    /** Mismatches, grouped by column; the report shows each group's count and first examples. */
    static final class Problems {
        private final Map<String, List<String>> byColumn = new TreeMap<>();

        void add(String column, String message) {
            byColumn.computeIfAbsent(column, k -> new ArrayList<>()).add(message);
        }

        boolean isEmpty() {
            return byColumn.isEmpty();
        }

        String report(int examples) {
            StringBuilder sb = new StringBuilder("The sync's type mapping differs from the documented one ("
                    + byColumn.values().stream().mapToInt(List::size).sum() + " mismatches):\n");
            for (Map.Entry<String, List<String>> e : byColumn.entrySet()) {
                sb.append("\n== ").append(e.getKey()).append(": ").append(e.getValue().size())
                        .append(" mismatch(es)\n");
                e.getValue().stream().limit(examples).forEach(m -> sb.append("  - ").append(m).append('\n'));
            }
            return sb.toString();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Random values.

    private static String q(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    private static String list(Random r, int max, java.util.function.Supplier<String> item) {
        return list(r, 0, max, item);
    }

    private static String list(Random r, int min, int max, java.util.function.Supplier<String> item) {
        int n = min + r.nextInt(max - min + 1);
        List<String> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            items.add(item.get());
        }
        if (items.isEmpty()) {
            return "";
        }
        return String.join(", ", items);
    }

    private static final String[] PIECES = {"a", "Z", "0", "7", " ", "'", "''", "\"", "\\", "\\\\", "\n", "\t", "é",
            "日本", "✓", "😀", "\u0301", "ש", "NULL", "null", "{", "}", ",", "(", ")", "$", "%", "_", "&", "<", ">",
            "word", "Ünïcode", "\u00a0", "\\x00", "\r\n"};

    /** Random text of at most {@code max} code points: unicode, quotes, backslashes, braces, empty. */
    private static String randomText(Random r, int max) {
        StringBuilder sb = new StringBuilder();
        int pieces = r.nextInt(8);
        for (int i = 0; i < pieces; i++) {
            sb.append(PIECES[r.nextInt(PIECES.length)]);
        }
        String s = sb.toString();
        if (s.codePointCount(0, s.length()) > max) {
            s = s.substring(0, s.offsetByCodePoints(0, max));
        }
        return s;
    }

    private static long randomInt8(Random r) {
        int roll = r.nextInt(100);
        if (roll < 60) {
            return r.nextInt(2_000_000_001) - 1_000_000_000L;
        }
        if (roll < 97) {
            return r.nextLong() % (1L << 53);
        }
        return r.nextLong();
    }

    private static float randomFloat(Random r) {
        if (r.nextBoolean()) {
            float f = Float.intBitsToFloat(r.nextInt());
            if (Float.isFinite(f)) {
                return f;
            }
        }
        return (r.nextFloat() - 0.5f) * (float) Math.pow(10, r.nextInt(12));
    }

    private static double randomDouble(Random r) {
        if (r.nextBoolean()) {
            double d = Double.longBitsToDouble(r.nextLong());
            if (Double.isFinite(d)) {
                return d;
            }
        }
        return r.nextInt(3) == 0 ? r.nextInt(100000) / 100.0 : (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(20));
    }

    private static List<String> numericEdges() {
        return List.of("'NaN'", "'Infinity'", "'-Infinity'", "'1e400'", "'-1e400'", "'1e-400'", "'0.1'",
                "'3.14159265358979323846264338327950288'", "'9007199254740993'", "'9007199254740992'", "'1e23'",
                "'2e23'", "'8.41e21'", "'5e-324'", "'0.30000000000000004'", "'0.30000000000000001'", "'1.10'",
                "'-0.0'", "'0.000001'", "'123456789.123456789'", "'12345.67'", "'1e308'", "'2e308'",
                "'9.999999999999999e22'", "'4.9e-324'");
    }

    /** Ordinary numerics: few significant digits (exact as a double), digit times a power of ten, or many digits. */
    private static String randomNumeric(Random r) {
        int roll = r.nextInt(100);
        if (roll < 75) {
            return randomNumeric(r, 1 + r.nextInt(15), r.nextInt(10));
        }
        if (roll < 95) {
            return (r.nextBoolean() ? "-" : "") + (1 + r.nextInt(999)) + "e" + (r.nextInt(61) - 30);
        }
        return randomNumeric(r, 16 + r.nextInt(5), r.nextInt(20));
    }

    /** A numeric of {@code digits} significant digits, {@code scale} of them after the point. */
    private static String randomNumeric(Random r, int digits, int scale) {
        StringBuilder sb = new StringBuilder(r.nextBoolean() ? "-" : "");
        sb.append(1 + r.nextInt(9));
        for (int i = 1; i < digits; i++) {
            sb.append(r.nextInt(10));
        }
        if (scale >= digits) {
            return (sb.charAt(0) == '-' ? "-0." : "0.") + "0".repeat(scale - digits) + sb.toString().replace("-", "");
        }
        if (scale > 0) {
            sb.insert(sb.length() - scale, '.');
        }
        return sb.toString();
    }

    private static final long YEAR_1900 = LocalDate.of(1900, 1, 1).toEpochDay() * 86400;
    private static final long YEAR_2100 = LocalDate.of(2100, 1, 1).toEpochDay() * 86400;
    private static final long YEAR_1 = LocalDate.of(1, 1, 1).toEpochDay() * 86400;
    private static final long YEAR_9999 = LocalDate.of(9999, 12, 31).toEpochDay() * 86400;
    private static final long BC_4700 = LocalDate.of(-4699, 1, 1).toEpochDay() * 86400;
    private static final long YEAR_294000 = LocalDate.of(294000, 1, 1).toEpochDay() * 86400;

    private static long between(Random r, long from, long to) {
        return from + (long) (r.nextDouble() * (to - from));
    }

    /** Mostly 1900-2100; also years 1-9999, BC and past 9999; micro-, milli- or whole seconds. */
    private static String randomTimestamp(Random r, boolean withZone) {
        int roll = r.nextInt(100);
        long seconds = roll < 55 ? between(r, YEAR_1900, YEAR_2100) : roll < 75 ? between(r, YEAR_1, YEAR_9999)
                : roll < 88 ? between(r, BC_4700, YEAR_1) : between(r, YEAR_9999, YEAR_294000);
        int kind = r.nextInt(3);
        int micros = kind == 0 ? 0 : kind == 1 ? r.nextInt(1000) * 1000 : r.nextInt(1_000_000);
        String zone = withZone ? List.of("+00", "+05:30", "-08", "+14", "-12:45").get(r.nextInt(5)) : "";
        return tsText(seconds, micros, zone);
    }

    /** A timestamp as PostgreSQL reads it: years past 9999 with more digits, BC years with the BC suffix. */
    private static String tsText(long epochSecond, int micros, String zone) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(epochSecond, micros * 1000, ZoneOffset.UTC);
        int year = t.getYear();
        boolean bc = year <= 0;
        return String.format(Locale.ROOT, "%04d-%02d-%02d %02d:%02d:%02d.%06d%s%s", bc ? 1 - year : year,
                t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond(), micros, zone,
                bc ? " BC" : "");
    }

    private static String randomDate(Random r) {
        int roll = r.nextInt(100);
        long day = roll < 60 ? between(r, YEAR_1900, YEAR_2100) / 86400 : roll < 75
                ? between(r, YEAR_1, YEAR_9999) / 86400 : roll < 88 ? between(r, BC_4700, YEAR_1) / 86400
                : between(r, YEAR_9999 / 86400, LocalDate.of(5874000, 1, 1).toEpochDay());
        LocalDate d = LocalDate.ofEpochDay(day);
        boolean bc = d.getYear() <= 0;
        return String.format(Locale.ROOT, "%04d-%02d-%02d%s", bc ? 1 - d.getYear() : d.getYear(), d.getMonthValue(),
                d.getDayOfMonth(), bc ? " BC" : "");
    }

    private static String randomInterval(Random r) {
        return String.format(Locale.ROOT, "%d years %d mons %d days %d hours %d minutes %d.%06d seconds",
                r.nextInt(200) - 100, r.nextInt(24) - 12, r.nextInt(60) - 30, r.nextInt(48) - 24, r.nextInt(120) - 60,
                r.nextInt(60), r.nextInt(1_000_000));
    }

    private static String bits(Random r, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(r.nextBoolean() ? '1' : '0');
        }
        return sb.toString();
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static String coordinate(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> String.valueOf(r.nextInt(200) - 100);
            case 1 -> Double.toString(r.nextInt(100000) / 1000.0);
            default -> Double.toString((r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(10)));
        };
    }

    private static final String[] KEYS = {"a", "b", "name", "with space", "k-1", "0", "camelCase", "x.y"};
    private static final String[] BAD_KEYS = {"$bad", "$", "ключ", "tab\there", "日本"};

    /** Random JSON text: nested objects and arrays, unicode and escaped strings, numbers exact as doubles. */
    private static String randomJson(Random r, int depth, boolean duplicateKeys) {
        try {
            return JSON.writeValueAsString(randomJsonValue(r, depth)).transform(s -> duplicateKeys && s.startsWith("{")
                    && r.nextInt(10) == 0 ? "{\"a\": 0, " + s.substring(1).replaceFirst("^}", "\"z\": 1}") : s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object randomJsonValue(Random r, int depth) {
        int roll = r.nextInt(depth <= 0 ? 6 : 9);
        switch (roll) {
            case 0:
                return null;
            case 1:
                return r.nextBoolean();
            case 2:
                return randomText(r, 12);
            case 3:
                return (double) (r.nextInt(2_000_001) - 1_000_000);
            case 4:
                return r.nextInt(1_000_000) / 1000.0 * (r.nextBoolean() ? 1 : -1) + (r.nextBoolean() ? 0.5 : 0.25);
            case 5:
                return (long) r.nextInt(100);
            case 6:
            case 7: {
                Map<String, Object> map = new LinkedHashMap<>();
                for (int i = r.nextInt(5); i > 0; i--) {
                    String key = r.nextInt(60) == 0 ? BAD_KEYS[r.nextInt(BAD_KEYS.length)]
                            : KEYS[r.nextInt(KEYS.length)];
                    map.put(key, randomJsonValue(r, depth - 1));
                }
                return map;
            }
            default: {
                List<Object> list = new ArrayList<>();
                for (int i = r.nextInt(5); i > 0; i--) {
                    list.add(randomJsonValue(r, depth - 1));
                }
                return list;
            }
        }
    }
}
