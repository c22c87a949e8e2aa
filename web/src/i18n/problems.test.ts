import { describe, expect, it } from "vitest";
import type { Problem } from "../api";
import { describeProblem } from "./problems";

const base = { instance: "/api/v1/bookings" };

describe("server problems in the reader's language", () => {
  it("names a slot conflict with Beijing local times instead of UTC ISO strings", () => {
    const problem: Problem = {
      ...base,
      type: "/problems/booking-conflict",
      title: "The slot is already booked",
      status: 409,
      detail: "The instrument is already booked at 2026-12-03T01:00:00+00:00 – 2026-12-03T02:30:00+00:00",
      conflicting_slots: [{ start_at: "2026-12-03T01:00:00+00:00", end_at: "2026-12-03T02:30:00+00:00" }],
    };
    const zh = describeProblem(problem, "zh-CN");
    expect(zh.title).toBe("该时段已被预约");
    expect(zh.details).toEqual(["与已有预约冲突：2026-12-03 09:00 – 10:30"]);
    const en = describeProblem(problem, "en");
    expect(en.details).toEqual(["It overlaps an existing booking: 2026-12-03 09:00 – 10:30"]);
  });

  it("uses the time zone the API gives for the context", () => {
    const problem: Problem = {
      ...base,
      type: "/problems/booking-conflict",
      title: "x",
      status: 409,
      conflicting_slots: [{ start_at: "2026-12-03T01:00:00Z", end_at: "2026-12-03T02:00:00Z" }],
    };
    expect(describeProblem(problem, "en", "Europe/Berlin").details[0]).toContain("2026-12-03 02:00 – 03:00");
  });

  it("turns the booking rules' field errors into sentences with their numbers", () => {
    const problem: Problem = {
      ...base,
      type: "/problems/validation-failed",
      title: "Validation failed",
      status: 422,
      detail: "start_at: book at least 120 minutes ahead",
      errors: [
        { field: "start_at", message: "book at least 120 minutes ahead" },
        { field: "end_at", message: "must be on the 30-minute slot grid" },
        { field: "sample_count", message: "Input should be greater than or equal to 0" },
      ],
    };
    expect(describeProblem(problem, "zh-CN")).toEqual({
      title: "请检查填写内容",
      details: ["请至少提前 120 分钟预约", "结束时间须落在 30 分钟的时段刻度上", "样品数量：取值不正确"],
    });
    expect(describeProblem(problem, "en").details[1]).toBe("End must be on the 30-minute slot grid");
  });

  it("explains quota and unusable-instrument refusals from their extension members", () => {
    const quotaProblem = {
      ...base,
      type: "/problems/quota-exceeded",
      title: "q",
      status: 409,
      period: "month",
      quota_hours: "20.00",
      used_minutes: 1140,
    };
    const quota = describeProblem(quotaProblem, "zh-CN");
    expect(quota).toEqual({
      title: "超出预约配额",
      details: ["贵单位在该仪器上每月可预约 20 小时，已预约 1140 分钟。"],
    });
    // The server names it by code as well (in a quote's refusals and in the error).
    expect(describeProblem({ ...quotaProblem, code: "quota_exceeded" }, "zh-CN")).toEqual(quota);
    const unusable = describeProblem(
      {
        ...base,
        type: "/problems/instrument-unusable",
        title: "u",
        status: 409,
        reason: "calibration_expired",
        blocked_from: "2026-12-10T16:00:00Z",
      },
      "zh-CN",
    );
    expect(unusable.details).toEqual(["仪器校准已过期（自 2026-12-11 00:00 起）"]);
  });

  it("keeps the log-in lock-out message and never shows English to a Chinese reader", () => {
    const locked = describeProblem(
      { ...base, title: "Too many", status: 429, code: "login_throttled", retry_after_s: 42 },
      "zh-CN",
    );
    expect(locked.details).toEqual(["为保护账号安全，登录已暂停，请在 42 秒后重试。"]);
    const other = describeProblem(
      { ...base, title: "Conflict", status: 409, detail: "A cancelled booking cannot be cancelled" },
      "zh-CN",
    );
    expect(other).toEqual({ title: "与当前状态冲突", details: [] });
    expect(describeProblem({ ...base, title: "Bad Gateway", status: 502 }, "en").title).toBe(
      "The server is unavailable; try again shortly",
    );
  });

  it("says in both languages why an instrument import was refused, by its stable code", () => {
    const problem: Problem = {
      instance: "/api/v1/instruments/import",
      type: "/problems/import-not-xlsx",
      title: "Not an XLSX workbook",
      status: 415,
      detail: "This is an Excel 97-2003 (.xls) file: save it as .xlsx and upload again",
      code: "import_not_xlsx",
    };
    expect(describeProblem(problem, "zh-CN").title).toBe("文件不是 XLSX 工作簿");
    const rows = describeProblem(
      { ...problem, type: "/problems/import-rows-invalid", status: 422, code: "import_rows_invalid" },
      "en",
    );
    expect(rows.title).toBe("Some rows have errors; nothing was imported");
  });
});
