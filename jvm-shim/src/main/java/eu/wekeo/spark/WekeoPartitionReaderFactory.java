package eu.wekeo.spark;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/** Creates columnar readers on executors; rows are never materialised by the source. */
public final class WekeoPartitionReaderFactory implements PartitionReaderFactory {
  private static final long serialVersionUID = 2L;

  private final WekeoOptions options;
  private final StructType schema;

  WekeoPartitionReaderFactory(WekeoOptions options, StructType schema) {
    this.options = options;
    this.schema = schema;
  }

  @Override
  public boolean supportColumnarReads(InputPartition partition) {
    return true;
  }

  @Override
  public PartitionReader<ColumnarBatch> createColumnarReader(InputPartition partition) {
    return new WekeoColumnarReader((WekeoInputPartition) partition, options, schema);
  }

  @Override
  public PartitionReader<InternalRow> createReader(InputPartition partition) {
    throw new UnsupportedOperationException("the wekeo source reads columnar batches only");
  }
}
