package io.github.meterstream.core.usage.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.type.LogicalType;

import java.math.BigDecimal;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * The JSON reading rules of the usage contract, and the words for what breaks them. JSON types
 * are taken literally (no {@code "1"} for 1, no 1 for {@code "1"}): a producer that sends the
 * wrong type has a bug worth seeing, and the JSON Schema says the same.
 */
public final class UsageJson {

    private UsageJson() {
    }

    /** A mapper with the contract's reading rules. Thread-safe once built. */
    public static ObjectMapper newObjectMapper() {
        JsonMapper mapper = JsonMapper.builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                // Two values for one field: which one the producer meant cannot be known.
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                // 1.50 stays 1.50 in the tree, so UsageRecordEntry#amount is what was sent.
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                .build();
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Integer)
                .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Float)
                .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return mapper;
    }

    /** Why the bytes are not JSON, with line and column. */
    public static String describeSyntaxError(JsonProcessingException e) {
        StringBuilder sb = new StringBuilder("payload is not valid JSON");
        if (e.getLocation() != null) {
            sb.append(" at line ").append(e.getLocation().getLineNr()).append(", column ").append(e.getLocation().getColumnNr());
        }
        return sb.append(": ").append(firstLine(e.getOriginalMessage())).toString();
    }

    /** Why valid JSON does not have the shape of a usage message, naming the field path. */
    public static String describeShapeError(JsonMappingException e, JsonNode tree) {
        String path = path(e.getPath());
        String where = path.isEmpty() ? "payload" : path;
        if (e instanceof MismatchedInputException) {
            Class<?> target = ((MismatchedInputException) e).getTargetType();
            JsonNode found = find(tree, e.getPath());
            if (target != null && found != null && !found.isMissingNode()) {
                return where + ": expected " + describe(target) + ", got " + kind(found);
            }
        }
        return where + ": " + firstLine(e.getOriginalMessage());
    }

    /** {@code unitUsageRecords[0].usageRecords[1].amount}: the form Bean Validation uses. */
    static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static JsonNode find(JsonNode tree, List<JsonMappingException.Reference> refs) {
        JsonNode node = tree;
        for (JsonMappingException.Reference r : refs) {
            if (node == null) {
                return null;
            }
            node = r.getFieldName() != null ? node.get(r.getFieldName()) : r.getIndex() >= 0 ? node.get(r.getIndex()) : null;
        }
        return node;
    }

    private static String describe(Class<?> target) {
        if (CharSequence.class.isAssignableFrom(target)) {
            return "a string";
        }
        if (target == BigDecimal.class) {
            return "a number";
        }
        if (target == Integer.class || target == int.class) {
            return "an integer";
        }
        if (Collection.class.isAssignableFrom(target)) {
            return "an array";
        }
        return "an object";
    }

    /** What a JSON value is, in words: "a string", "an array", "null". */
    public static String kind(JsonNode node) {
        JsonNodeType type = node.getNodeType();
        switch (type) {
            case ARRAY:
                return "an array";
            case OBJECT:
            case POJO:
                return "an object";
            case NULL:
                return "null";
            default:
                return "a " + type.name().toLowerCase(Locale.ROOT);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
