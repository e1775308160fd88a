// projnet's text featurizer in plain Java (JDK only, Java 8 APIs, so Android can use it as it is):
// text -> the int32 ids row a projnet text student takes. Drop this one file into an app (add your
// package line), load the spec shipped beside the model (MODEL.featurizer.json), call featurize().
//
// It follows the reference, projnet/device_bench/text_featurizer.py, step by step; a test compiles this
// file with javac and holds its ids to the reference's on every spec's test vectors and on BANKING77's
// test texts. Known differences, outside those tests: Java's Unicode tables follow its own Unicode
// version (Java 17: Unicode 13; Python 3.11: Unicode 14), so characters added since differ; a lone
// UTF-16 surrogate becomes one U+FFFD here (Python's bytes-level repair may give several).
//
// Command line (for checks): java ProjnetFeaturizer SPEC.json < texts.jsonl  -> one line of ids per text,
// where each input line is a JSON string ("..."). It verifies the spec's test vectors first.

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

public final class ProjnetFeaturizer {
    public static final String FORMAT = "projnet-text-featurizer";
    public static final int VERSION = 1;
    private static final int FNV_OFFSET = 0x811C9DC5; // 2166136261
    private static final int FNV_PRIME = 16777619;

    public final int maxIds;
    public final int maxChars;
    public final int wordNgrams;
    public final int charNgrams;
    public final List<String> labels;

    public ProjnetFeaturizer(int maxIds, int maxChars, int wordNgrams, int charNgrams, List<String> labels) {
        if (maxIds < 1 || maxChars < 1 || wordNgrams < 1 || charNgrams < 0) {
            throw new IllegalArgumentException("unsupported featurizer values");
        }
        this.maxIds = maxIds;
        this.maxChars = maxChars;
        this.wordNgrams = wordNgrams;
        this.charNgrams = charNgrams;
        this.labels = labels;
    }

    /** A spec as export writes it; its test vectors are checked, so a mismatch fails here, not in the app. */
    @SuppressWarnings("unchecked")
    public static ProjnetFeaturizer fromSpecJson(String json) {
        Map<String, Object> doc = (Map<String, Object>) new Json(json).value();
        if (!FORMAT.equals(doc.get("format")) || ((Number) doc.get("version")).intValue() != VERSION
                || ((Number) doc.get("pad_id")).intValue() != 0) {
            throw new IllegalArgumentException("not a " + FORMAT + " version " + VERSION + " spec");
        }
        List<String> labels = new ArrayList<>();
        for (Object label : (List<Object>) doc.get("labels")) {
            labels.add((String) label);
        }
        ProjnetFeaturizer featurizer = new ProjnetFeaturizer(((Number) doc.get("max_ids")).intValue(),
                ((Number) doc.get("max_chars")).intValue(), ((Number) doc.get("word_ngrams")).intValue(),
                ((Number) doc.get("char_ngrams")).intValue(), labels);
        for (Object item : (List<Object>) doc.get("test_vectors")) {
            Map<String, Object> vector = (Map<String, Object>) item;
            int[] got = featurizer.featurize((String) vector.get("text"));
            List<Object> want = (List<Object>) vector.get("ids");
            for (int i = 0; i < got.length; i++) {
                if (got[i] != ((Number) want.get(i)).intValue()) {
                    throw new IllegalStateException("test vector " + vector.get("text") + " gives other ids");
                }
            }
        }
        return featurizer;
    }

    /** The (maxIds) ids row: distinct feature ids in order, padded with 0. */
    public int[] featurize(String text) {
        Set<Integer> ids = new LinkedHashSet<>();
        for (String feature : features(text)) {
            ids.add(featureId(feature));
            if (ids.size() == maxIds) {
                break;
            }
        }
        int[] row = new int[maxIds];
        int i = 0;
        for (int id : ids) {
            row[i++] = id;
        }
        return row;
    }

    /** Steps 1-5: clean, cut, NFKC + lower case, words, then word n-grams and character n-grams. */
    public List<String> features(String text) {
        int[] points = clean(text).codePoints().limit(maxChars).toArray();
        String normal = Normalizer.normalize(new String(points, 0, points.length), Normalizer.Form.NFKC)
                .toLowerCase(Locale.ROOT);
        List<String> words = words(normal);
        List<String> grams = new ArrayList<>();
        for (int n = 1; n <= wordNgrams; n++) {
            String prefix = n == 1 ? "w:" : n == 2 ? "b:" : n + ":";
            for (int start = 0; start + n <= words.size(); start++) {
                grams.add(prefix + String.join(" ", words.subList(start, start + n)));
            }
        }
        if (charNgrams > 0) {
            for (String word : words) {
                int[] wrapped = ("^" + word + "$").codePoints().toArray();
                int count = Math.max(wrapped.length - charNgrams + 1, 1);
                for (int start = 0; start < count; start++) {
                    int end = Math.min(start + charNgrams, wrapped.length);
                    grams.add("c:" + new String(wrapped, start, end - start));
                }
            }
        }
        return grams;
    }

    /** Step 6: FNV-1a over the feature's UTF-8 bytes, as int32; the pad id 0 becomes 1. */
    public static int featureId(String feature) {
        int h = FNV_OFFSET;
        for (byte b : feature.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xFF)) * FNV_PRIME;
        }
        return h == 0 ? 1 : h;
    }

    /** Python's str.isalnum(): letters (L*) and numbers (Nd, Nl, No). */
    static boolean isWordChar(int cp) {
        int type = Character.getType(cp);
        return Character.isLetter(cp) || type == Character.DECIMAL_DIGIT_NUMBER
                || type == Character.LETTER_NUMBER || type == Character.OTHER_NUMBER;
    }

    static List<String> words(String text) {
        List<String> found = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        text.codePoints().forEach(cp -> {
            if (isWordChar(cp)) {
                current.appendCodePoint(cp);
            } else if (current.length() > 0) {
                found.add(current.toString());
                current.setLength(0);
            }
        });
        if (current.length() > 0) {
            found.add(current.toString());
        }
        return found;
    }

    /** Lone surrogates -> U+FFFD: text that is not valid Unicode cannot be normalized or encoded. */
    static String clean(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else {
                out.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return out.toString();
    }

    /** The smallest JSON reader a spec needs: objects, arrays, strings, numbers, true, false, null. */
    static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object value() {
            skip();
            char c = s.charAt(i);
            if (c == '{') {
                Map<String, Object> map = new LinkedHashMap<>();
                i++;
                skip();
                if (s.charAt(i) == '}') {
                    i++;
                    return map;
                }
                while (true) {
                    skip();
                    String key = string();
                    skip();
                    expect(':');
                    map.put(key, value());
                    skip();
                    if (s.charAt(i++) == '}') {
                        return map;
                    }
                }
            }
            if (c == '[') {
                List<Object> list = new ArrayList<>();
                i++;
                skip();
                if (s.charAt(i) == ']') {
                    i++;
                    return list;
                }
                while (true) {
                    list.add(value());
                    skip();
                    if (s.charAt(i++) == ']') {
                        return list;
                    }
                }
            }
            if (c == '"') {
                return string();
            }
            for (String word : new String[] {"true", "false", "null"}) {
                if (s.startsWith(word, i)) {
                    i += word.length();
                    return word.equals("null") ? null : Boolean.valueOf(word);
                }
            }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            String number = s.substring(start, i);
            return number.matches("-?\\d+") ? (Object) Long.valueOf(number) : (Object) Double.valueOf(number);
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n': out.append('\n'); break;
                    case 't': out.append('\t'); break;
                    case 'r': out.append('\r'); break;
                    case 'b': out.append('\b'); break;
                    case 'f': out.append('\f'); break;
                    case 'u': out.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
                    default: out.append(e); // \" \\ \/
                }
            }
        }

        private void expect(char c) {
            if (s.charAt(i++) != c) {
                throw new IllegalArgumentException("bad JSON at offset " + (i - 1) + ": expected " + c);
            }
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java ProjnetFeaturizer SPEC.json < texts.jsonl");
            System.exit(2);
        }
        ProjnetFeaturizer featurizer = fromSpecJson(new String(Files.readAllBytes(Paths.get(args[0])),
                StandardCharsets.UTF_8));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            int[] row = featurizer.featurize((String) new Json(line).value());
            for (int k = 0; k < row.length; k++) {
                out.append(k == 0 ? "" : " ").append(row[k]);
            }
            out.append('\n');
        }
        System.out.print(out);
    }
}
