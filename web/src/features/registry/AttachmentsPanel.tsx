import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Select } from "antd";
import { type FormEvent, useRef, useState } from "react";
import { useApi } from "../../api";
import type { Schemas } from "../../api/types";
import { ErrorNotice } from "../../components/ErrorNotice";
import { saveBlob } from "../../lib/saveBlob";
import { useEditorText } from "./text";
import "./registry.css";

type Attachment = Schemas["AttachmentPublic"];
export const ATTACHMENT_KINDS = ["photo", "manual", "certificate", "other"] as const;
type Kind = (typeof ATTACHMENT_KINDS)[number];

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Photos, manuals and certificates of the instrument (up to 20 MB each): upload and download. */
export function AttachmentsPanel({ instrumentId }: { instrumentId: string }) {
  const t = useEditorText();
  const api = useApi();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const [kind, setKind] = useState<Kind>("photo");
  const [chosen, setChosen] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const path = `/instruments/${encodeURIComponent(instrumentId)}/attachments`;
  const list = useQuery({
    queryKey: ["registry", instrumentId, "attachments"],
    queryFn: () => api.call<Attachment[]>(path),
  });
  const upload = useMutation({
    mutationFn: (form: FormData) => api.call<Attachment>(path, { method: "POST", body: form }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["registry", instrumentId, "attachments"] }),
  });
  const download = useMutation({
    mutationFn: async (a: Attachment) => {
      const { blob } = await api.download(`/attachments/${encodeURIComponent(a.id)}/content`);
      saveBlob(blob, a.filename);
    },
  });
  const kindLabel = (value: string) =>
    (ATTACHMENT_KINDS as readonly string[]).includes(value)
      ? t(`files.kind.${value as Kind}`)
      : t("files.kind.other");

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const file = fileInput.current?.files?.[0];
    if (!file) return;
    const form = new FormData();
    form.set("file", file);
    form.set("kind", kind);
    upload.mutate(form, {
      onSuccess: () => {
        if (fileInput.current) fileInput.current.value = "";
        setChosen(null);
        void message.success(t("editor.saved"));
      },
    });
  };

  return (
    <form className="card editor-form" data-testid="attachments" onSubmit={submit}>
      <h2>{t("files.title")}</h2>
      <p className="muted">{t("files.hint")}</p>
      {!!(upload.error ?? download.error) && <ErrorNotice error={upload.error ?? download.error} />}
      {list.isError && <ErrorNotice error={list.error} />}
      {list.data?.length === 0 && <p className="muted">{t("files.none")}</p>}
      {!!list.data?.length && (
        <ul className="attachment-list" data-testid="attachment-list">
          {list.data.map((a) => (
            <li key={a.id}>
              <span className="attachment-kind">{kindLabel(a.kind)}</span>
              <Button type="link" size="small" onClick={() => download.mutate(a)}>
                {a.filename}
              </Button>
              <span className="muted">{size(a.size_bytes)}</span>
            </li>
          ))}
        </ul>
      )}
      <div className="editor-actions">
        <Select
          aria-label={t("files.kind")}
          value={kind}
          onChange={setKind}
          className="attachment-kind-select"
          options={ATTACHMENT_KINDS.map((value) => ({ value, label: t(`files.kind.${value}`) }))}
        />
        {/* The browser's own file button speaks the browser's language: ours speaks the reader's. */}
        <input
          ref={fileInput}
          id={`attachment-file-${instrumentId}`}
          className="attachment-file"
          type="file"
          name="file"
          aria-label={t("files.file")}
          onChange={(e) => setChosen(e.target.files?.[0]?.name ?? null)}
        />
        <label htmlFor={`attachment-file-${instrumentId}`} className="attachment-pick">
          {t("files.file")}
        </label>
        <span className="muted attachment-chosen">{chosen ?? t("files.noFile")}</span>
        <Button type="primary" htmlType="submit" loading={upload.isPending} disabled={!chosen}>
          {t("files.upload")}
        </Button>
      </div>
    </form>
  );
}
