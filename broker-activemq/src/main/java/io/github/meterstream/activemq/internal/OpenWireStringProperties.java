package io.github.meterstream.activemq.internal;

import org.apache.activemq.command.ActiveMQMessage;
import org.apache.activemq.util.ByteSequence;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The string properties of an OpenWire message decoded correctly. The 5.x client writes property
 * strings in Java's modified UTF-8 (a character outside the Basic Multilingual Plane, such as an
 * emoji, becomes two 3-byte surrogates) but reads them back as standard UTF-8, which turns each
 * such character into two U+FFFD. The bytes on the wire are intact, so this class reads the
 * marshalled property map again with {@link DataInputStream#readUTF()}, which decodes modified
 * UTF-8. Only used for values that came out with U+FFFD.
 */
final class OpenWireStringProperties {

    private static final byte NULL = 0;
    private static final byte BOOLEAN = 1;
    private static final byte BYTE = 2;
    private static final byte CHAR = 3;
    private static final byte SHORT = 4;
    private static final byte INTEGER = 5;
    private static final byte LONG = 6;
    private static final byte DOUBLE = 7;
    private static final byte FLOAT = 8;
    private static final byte STRING = 9;
    private static final byte BYTE_ARRAY = 10;
    private static final byte MAP = 11;
    private static final byte LIST = 12;
    private static final byte BIG_STRING = 13;

    private OpenWireStringProperties() {
    }

    /** Top-level string properties of {@code m} as written; empty if they cannot be read. */
    static Map<String, String> of(ActiveMQMessage m) {
        Map<String, String> out = new HashMap<>();
        ByteSequence raw = m.getMarshalledProperties();
        if (raw == null) {
            return out;
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(raw.getData(), raw.getOffset(), raw.getLength()))) {
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                String key = in.readUTF();
                Object value = readValue(in);
                if (value instanceof String) {
                    out.put(key, (String) value);
                }
            }
        } catch (IOException | RuntimeException e) {
            out.clear(); // an unexpected layout: keep what the client decoded
        }
        return out;
    }

    private static Object readValue(DataInputStream in) throws IOException {
        byte type = in.readByte();
        switch (type) {
            case NULL:
                return null;
            case BOOLEAN:
                return in.readBoolean();
            case BYTE:
                return in.readByte();
            case CHAR:
                return in.readChar();
            case SHORT:
                return in.readShort();
            case INTEGER:
                return in.readInt();
            case LONG:
                return in.readLong();
            case DOUBLE:
                return in.readDouble();
            case FLOAT:
                return in.readFloat();
            case STRING:
                return in.readUTF();
            case BIG_STRING:
                return readBigString(in);
            case BYTE_ARRAY:
                in.skipBytes(in.readInt());
                return null;
            case MAP: {
                int n = in.readInt();
                for (int i = 0; i < n; i++) {
                    in.readUTF();
                    readValue(in);
                }
                return null;
            }
            case LIST: {
                int n = in.readInt();
                for (int i = 0; i < n; i++) {
                    readValue(in);
                }
                return null;
            }
            default:
                throw new IOException("unknown property type " + type);
        }
    }

    /** A 4-byte length and modified UTF-8 bytes; decoded in chunks a 2-byte-length readUTF can take. */
    private static String readBigString(DataInputStream in) throws IOException {
        int length = in.readInt();
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        if (length <= 0xFFFF) {
            byte[] framed = new byte[length + 2];
            framed[0] = (byte) (length >>> 8);
            framed[1] = (byte) length;
            System.arraycopy(bytes, 0, framed, 2, length);
            return new DataInputStream(new ByteArrayInputStream(framed)).readUTF();
        }
        throw new IOException("property string too long to re-decode: " + length + " bytes");
    }
}
