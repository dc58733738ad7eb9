// One member of a consumer group for scripts/bench-rebalance.sh, with the
// broker's own Java client (compiled by the script with javac against
// $FERROKAFKA_KAFKA_CLASSPATH). The twin of examples/rebalance_member.rs:
// same arguments, same out file.
//
//   java -cp <dir>:<kafka jars> RebalanceMember --bootstrap HOST:PORT \
//       --topic T --group G --protocol classic|consumer --out FILE --stop FILE
//
// The out file gets "created <ms>" and "first <ms>" as they happen, then
// at the end one "gap <end ms> <length ms>" line per pause of 10 ms or
// more between two records, "records <n>" and "done <ms>". classic uses
// the CooperativeStickyAssignor; consumer is KIP-848 with the broker's
// assignor. Everything else is left at the client's defaults.
import java.io.File;
import java.io.FileWriter;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class RebalanceMember {
    static final long GAP_MS = 10;

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        }
        for (String name : new String[] {"bootstrap", "topic", "group", "protocol", "out", "stop"}) {
            if (!args.containsKey(name)) {
                throw new IllegalArgumentException("--" + name + " is required");
            }
        }
        String protocol = args.get("protocol");
        Properties p = new Properties();
        p.put("bootstrap.servers", args.get("bootstrap"));
        p.put("group.id", args.get("group"));
        p.put("auto.offset.reset", "latest");
        p.put("group.protocol", protocol);
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        if (protocol.equals("classic")) {
            p.put("partition.assignment.strategy", CooperativeStickyAssignor.class.getName());
        } else if (!protocol.equals("consumer")) {
            throw new IllegalArgumentException("--protocol " + protocol + ": classic or consumer");
        }
        File stop = new File(args.get("stop"));
        try (PrintWriter out = new PrintWriter(new FileWriter(args.get("out")))) {
            KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
            out.println("created " + System.currentTimeMillis());
            out.flush();
            consumer.subscribe(List.of(args.get("topic")));
            List<long[]> gaps = new ArrayList<>();
            long last = -1;
            long records = 0;
            long checked = System.nanoTime();
            while (true) {
                if (System.nanoTime() - checked >= 100_000_000L) {
                    checked = System.nanoTime();
                    if (stop.exists()) {
                        break;
                    }
                }
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    long now = System.currentTimeMillis();
                    if (last < 0) {
                        out.println("first " + now);
                        out.flush();
                    } else if (now - last >= GAP_MS) {
                        gaps.add(new long[] {now, now - last});
                    }
                    last = now;
                    records++;
                }
            }
            consumer.close();
            for (long[] g : gaps) {
                out.println("gap " + g[0] + " " + g[1]);
            }
            out.println("records " + records);
            out.println("done " + System.currentTimeMillis());
        }
    }
}
