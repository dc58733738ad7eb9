// Golden vectors written by Kafka itself: for every API ferrokafka speaks,
// request and response, every version Kafka's generated classes support,
// an instance of org.apache.kafka.common.message.<Name>Data with a
// distinct, non-default value in every field, serialized by Kafka's own
// code. For each it writes <out>/<Api>/<request|response>-v<N>.bin and the
// JSON of the object as Kafka reads those bytes back (its generated
// <Name>DataJsonConverter). Run by scripts/golden/generate.sh.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;

import java.lang.reflect.*;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.regex.*;

public class MessageVectors {
    static final String[] APIS = {
        "ApiVersions", "Metadata", "Produce", "Fetch", "ListOffsets", "FindCoordinator",
        "JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup", "OffsetCommit", "OffsetFetch",
        "InitProducerId", "CreateTopics", "DeleteTopics", "SaslHandshake", "SaslAuthenticate",
        "AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn", "TxnOffsetCommit",
        "DescribeTransactions", "ListTransactions", "ConsumerGroupHeartbeat", "ConsumerGroupDescribe",
        "CreatePartitions", "ListGroups", "DescribeGroups", "DeleteGroups", "OffsetDelete",
        "DeleteRecords", "DescribeConfigs", "IncrementalAlterConfigs",
        "DescribeCluster", "DescribeLogDirs", "ElectLeaders", "ListPartitionReassignments",
        "AlterPartitionReassignments", "CreateAcls", "DescribeAcls", "DeleteAcls",
        "DescribeUserScramCredentials", "AlterUserScramCredentials", "DescribeClientQuotas",
        "AlterClientQuotas", "DescribeProducers",
    };
    static int counter = 0;
    static final ObjectMapper MAPPER = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        Path out = Paths.get(args[0]);
        int written = 0;
        for (String api : APIS) {
            for (String kind : new String[] {"Request", "Response"}) {
                Class<?> cls = Class.forName("org.apache.kafka.common.message." + api + kind + "Data");
                short lo = cls.getField("LOWEST_SUPPORTED_VERSION").getShort(null);
                short hi = cls.getField("HIGHEST_SUPPORTED_VERSION").getShort(null);
                for (short v = lo; v <= hi; v++) {
                    counter = v * 1000;
                    Message msg = (Message) cls.getConstructor().newInstance();
                    fill(msg);
                    byte[] bytes = serialize(msg, v);
                    Message back = (Message) cls.getConstructor(
                        org.apache.kafka.common.protocol.Readable.class, short.class)
                        .newInstance(new ByteBufferAccessor(ByteBuffer.wrap(bytes)), v);
                    Class<?> conv = Class.forName(cls.getName() + "JsonConverter");
                    JsonNode json = (JsonNode) conv.getMethod("write", cls, short.class).invoke(null, back, v);
                    Path dir = out.resolve(api);
                    Files.createDirectories(dir);
                    String base = kind.toLowerCase() + "-v" + v;
                    Files.write(dir.resolve(base + ".bin"), bytes);
                    Files.writeString(dir.resolve(base + ".json"),
                        MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
                    written++;
                }
                System.out.println(api + kind + ": v" + lo + "-" + hi);
            }
        }
        System.out.println(written + " vectors in " + out);
    }

    // Writes msg at version v. Kafka refuses a non-default value in a field
    // the version lacks, naming the field: reset it and try again.
    static byte[] serialize(Message msg, short v) throws Exception {
        Pattern named = Pattern.compile("non-default (\\w+) at version");
        String last = null;
        int depth = 0;
        for (int attempt = 0; attempt < 200; attempt++) {
            try {
                ObjectSerializationCache cache = new ObjectSerializationCache();
                int size = msg.size(cache, v);
                ByteBuffer buf = ByteBuffer.allocate(size);
                msg.write(new ByteBufferAccessor(buf), cache, v);
                if (buf.hasRemaining()) throw new IllegalStateException("size mismatch");
                return buf.array();
            } catch (UnsupportedVersionException e) {
                Matcher m = named.matcher(String.valueOf(e.getMessage()));
                if (!m.find()) throw e;
                // The message does not say which structure holds the field:
                // reset the shallowest occurrences first, deeper ones only
                // if Kafka still refuses, so that same-named fields the
                // version does have keep their values.
                depth = m.group(1).equals(last) ? depth + 1 : 0;
                last = m.group(1);
                if (depth > 8) throw new IllegalStateException("cannot reset " + last, e);
                reset(msg, last, depth);
            }
        }
        throw new IllegalStateException("too many resets");
    }

    // Resets every field named `name` in the object tree to its default.
    static boolean reset(Object obj, String name, int depth) throws Exception {
        boolean any = false;
        for (Field f : fields(obj.getClass())) {
            f.setAccessible(true);
            Object value = f.get(obj);
            if (f.getName().equals(name) && depth == 0) {
                Object fresh = obj.getClass().getConstructor().newInstance();
                f.set(obj, f.get(fresh));
                any = true;
            } else if (depth > 0 && value instanceof Message) {
                any |= reset(value, name, depth - 1);
            } else if (depth > 0 && value instanceof Collection) {
                for (Object e : (Collection<?>) value) if (e instanceof Message) any |= reset(e, name, depth - 1);
            }
        }
        return any;
    }

    static List<Field> fields(Class<?> c) {
        List<Field> out = new ArrayList<>();
        for (Field f : c.getDeclaredFields()) {
            int mod = f.getModifiers();
            if (Modifier.isStatic(mod) || f.getName().startsWith("_")) continue;
            // The links of ImplicitLinkedHashCollection elements, not data.
            if (f.getType() == int.class && (f.getName().equals("next") || f.getName().equals("prev"))) continue;
            out.add(f);
        }
        return out;
    }

    static void fill(Object obj) throws Exception {
        for (Field f : fields(obj.getClass())) {
            f.setAccessible(true);
            Object v = value(f.getType(), f.getGenericType(), f.getName());
            if (v != null) f.set(obj, v);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static Object value(Class<?> t, Type generic, String name) throws Exception {
        int n = ++counter;
        if (t == Integer.class) return n + 100;
        if (t == Long.class) return (long) n * 1_000_003L;
        if (t == byte.class) return (byte) (n % 100 + 1);
        if (t == short.class) return (short) (n % 30000 + 1);
        if (t == int.class) return n + 100;
        if (t == long.class) return (long) n * 1_000_003L;
        if (t == double.class) return n + 0.5;
        if (t == boolean.class) return true;
        if (t == String.class) return "str-" + n;
        if (t == byte[].class) return ("bytes-" + n).getBytes(StandardCharsets.UTF_8);
        if (t == ByteBuffer.class) return ByteBuffer.wrap(("buf-" + n).getBytes(StandardCharsets.UTF_8));
        if (t == Uuid.class) return new Uuid(n * 31L + 7, n * 17L + 3);
        if (BaseRecords.class.isAssignableFrom(t)) {
            return MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(1_700_000_000_000L + n, ("k" + n).getBytes(), ("v" + n).getBytes()));
        }
        if (Message.class.isAssignableFrom(t)) {
            Object o = t.getConstructor().newInstance();
            fill(o);
            return o;
        }
        if (Collection.class.isAssignableFrom(t)) {
            Class<?> elem = elementType(t, generic);
            Collection c = t.isInterface() ? new ArrayList<>() : (Collection) t.getConstructor().newInstance();
            for (int i = 0; i < 2; i++) c.add(value(elem, elem, name));
            return c;
        }
        throw new IllegalStateException("no value for " + t + " " + name);
    }

    static Class<?> elementType(Class<?> t, Type generic) {
        Type g = generic;
        if (!(g instanceof ParameterizedType)) g = t.getGenericSuperclass();
        while (g != null && !(g instanceof ParameterizedType)) g = ((Class<?>) g).getGenericSuperclass();
        if (g == null) throw new IllegalStateException("no element type for " + t);
        Type a = ((ParameterizedType) g).getActualTypeArguments()[0];
        return (Class<?>) a;
    }
}
