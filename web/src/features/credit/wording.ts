import type { Locale } from "../../i18n";
import { localDayjs } from "../../lib/antd";
import type { CorrectiveAction, Fact } from "./api";
import { creditText, hasCreditText, type TextId } from "./text";

type Vars = Record<string, string | number>;

/**
 * The reader's half of a server sentence written "中文 / English" (rule wordings, older facts);
 * a sentence without exactly one such separator is shown whole.
 */
export function pickBilingual(text: string, locale: Locale): string {
  const parts = text.split(" / ");
  if (parts.length !== 2) return text;
  const [zh, en] = parts as [string, string];
  return (locale === "en" ? en : zh).trim();
}

/** A text id built from an API value, or the fallback when the value is unknown to the app. */
function label(locale: Locale, id: string, fallback: TextId, vars?: Vars): string {
  return creditText(locale, hasCreditText(id) ? id : fallback, vars);
}

/** The label of a fact's kind ("finding:flying_inspection" → 监督检查 · 飞行检查). */
export function factKind(kind: string, locale: Locale): string {
  if (kind.startsWith("finding:")) {
    const sub = kind.slice("finding:".length);
    return `${creditText(locale, "credit.kind.finding")} · ${label(locale, `credit.finding.kind.${sub}`, "credit.finding.kind.other")}`;
  }
  return label(locale, `credit.kind.${kind}`, "credit.kind.other");
}

const str = (value: unknown) => (value === null || value === undefined ? "" : String(value));

/** A fact in the reader's words, from its parts; the server's sentence when it has none. */
export function factText(fact: Fact, locale: Locale): string {
  const d = fact.detail;
  if (!d) return pickBilingual(fact.text, locale);
  const t = (id: string, fallback: TextId, vars?: Vars) => label(locale, id, fallback, vars);
  if (fact.kind === "cma")
    return creditText(locale, "credit.cma.text", {
      number: str(d.number),
      until: str(d.valid_until),
      state: t(`credit.cma.state.${str(d.state)}`, "credit.cma.state.valid"),
    });
  if (fact.kind === "cma_change")
    return t(`credit.cmaChange.${str(d.entity)}`, "credit.cmaChange.cma_certificate");
  if (fact.kind === "pt")
    return creditText(locale, "credit.pt.text", {
      code: str(d.code),
      title: str(d.title),
      kind: t(`credit.pt.kind.${str(d.score_kind)}`, "credit.pt.kind.z"),
      score: typeof d.score === "number" ? d.score.toFixed(2) : "—",
      judgement: t(`credit.pt.judgement.${str(d.judgement)}`, "credit.pt.judgement.satisfactory"),
    });
  if (fact.kind.startsWith("finding:"))
    return creditText(locale, "credit.finding.text", {
      severity: t(`credit.severity.${str(d.severity)}`, "credit.severity.minor"),
      description: str(d.description),
      evidence: str(d.evidence),
    });
  if (fact.kind === "complaint")
    return creditText(locale, "credit.complaint.text", {
      number: str(d.tracking_number),
      summary: str(d.summary),
      outcome: t(`credit.outcome.${str(d.outcome)}`, "credit.outcome.upheld"),
    });
  if (fact.kind === "corrective_action")
    return d.closed_on
      ? creditText(locale, "credit.action.text.closed", {
          description: str(d.description),
          closed: str(d.closed_on),
        })
      : creditText(locale, "credit.action.text.open", {
          description: str(d.description),
          due: str(d.due_on),
        });
  return pickBilingual(fact.text, locale);
}

/** Today's date in Asia/Shanghai, "YYYY-MM-DD" (due dates are Beijing calendar days). */
export function shanghaiToday(now: number = Date.now()): string {
  return localDayjs(now).format("YYYY-MM-DD");
}

export type ActionStatus = "open" | "overdue" | "closed";

/** Closed once it has a closing date; overdue when open past its due day (as the rules count it). */
export function actionStatus(
  action: Pick<CorrectiveAction, "closed_on" | "due_on">,
  today: string,
): ActionStatus {
  if (action.closed_on) return "closed";
  return action.due_on < today ? "overdue" : "open";
}

/**
 * Where a field error of PUT /credit/rules lies, in words: "rules.1.any.0.value" →
 * 规则 2 · 条件 1 · 数值. The numbering is the editor's (from 1).
 */
export function rulesFieldWhere(field: string, locale: Locale): string {
  const parts = field.split(".");
  const words: string[] = [];
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i] ?? "";
    const next = parts[i + 1];
    const index = next !== undefined && /^\d+$/.test(next) ? Number(next) + 1 : null;
    if (part === "rules" && index !== null) {
      words.push(creditText(locale, "rules.where.rule", { n: index }));
      i += 1;
    } else if (part === "any" && index !== null) {
      words.push(creditText(locale, "rules.where.condition", { n: index }));
      i += 1;
    } else if (part === "window_days" || part === "default") {
      words.push(creditText(locale, `rules.where.${part}`));
    } else if (hasCreditText(`rules.where.${part}`)) {
      words.push(creditText(locale, `rules.where.${part}` as TextId));
    }
  }
  return words.length ? words.join(" · ") : creditText(locale, "rules.where.other");
}

/** What is wrong, from pydantic's English message, in the reader's words. */
export function rulesFieldProblem(message: string, locale: Locale): string {
  if (/greater than|less than/i.test(message)) return creditText(locale, "rules.invalid.range");
  if (/required|at least 1 (character|item)/i.test(message))
    return creditText(locale, "rules.invalid.required");
  if (/at most \d+ character/i.test(message)) return creditText(locale, "rules.invalid.tooLong");
  return creditText(locale, "rules.invalid.value");
}

/** The form's name path of a server field ("rules.1.any.0.value" → ["rules", 1, "any", 0, "value"]). */
export function fieldNamePath(field: string): (string | number)[] {
  return field.split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}
