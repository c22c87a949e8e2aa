import { Alert, Button, Card, Result, Select, Space, Statistic, Table, Tag, Typography, Upload } from "antd";
import type { ColumnsType } from "antd/es/table";
import { useState } from "react";
import { Link } from "react-router";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { hasMessage, useI18n } from "../../i18n";
import { saveBlob } from "../../lib/saveBlob";
import { useMayEdit } from "./InstrumentEditor";
import { type ImportReport, useImportFiles, useImportInstruments, useLabs } from "./editorApi";
import { type TextId, useEditorText } from "./text";

type RowError = ImportReport["errors"][number];

/** `/instruments/import`: a lab's staff bring many instruments in from the sharing platform's
 * spreadsheet: download the template, check a filled one (nothing is stored), see every row's
 * errors or what would change, then import all rows at once. */
export function ImportInstrumentsPage() {
  const t = useEditorText();
  const { locale, pickName } = useI18n();
  const { me, mayEdit } = useMayEdit();
  const labs = useLabs();
  const run = useImportInstruments();
  const files = useImportFiles();
  const [labId, setLabId] = useState<string | undefined>();
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<unknown>(null);
  const report = run.data;

  if (me.isPending) return <Loading />;
  if (!mayEdit) return <Result status="403" title={t("editor.forbidden")} />;

  const chosenLab = labId ?? (labs.data?.length === 1 ? labs.data[0]?.id : undefined);
  const check = (dryRun: boolean) => {
    if (chosenLab && file) run.mutate({ labId: chosenLab, file, dryRun });
  };
  const save = (download: Promise<{ blob: Blob; filename: string | null }>, fallback: string) => {
    setFileError(null);
    download.then(({ blob, filename }) => saveBlob(blob, filename ?? fallback)).catch(setFileError);
  };
  const message = (e: RowError) => {
    const id = `import.error.${e.code}`;
    // English readers get the server's own sentence, which names the value it found.
    return locale === "en" || !hasMessage(id, "registry") ? e.message : t(id as TextId);
  };
  const columns: ColumnsType<RowError> = [
    { title: t("import.row"), dataIndex: "row", width: 80, sorter: (a, b) => a.row - b.row },
    {
      title: t("import.column"),
      key: "column",
      width: 180,
      render: (_, e) => (locale === "en" ? (e.column_en ?? e.column) : e.column) ?? "—",
    },
    { title: t("import.problem"), key: "message", render: (_, e) => message(e) },
  ];

  return (
    <section className="editor-page" data-testid="instrument-import">
      <Link to="/" className="back-link">
        ← {t("editor.backToList")}
      </Link>
      <Typography.Title level={1}>{t("import.title")}</Typography.Title>
      <p className="muted">{t("import.hint")}</p>
      <Card className="editor-form">
        <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
          <Button onClick={() => save(files.template(), "仪器导入模板.xlsx")} data-testid="import-template">
            {t("import.template")}
          </Button>
          <label className="field">
            <span>{t("editor.lab")}</span>
            <Select
              aria-label={t("editor.lab")}
              value={chosenLab}
              onChange={setLabId}
              loading={labs.isPending}
              placeholder={t("editor.chooseLab")}
              style={{ maxWidth: 360, width: "100%" }}
              options={(labs.data ?? []).map((lab) => ({
                value: lab.id,
                label: pickName(lab.name, lab.name_en),
              }))}
            />
          </label>
          <Upload
            accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            maxCount={1}
            beforeUpload={(chosen) => {
              setFile(chosen);
              run.reset();
              return false; // kept here until checked; nothing is sent on choosing
            }}
            onRemove={() => {
              setFile(null);
              run.reset();
            }}
            fileList={file ? [{ uid: "chosen", name: file.name, status: "done" }] : []}
          >
            <Button data-testid="import-choose">{t("import.choose")}</Button>
          </Upload>
          <Space wrap>
            <Button
              type="primary"
              disabled={!chosenLab || !file}
              loading={run.isPending && run.variables?.dryRun}
              onClick={() => check(true)}
              data-testid="import-check"
            >
              {t("import.check")}
            </Button>
            <Button
              disabled={!report?.dry_run || report.errors.length > 0 || report.rows === 0}
              loading={run.isPending && run.variables?.dryRun === false}
              onClick={() => check(false)}
              data-testid="import-run"
            >
              {t("import.run")}
            </Button>
          </Space>
        </Space>
      </Card>
      {!!run.error && <ErrorNotice error={run.error} />}
      {!!fileError && <ErrorNotice error={fileError} />}
      {report && (
        <Card data-testid="import-report">
          {report.committed ? (
            <Alert
              type="success"
              showIcon
              title={t("import.done", { count: report.created + report.updated })}
            />
          ) : report.errors.length ? (
            <Alert type="error" showIcon title={t("import.hasErrors", { count: report.errors.length })} />
          ) : (
            <Alert type="info" showIcon title={t("import.ready")} />
          )}
          <Space size="large" wrap style={{ margin: "16px 0" }}>
            <Statistic title={t("import.rows")} value={report.rows} />
            <Statistic title={t("import.created")} value={report.created} />
            <Statistic title={t("import.updated")} value={report.updated} />
            <Statistic title={t("import.unchanged")} value={report.unchanged} />
          </Space>
          {report.errors.length > 0 && (
            <>
              <Button
                onClick={() =>
                  chosenLab && file && save(files.errorReport(chosenLab, file), "仪器导入错误.xlsx")
                }
                data-testid="import-error-report"
              >
                {t("import.errorReport")}
              </Button>
              <Table<RowError>
                rowKey={(e) => `${e.row}-${e.column ?? ""}-${e.code}`}
                size="small"
                columns={columns}
                dataSource={report.errors}
                pagination={{ pageSize: 20, hideOnSinglePage: true }}
                scroll={{ x: 600 }}
                data-testid="import-errors"
              />
            </>
          )}
          {report.errors.length === 0 && report.results.length > 0 && (
            <Table
              rowKey="row"
              size="small"
              pagination={{ pageSize: 20, hideOnSinglePage: true }}
              dataSource={report.results}
              columns={[
                { title: t("import.row"), dataIndex: "row", width: 80 },
                { title: t("history.field.asset_number"), dataIndex: "asset_number" },
                {
                  title: t("import.action"),
                  dataIndex: "action",
                  render: (action: "create" | "update" | "unchanged") => (
                    <Tag color={action === "create" ? "green" : action === "update" ? "blue" : undefined}>
                      {t(`import.action.${action}`)}
                    </Tag>
                  ),
                },
              ]}
            />
          )}
        </Card>
      )}
    </section>
  );
}
