package eu.wekeo.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Arrow schema of the bridge → Spark schema, for the types the points layout uses. */
final class ArrowSchemas {
  private ArrowSchemas() {}

  static StructType toSpark(Schema schema) {
    List<StructField> fields = new ArrayList<>();
    for (Field f : schema.getFields()) {
      MetadataBuilder md = new MetadataBuilder();
      if (f.getMetadata() != null) f.getMetadata().forEach(md::putString);
      fields.add(new StructField(f.getName(), toSpark(f), f.isNullable(), md.build()));
    }
    return new StructType(fields.toArray(new StructField[0]));
  }

  static DataType toSpark(Field f) {
    ArrowType t = f.getType();
    if (t instanceof ArrowType.FloatingPoint fp) {
      return fp.getPrecision() == FloatingPointPrecision.SINGLE ? DataTypes.FloatType : DataTypes.DoubleType;
    }
    if (t instanceof ArrowType.Int i && i.getIsSigned()) {
      return switch (i.getBitWidth()) {
        case 8 -> DataTypes.ByteType;
        case 16 -> DataTypes.ShortType;
        case 32 -> DataTypes.IntegerType;
        default -> DataTypes.LongType;
      };
    }
    if (t instanceof ArrowType.Utf8) return DataTypes.StringType;
    if (t instanceof ArrowType.FixedSizeList && f.getChildren().size() == 1
        && f.getChildren().get(0).getType() instanceof ArrowType.FloatingPoint cfp && cfp.getPrecision() == FloatingPointPrecision.SINGLE) {
      return DataTypes.createArrayType(DataTypes.FloatType, true); // tiles layout chips
    }
    if (t instanceof ArrowType.Timestamp ts && ts.getUnit() == TimeUnit.MICROSECOND && ts.getTimezone() != null) {
      return DataTypes.TimestampType;
    }
    if (t instanceof ArrowType.Utf8) return DataTypes.StringType; // level_type over several variable groups
    throw new IllegalArgumentException(
        "column " + f.getName() + " has Arrow type " + t + ", which the wekeo Spark source does not map"
            + " (unsigned and variable-length list columns are not supported)");
  }

  static Metadata none() {
    return Metadata.empty();
  }
}
