package com.stratus.runtime;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small JSON reader and writer, and the conversion of parsed values to a
 * handler's parameter type (String, boxed numbers, Map, List, arrays, and
 * POJOs with public fields or setters). AWS's runtime uses Jackson; this
 * follows its defaults for the types above: integers become Integer, Long or
 * BigInteger by size, other numbers Double, objects LinkedHashMap.
 */
final class Json {
    private Json() {
    }

    /** Thrown for text that is not JSON, or a value that does not fit the type. */
    static final class JsonException extends RuntimeException {
        private static final long serialVersionUID = 1;

        JsonException(String msg) {
            super(msg);
        }
    }

    // ---------------------------------------------------------------- reading

    static Object parse(String s) {
        Json.Reader r = new Json.Reader(s);
        r.ws();
        Object v = r.value();
        r.ws();
        if (r.i != s.length()) {
            throw r.error("trailing characters");
        }
        return v;
    }

    private static final class Reader {
        final String s;
        int i;

        Reader(String s) {
            this.s = s;
        }

        JsonException error(String what) {
            return new JsonException(what + " at offset " + i);
        }

        void ws() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                i++;
            }
        }

        Object value() {
            if (i >= s.length()) {
                throw error("unexpected end of input");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (peek() == '}') {
                        i++;
                        return m;
                    }
                    while (true) {
                        ws();
                        if (peek() != '"') {
                            throw error("expected a string key");
                        }
                        String k = string();
                        ws();
                        expect(':');
                        ws();
                        m.put(k, value());
                        ws();
                        char d = next();
                        if (d == '}') {
                            return m;
                        }
                        if (d != ',') {
                            throw error("expected , or }");
                        }
                    }
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (peek() == ']') {
                        i++;
                        return l;
                    }
                    while (true) {
                        ws();
                        l.add(value());
                        ws();
                        char d = next();
                        if (d == ']') {
                            return l;
                        }
                        if (d != ',') {
                            throw error("expected , or ]");
                        }
                    }
                }
                case '"':
                    return string();
                case 't':
                    word("true");
                    return Boolean.TRUE;
                case 'f':
                    word("false");
                    return Boolean.FALSE;
                case 'n':
                    word("null");
                    return null;
                default:
                    return number();
            }
        }

        char peek() {
            if (i >= s.length()) {
                throw error("unexpected end of input");
            }
            return s.charAt(i);
        }

        char next() {
            char c = peek();
            i++;
            return c;
        }

        void expect(char c) {
            if (next() != c) {
                i--;
                throw error("expected " + c);
            }
        }

        void word(String w) {
            if (!s.startsWith(w, i)) {
                throw error("unexpected character");
            }
            i += w.length();
        }

        String string() {
            i++; // the opening quote
            StringBuilder b = null;
            int start = i;
            while (true) {
                char c = next();
                if (c == '"') {
                    if (b == null) {
                        return s.substring(start, i - 1);
                    }
                    return b.toString();
                }
                if (c < 0x20) {
                    throw error("control character in string");
                }
                if (c != '\\') {
                    if (b != null) {
                        b.append(c);
                    }
                    continue;
                }
                if (b == null) {
                    b = new StringBuilder(s.substring(start, i - 1));
                }
                char e = next();
                switch (e) {
                    case '"':
                    case '\\':
                    case '/':
                        b.append(e);
                        break;
                    case 'b':
                        b.append('\b');
                        break;
                    case 'f':
                        b.append('\f');
                        break;
                    case 'n':
                        b.append('\n');
                        break;
                    case 'r':
                        b.append('\r');
                        break;
                    case 't':
                        b.append('\t');
                        break;
                    case 'u':
                        if (i + 4 > s.length()) {
                            throw error("bad \\u escape");
                        }
                        try {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw error("bad \\u escape");
                        }
                        i += 4;
                        break;
                    default:
                        throw error("bad escape");
                }
            }
        }

        Object number() {
            int start = i;
            boolean real = false;
            if (i < s.length() && s.charAt(i) == '-') {
                i++;
            }
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c >= '0' && c <= '9') {
                    i++;
                } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                    real = true;
                    i++;
                } else {
                    break;
                }
            }
            String n = s.substring(start, i);
            if (n.isEmpty() || n.equals("-")) {
                throw error("unexpected character");
            }
            try {
                if (real) {
                    return Double.valueOf(n);
                }
                BigInteger v = new BigInteger(n);
                if (v.bitLength() < 32) {
                    return v.intValue();
                }
                if (v.bitLength() < 64) {
                    return v.longValue();
                }
                return v;
            } catch (NumberFormatException ex) {
                throw error("bad number");
            }
        }
    }

    // ---------------------------------------------------------------- writing

    static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v, 0);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v, int depth) {
        if (depth > 200) {
            throw new JsonException("value nested too deeply (a cycle?)");
        }
        if (v == null) {
            b.append("null");
        } else if (v instanceof CharSequence || v instanceof Character || v instanceof Enum) {
            quote(b, v instanceof Enum ? ((Enum<?>) v).name() : v.toString());
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                quote(b, v.toString());
            } else {
                b.append(v.toString());
            }
        } else if (v instanceof BigDecimal) {
            b.append(((BigDecimal) v).toString());
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v.toString());
        } else if (v instanceof Map) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                quote(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue(), depth + 1);
            }
            b.append('}');
        } else if (v instanceof Iterable) {
            b.append('[');
            boolean first = true;
            for (Object o : (Iterable<?>) v) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                write(b, o, depth + 1);
            }
            b.append(']');
        } else if (v instanceof byte[]) {
            quote(b, Base64.getEncoder().encodeToString((byte[]) v)); // as Jackson writes byte[]
        } else if (v.getClass().isArray()) {
            b.append('[');
            int n = Array.getLength(v);
            for (int k = 0; k < n; k++) {
                if (k > 0) {
                    b.append(',');
                }
                write(b, Array.get(v, k), depth + 1);
            }
            b.append(']');
        } else {
            write(b, beanToMap(v), depth + 1);
        }
    }

    /** A POJO's public getters and fields, by property name. */
    private static Map<String, Object> beanToMap(Object v) {
        Map<String, Object> m = new LinkedHashMap<>();
        Class<?> c = v.getClass();
        try {
            for (Method g : c.getMethods()) {
                if (Modifier.isStatic(g.getModifiers()) || g.getParameterCount() != 0
                        || g.getDeclaringClass() == Object.class) {
                    continue;
                }
                String n = g.getName();
                String prop = null;
                if (n.startsWith("get") && n.length() > 3 && g.getReturnType() != void.class) {
                    prop = n.substring(3);
                } else if (n.startsWith("is") && n.length() > 2 && g.getReturnType() == boolean.class) {
                    prop = n.substring(2);
                }
                if (prop != null) {
                    m.put(Character.toLowerCase(prop.charAt(0)) + prop.substring(1), g.invoke(v));
                }
            }
            for (Field f : c.getFields()) {
                if (!Modifier.isStatic(f.getModifiers()) && !m.containsKey(f.getName())) {
                    m.put(f.getName(), f.get(v));
                }
            }
        } catch (ReflectiveOperationException e) {
            throw new JsonException("cannot serialise " + c.getName() + ": " + e);
        }
        return m;
    }

    static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"':
                    b.append("\\\"");
                    break;
                case '\\':
                    b.append("\\\\");
                    break;
                case '\n':
                    b.append("\\n");
                    break;
                case '\r':
                    b.append("\\r");
                    break;
                case '\t':
                    b.append("\\t");
                    break;
                case '\b':
                    b.append("\\b");
                    break;
                case '\f':
                    b.append("\\f");
                    break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        b.append('"');
    }

    // ---------------------------------------------------------------- converting

    /** Converts a parsed JSON value to type t. */
    static Object convert(Object v, Type t) {
        Class<?> raw = rawClass(t);
        if (raw == Object.class) {
            return v;
        }
        if (v == null) {
            if (raw.isPrimitive()) {
                throw new JsonException("null for " + raw.getName());
            }
            return null;
        }
        if (raw == String.class) {
            return v instanceof String ? v : write(v);
        }
        if (raw == int.class || raw == Integer.class) {
            return number(v, raw).intValue();
        }
        if (raw == long.class || raw == Long.class) {
            return number(v, raw).longValue();
        }
        if (raw == double.class || raw == Double.class) {
            return number(v, raw).doubleValue();
        }
        if (raw == float.class || raw == Float.class) {
            return number(v, raw).floatValue();
        }
        if (raw == short.class || raw == Short.class) {
            return number(v, raw).shortValue();
        }
        if (raw == byte.class || raw == Byte.class) {
            return number(v, raw).byteValue();
        }
        if (raw == BigDecimal.class) {
            return new BigDecimal(number(v, raw).toString());
        }
        if (raw == BigInteger.class) {
            return new BigInteger(number(v, raw).toString());
        }
        if (raw == Number.class) {
            return number(v, raw);
        }
        if (raw == boolean.class || raw == Boolean.class) {
            if (v instanceof Boolean) {
                return v;
            }
            if (v instanceof String) {
                return Boolean.valueOf((String) v);
            }
            throw mismatch(v, raw);
        }
        if (raw == byte[].class && v instanceof String) {
            return Base64.getDecoder().decode((String) v);
        }
        if (raw.isEnum() && v instanceof String) {
            for (Object c : raw.getEnumConstants()) {
                if (((Enum<?>) c).name().equals(v)) {
                    return c;
                }
            }
            throw mismatch(v, raw);
        }
        if (Map.class.isAssignableFrom(raw)) {
            if (!(v instanceof Map)) {
                throw mismatch(v, raw);
            }
            Type vt = typeArg(t, 1);
            Map<Object, Object> m = newMap(raw);
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                m.put(e.getKey(), convert(e.getValue(), vt));
            }
            return m;
        }
        if (Collection.class.isAssignableFrom(raw)) {
            if (!(v instanceof List)) {
                throw mismatch(v, raw);
            }
            Type et = typeArg(t, 0);
            Collection<Object> c = Set.class.isAssignableFrom(raw) ? new HashSet<>() : new ArrayList<>();
            if (!raw.isInterface() && !Modifier.isAbstract(raw.getModifiers())) {
                c = newInstance(raw);
            }
            for (Object o : (List<?>) v) {
                c.add(convert(o, et));
            }
            return c;
        }
        if (raw.isArray()) {
            if (!(v instanceof List)) {
                throw mismatch(v, raw);
            }
            Type et = t instanceof GenericArrayType ? ((GenericArrayType) t).getGenericComponentType()
                    : raw.getComponentType();
            List<?> l = (List<?>) v;
            Object a = Array.newInstance(raw.getComponentType(), l.size());
            for (int k = 0; k < l.size(); k++) {
                Array.set(a, k, convert(l.get(k), et));
            }
            return a;
        }
        if (raw.isInstance(v)) {
            return v;
        }
        if (!(v instanceof Map)) {
            throw mismatch(v, raw);
        }
        return toBean((Map<?, ?>) v, raw);
    }

    private static Object toBean(Map<?, ?> m, Class<?> raw) {
        Object o = newInstance(raw);
        Map<String, Method> setters = new LinkedHashMap<>();
        for (Method s : raw.getMethods()) {
            String n = s.getName();
            if (n.startsWith("set") && n.length() > 3 && s.getParameterCount() == 1
                    && !Modifier.isStatic(s.getModifiers())) {
                setters.putIfAbsent(n.substring(3).toLowerCase(), s);
            }
        }
        try {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String k = String.valueOf(e.getKey());
                Method s = setters.get(k.toLowerCase());
                if (s != null) {
                    s.invoke(o, convert(e.getValue(), s.getGenericParameterTypes()[0]));
                    continue;
                }
                Field f = field(raw, k);
                if (f != null) {
                    f.set(o, convert(e.getValue(), f.getGenericType()));
                }
                // unknown properties are ignored
            }
        } catch (ReflectiveOperationException e) {
            throw new JsonException("cannot deserialise " + raw.getName() + ": " + e);
        }
        return o;
    }

    private static Field field(Class<?> c, String name) {
        for (Field f : c.getFields()) {
            if (!Modifier.isStatic(f.getModifiers()) && !Modifier.isFinal(f.getModifiers())
                    && f.getName().equalsIgnoreCase(name)) {
                return f;
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static <T> T newInstance(Class<?> c) {
        try {
            return (T) c.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new JsonException("cannot create " + c.getName() + " (it needs a public no-argument constructor): " + e);
        }
    }

    private static Map<Object, Object> newMap(Class<?> raw) {
        if (raw.isInterface() || Modifier.isAbstract(raw.getModifiers())) {
            return new LinkedHashMap<>();
        }
        return newInstance(raw);
    }

    private static Number number(Object v, Class<?> raw) {
        if (v instanceof Number) {
            return (Number) v;
        }
        if (v instanceof String) {
            try {
                return new BigDecimal((String) v);
            } catch (NumberFormatException e) {
                throw mismatch(v, raw);
            }
        }
        throw mismatch(v, raw);
    }

    private static JsonException mismatch(Object v, Class<?> raw) {
        String what = v instanceof Map ? "an object" : v instanceof List ? "an array"
                : v instanceof String ? "a string" : v instanceof Boolean ? "a boolean" : "a number";
        return new JsonException("cannot deserialise " + what + " as " + raw.getName());
    }

    static Class<?> rawClass(Type t) {
        if (t instanceof Class) {
            return (Class<?>) t;
        }
        if (t instanceof ParameterizedType) {
            return rawClass(((ParameterizedType) t).getRawType());
        }
        if (t instanceof GenericArrayType) {
            return Array.newInstance(rawClass(((GenericArrayType) t).getGenericComponentType()), 0).getClass();
        }
        if (t instanceof WildcardType) {
            Type[] up = ((WildcardType) t).getUpperBounds();
            return up.length > 0 ? rawClass(up[0]) : Object.class;
        }
        return Object.class; // a type variable
    }

    private static Type typeArg(Type t, int k) {
        if (t instanceof ParameterizedType) {
            Type[] args = ((ParameterizedType) t).getActualTypeArguments();
            if (k < args.length) {
                return args[k];
            }
        }
        return Object.class;
    }
}
