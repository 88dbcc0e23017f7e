package io.github.meterstream.e2e;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits Kill Bill's DDL scripts into single statements: one statement per JDBC call, because the
 * PostgreSQL bridge's event trigger reads {@code current_query()} to find the {@code serial} column to
 * widen, and that must be the one CREATE TABLE being run. Understands quotes, dollar quoting and
 * comments; drops statements that are only comments (such as MySQL's {@code /*! ... *}{@code /}).
 */
final class SqlScript {
    private SqlScript() {
    }

    static List<String> split(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean meaningful = false;
        int i = 0;
        int n = script.length();
        while (i < n) {
            char c = script.charAt(i);
            if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
                int end = script.indexOf('\n', i);
                i = end < 0 ? n : end + 1;
                current.append('\n');
            } else if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
                int end = script.indexOf("*/", i + 2);
                int stop = end < 0 ? n : end + 2;
                // keep the comment: MySQL-only hints are harmless comments elsewhere
                current.append(script, i, stop);
                i = stop;
            } else if (c == '\'' || c == '"') {
                int end = i + 1;
                while (end < n && script.charAt(end) != c) {
                    end++;
                }
                current.append(script, i, Math.min(end + 1, n));
                meaningful = true;
                i = end + 1;
            } else if (c == '$') {
                int tagEnd = script.indexOf('$', i + 1);
                String tag = tagEnd < 0 ? null : script.substring(i, tagEnd + 1);
                if (tag != null && tag.matches("\\$[A-Za-z_]*\\$")) {
                    int close = script.indexOf(tag, tagEnd + 1);
                    int stop = close < 0 ? n : close + tag.length();
                    current.append(script, i, stop);
                    i = stop;
                } else {
                    current.append(c);
                    i++;
                }
                meaningful = true;
            } else if (c == ';') {
                if (meaningful) {
                    statements.add(current.toString().trim());
                }
                current.setLength(0);
                meaningful = false;
                i++;
            } else {
                current.append(c);
                if (!Character.isWhitespace(c)) {
                    meaningful = true;
                }
                i++;
            }
        }
        if (meaningful && !current.toString().isBlank()) {
            statements.add(current.toString().trim());
        }
        return statements;
    }
}
