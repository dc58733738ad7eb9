// Record batches written by Kafka's own Java client code (kafka-clients'
// MemoryRecordsBuilder), one per codec, plus a transactional batch and a
// commit marker. The records are fixed here and in
// protocol/src/records/tests.rs, which checks our decoder against them.
// Run by scripts/golden/generate.sh.
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.internal.*;
import org.apache.kafka.common.record.TimestampType;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;

public class RecordBatchVectors {
    static final long T0 = 1_700_000_000_000L;

    static byte[] b(String s) { return s == null ? null : s.getBytes(StandardCharsets.UTF_8); }

    static byte[] build(CompressionType type, boolean transactional) {
        MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(1 << 16),
            RecordBatch.CURRENT_MAGIC_VALUE, Compression.of(type).build(), TimestampType.CREATE_TIME,
            100L, RecordBatch.NO_TIMESTAMP, 4242L, (short) 3, 17, transactional, 5);
        builder.append(T0, b("key-0"), b("value-0"), new Header[] {new RecordHeader("h1", b("v1"))});
        builder.append(T0 + 5, null, b("value-1"), new Header[0]);
        builder.append(T0 + 10, b("key-2"), null,
            new Header[] {new RecordHeader("n", null), new RecordHeader("x", b("y"))});
        builder.append(T0 + 3, b("key-3"), b("abcdefghij".repeat(30)), new Header[0]);
        ByteBuffer buf = builder.build().buffer();
        byte[] out = new byte[buf.remaining()];
        buf.get(out);
        return out;
    }

    public static void main(String[] args) throws Exception {
        Path out = Paths.get(args[0]);
        Files.createDirectories(out);
        for (CompressionType t : new CompressionType[] {CompressionType.NONE, CompressionType.GZIP,
                CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD}) {
            Files.write(out.resolve("java-" + t.name + ".bin"), build(t, false));
        }
        Files.write(out.resolve("java-transactional.bin"), build(CompressionType.NONE, true));
        MemoryRecords marker = MemoryRecords.withEndTransactionMarker(200L, T0 + 20, 5, 4242L, (short) 3,
            new EndTransactionMarker(ControlRecordType.COMMIT, 9));
        ByteBuffer buf = marker.buffer();
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        Files.write(out.resolve("java-control-commit.bin"), bytes);
        System.out.println("record batch vectors in " + out);
    }
}
