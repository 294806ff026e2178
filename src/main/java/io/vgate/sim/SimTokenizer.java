package io.vgate.sim;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The simulator's deterministic tokenizer and chat template.
 *
 * <p>It stands in for a real BPE tokenizer with a similar token/character ratio (about 4 characters per token for
 * English) so that token counts are plausible and, above all, consistent: {@code /tokenize}, {@code usage} and the
 * context-length check all count with this class.</p>
 *
 * <ul>
 * <li>Text is split into pieces: a word (ASCII letters, with the space before it), a group of up to 3 digits, one
 * punctuation character, a newline or pair of newlines, a run of spaces. A word of 4 characters or fewer, or a word
 * in the built-in vocabulary of common English words, is one token; a longer unknown word is one token per 4
 * characters.</li>
 * <li>Other characters fall back to one token per UTF-8 byte (ids 0 to 255).</li>
 * <li>Special tokens ({@value #BOS_TOKEN}, {@value #EOS_TOKEN}, {@value #IM_START_TOKEN}, {@value #IM_END_TOKEN})
 * are recognised in text and count as one token each.</li>
 * </ul>
 *
 * <p>Every id is reversible: vocabulary and special ids map to their text, other ASCII pieces are packed into the id
 * itself (ids from {@value #PACKED_BASE}), bytes decode as UTF-8. So {@link #decode(int[])} restores any text this
 * class encoded, generated text included.</p>
 *
 * <p>The chat template is ChatML: {@code <|im_start|>role\ncontent<|im_end|>\n} per message, then
 * {@code <|im_start|>assistant\n} when a generation prompt is added. Immutable and thread-safe.</p>
 */
public final class SimTokenizer {

    /** Beginning of text, prepended when special tokens are added (completions, {@code /tokenize} prompts). */
    public static final String BOS_TOKEN = "<|begin_of_text|>";
    /** End of text: the token a model "generates" when it stops on its own. */
    public static final String EOS_TOKEN = "<|end_of_text|>";
    /** Starts a chat message. */
    public static final String IM_START_TOKEN = "<|im_start|>";
    /** Ends a chat message. */
    public static final String IM_END_TOKEN = "<|im_end|>";
    /** Id of {@link #BOS_TOKEN}. */
    public static final int BOS_ID = 128000;
    /** Id of {@link #EOS_TOKEN}. */
    public static final int EOS_ID = 128001;
    /** First id of packed ASCII pieces. */
    public static final int PACKED_BASE = 1_000_000;

    private static final String[] SPECIALS = {BOS_TOKEN, EOS_TOKEN, IM_START_TOKEN, IM_END_TOKEN};
    private static final int VOCAB_BASE = 256;
    private static final int CHUNK = 4;
    private static final SimTokenizer INSTANCE = new SimTokenizer();

    private final String[] vocab;
    private final String[] table;
    private final int[] tableIds;
    private final int mask;
    private final int newline;
    private final int doubleNewline;
    private final int tab;

    private SimTokenizer() {
        Set<String> entries = new LinkedHashSet<>(List.of("\n", "\n\n", "\t"));
        for (String word : Vocabulary.WORDS) {
            String cap = Character.toUpperCase(word.charAt(0)) + word.substring(1);
            entries.add(word);
            entries.add(" " + word);
            entries.add(cap);
            entries.add(" " + cap);
        }
        vocab = entries.toArray(String[]::new);
        int size = Integer.highestOneBit(vocab.length * 4);
        table = new String[size];
        tableIds = new int[size];
        mask = size - 1;
        for (int i = 0; i < vocab.length; i++) {
            int slot = hash(vocab[i], 0, vocab[i].length()) & mask;
            while (table[slot] != null) {
                slot = (slot + 1) & mask;
            }
            table[slot] = vocab[i];
            tableIds[slot] = VOCAB_BASE + i;
        }
        newline = VOCAB_BASE;
        doubleNewline = VOCAB_BASE + 1;
        tab = VOCAB_BASE + 2;
    }

    /** @return the shared tokenizer */
    public static SimTokenizer instance() {
        return INSTANCE;
    }

    /**
     * Counts the tokens of {@code text}, special-token strings included, without a BOS.
     *
     * @param text any text
     * @return the number of tokens
     */
    public int count(CharSequence text) {
        return scan(text, null);
    }

    /**
     * Encodes text into token ids.
     *
     * @param text any text
     * @param addSpecialTokens whether to prepend {@link #BOS_TOKEN}
     * @return the ids
     */
    public int[] encode(CharSequence text, boolean addSpecialTokens) {
        Tokens out = new Tokens(text.length() / 3 + 2);
        if (addSpecialTokens) {
            out.add(BOS_ID, 0, 0);
        }
        scan(text, out);
        return out.ids();
    }

    /**
     * Decodes ids back into text; special tokens are kept as their text.
     *
     * @param ids token ids
     * @return the text
     * @throws IllegalArgumentException naming the first id that is not in the vocabulary
     */
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder(ids.length * 4);
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id >= 0 && id < VOCAB_BASE) {
                pending.write(id);
                continue;
            }
            if (pending.size() > 0) {
                sb.append(pending.toString(StandardCharsets.UTF_8));
                pending.reset();
            }
            String piece = piece(id);
            if (piece == null) {
                throw new IllegalArgumentException(Integer.toString(id));
            }
            sb.append(piece);
        }
        if (pending.size() > 0) {
            sb.append(pending.toString(StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    /**
     * The tokenizer's string for each id, as {@code convert_ids_to_tokens} gives it: the piece text, or
     * {@code <0xNN>} for a byte.
     *
     * @param ids token ids
     * @return one string per id
     */
    public List<String> tokenStrings(int[] ids) {
        List<String> out = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (id >= 0 && id < VOCAB_BASE) {
                out.add(String.format("<0x%02X>", id));
            } else {
                String piece = piece(id);
                out.add(piece == null ? "" : piece);
            }
        }
        return out;
    }

    /**
     * Renders chat messages with the ChatML template.
     *
     * @param messages the conversation, in order
     * @param addGenerationPrompt whether to open an assistant turn at the end
     * @param continueFinalMessage whether to leave the last message open (no end-of-message token) so the model
     *        continues it
     * @return the prompt text, special tokens included
     */
    public String renderChat(List<Message> messages, boolean addGenerationPrompt, boolean continueFinalMessage) {
        StringBuilder sb = new StringBuilder(64);
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            sb.append(IM_START_TOKEN).append(m.role()).append('\n').append(m.content());
            if (continueFinalMessage && i == messages.size() - 1) {
                return sb.toString();
            }
            sb.append(IM_END_TOKEN).append('\n');
        }
        if (addGenerationPrompt) {
            sb.append(IM_START_TOKEN).append("assistant\n");
        }
        return sb.toString();
    }

    /**
     * One chat message, its content already flattened to text.
     *
     * @param role the role (system, user, assistant, tool, developer)
     * @param content the text content
     */
    public record Message(String role, String content) {}

    /** Encodes and keeps, for every token, the text it contributes (empty for continuation bytes). */
    Tokens encodeWithPieces(CharSequence text) {
        Tokens out = new Tokens(text.length() / 3 + 2);
        scan(text, out);
        out.text = text;
        return out;
    }

    /** The text of one non-byte id, or null if the id is not in the vocabulary. */
    String piece(int id) {
        if (id >= BOS_ID && id < BOS_ID + SPECIALS.length) {
            return SPECIALS[id - BOS_ID];
        }
        if (id >= VOCAB_BASE && id < VOCAB_BASE + vocab.length) {
            return vocab[id - VOCAB_BASE];
        }
        if (id > PACKED_BASE) {
            int v = id - PACKED_BASE;
            char[] chars = new char[CHUNK];
            int n = 0;
            while (v > 0) {
                int code = v % 96;
                if (code == 0 || n == CHUNK) {
                    return null;
                }
                chars[n++] = (char) (code + 0x1F);
                v /= 96;
            }
            return new String(chars, 0, n);
        }
        return null;
    }

    private int scan(CharSequence s, Tokens out) {
        int n = s.length();
        int count = 0;
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            if (c == '<') {
                int special = specialAt(s, i);
                if (special >= 0) {
                    int end = i + SPECIALS[special].length();
                    count += emit(out, BOS_ID + special, i, end);
                    i = end;
                    continue;
                }
            }
            int start = i;
            int p = i;
            if (c == ' ' && i + 1 < n) {
                char d = s.charAt(i + 1);
                if (graphic(d) && specialAt(s, i + 1) < 0) {
                    p = i + 1;
                    c = d;
                }
            }
            if (letter(c)) {
                int e = p + 1;
                while (e < n && letter(s.charAt(e))) {
                    e++;
                }
                count += word(s, start, e, out);
                i = e;
            } else if (digit(c)) {
                int e = p + 1;
                while (e < n && digit(s.charAt(e))) {
                    e++;
                }
                int from = start;
                for (int q = p; q < e; q += 3) {
                    int to = Math.min(q + 3, e);
                    count += emit(out, packed(s, from, to), from, to);
                    from = to;
                }
                i = e;
            } else if (c == '\n') {
                if (i + 1 < n && s.charAt(i + 1) == '\n') {
                    count += emit(out, doubleNewline, i, i + 2);
                    i += 2;
                } else {
                    count += emit(out, newline, i, i + 1);
                    i++;
                }
            } else if (c == '\t') {
                count += emit(out, tab, i, i + 1);
                i++;
            } else if (c == ' ') {
                int e = i + 1;
                while (e < n && s.charAt(e) == ' ') {
                    e++;
                }
                // The last space of a run belongs to the word after it, as in GPT-style tokenizers.
                if (e < n && e - i > 1 && graphic(s.charAt(e)) && specialAt(s, e) < 0) {
                    e--;
                }
                for (int q = i; q < e; q += CHUNK) {
                    int to = Math.min(q + CHUNK, e);
                    count += emit(out, packed(s, q, to), q, to);
                }
                i = e;
            } else if (graphic(c)) {
                count += emit(out, packed(s, start, p + 1), start, p + 1);
                i = p + 1;
            } else {
                int cp = Character.codePointAt(s, i);
                int len = Character.charCount(cp);
                byte[] bytes = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                for (int b = 0; b < bytes.length; b++) {
                    count += emit(out, bytes[b] & 0xFF, b == 0 ? i : i + len, i + len);
                }
                i += len;
            }
        }
        return count;
    }

    private int word(CharSequence s, int start, int end, Tokens out) {
        int len = end - start;
        int id = lookup(s, start, end);
        if (id >= 0) {
            return emit(out, id, start, end);
        }
        if (len <= CHUNK) {
            return emit(out, packed(s, start, end), start, end);
        }
        int count = 0;
        for (int q = start; q < end; q += CHUNK) {
            int to = Math.min(q + CHUNK, end);
            count += emit(out, packed(s, q, to), q, to);
        }
        return count;
    }

    private static int emit(Tokens out, int id, int start, int end) {
        if (out != null) {
            out.add(id, start, end);
        }
        return 1;
    }

    private int lookup(CharSequence s, int start, int end) {
        int slot = hash(s, start, end) & mask;
        while (true) {
            String entry = table[slot];
            if (entry == null) {
                return -1;
            }
            if (entry.length() == end - start && regionEquals(entry, s, start)) {
                return tableIds[slot];
            }
            slot = (slot + 1) & mask;
        }
    }

    private static boolean regionEquals(String entry, CharSequence s, int start) {
        for (int k = 0; k < entry.length(); k++) {
            if (entry.charAt(k) != s.charAt(start + k)) {
                return false;
            }
        }
        return true;
    }

    private static int hash(CharSequence s, int start, int end) {
        int h = 0;
        for (int k = start; k < end; k++) {
            h = 31 * h + s.charAt(k);
        }
        return h ^ (h >>> 16);
    }

    private static int packed(CharSequence s, int start, int end) {
        int v = 0;
        for (int k = end - 1; k >= start; k--) {
            v = v * 96 + (s.charAt(k) - 0x1F);
        }
        return PACKED_BASE + v;
    }

    private static int specialAt(CharSequence s, int i) {
        if (i + 1 >= s.length() || s.charAt(i) != '<' || s.charAt(i + 1) != '|') {
            return -1;
        }
        for (int k = 0; k < SPECIALS.length; k++) {
            String sp = SPECIALS[k];
            if (i + sp.length() <= s.length() && regionEquals(sp, s, i)) {
                return k;
            }
        }
        return -1;
    }

    private static boolean letter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean digit(char c) {
        return c >= '0' && c <= '9';
    }

    /** Printable ASCII other than space. */
    private static boolean graphic(char c) {
        return c > 0x20 && c < 0x7F;
    }

    /** Token ids plus the character range of the text each one came from. */
    static final class Tokens {
        private int[] ids;
        private int[] starts;
        private int[] ends;
        private int size;
        private CharSequence text;

        Tokens(int capacity) {
            ids = new int[Math.max(4, capacity)];
            starts = new int[ids.length];
            ends = new int[ids.length];
        }

        void add(int id, int start, int end) {
            if (size == ids.length) {
                int cap = size * 2;
                ids = Arrays.copyOf(ids, cap);
                starts = Arrays.copyOf(starts, cap);
                ends = Arrays.copyOf(ends, cap);
            }
            ids[size] = id;
            starts[size] = start;
            ends[size] = end;
            size++;
        }

        int size() {
            return size;
        }

        int id(int i) {
            return ids[i];
        }

        /** The text token {@code i} contributes; the first byte of a multi-byte character carries the whole character. */
        String piece(int i) {
            return text.subSequence(starts[i], ends[i]).toString();
        }

        int[] ids() {
            return Arrays.copyOf(ids, size);
        }
    }
}
