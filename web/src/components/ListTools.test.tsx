import { fireEvent, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { saveBlob } from "../lib/saveBlob";
import { renderWithApp } from "../test/render";
import { filterRows, type ListColumn, sortBy, toCsv, useListTools } from "./ListTools";

vi.mock("../lib/saveBlob", () => ({ saveBlob: vi.fn() }));

interface Row {
  name: string;
  fee: number;
}
const columns: ListColumn<Row>[] = [
  { title: "仪器", value: (r) => r.name },
  { title: "费用", value: (r) => r.fee },
];
const rows: Row[] = [
  { name: "高低温试验箱", fee: 454.7 },
  { name: 'Balance "AX205"', fee: 80 },
  { name: "电子显微镜", fee: 1200 },
];

describe("list tools", () => {
  it("finds rows by any column's words, every word must match", () => {
    expect(filterRows(rows, columns, "试验箱").map((r) => r.name)).toEqual(["高低温试验箱"]);
    expect(filterRows(rows, columns, "balance ax205")).toHaveLength(1);
    expect(filterRows(rows, columns, "1200")).toHaveLength(1);
    expect(filterRows(rows, columns, "balance 1200")).toHaveLength(0);
    expect(filterRows(rows, columns, "  ")).toHaveLength(3);
  });

  it("sorts numbers as numbers", () => {
    expect([...rows].sort(sortBy((r) => r.fee)).map((r) => r.fee)).toEqual([80, 454.7, 1200]);
  });

  it("writes CSV that Excel opens with Chinese intact", () => {
    const csv = toCsv(rows.slice(0, 2), columns);
    expect(csv.startsWith("\uFEFF")).toBe(true);
    expect(csv).toBe('\uFEFF"仪器","费用"\r\n"高低温试验箱","454.7"\r\n"Balance ""AX205""","80"\r\n');
  });

  it("filters the table and exports what is shown", async () => {
    function List() {
      const { shown, toolbar } = useListTools(rows, columns, "list.csv");
      return (
        <>
          {toolbar}
          <ul>
            {shown.map((r) => (
              <li key={r.name}>{r.name}</li>
            ))}
          </ul>
        </>
      );
    }
    renderWithApp(<List />);
    fireEvent.change(screen.getByLabelText("在列表中查找"), { target: { value: "显微镜" } });
    expect(screen.getAllByRole("listitem").map((li) => li.textContent)).toEqual(["电子显微镜"]);
    expect(screen.getByText("显示 1 / 3 条")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: /导出 CSV/ }));
    const [blob, filename] = vi.mocked(saveBlob).mock.calls[0]!;
    expect(filename).toBe("list.csv");
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(blob);
    });
    // Only the row shown (the byte-order mark is read away by the decoder).
    expect(text.replace(/^\uFEFF/, "")).toBe('"仪器","费用"\r\n"电子显微镜","1200"\r\n');
  });
});
