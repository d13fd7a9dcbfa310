package eu.wekeo.spark;

import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarArray;
import org.apache.spark.sql.vectorized.ColumnarMap;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The tiles layout's chips (Arrow fixed-size lists of float32) as a Spark array column, over the
 * Arrow buffers: Spark's ArrowColumnVector has no fixed-size-list accessor, so row r is the
 * child's values [r * size, (r + 1) * size).
 */
final class FixedSizeListColumnVector extends ColumnVector {
  private final FixedSizeListVector vector;
  private final ArrowColumnVector child;
  private final int size;

  FixedSizeListColumnVector(FixedSizeListVector vector, DataType type) {
    super(type);
    this.vector = vector;
    this.child = new ArrowColumnVector(vector.getDataVector());
    this.size = vector.getListSize();
  }

  @Override
  public void close() {
    child.close();
  }

  @Override
  public boolean hasNull() {
    return vector.getNullCount() > 0;
  }

  @Override
  public int numNulls() {
    return vector.getNullCount();
  }

  @Override
  public boolean isNullAt(int rowId) {
    return vector.isNull(rowId);
  }

  @Override
  public ColumnarArray getArray(int rowId) {
    return new ColumnarArray(child, rowId * size, size);
  }

  private static UnsupportedOperationException scalar() {
    return new UnsupportedOperationException("a tiles chip column is an array");
  }

  @Override
  public boolean getBoolean(int rowId) {
    throw scalar();
  }

  @Override
  public byte getByte(int rowId) {
    throw scalar();
  }

  @Override
  public short getShort(int rowId) {
    throw scalar();
  }

  @Override
  public int getInt(int rowId) {
    throw scalar();
  }

  @Override
  public long getLong(int rowId) {
    throw scalar();
  }

  @Override
  public float getFloat(int rowId) {
    throw scalar();
  }

  @Override
  public double getDouble(int rowId) {
    throw scalar();
  }

  @Override
  public ColumnarMap getMap(int ordinal) {
    throw scalar();
  }

  @Override
  public Decimal getDecimal(int rowId, int precision, int scale) {
    throw scalar();
  }

  @Override
  public UTF8String getUTF8String(int rowId) {
    throw scalar();
  }

  @Override
  public byte[] getBinary(int rowId) {
    throw scalar();
  }

  @Override
  public ColumnVector getChild(int ordinal) {
    return ordinal == 0 ? child : null;
  }
}
