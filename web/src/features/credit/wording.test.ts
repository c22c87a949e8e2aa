import { describe, expect, it } from "vitest";
import type { Fact } from "./api";
import {
  actionStatus,
  factKind,
  factText,
  pickBilingual,
  rulesFieldProblem,
  rulesFieldWhere,
  shanghaiToday,
} from "./wording";

const fact = (kind: string, detail: Fact["detail"], text = "原文 / original"): Fact => ({
  on: "2026-11-03",
  kind,
  text,
  counted: null,
  detail,
});

describe("credit wording", () => {
  it("takes the reader's half of a bilingual server sentence", () => {
    expect(pickBilingual("无不良记录 / no adverse facts in the window", "zh-CN")).toBe("无不良记录");
    expect(pickBilingual("无不良记录 / no adverse facts in the window", "en")).toBe(
      "no adverse facts in the window",
    );
    expect(pickBilingual("ok", "en")).toBe("ok");
  });

  it("words facts from their parts, never with the API's values", () => {
    const pt = fact("pt", {
      code: "ZJ-PT-2026-01",
      title: "恒温油槽",
      score_kind: "z_prime",
      score: 2.234,
      judgement: "questionable",
    });
    expect(factText(pt, "zh-CN")).toBe("ZJ-PT-2026-01 恒温油槽：z′ 比分数 = 2.23，有问题");
    expect(factText(pt, "en")).toBe("ZJ-PT-2026-01 恒温油槽: z′ score = 2.23, questionable");
    const cma = fact("cma", { number: "231112050001", valid_until: "2030-01-01", state: "renewal_due" });
    expect(factText(cma, "zh-CN")).toBe("CMA 231112050001，有效期至 2030-01-01，有效，临近复查");
    const complaint = fact("complaint", {
      tracking_number: "TS-1",
      summary: "报告错误",
      outcome: "partly_upheld",
    });
    expect(factText(complaint, "en")).toBe("Complaint TS-1: 报告错误: partly upheld");
    const finding = fact("finding:flying_inspection", {
      severity: "major",
      description: "记录缺失",
      evidence: "FX-7",
    });
    expect(factText(finding, "zh-CN")).toBe("较重问题：记录缺失（证据：FX-7）");
    expect(factKind("finding:flying_inspection", "zh-CN")).toBe("监督检查 · 飞行检查");
    expect(factKind("finding:reconciliation_flag", "en")).toBe("Supervisory finding · Reconciliation flag");
    const action = fact("corrective_action", {
      description: "补记录",
      due_on: "2026-12-01",
      closed_on: null,
    });
    expect(factText(action, "zh-CN")).toBe("补记录（整改期限 2026-12-01）");
    // A fact from an older server without parts: its own sentence, the reader's half.
    expect(factText(fact("cma_change", undefined), "en")).toBe("original");
  });

  it("calls an open action overdue from the day after its due day in Beijing", () => {
    // 2026-12-01 16:30 UTC is already 2026-12-02 in Beijing.
    const today = shanghaiToday(Date.UTC(2026, 11, 1, 16, 30));
    expect(today).toBe("2026-12-02");
    expect(actionStatus({ due_on: "2026-12-02", closed_on: null }, today)).toBe("open");
    expect(actionStatus({ due_on: "2026-12-01", closed_on: null }, today)).toBe("overdue");
    expect(actionStatus({ due_on: "2026-12-01", closed_on: "2026-12-03" }, today)).toBe("closed");
  });

  it("places a rules validation error in the editor's own numbering and words", () => {
    expect(rulesFieldWhere("rules.1.any.0.value", "zh-CN")).toBe("规则 2 · 条件 1 · 数值");
    expect(rulesFieldWhere("window_days", "en")).toBe("Window");
    expect(rulesFieldWhere("rules.0.class", "en")).toBe("Rule 1 · class");
    expect(rulesFieldProblem("Input should be greater than or equal to 30", "zh-CN")).toBe("超出允许范围");
    expect(rulesFieldProblem("List should have at least 1 item after validation, not 0", "en")).toBe(
      "must not be empty",
    );
    expect(rulesFieldProblem("Input should be '==', '>=', '>', '<=' or '<'", "zh-CN")).toBe("取值不正确");
  });
});
