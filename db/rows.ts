// Raw SQL rows (snake_case, as the driver returns them) mapped to a table's drizzle row type, by the table's
// own column definitions: one mapping per table, derived from the schema, whichever way the row was read.
import { getTableColumns, type InferSelectModel, type Table } from "drizzle-orm";
import type { Row } from "./client.ts";

export function rowMapper<T extends Table>(table: T): (raw: Row) => InferSelectModel<T> {
  const columns = Object.entries(getTableColumns(table));
  return (raw) => {
    const out: Record<string, unknown> = {};
    for (const [key, column] of columns) {
      const value = raw[column.name];
      out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return out as InferSelectModel<T>;
  };
}
