package org.jkvm.monitor;

/**
 * Splits a character stream into top-level JSON texts, as a QMP server must: clients may send several objects on
 * one line or one object over several writes. Tracks nesting outside strings; a text ends when its outermost
 * bracket closes. Texts longer than {@link #MAX_CHARS} are dropped and reported. One instance per connection,
 * not thread-safe.
 */
final class JsonFramer {
    /** Longest JSON text accepted (QMP commands are small). */
    static final int MAX_CHARS = 1 << 20;

    private final StringBuilder buf = new StringBuilder();
    private int depth;
    private boolean inString;
    private boolean escape;
    private boolean overflow;
    private boolean bare;

    /**
     * Feeds one character.
     *
     * @return a complete JSON text, the marker {@link #TOO_LONG}, or null while a text is incomplete
     */
    String feed(char c) {
        if (depth == 0 && !inString && !bare && buf.length() == 0 && Character.isWhitespace(c)) {
            return null;
        }
        if (!overflow) {
            buf.append(c);
            if (buf.length() > MAX_CHARS) {
                overflow = true;
                buf.setLength(0);
            }
        }
        if (inString) {
            if (escape) {
                escape = false;
            } else if (c == '\\') {
                escape = true;
            } else if (c == '"') {
                inString = false;
                return depth == 0 && !bare ? complete() : null;
            }
            return null;
        }
        if (bare) {
            // Not JSON structure: the rest of the line is one (bad) text, answered with one error.
            return c == '\n' ? complete() : null;
        }
        switch (c) {
            case '"' -> inString = true;
            case '{', '[' -> depth++;
            case '}', ']' -> {
                depth--;
                if (depth <= 0) {
                    return complete();
                }
            }
            default -> bare = depth == 0;
        }
        return null;
    }

    /** Returned by {@link #feed} for a text that exceeded {@link #MAX_CHARS}. */
    static final String TOO_LONG = "\u0000too-long";

    private String complete() {
        depth = 0;
        bare = false;
        String out = overflow ? TOO_LONG : buf.toString().strip();
        overflow = false;
        buf.setLength(0);
        return out;
    }
}
