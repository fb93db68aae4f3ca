import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterEach, describe, expect, it } from "vitest";
import {
  emptyTemplate,
  sharedOptions,
  templateFile,
  withoutWalAfter,
} from "../../../local/cloud/pg-template.ts";

const dirs: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "cplane-template-test-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A ustar archive of regular files (name, bytes), as PGlite's dump writes them. */
function tar(files: [string, number][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, size] of files) {
    const header = new Uint8Array(512);
    header.set(new TextEncoder().encode(name), 0);
    header.set(new TextEncoder().encode(`${size.toString(8).padStart(11, "0")}\0`), 124);
    parts.push(header, new Uint8Array(Math.ceil(size / 512) * 512).fill(7));
  }
  parts.push(new Uint8Array(1024));
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

function names(archive: Uint8Array): string[] {
  const found: string[] = [];
  for (let offset = 0; offset + 512 <= archive.length; ) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    found.push(new TextDecoder().decode(header.subarray(0, 100)).replace(/\0[\s\S]*$/, ""));
    const size = Number.parseInt(new TextDecoder().decode(header.subarray(124, 135)), 8);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return found;
}

describe("the tenant database template", () => {
  it("leaves out only the WAL segments after the current one", () => {
    const archive = tar([
      ["/base/5/1259", 1000],
      ["/pg_wal/000000010000000000000006", 2048],
      ["/pg_wal/000000010000000000000007", 2048],
      ["/pg_wal/000000010000000000000008", 2048],
      ["/pg_wal/archive_status", 0],
      ["/pg_wal/00000001000000000000000A", 2048],
      ["/postgresql.auto.conf", 90],
    ]);

    const trimmed = withoutWalAfter(archive, "000000010000000000000007");

    expect(names(trimmed)).toEqual([
      "/base/5/1259",
      "/pg_wal/000000010000000000000006",
      "/pg_wal/000000010000000000000007",
      "/pg_wal/archive_status",
      "/postgresql.auto.conf",
    ]);
    expect(trimmed.length).toBe(archive.length - 2 * (512 + 2048));
  });

  it("opens as a one-database cluster with 1 MB WAL segments and a bounded WAL", async () => {
    const template = await emptyTemplate(scratch());
    const db = await PGlite.create({ ...(await sharedOptions()), loadDataDir: template });
    try {
      const databases = await db.query<{ datname: string }>("SELECT datname FROM pg_database ORDER BY 1");
      const settings = await db.query<{ name: string; setting: string; unit: string | null }>(
        "SELECT name, setting, unit FROM pg_settings WHERE name IN ('wal_segment_size', 'min_wal_size', 'max_wal_size') ORDER BY 1",
      );

      expect(databases.rows.map((r) => r.datname)).toEqual(["postgres"]);
      expect(settings.rows).toEqual([
        { name: "max_wal_size", setting: "16", unit: "MB" },
        { name: "min_wal_size", setting: "2", unit: "MB" },
        { name: "wal_segment_size", setting: "1048576", unit: "B" },
      ]);
      expect(template.size).toBeLessThan(12 * 2 ** 20);
    } finally {
      await db.close();
    }
  });

  it("is read from the machine's file once made, not made again", async () => {
    const dir = scratch();
    const planted = tar([["/PG_VERSION", 3]]);
    writeFileSync(await templateFile(dir), planted);

    const template = await emptyTemplate(dir);

    expect(new Uint8Array(await template.arrayBuffer())).toEqual(planted);
  });
});
