// Writes golden Jute vectors with ZooKeeper's own Java implementation.
//
// For every class of the given .jute file it builds edge-case and random instances, serializes
// each with org.apache.jute.BinaryOutputArchive, and prints one JSON line:
//   {"record": "...", "case": "...", "hex": "...", "utf8_hex": "...", "value": {...}}
// `hex` is what BinaryOutputArchive writes (CESU-8 for characters outside the BMP); `utf8_hex`
// is the same record with strings as standard UTF-8 (what a Rust encoder writes). The program
// checks that BinaryInputArchive reads both forms back to the same value before printing.
//
// Usage: java -cp build:/usr/share/java/zookeeper-jute.jar GoldenVectors FILE.jute SEED
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.jute.BinaryInputArchive;
import org.apache.jute.BinaryOutputArchive;
import org.apache.jute.Record;

public class GoldenVectors {
    enum Mode { NULLS, EMPTY, MIN, MAX, UNICODE, RANDOM }

    static final String[] UNICODE = {
        "", "/", "a", "\u00e9t\u00e9", "\u4e2d\u6587", "nul\u0000byte", "\ud83d\ude00",
        "/zk/\ud83c\udf89party", "\uffee\u0800\u07ff\u0080\u007f", "\ud800\udc00\udbff\udfff"
    };

    /** Standard UTF-8 strings instead of BinaryOutputArchive's per-UTF-16-unit encoding. */
    static final class Utf8OutputArchive extends BinaryOutputArchive {
        private final DataOutput out;
        Utf8OutputArchive(DataOutput out) { super(out); this.out = out; }
        @Override
        public void writeString(String s, String tag) throws IOException {
            if (s == null) { writeInt(-1, "len"); return; }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            writeInt(b.length, "len");
            out.write(b);
        }
    }

    final Random rnd;
    GoldenVectors(long seed) { rnd = new Random(seed); }

    public static void main(String[] args) throws Exception {
        String src = new String(Files.readAllBytes(Paths.get(args[0])), StandardCharsets.UTF_8);
        GoldenVectors g = new GoldenVectors(Long.parseLong(args[1]));
        src = src.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
        Matcher m = Pattern.compile("module\\s+([\\w.]+)\\s*\\{").matcher(src);
        List<Integer> starts = new ArrayList<>();
        List<String> mods = new ArrayList<>();
        while (m.find()) { mods.add(m.group(1)); starts.add(m.start()); }
        starts.add(src.length());
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < mods.size(); i++) {
            String body = src.substring(starts.get(i), starts.get(i + 1));
            Matcher c = Pattern.compile("class\\s+(\\w+)").matcher(body);
            while (c.find()) {
                Class<?> cls = Class.forName(mods.get(i) + "." + c.group(1));
                for (Mode mode : Mode.values()) {
                    int repeats = mode == Mode.RANDOM ? 6 : 1;
                    for (int r = 0; r < repeats; r++) {
                        String name = mode.name().toLowerCase() + (mode == Mode.RANDOM ? "-" + r : "");
                        out.append(g.vector(cls, mode, name)).append('\n');
                    }
                }
            }
        }
        System.out.print(out);
    }

    String vector(Class<?> cls, Mode mode, String caseName) throws Exception {
        Record rec = (Record) build(cls, mode);
        byte[] java = serialize(rec, false);
        byte[] utf8 = serialize(rec, true);
        String json = toJson(rec);
        // Java reads standard UTF-8 back exactly. Its own CESU-8 output for characters outside
        // the BMP it reads back as U+FFFD, so for that form only a complete parse is checked.
        for (byte[] bytes : new byte[][] {java, utf8}) {
            Record back = (Record) cls.getDeclaredConstructor().newInstance();
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            back.deserialize(new BinaryInputArchive(in), "r");
            boolean exact = bytes == utf8 || Arrays.equals(java, utf8);
            if (in.available() != 0 || (exact && !toJson(back).equals(json))) {
                throw new IllegalStateException("round trip failed for " + cls.getName() + " " + caseName);
            }
        }
        return "{\"record\":\"" + cls.getName() + "\",\"case\":\"" + caseName + "\",\"hex\":\""
            + hex(java) + "\",\"utf8_hex\":\"" + hex(utf8) + "\",\"value\":" + json + "}";
    }

    static byte[] serialize(Record rec, boolean utf8) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        DataOutputStream dos = new DataOutputStream(bos);
        BinaryOutputArchive oa = utf8 ? new Utf8OutputArchive(dos) : new BinaryOutputArchive(dos);
        rec.serialize(oa, "r");
        dos.flush();
        return bos.toByteArray();
    }

    static List<Field> fields(Class<?> cls) {
        List<Field> out = new ArrayList<>();
        for (Field f : cls.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers())) { f.setAccessible(true); out.add(f); }
        }
        return out;
    }

    Object build(Class<?> cls, Mode mode) throws Exception {
        Object o = cls.getDeclaredConstructor().newInstance();
        for (Field f : fields(cls)) f.set(o, value(f.getType(), f.getGenericType(), mode, false));
        return o;
    }

    boolean maybeNull(Mode mode) {
        return mode == Mode.NULLS || (mode == Mode.RANDOM && rnd.nextInt(5) == 0);
    }

    Object value(Class<?> t, Type generic, Mode mode, boolean element) throws Exception {
        if (t == int.class) {
            switch (mode) {
                case MIN: return Integer.MIN_VALUE;
                case MAX: return Integer.MAX_VALUE;
                case RANDOM: return rnd.nextBoolean() ? rnd.nextInt() : rnd.nextInt(200) - 100;
                case UNICODE: return -1;
                default: return 0;
            }
        }
        if (t == long.class) {
            switch (mode) {
                case MIN: return Long.MIN_VALUE;
                case MAX: return Long.MAX_VALUE;
                case RANDOM: return rnd.nextBoolean() ? rnd.nextLong() : (long) (rnd.nextInt(2000) - 1000);
                case UNICODE: return -1L;
                default: return 0L;
            }
        }
        if (t == boolean.class) return mode == Mode.MAX || (mode == Mode.RANDOM && rnd.nextBoolean());
        if (t == byte.class) {
            switch (mode) {
                case MIN: return Byte.MIN_VALUE;
                case MAX: return Byte.MAX_VALUE;
                case RANDOM: return (byte) rnd.nextInt();
                default: return (byte) 0;
            }
        }
        if (t == String.class) {
            if (!element && maybeNull(mode)) return null;
            switch (mode) {
                case MAX: return "/max/" + "z".repeat(64);
                case UNICODE: return UNICODE[6 + rnd.nextInt(UNICODE.length - 6)];
                case RANDOM: {
                    StringBuilder sb = new StringBuilder();
                    int n = rnd.nextInt(4);
                    for (int i = 0; i < n; i++) sb.append(UNICODE[rnd.nextInt(UNICODE.length)]);
                    return sb.toString();
                }
                default: return "";
            }
        }
        if (t == byte[].class) {
            if (maybeNull(mode)) return null;
            int n = mode == Mode.MAX ? 300 : mode == Mode.RANDOM ? rnd.nextInt(24) : mode == Mode.UNICODE ? 3 : 0;
            byte[] b = new byte[n];
            if (mode == Mode.MAX) Arrays.fill(b, (byte) 0xff); else rnd.nextBytes(b);
            return b;
        }
        if (List.class.isAssignableFrom(t)) {
            if (maybeNull(mode)) return null;
            Type elem = ((ParameterizedType) generic).getActualTypeArguments()[0];
            Class<?> ec = (Class<?>) elem;
            int n = mode == Mode.MAX ? 5 : mode == Mode.RANDOM ? rnd.nextInt(4) : mode == Mode.UNICODE ? 3 : 0;
            List<Object> list = new ArrayList<>();
            for (int i = 0; i < n; i++) list.add(value(ec, ec, mode, true));
            return list;
        }
        if (Record.class.isAssignableFrom(t)) return build(t, mode);
        throw new IllegalArgumentException("unsupported field type " + t);
    }

    static String toJson(Object v) throws Exception {
        if (v == null) return "null";
        if (v instanceof String) return jsonString((String) v);
        if (v instanceof byte[]) return "\"" + hex((byte[]) v) + "\"";
        if (v instanceof Number || v instanceof Boolean) return v.toString();
        if (v instanceof List) {
            StringBuilder sb = new StringBuilder("[");
            for (Object e : (List<?>) v) { if (sb.length() > 1) sb.append(','); sb.append(toJson(e)); }
            return sb.append(']').toString();
        }
        StringBuilder sb = new StringBuilder("{");
        for (Field f : fields(v.getClass())) {
            if (sb.length() > 1) sb.append(',');
            sb.append('"').append(f.getName()).append("\":").append(toJson(f.get(v)));
        }
        return sb.append('}').toString();
    }

    static String jsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
            else if (ch < 0x20 || ch > 0x7e) sb.append(String.format("\\u%04x", (int) ch));
            else sb.append(ch);
        }
        return sb.append('"').toString();
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x & 0xff));
        return sb.toString();
    }
}
