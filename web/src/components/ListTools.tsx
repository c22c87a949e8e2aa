import { Button, Input, Space } from "antd";
import { useState } from "react";
import { registerText, translate, useI18n } from "../i18n";
import { saveBlob } from "../lib/saveBlob";

const TEXT = {
  "list.search": ["在列表中查找", "Find in this list"],
  "list.export": ["导出 CSV（Excel 可打开）", "Export CSV (opens in Excel)"],
  "list.shown": ["显示 {shown} / {total} 条", "{shown} of {total} shown"],
} as const;
registerText("list", TEXT);

type Cell = string | number | null | undefined;

/** One column as a list's tools see it: its heading and the words or number a row shows there. */
export interface ListColumn<T> {
  title: string;
  value: (row: T) => Cell;
}

function cellText(value: Cell): string {
  return value === null || value === undefined ? "" : String(value);
}

/** Rows whose shown text contains every word of ``query`` (any column, any case). */
export function filterRows<T>(rows: readonly T[], columns: readonly ListColumn<T>[], query: string): T[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...rows];
  return rows.filter((row) => {
    const text = columns.map((c) => cellText(c.value(row)).toLowerCase()).join("\u0000");
    return words.every((word) => text.includes(word));
  });
}

/** An antd ``sorter`` by what the column shows: numbers as numbers, words in Chinese order. */
export function sortBy<T>(value: (row: T) => Cell): (a: T, b: T) => number {
  return (a, b) => {
    const x = value(a);
    const y = value(b);
    if (typeof x === "number" && typeof y === "number") return x - y;
    return cellText(x).localeCompare(cellText(y), "zh-CN");
  };
}

/**
 * The list as CSV that Excel opens as it is: UTF-8 with a byte-order mark (so Chinese shows),
 * CRLF line ends, every field quoted.
 */
export function toCsv<T>(rows: readonly T[], columns: readonly ListColumn<T>[]): string {
  const quote = (text: string) => `"${text.replace(/"/g, '""')}"`;
  const lines = [
    columns.map((c) => quote(c.title)).join(","),
    ...rows.map((row) => columns.map((c) => quote(cellText(c.value(row)))).join(",")),
  ];
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}

/**
 * A find box and an export button over a list: returns the rows to show (filtered by the box)
 * and the toolbar to put above the table. The export holds the rows as shown, in words.
 */
export function useListTools<T>(
  rows: readonly T[] | undefined,
  columns: readonly ListColumn<T>[],
  filename: string,
): { shown: T[]; toolbar: React.ReactNode } {
  const { locale } = useI18n();
  const t = (id: keyof typeof TEXT, vars?: Record<string, number>) => translate(locale, id, vars, "list");
  const [query, setQuery] = useState("");
  const all = rows ?? [];
  const shown = filterRows(all, columns, query);
  const toolbar = (
    <Space wrap className="list-tools" data-testid="list-tools">
      <Input.Search
        allowClear
        size="small"
        aria-label={t("list.search")}
        placeholder={t("list.search")}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        style={{ width: 220 }}
      />
      {query && <span className="muted">{t("list.shown", { shown: shown.length, total: all.length })}</span>}
      <Button
        size="small"
        disabled={shown.length === 0}
        onClick={() =>
          saveBlob(new Blob([toCsv(shown, columns)], { type: "text/csv;charset=utf-8" }), filename)
        }
      >
        {t("list.export")}
      </Button>
    </Space>
  );
  return { shown, toolbar };
}
