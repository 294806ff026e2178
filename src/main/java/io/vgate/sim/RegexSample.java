package io.vgate.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Writes a string that a regular expression matches, as a regex-constrained model would: literals, escapes
 * ({@code \d \w \s} and escaped characters), character classes with ranges and negation, {@code .}, groups,
 * alternation and the quantifiers {@code ? * + {n} {n,} {n,m}} (lazy and possessive forms too); anchors are implied.
 * Back-references and look-arounds cannot be written this way and give null, as does anything whose sample does not
 * match the pattern in the end.
 */
final class RegexSample {

    /** Unbounded repetitions ({@code *}, {@code +}, {@code {n,}}) stop this many past their minimum. */
    private static final int OPEN_EXTRA = 3;

    private final String re;
    private final SplittableRandom random;
    private int pos;

    private RegexSample(String re, SplittableRandom random) {
        this.re = re;
        this.random = random;
    }

    /** A string matching the whole of {@code regex}, or null when it cannot produce one. */
    static String generate(String regex, SplittableRandom random) {
        Pattern compiled;
        try {
            compiled = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            return null;
        }
        try {
            RegexSample gen = new RegexSample(regex, random);
            StringBuilder sb = new StringBuilder();
            gen.alternation(sb);
            if (gen.pos != regex.length()) {
                return null;
            }
            String out = sb.toString();
            return compiled.matcher(out).matches() ? out : null;
        } catch (Unsupported e) {
            return null;
        }
    }

    /** Whether {@code regex} compiles as a Java regular expression (close enough to Python's for checks). */
    static boolean compiles(String regex) {
        try {
            Pattern.compile(regex);
            return true;
        } catch (PatternSyntaxException e) {
            return false;
        }
    }

    private static final class Unsupported extends RuntimeException {
        Unsupported() {
            super(null, null, false, false);
        }
    }

    private void alternation(StringBuilder sb) {
        List<Integer> starts = new ArrayList<>();
        starts.add(pos);
        int chosen = -1;
        // Scan once to find top-level branch starts, then generate one branch.
        int depth = 0;
        int i = pos;
        for (; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '[') {
                i = classEnd(i);
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                if (depth == 0) {
                    break;
                }
                depth--;
            } else if (c == '|' && depth == 0) {
                starts.add(i + 1);
            }
        }
        int end = i;
        chosen = random.nextInt(starts.size());
        pos = starts.get(chosen);
        int branchEnd = chosen + 1 < starts.size() ? starts.get(chosen + 1) - 1 : end;
        sequence(sb, branchEnd);
        pos = end;
    }

    private int classEnd(int open) {
        int i = open + 1;
        if (i < re.length() && re.charAt(i) == '^') {
            i++;
        }
        if (i < re.length() && re.charAt(i) == ']') {
            i++;
        }
        for (; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == ']') {
                return i;
            }
        }
        throw new Unsupported();
    }

    private void sequence(StringBuilder sb, int end) {
        while (pos < end) {
            int atomStart = pos;
            char c = re.charAt(pos);
            if (c == '^' || c == '$') {
                pos++;
                continue;
            }
            int[] reps = null;
            // Parse the atom once to learn its extent, then repeat it by re-parsing.
            skipAtom(end);
            int atomEnd = pos;
            reps = quantifier();
            int quantEnd = pos;
            int times = reps[0] + (reps[1] > reps[0] ? random.nextInt(reps[1] - reps[0] + 1) : 0);
            for (int t = 0; t < times; t++) {
                pos = atomStart;
                atom(sb, atomEnd);
            }
            pos = quantEnd;
        }
    }

    private void skipAtom(int end) {
        char c = re.charAt(pos);
        if (c == '\\') {
            pos += 2;
        } else if (c == '[') {
            pos = classEnd(pos) + 1;
        } else if (c == '(') {
            int depth = 0;
            for (; pos < end; pos++) {
                char d = re.charAt(pos);
                if (d == '\\') {
                    pos++;
                } else if (d == '[') {
                    pos = classEnd(pos);
                } else if (d == '(') {
                    depth++;
                } else if (d == ')' && --depth == 0) {
                    pos++;
                    return;
                }
            }
            throw new Unsupported();
        } else {
            pos++;
        }
    }

    private int[] quantifier() {
        if (pos >= re.length()) {
            return new int[] {1, 1};
        }
        char c = re.charAt(pos);
        int[] r;
        if (c == '?') {
            r = new int[] {0, 1};
            pos++;
        } else if (c == '*') {
            r = new int[] {0, OPEN_EXTRA};
            pos++;
        } else if (c == '+') {
            r = new int[] {1, 1 + OPEN_EXTRA};
            pos++;
        } else if (c == '{') {
            int close = re.indexOf('}', pos);
            if (close < 0) {
                throw new Unsupported();
            }
            String body = re.substring(pos + 1, close);
            String[] parts = body.split(",", -1);
            try {
                int min = Integer.parseInt(parts[0].strip());
                int max = parts.length == 1
                        ? min
                        : parts[1].isBlank() ? min + OPEN_EXTRA : Integer.parseInt(parts[1].strip());
                r = new int[] {min, max};
            } catch (NumberFormatException e) {
                throw new Unsupported();
            }
            pos = close + 1;
        } else {
            return new int[] {1, 1};
        }
        if (pos < re.length() && (re.charAt(pos) == '?' || re.charAt(pos) == '+')) {
            pos++;
        }
        return r;
    }

    private void atom(StringBuilder sb, int end) {
        char c = re.charAt(pos);
        if (c == '(') {
            pos++;
            if (pos < re.length() && re.charAt(pos) == '?') {
                if (pos + 1 < re.length() && re.charAt(pos + 1) == ':') {
                    pos += 2;
                } else if (pos + 1 < re.length()
                        && re.charAt(pos + 1) == '<'
                        && pos + 2 < re.length()
                        && Character.isLetter(re.charAt(pos + 2))) {
                    pos = re.indexOf('>', pos) + 1;
                } else {
                    throw new Unsupported();
                }
            }
            alternation(sb);
            pos++; // ')'
        } else if (c == '[') {
            int close = classEnd(pos);
            charClass(sb, re.substring(pos + 1, close));
            pos = close + 1;
        } else if (c == '\\') {
            escape(sb, re.charAt(pos + 1));
            pos += 2;
        } else if (c == '.') {
            sb.append(Vocabulary.WORDS
                    .get(random.nextInt(Vocabulary.WORDS.size()))
                    .charAt(0));
            pos++;
        } else {
            sb.append(c);
            pos++;
        }
    }

    private void escape(StringBuilder sb, char e) {
        switch (e) {
            case 'd' -> sb.append((char) ('0' + random.nextInt(10)));
            case 'w' -> sb.append(ALNUM.charAt(random.nextInt(ALNUM.length())));
            case 's' -> sb.append(' ');
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case 'D', 'W', 'S', 'b', 'B', 'A', 'z', 'Z', 'G', 'p', 'P', 'k', 'x', 'u' -> throw new Unsupported();
            default -> {
                if (Character.isDigit(e)) {
                    throw new Unsupported();
                }
                sb.append(e);
            }
        }
    }

    private static final String ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
    private static final String PRINTABLE;

    static {
        StringBuilder sb = new StringBuilder();
        for (char c = ' '; c < 0x7f; c++) {
            sb.append(c);
        }
        PRINTABLE = sb.toString();
    }

    private void charClass(StringBuilder sb, String body) {
        boolean negate = body.startsWith("^");
        if (negate) {
            body = body.substring(1);
        }
        StringBuilder members = new StringBuilder();
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\\' && i + 1 < body.length()) {
                char e = body.charAt(++i);
                switch (e) {
                    case 'd' -> members.append("0123456789");
                    case 'w' -> members.append(ALNUM);
                    case 's' -> members.append(' ');
                    case 'n' -> members.append('\n');
                    case 't' -> members.append('\t');
                    default -> {
                        if (Character.isLetter(e)) {
                            throw new Unsupported();
                        }
                        members.append(e);
                    }
                }
            } else if (i + 2 < body.length() && body.charAt(i + 1) == '-' && body.charAt(i + 2) != '\\') {
                char to = body.charAt(i + 2);
                for (char x = c; x <= to; x++) {
                    members.append(x);
                }
                i += 2;
            } else {
                members.append(c);
            }
        }
        String from = members.toString();
        if (negate) {
            StringBuilder rest = new StringBuilder();
            for (int i = 0; i < PRINTABLE.length(); i++) {
                if (from.indexOf(PRINTABLE.charAt(i)) < 0) {
                    rest.append(PRINTABLE.charAt(i));
                }
            }
            from = rest.toString();
        }
        if (from.isEmpty()) {
            throw new Unsupported();
        }
        sb.append(from.charAt(random.nextInt(from.length())));
    }
}
