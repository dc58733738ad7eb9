// Writes three transactions with the Java client of the broker's own
// version (run by tests/compat.rs as `java -cp <that version's jars>
// TxnWriter.java BOOTSTRAP TOPIC`): "c0" committed, "a" aborted, "c1"
// committed, five records each, all to partition 0.
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class TxnWriter {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        p.put("transactional.id", args[1] + "-java-tx");
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            String[] names = {"c0", "a", "c1"};
            for (String name : names) {
                producer.beginTransaction();
                for (int i = 0; i < 5; i++) {
                    producer.send(new ProducerRecord<>(args[1], 0, name, name + "-" + i)).get();
                }
                if (name.startsWith("c")) {
                    producer.commitTransaction();
                } else {
                    producer.abortTransaction();
                }
            }
        }
        System.out.println("written");
    }
}
