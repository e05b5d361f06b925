import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Db } from "@/lib/db";
import type { Provider } from "@/lib/db/dialect";
import { PROVIDERS, useMigratedDatabase } from "../helpers/databases";

const ROOT = path.resolve(import.meta.dirname, "../..");
const schemaText = (provider: Provider) => readFileSync(path.join(ROOT, "prisma", provider, "schema.prisma"), "utf8");

function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"' && line[i - 1] !== "\\") quoted = !quoted;
    if (!quoted && line.startsWith("//", i)) return line.slice(0, i);
  }
  return line;
}

type Block = { kind: string; name: string; lines: string[] };

/** The schema's blocks, without comments, blank lines or @db.* native types, one space between words. */
function parseBlocks(text: string): Block[] {
  const lines = text
    .split(/\r?\n/)
    .map((line) =>
      stripComment(line)
        .replace(/@db\.\w+(\([^)]*\))?/g, "")
        .replace(/\s+/g, " ")
        .trim(),
    )
    .filter(Boolean);
  const blocks: Block[] = [];
  let current: Block | null = null;
  for (const line of lines) {
    if (!current) {
      const open = /^(model|enum|view|type|generator|datasource) (\w+) \{$/.exec(line);
      if (!open) throw new Error(`Unexpected line outside a block: ${line}`);
      current = { kind: open[1], name: open[2], lines: [] };
    } else if (line === "}") {
      blocks.push(current);
      current = null;
    } else {
      current.lines.push(line);
    }
  }
  if (current) throw new Error(`Unclosed block ${current.name}`);
  return blocks;
}

/** Everything but the generator and datasource: the part both providers must share. */
function sharedBlocks(text: string): Record<string, string[]> {
  return Object.fromEntries(
    parseBlocks(text)
      .filter((block) => block.kind !== "generator" && block.kind !== "datasource")
      .map((block) => [`${block.kind} ${block.name}`, block.lines]),
  );
}

type Column = { name: string; type: string; nullable: boolean };
type Table = { name: string; columns: Column[]; indexes: { name: string; columns: string[]; unique: boolean }[] };

const SCALARS = new Set(["String", "Int", "BigInt", "Float", "Decimal", "Boolean", "DateTime", "Json", "Bytes"]);

/** The tables and columns a schema declares, by their database names. */
function declaredTables(text: string): Table[] {
  return parseBlocks(text)
    .filter((block) => block.kind === "model")
    .map((block) => {
      const fieldNames = new Map<string, string>();
      const columns: Column[] = [];
      let table = block.name;
      const attributes: string[] = [];
      for (const line of block.lines) {
        if (line.startsWith("@@")) {
          attributes.push(line);
          continue;
        }
        const [field, rawType] = line.split(" ");
        const type = rawType.replace(/[?[\]]/g, "");
        if (!SCALARS.has(type)) continue; // a relation, not a column
        const column = /@map\("([^"]+)"\)/.exec(line)?.[1] ?? field;
        fieldNames.set(field, column);
        columns.push({ name: column, type, nullable: rawType.endsWith("?") });
      }
      const indexes: Table["indexes"] = [];
      for (const attribute of attributes) {
        const mapped = /^@@map\("([^"]+)"\)$/.exec(attribute);
        if (mapped) table = mapped[1];
        const index = /^@@(unique|index)\(\[([^\]]+)\], map: "([^"]+)"\)$/.exec(attribute);
        if (index) {
          const cols = index[2].split(",").map((f) => fieldNames.get(f.trim()) ?? f.trim());
          indexes.push({ name: index[3], columns: cols, unique: index[1] === "unique" });
        } else if (!mapped && /^@@(unique|index)/.test(attribute)) {
          throw new Error(`Give ${attribute} in ${block.name} an explicit map: name so both providers agree`);
        }
      }
      return { name: table, columns, indexes };
    });
}

/**
 * The one allowed difference: PostgreSQL's work_events is partitioned by month of ts, so its
 * primary key must hold ts, while SQLite can autoincrement only a field that is the @id alone.
 */
function withSqliteWorkEventKey(blocks: Record<string, string[]>): Record<string, string[]> {
  const lines = blocks["model WorkEvent"];
  if (!lines?.includes("@@id([id, ts])")) return blocks;
  return {
    ...blocks,
    "model WorkEvent": lines
      .filter((line) => line !== "@@id([id, ts])")
      .map((line) => (line === "id Int @default(autoincrement())" ? "id Int @id @default(autoincrement())" : line)),
  };
}

describe("the SQLite and PostgreSQL schemas", () => {
  it("declare the same models, fields and attributes", () => {
    const sqlite = sharedBlocks(schemaText("sqlite"));
    const postgres = withSqliteWorkEventKey(sharedBlocks(schemaText("postgresql")));
    expect(sharedBlocks(schemaText("postgresql"))["model WorkEvent"]).toContain("@@id([id, ts])");
    expect(Object.keys(sqlite)).toContain("model WorkEvent");
    expect(postgres).toEqual(sqlite);
  });

  it("differ only in the generator, the datasource and @db.* types", () => {
    const postgres = parseBlocks(schemaText("postgresql"));
    expect(postgres.filter((b) => b.kind === "datasource").map((b) => b.lines)).toEqual([['provider = "postgresql"']]);
    expect(
      parseBlocks(schemaText("sqlite"))
        .filter((b) => b.kind === "datasource")
        .map((b) => b.lines),
    ).toEqual([['provider = "sqlite"']]);
    // Every PostgreSQL time is kept to the millisecond with its zone.
    const nativeTypes = schemaText("postgresql").match(/@db\.\w+(\([^)]*\))?/g) ?? [];
    expect(new Set(nativeTypes)).toEqual(new Set(["@db.Timestamptz(3)"]));
    const dateTimes = schemaText("postgresql")
      .split("\n")
      .filter((line) => /^\s+\w+\s+DateTime\??\s/.test(line));
    for (const line of dateTimes) expect(line).toContain("@db.Timestamptz(3)");
  });

  it("would notice a model added to one side only, or a changed field", () => {
    const text = schemaText("sqlite");
    expect(sharedBlocks(`${text}\nmodel Extra {\n  id Int @id\n}\n`)).not.toEqual(sharedBlocks(text));
    expect(sharedBlocks(text.replace("username   String", "username   String?"))).not.toEqual(sharedBlocks(text));
    // Comments and spacing are not differences.
    expect(sharedBlocks(text.replace("model WorkEvent {", "// moved\nmodel   WorkEvent   {"))).toEqual(
      sharedBlocks(text),
    );
  });
});

const SQL_TYPES: Record<Provider, Record<string, string>> = {
  sqlite: { String: "TEXT", Int: "INTEGER", DateTime: "DATETIME", Boolean: "BOOLEAN" },
  postgresql: { String: "text", Int: "integer", DateTime: "timestamp with time zone", Boolean: "boolean" },
};

async function actualTables(db: Db): Promise<Table[]> {
  if (db.provider === "sqlite") {
    const names = await db.raw.query<{ name: string }>(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'`,
    );
    const tables: Table[] = [];
    for (const { name } of names) {
      const info = await db.raw.query<{ name: string; type: string; notnull: number; pk: number }>(
        `PRAGMA table_info("${name}")`,
      );
      const indexList = await db.raw.query<{ name: string; unique: number; origin: string }>(
        `PRAGMA index_list("${name}")`,
      );
      const indexes: Table["indexes"] = [];
      for (const index of indexList.filter((i) => i.origin === "c")) {
        const cols = await db.raw.query<{ name: string }>(`PRAGMA index_info("${index.name}")`);
        indexes.push({ name: index.name, columns: cols.map((c) => c.name), unique: index.unique === 1 });
      }
      tables.push({
        name,
        columns: info.map((c) => ({ name: c.name, type: c.type, nullable: c.notnull === 0 && c.pk === 0 })),
        indexes,
      });
    }
    return tables;
  }
  const columns = await db.raw.query<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
    datetime_precision: number | null;
  }>(
    `SELECT table_name, column_name, data_type, is_nullable, datetime_precision FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name <> '_prisma_migrations'
       -- work_events' month partitions are work_events itself, not tables of their own
       AND table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition)
     ORDER BY table_name, ordinal_position`,
  );
  const indexes = await db.raw.query<{ table_name: string; index_name: string; is_unique: boolean; columns: string[] }>(
    `SELECT t.relname AS table_name, i.relname AS index_name, x.indisunique AS is_unique,
            array_agg(a.attname::text ORDER BY k.ord) AS columns
     FROM pg_index x
     JOIN pg_class i ON i.oid = x.indexrelid
     JOIN pg_class t ON t.oid = x.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
     WHERE n.nspname = current_schema() AND NOT x.indisprimary AND t.relname <> '_prisma_migrations'
       AND NOT t.relispartition
     GROUP BY t.relname, i.relname, x.indisunique`,
  );
  const byTable = new Map<string, Table>();
  for (const c of columns) {
    const table = byTable.get(c.table_name) ?? { name: c.table_name, columns: [], indexes: [] };
    byTable.set(c.table_name, table);
    const type =
      c.data_type === "timestamp with time zone" && c.datetime_precision !== 3
        ? `${c.data_type}(${c.datetime_precision})`
        : c.data_type;
    table.columns.push({ name: c.column_name, type, nullable: c.is_nullable === "YES" });
  }
  for (const i of indexes)
    byTable.get(i.table_name)?.indexes.push({ name: i.index_name, columns: i.columns, unique: i.is_unique });
  return [...byTable.values()];
}

const sortTables = (tables: Table[]) =>
  tables
    .map((t) => ({
      ...t,
      columns: [...t.columns].sort((a, b) => a.name.localeCompare(b.name)),
      indexes: [...t.indexes].sort((a, b) => a.name.localeCompare(b.name)),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));

describe.each(PROVIDERS)("a freshly migrated %s database", (provider) => {
  const database = useMigratedDatabase(provider);

  it("has exactly the tables, columns, nullability and indexes the schema declares", async () => {
    const expected = declaredTables(schemaText(provider)).map((table) => ({
      ...table,
      columns: table.columns.map((c) => ({ ...c, type: SQL_TYPES[provider][c.type] ?? c.type })),
    }));
    expect(expected.map((t) => t.name)).toContain("work_events");
    expect(sortTables(await actualTables(database.db))).toEqual(sortTables(expected));
  });
});
